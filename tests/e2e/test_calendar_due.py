"""`calendar due` counts on the deadlines' own calendar (issue 12): with a bank holiday
announced after the pinned `holidays` release (an area's `bank-holidays.toml`), the date it
gives is the due date of the deadline the same rule schedules."""

from __future__ import annotations

from pathlib import Path

import pytest

START = "2026-06-01"  # a Monday
EXTRA = (
    "2026-06-03"  # the Wednesday after: a bank holiday only the overrides file knows
)


def policy_folder(
    tmp_path: Path, nation: str, days: int, unit: str, roll: bool
) -> Path:
    folder = tmp_path / "policies"
    (folder / "holiday-borough").mkdir(parents=True)
    (folder / "holiday-borough" / "2025-04-01.toml").write_text(
        f"""schema = 1
area = "Holiday Borough"
nation = "{nation}"
effective_from = 2025-04-01
source = "https://example.org/holiday-borough/asb-case-review"
relevant_bodies = ["Holiday Borough Council", "Holiday Police"]

[[timescales]]
name = "acknowledge"
from = "received"
until = "acknowledged"
days = {days}
unit = "{unit}"
roll_forward = {"true" if roll else "false"}
""",
        encoding="utf-8",
    )
    (folder / "bank-holidays.toml").write_text(
        f'[{nation}]\n"{EXTRA}" = "Extra bank holiday"\n', encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    ("nation", "days", "unit", "roll", "rule"),
    [
        ("england", 10, "working", False, "10 working days"),
        ("wales", 3, "working", False, "3 working days"),
        # Two calendar days land on the extra bank holiday, and roll past it.
        ("england", 2, "calendar", True, "2 calendar days, rolled forward"),
    ],
    ids=["england-working", "wales-working", "calendar-rolled"],
)
def test_calendar_due_equals_the_deadline_when_an_area_adds_a_bank_holiday(
    run, run_json, tmp_path, nation, days, unit, roll, rule
):
    policies = str(policy_folder(tmp_path, nation, days, unit, roll))
    ref = run(
        "--policies",
        policies,
        "application",
        "receive",
        "--area",
        "holiday-borough",
        "--received-on",
        START,
        "--applicant",
        "Holly Day",
    ).stdout.strip()

    due = run_json(
        "--policies",
        policies,
        "calendar",
        "due",
        START,
        rule,
        "--area",
        "holiday-borough",
    )
    deadline = run_json("--policies", policies, "case", "show", ref)["deadlines"][0]

    assert deadline["rule"] == rule and deadline["start_on"] == START
    assert due["due_on"] == deadline["due_on"]
    assert due["calendar"] == deadline["calendar"]
    assert due["division"] == nation
    assert {"date": EXTRA, "why": "Extra bank holiday"} in due["skipped"]
