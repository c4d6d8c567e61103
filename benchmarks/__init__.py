"""Benchmarks of the casereview engine: `python benchmarks/run.py [--quick|--full] [--json]`."""
