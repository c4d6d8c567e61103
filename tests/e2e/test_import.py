"""`complaint import`: good rows recorded, bad rows rejected with line and reason, re-runs
record nothing new, and a run killed at any point loses and duplicates nothing."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

HEADER = "case_ref,agency,agency_ref,incident_on,reported_on,hate,summary\n"


def receive(run, on="2026-03-02"):
    return run(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        on,
        "--applicant",
        "Imported Applicant",
    ).stdout.strip()


def test_good_rows_are_recorded_and_bad_rows_rejected_with_line_and_reason(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER
        + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,false,shouting\n"
        + f"{ref},Hampshire Police,P-2,2026-02-30,2026-03-01,false,\n"
        + f"{ref},Gosport Borough Council,C-1,2026-02-10,2026-02-11,yes,\n"
        + "GOSPORT-2026-0999,Hampshire Police,P-3,2026-02-01,2026-02-01,false,\n"
        + f"{ref},,P-4,2026-02-01,2026-02-01,false,\n"
        + f"{ref},Hampshire Police,P-5,2026-02-05,2026-02-04,false,\n"
        + f"{ref},Hampshire Police,P-6,2026-02-05,2026-02-06,maybe,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"

    first = run(
        "complaint",
        "import",
        str(source),
        "--reject-file",
        str(rejects),
        "--json",
        ok=False,
    )
    again = run(
        "complaint",
        "import",
        str(source),
        "--reject-file",
        str(rejects),
        "--json",
        ok=False,
    )
    shown = run_json("case", "show", ref)

    assert first.exit_code == 2 and again.exit_code == 2
    assert json.loads(first.stdout)["recorded"] == 2
    assert json.loads(again.stdout) == {
        "recorded": 0,
        "already_recorded": 2,
        "rejected": 5,
        "reject_file": str(rejects),
    }
    assert sorted(c["agency_ref"] for c in shown["complaints"]) == ["C-1", "P-1"]
    assert [c["hate"] for c in shown["complaints"] if c["agency_ref"] == "C-1"] == [
        True
    ]
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["line"], r["reason"]) for r in rows] == [
        ("3", "incident_on: '2026-02-30' is not a date (expected YYYY-MM-DD)"),
        ("5", "no case 'GOSPORT-2026-0999' (references look like AREA-YYYY-NNNN)"),
        ("6", "missing agency"),
        ("7", "reported_on 2026-02-04 is before incident_on 2026-02-05"),
        ("8", "hate: 'maybe' is not yes/no (expected true/false, yes/no or 1/0)"),
    ]


def test_a_clean_file_exits_0_and_leaves_no_reject_file(run, tmp_path: Path):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,,\n",
        encoding="utf-8",
    )

    result = run("complaint", "import", str(source))

    assert result.stdout.strip() == "1 recorded, 0 already recorded, 0 rejected"
    assert not source.with_suffix(".rejects.csv").exists()


def test_a_file_without_a_required_column_is_refused_with_exit_2(run, tmp_path: Path):
    source = tmp_path / "export.csv"
    source.write_text("case_ref,agency,incident_on,reported_on\n", encoding="utf-8")

    result = run("complaint", "import", str(source), ok=False)

    assert result.exit_code == 2
    assert "the header lacks agency_ref" in result.stderr


def test_an_import_killed_at_random_points_then_rerun_records_every_row_once(
    db_url, tmp_path: Path
):
    env = {**os.environ, "CASEREVIEW_DB": db_url, "CASEREVIEW_USER": "importer"}

    def casereview(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "casereview", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )

    refs = [
        casereview(
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-02",
            "--applicant",
            f"Applicant {i}",
        ).stdout.strip()
        for i in range(20)
    ]
    source = tmp_path / "export.csv"
    rows = 2000
    with source.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(rows):
            out.write(
                f"{refs[n % len(refs)]},Hampshire Police,INC-{n},2026-02-01,2026-02-02,false,\n"
            )
    chance = random.Random(20261122)
    killed = 0
    for _ in range(20):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "casereview",
                "complaint",
                "import",
                str(source),
                "--batch-size",
                "100",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.5, 1.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()

    final = casereview("complaint", "import", str(source), "--json")
    recorded = []
    for ref in refs:
        shown = json.loads(casereview("case", "show", ref, "--json").stdout)
        recorded.extend(c["agency_ref"] for c in shown["complaints"])

    assert final.returncode == 0, final.stderr
    assert killed > 0
    assert sorted(recorded) == sorted(f"INC-{n}" for n in range(rows))
