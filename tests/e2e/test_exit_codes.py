"""Exit 2 (or 6) where a user's input or a damaged file is at fault, never 1 "unexpected
failure" (issue 11, item 16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from casereview.cli import cli


def one_line_error(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert "unexpected failure" not in result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    return str(result.stderr)


@pytest.mark.parametrize("year", ["0", "99999", "1999", "2101", "-5"])
@pytest.mark.parametrize("calendar_year", [False, True], ids=["financial", "calendar"])
def test_stats_refuses_a_year_out_of_range_naming_the_option(run, year, calendar_year):
    extra = ["--calendar-year"] if calendar_year else []

    result = run("stats", "--year", year, *extra, ok=False)

    err = one_line_error(result, 2)
    assert f"--year: {year} " in err and "2000 to 2100" in err


def test_stats_counts_the_first_and_last_years_of_the_range(run):
    assert run("stats", "--year", "2000", "--json").exit_code == 0
    assert run("stats", "--year", "2100", "--calendar-year", "--json").exit_code == 0


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        ("9999-12-30", "28 calendar days"),
        ("9999-12-30", "2 calendar days, rolled forward"),
        ("2026-01-01", "999999999999 calendar days"),
        ("2026-01-01", "3000000 calendar days"),
    ],
)
def test_calendar_due_beyond_the_last_date_is_bad_input(run, start, rule):
    result = run("calendar", "due", start, rule, ok=False)

    err = one_line_error(result, 2)
    assert "beyond the last date this calendar can count to" in err
    assert "9999-12-31" in err


def test_calendar_due_still_counts_to_the_last_date(run):
    result = run("calendar", "due", "9999-12-30", "1 calendar day", "--json")

    assert '"due_on": "9999-12-31"' in result.stdout


@pytest.mark.parametrize(
    "target",
    ["/no/such/folder/report.html", "/proc/version"],
    ids=["missing-folder", "unwritable"],
)
def test_stats_html_into_a_path_it_cannot_write_names_the_path(run, target):
    result = run("stats", "--year", "2025", "--html", target, ok=False)

    err = one_line_error(result, 2)
    assert f"--html: cannot write {target}" in err


def test_stats_html_refuses_a_missing_folder_before_counting(run, tmp_path):
    target = tmp_path / "missing" / "report.html"

    result = run("stats", "--year", "2025", "--html", str(target), ok=False)

    err = one_line_error(result, 2)
    assert str(target.parent) in err and "no such folder" in err
    assert not target.parent.exists()


@pytest.mark.parametrize("daily_at", ["25:99", "24:00", "7pm", "07:60", "7", ""])
def test_scheduler_refuses_a_daily_time_that_is_not_hh_mm_before_any_tick(
    run, daily_at
):
    result = run("scheduler", "run", "--daily-at", daily_at, ok=False)

    err = one_line_error(result, 2)
    assert f"--daily-at: {daily_at!r}" in err and "HH:MM" in err


def test_scheduler_daily_time_parses_hours_and_minutes():
    from casereview.services.schedule import parse_daily_at

    assert parse_daily_at("07:00") == (7, 0)
    assert parse_daily_at("7:05") == (7, 5)
    assert parse_daily_at("23:59") == (23, 59)


# ----- a damaged SQLite file ----------------------------------------------------------------


def make_store(path: Path) -> None:
    runner = CliRunner()
    for args in (
        ["init"],
        [
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-02",
            "--applicant",
            "Sam Jones",
        ],
    ):
        done = runner.invoke(cli, ["--db", f"sqlite:///{path}", *args])
        assert done.exit_code == 0, done.output


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not a database, only text " * 64)


def malformed(path: Path) -> None:
    make_store(path)
    size = path.stat().st_size
    with path.open("r+b") as f:  # keep the header page, overwrite every page after it
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))


@pytest.mark.parametrize("damage", [not_a_database, malformed])
@pytest.mark.parametrize(
    "args",
    [
        ["case", "list"],
        ["case", "show", "GOSPORT-2026-0001"],
        ["stats", "--year", "2025"],
        [
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-03",
            "--applicant",
            "B",
        ],
    ],
    ids=["list", "show", "stats", "receive"],
)
def test_a_damaged_sqlite_file_is_named_with_the_remedy(tmp_path, damage, args):
    path = tmp_path / "damaged.db"
    damage(path)

    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", *args])

    err = one_line_error(result, 6)
    assert f"the SQLite file {path} is damaged" in err
    assert "restore it from a backup" in err


def test_a_damaged_sqlite_file_is_reported_by_a_real_process(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "damaged.db"
    not_a_database(path)

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "casereview",
            "--db",
            f"sqlite:///{path}",
            "case",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CASEREVIEW_DB": ""},
    )

    assert done.returncode == 6, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f"Error: the SQLite file {path} is damaged (file is not a database); "
        "restore it from a backup\n"
    )
