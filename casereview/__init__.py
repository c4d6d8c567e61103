"""casereview: run ASB Case Reviews (ABCPA 2014 ss.104-105, Sch. 4) as an event-sourced record."""

__version__ = "0.1.0"
