"""The benchmark runs end to end in its tiny mode and reports every figure.

No timing is asserted here: timings belong in the benchmark's own output (its table and its
targets), never in a unit test. This only checks that `benchmarks/run.py` still drives the
engine's current API and prints the JSON object its README promises.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "raw_insert_per_s",
    "import_per_s",
    "ratio",
    "rebuild_per_s",
    "deadline_check_s",
    "as_at_median_ms",
    "as_at_p99_ms",
    "decide_median_ms",
    "simulate_s",
    "peak_rss_mb",
)
SIZES = (
    "raw_insert_rows",
    "import_rows",
    "applications",
    "rebuild_events",
    "deadlines_open",
    "as_at_events",
    "decide_complaints",
    "simulate_applications",
)


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_the_smoke_benchmark_prints_every_figure_as_one_json_object() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--smoke",
            "--only",
            "sqlite",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)  # exactly one JSON document on stdout

    assert set(report) >= {"sqlite", "postgresql", "help_s"}
    sqlite = report["sqlite"]
    for key in FIGURES + SIZES:
        assert positive(sqlite.get(key)), (key, sqlite.get(key))
    assert positive(report["help_s"])
    assert sqlite["import_rows"] == report["sizes"]["complaints"]
    assert "skipped" in report["postgresql"]  # --only sqlite
    for check in sqlite["targets"].values():
        assert isinstance(check["met"], bool)
        assert check["how"]
