"""`complaint import`: good rows recorded, bad rows rejected with line and reason, re-runs
record nothing new, and a run killed at any point loses and duplicates nothing."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
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


def test_rows_for_a_closed_case_are_rejected_for_a_new_application_and_old_ones_skipped(
    run, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,,\n",
        encoding="utf-8",
    )
    run("complaint", "import", str(source))
    run("threshold", "decide", ref, "--on", "2026-03-05")
    run("outcome", "send", ref, "--on", "2026-03-06")
    run("case", "close", ref, "--on", "2026-03-07", "--reason", "done")
    source.write_text(
        HEADER
        + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,,\n"
        + f"{ref},Hampshire Police,P-2,2026-03-01,2026-03-02,,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(rejects), ok=False
    )

    assert result.exit_code == 2
    assert result.stdout.startswith("0 recorded, 1 already recorded, 1 rejected")
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [r["line"] for r in rows] == ["3"]
    assert rows[0]["reason"].startswith(
        f"{ref}: cannot record a complaint while the case is closed; "
        "a new application is the way"
    )


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


# ----- issue 11: what an attacker and a clumsy user broke --------------------------------


def rejects_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


def test_nul_and_control_characters_reject_their_row_and_every_command_still_works(
    run, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_bytes(
        (
            HEADER
            + f"{ref},Gosport\x00Council,N-1,2026-02-01,2026-02-02,false,noise\n"
            + f"{ref},Gosport Council,N-2,2026-02-01,2026-02-02,false,a\tb\n"
            + f"{ref},Gosport\x1b[31mCouncil,N-3,2026-02-01,2026-02-02,false,\n"
            + f"{ref},Gosport Council,N\x7f4,2026-02-01,2026-02-02,false,\n"
            + f'{ref},Gosport Council,N-5,2026-02-01,2026-02-02,false,"bell\x07"\n'
            + f'{ref},Gosport Council,N-6,2026-02-01,2026-02-02,false,"two\nlines"\n'
        ).encode()
    )
    rejects = tmp_path / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(rejects), ok=False
    )
    listed = run("case", "list")  # the read models took the good rows (PostgreSQL too)

    assert result.exit_code == 2
    assert result.stdout.startswith("2 recorded, 0 already recorded, 4 rejected")
    assert ref in listed.stdout
    assert [(r["line"], r["reason"]) for r in rejects_of(rejects)] == [
        (
            "2",
            "agency: contains a control character (U+0000) at character 8, "
            "which is not allowed",
        ),
        (
            "4",
            "agency: contains a control character (U+001B) at character 8, "
            "which is not allowed",
        ),
        (
            "5",
            "agency_ref: contains a control character (U+007F) at character 2, "
            "which is not allowed",
        ),
        (
            "6",
            "summary: contains a control character (U+0007) at character 5, "
            "which is not allowed",
        ),
    ]
    # The reject file shows the bad character as U+FFFD, never raw.
    assert rejects_of(rejects)[0]["agency"] == "Gosport\ufffdCouncil"


def test_cells_a_spreadsheet_would_run_are_neutralised_in_the_reject_file(
    run, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER
        + f'{ref},"=HYPERLINK(""http://x.example"")",F-1,2026-02-30,2026-02-02,,+cmd\n'
        + f"{ref},@SUM(1+1),-2,not-a-date,2026-02-02,false,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"

    run("complaint", "import", str(source), "--reject-file", str(rejects), ok=False)

    rows = rejects_of(rejects)
    assert [r["agency"] for r in rows] == [
        '\'=HYPERLINK("http://x.example")',
        "'@SUM(1+1)",
    ]
    assert rows[0]["summary"] == "'+cmd"
    assert rows[1]["agency_ref"] == "'-2"
    assert all(
        not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values()
    )


def test_spellings_of_one_reference_are_one_complaint_and_another_case_is_refused(
    run, run_json, tmp_path: Path
):
    ref, other = receive(run), receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER
        + f"{ref},surrey police,IMP-1,2026-02-20,2026-02-21,false,\n"
        + f"{ref},Surrey  Police,imp-1,2026-02-20,2026-02-21,false,\n"
        + f"{ref},Surrey Police,IMP-1,2026-02-20,2026-02-21,false,\n"
        + f"{other},SURREY POLICE, imp-1 ,2026-02-20,2026-02-21,false,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(rejects), ok=False
    )
    decided = run_json("threshold", "decide", ref, "--on", "2026-03-03")
    added = run(
        "complaint",
        "add",
        other,
        "--agency",
        "Surrey Police",
        "--agency-ref",
        "Imp-1",
        "--incident-on",
        "2026-02-20",
        "--reported-on",
        "2026-02-21",
        ok=False,
    )

    assert result.exit_code == 2
    assert result.stdout.startswith("1 recorded, 2 already recorded, 1 rejected")
    assert [c["agency_ref"] for c in run_json("case", "show", ref)["complaints"]] == [
        "IMP-1"
    ]
    assert run_json("case", "show", other)["complaints"] == []
    assert not decided["met"]
    [row] = rejects_of(rejects)
    assert row["line"] == "5"
    assert row["reason"].startswith(
        f"{other}: SURREY POLICE reference 'imp-1' is already recorded on {ref} as "
        "complaint C1"
    )
    assert added.exit_code == 3
    assert f"is already recorded on {ref} as complaint C1" in added.stderr
    assert "Imported Applicant" not in added.stderr  # no personal data


def test_a_complaint_added_by_hand_is_refused_when_its_reference_is_on_another_case(
    run, tmp_path: Path
):
    ref, other = receive(run), receive(run)
    options = ["--incident-on", "2026-02-20", "--reported-on", "2026-02-21"]
    run(
        "complaint",
        "add",
        ref,
        "--agency",
        "Vivid Homes",
        "--agency-ref",
        "V 1",
        *options,
    )

    again = run(
        "complaint",
        "add",
        other,
        "--agency",
        "vivid homes",
        "--agency-ref",
        "v  1",
        *options,
        ok=False,
    )
    same_case = run(
        "complaint",
        "add",
        ref,
        "--agency",
        "VIVID HOMES",
        "--agency-ref",
        "V 1",
        *options,
        ok=False,
    )
    no_ref = run("complaint", "add", other, "--agency", "Vivid Homes", *options)

    assert again.exit_code == 3
    assert f"already recorded on {ref} as complaint C1" in again.stderr
    assert same_case.exit_code == 3
    assert "already recorded as complaint C1" in same_case.stderr
    assert no_ref.stdout.strip() == "C1"


def test_a_byte_that_is_not_utf8_rejects_its_row_with_line_and_column(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_bytes(
        HEADER.encode()
        + f"{ref},Gosport Council,L-1,2026-02-01,2026-02-02,false,fine\n".encode()
        + f"{ref},Caf\xe9 Council,L-2,2026-02-01,2026-02-02,false,\n".encode("latin-1")
        + f"{ref},Gosport Council,L-3,2026-02-01,2026-02-02,false,after\n".encode()
    )
    rejects = tmp_path / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(rejects), ok=False
    )

    assert result.exit_code == 2
    assert [c["agency_ref"] for c in run_json("case", "show", ref)["complaints"]] == [
        "L-1",
        "L-3",
    ]
    [row] = rejects_of(rejects)
    assert (row["line"], row["reason"]) == (
        "3",
        f"line 3: not valid UTF-8 (byte 0xE9 at column {len(ref) + 5}); "
        "save the file as UTF-8",
    )
    assert row["agency"] == "Caf\ufffd Council"


def test_a_one_megabyte_cell_rejects_its_row_and_the_rows_after_it_are_recorded(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER
        + f"{ref},Gosport Council,H-1,2026-02-01,2026-02-02,false,before\n"
        + f"{ref},Gosport Council,H-2,2026-02-01,2026-02-02,false,{'x' * 1_000_000}\n"
        + f'{ref},Gosport Council,H-3,2026-02-01,2026-02-02,false,"{"y" * 6000}\nz"\n'
        + f"{ref},Gosport Council,H-4,2026-02-01,2026-02-02,false,after\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(rejects), ok=False
    )

    assert result.exit_code == 2
    assert [c["agency_ref"] for c in run_json("case", "show", ref)["complaints"]] == [
        "H-1",
        "H-4",
    ]
    assert [(r["line"], r["reason"]) for r in rejects_of(rejects)] == [
        ("3", "summary: is longer than 5,000 characters; at most 5,000 are allowed"),
        ("4", "summary: is longer than 5,000 characters; at most 5,000 are allowed"),
    ]


def test_a_reject_file_naming_the_input_is_refused_before_anything_is_touched(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    text = (
        HEADER
        + f"{ref},Gosport Council,R-1,2026-02-01,2026-02-02,false,\n"
        + f"{ref},Gosport Council,R-2,2026-02-30,2026-02-02,false,\n"
    )
    source.write_text(text, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(source)
    os.link(source, tmp_path / "hard.csv")

    results = [
        run("complaint", "import", str(source), "--reject-file", str(same), ok=False)
        for same in (
            source,
            tmp_path / "sub" / ".." / "export.csv",
            tmp_path / "link.csv",
            tmp_path / "hard.csv",
        )
    ]

    assert [r.exit_code for r in results] == [2, 2, 2, 2]
    assert all("is the file being imported" in r.stderr for r in results)
    assert source.read_text(encoding="utf-8") == text
    assert run_json("case", "show", ref)["complaints"] == []


def test_a_clean_import_creates_no_reject_file_and_leaves_one_already_there(
    run, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,,\n",
        encoding="utf-8",
    )
    theirs = tmp_path / "export.rejects.csv"
    theirs.write_text("someone's own file\n", encoding="utf-8")
    named = tmp_path / "named-rejects.csv"

    run("complaint", "import", str(source))
    run("complaint", "import", str(source), "--reject-file", str(named))

    assert theirs.read_text(encoding="utf-8") == "someone's own file\n"
    assert not named.exists()


def test_a_reject_file_in_a_folder_that_cannot_take_it_is_refused_before_importing(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER + f"{ref},Hampshire Police,P-1,2026-02-01,2026-02-01,,\n",
        encoding="utf-8",
    )
    missing = tmp_path / "no-such-folder" / "rejects.csv"

    result = run(
        "complaint", "import", str(source), "--reject-file", str(missing), ok=False
    )

    assert result.exit_code == 2
    assert f"in {missing.parent}" in result.stderr
    assert run_json("case", "show", ref)["complaints"] == []


def test_a_read_only_folder_for_the_reject_file_is_exit_2_naming_it(
    db_url: str, tmp_path: Path
):
    env = {**os.environ, "CASEREVIEW_DB": db_url, "CASEREVIEW_USER": "importer"}
    # Root writes anywhere: drop the capability that lets it, as an operator's account
    # would not have it.
    prefix = (
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
        if os.geteuid() == 0
        else []
    )
    # util-linux's setpriv is on every Debian machine; without it root could not be tested.
    assert not prefix or shutil.which("setpriv"), (
        "running as root needs setpriv (util-linux)"
    )

    def casereview(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "casereview", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )

    ref = casereview(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "Ro Applicant",
    ).stdout.strip()
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER + f"{ref},Hampshire Police,P-1,2026-02-30,2026-02-01,,\n",
        encoding="utf-8",
    )
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)

    try:
        result = casereview(
            "complaint", "import", str(source), "--reject-file", str(folder / "r.csv")
        )
    finally:
        folder.chmod(0o755)

    assert result.returncode == 2, result.stderr
    assert f"in {folder} (Permission denied)" in result.stderr
    assert not (folder / "r.csv").exists()


def test_a_header_naming_a_column_twice_is_refused_before_anything_is_written(
    run, run_json, tmp_path: Path
):
    ref = receive(run)
    source = tmp_path / "export.csv"
    source.write_text(
        "case_ref,agency,agency_ref,agency,incident_on,reported_on\n"
        + f"{ref},Hampshire Police,D-1,Gosport Council,2026-02-01,2026-02-02\n",
        encoding="utf-8",
    )

    result = run("complaint", "import", str(source), ok=False)

    assert result.exit_code == 2
    assert "the header names agency more than once (columns 2, 4)" in result.stderr
    assert run_json("case", "show", ref)["complaints"] == []
    assert not source.with_suffix(".rejects.csv").exists()
