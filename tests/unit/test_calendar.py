"""Working-day and calendar-day due dates against a small hand-made calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.errors import InvalidInput
from casereview.thresholds.calendar import (
    Due,
    Rule,
    Skipped,
    WorkingDayCalendar,
    long_date,
)

HOLIDAYS = {
    date(2025, 12, 25): "Christmas Day",
    date(2025, 12, 26): "Boxing Day",
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2027, 12, 27): "Christmas Day (observed)",
    date(2027, 12, 28): "Boxing Day (observed)",
}
CALENDAR = WorkingDayCalendar("england", HOLIDAYS, "test-calendar-1")
FIVE_WORKING = Rule(5, "working")


def test_due_date_is_monday_5_january_when_received_on_saturday_27_december_2025():
    start = date(2025, 12, 27)

    due = CALENDAR.due(start, FIVE_WORKING)

    assert due.due_on == date(2026, 1, 5)
    assert due.counted == (
        date(2025, 12, 29),
        date(2025, 12, 30),
        date(2025, 12, 31),
        date(2026, 1, 2),
        date(2026, 1, 5),
    )
    assert due.skipped == (
        Skipped(date(2025, 12, 28), "Sunday"),
        Skipped(date(2026, 1, 1), "New Year's Day"),
        Skipped(date(2026, 1, 3), "Saturday"),
        Skipped(date(2026, 1, 4), "Sunday"),
    )


def test_explanation_names_start_days_skipped_and_calendar_when_working_days():
    due = CALENDAR.due(date(2025, 12, 27), FIVE_WORKING)

    lines = due.explanation()

    assert lines[0] == "Started Saturday 27 December 2025 (day 0, not counted)"
    assert lines[1].startswith("Counted: Monday 29 December 2025 (day 1), ")
    assert lines[1].endswith("Monday 5 January 2026 (day 5)")
    assert lines[2] == (
        "Skipped: Sunday 28 December 2025 (Sunday), "
        "Thursday 1 January 2026 (New Year's Day), "
        "Saturday 3 January 2026 (Saturday), Sunday 4 January 2026 (Sunday)"
    )
    assert lines[3] == (
        "Due Monday 5 January 2026: day 5 of 5 working days (calendar test-calendar-1)"
    )


def test_due_date_skips_christmas_when_received_on_a_saturday():
    start = date(2027, 12, 25)  # Christmas Day on a Saturday, Boxing Day on the Sunday

    due = CALENDAR.due(start, Rule(1, "working"))

    assert due.due_on == date(2027, 12, 29)
    assert [s.why for s in due.skipped] == [
        "Sunday",
        "Christmas Day (observed)",
        "Boxing Day (observed)",
    ]
    assert len({s.date for s in due.skipped}) == len(due.skipped)


def test_weekend_holiday_is_named_as_the_weekend_when_also_given_with_its_substitute():
    calendar = WorkingDayCalendar(
        "england",
        {
            **HOLIDAYS,
            date(2027, 12, 25): "Christmas Day",
            date(2027, 12, 26): "Boxing Day",
        },
        "test",
    )

    due = calendar.due(date(2027, 12, 24), Rule(1, "working"))

    assert due.due_on == date(2027, 12, 29)
    assert [s.why for s in due.skipped] == [
        "Saturday",
        "Sunday",
        "Christmas Day (observed)",
        "Boxing Day (observed)",
    ]
    assert calendar.working_days_between(date(2027, 12, 24), date(2027, 12, 31)) == 3


def test_start_is_never_counted_when_it_is_a_working_day():
    monday = date(2026, 1, 5)

    assert CALENDAR.add_working_days(monday, 1) == date(2026, 1, 6)
    assert CALENDAR.due(monday, Rule(1, "working")).skipped == ()


def test_zero_working_days_is_the_start_when_the_start_is_a_weekend():
    saturday = date(2026, 1, 3)

    due = CALENDAR.due(saturday, Rule(0, "working"))

    assert CALENDAR.add_working_days(saturday, 0) == saturday
    assert due.due_on == saturday
    assert due.counted == ()
    assert due.explanation()[1:] == [
        "Skipped: none",
        "Due Saturday 3 January 2026: day 0 of 0 working days "
        "(calendar test-calendar-1)",
    ]


def test_adding_working_days_is_refused_when_negative():
    with pytest.raises(InvalidInput, match="-1 is negative"):
        CALENDAR.add_working_days(date(2026, 1, 5), -1)


def test_easter_weekend_is_skipped_when_counting_across_it():
    thursday = date(2026, 4, 2)

    assert CALENDAR.add_working_days(thursday, 1) == date(2026, 4, 7)
    assert CALENDAR.working_days_between(thursday, date(2026, 4, 7)) == 1


def test_working_days_between_is_zero_when_the_end_is_not_after_the_start():
    day = date(2026, 1, 5)

    assert CALENDAR.working_days_between(day, day) == 0
    assert CALENDAR.working_days_between(day, day - timedelta(days=10)) == 0


def test_is_working_day_is_false_when_weekend_or_bank_holiday():
    assert CALENDAR.is_working_day(date(2026, 1, 2))
    assert not CALENDAR.is_working_day(date(2026, 1, 1))
    assert not CALENDAR.is_working_day(date(2026, 1, 3))
    assert not CALENDAR.is_working_day(date(2026, 1, 4))
    assert CALENDAR.why_not_working(date(2026, 1, 1)) == "New Year's Day"
    assert CALENDAR.why_not_working(date(2026, 1, 2)) is None


def test_next_working_day_is_the_day_itself_when_it_is_a_working_day():
    assert CALENDAR.next_working_day(date(2026, 1, 2)) == date(2026, 1, 2)
    assert CALENDAR.next_working_day(date(2025, 12, 25)) == date(2025, 12, 29)


def test_calendar_days_due_date_falls_on_a_weekend_when_not_rolled_forward():
    start = date(2027, 11, 27)

    due = CALENDAR.due(start, Rule.parse("28 days"))

    assert due.due_on == date(2027, 12, 25)
    assert due.skipped == ()
    assert due.counted == ()
    assert due.explanation() == [
        "Started Saturday 27 November 2027 (day 0, not counted)",
        "Due Saturday 25 December 2027: start + 28 calendar days "
        "(calendar test-calendar-1)",
    ]


def test_calendar_days_due_date_rolls_past_christmas_when_rolled_forward():
    start = date(2027, 11, 27)

    due = CALENDAR.due(start, Rule(28, "calendar", roll_forward=True))

    assert due.due_on == date(2027, 12, 29)
    assert due.skipped == (
        Skipped(date(2027, 12, 25), "Saturday"),
        Skipped(date(2027, 12, 26), "Sunday"),
        Skipped(date(2027, 12, 27), "Christmas Day (observed)"),
        Skipped(date(2027, 12, 28), "Boxing Day (observed)"),
    )
    assert due.explanation()[1] == "28 calendar days end on Saturday 25 December 2027"
    assert due.explanation()[-1] == (
        "Due Wednesday 29 December 2027: rolled forward to the next working day "
        "(calendar test-calendar-1)"
    )


def test_calendar_days_due_date_stays_when_rolled_forward_onto_a_working_day():
    start = date(2026, 1, 1)

    due = CALENDAR.due(start, Rule(28, "calendar", roll_forward=True))

    assert due.due_on == date(2026, 1, 29)
    assert due.skipped == ()
    assert due.explanation()[-1] == (
        "Due Thursday 29 January 2026: start + 28 calendar days, a working day "
        "(calendar test-calendar-1)"
    )


def test_to_json_has_the_contract_keys_when_asked_for_a_due_date():
    due = CALENDAR.due(date(2025, 12, 27), FIVE_WORKING)

    document = due.to_json()

    assert document == {
        "start": "2025-12-27",
        "rule": "5 working days",
        "due_on": "2026-01-05",
        "division": "england",
        "skipped": [
            {"date": "2025-12-28", "why": "Sunday"},
            {"date": "2026-01-01", "why": "New Year's Day"},
            {"date": "2026-01-03", "why": "Saturday"},
            {"date": "2026-01-04", "why": "Sunday"},
        ],
        "calendar": "test-calendar-1",
    }


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("10 working days", Rule(10, "working")),
        ("1 working day", Rule(1, "working")),
        ("1 working days", Rule(1, "working")),
        ("28 calendar days", Rule(28, "calendar")),
        ("28 days", Rule(28, "calendar")),
        ("  5   Working  Days ", Rule(5, "working")),
        ("28 calendar days, rolled forward", Rule(28, "calendar", roll_forward=True)),
        ("28 days roll forward", Rule(28, "calendar", roll_forward=True)),
        ("0 working days", Rule(0, "working")),
    ],
)
def test_rule_parses_when_written_like_a_timescale(text, rule):
    assert Rule.parse(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "ten days",
        "",
        "10",
        "10 working",
        "-3 working days",
        "10 business days",
        "3 weeks",
    ],
)
def test_rule_is_refused_with_an_example_when_not_a_timescale(text):
    with pytest.raises(InvalidInput) as raised:
        Rule.parse(text)

    assert str(raised.value) == (
        f"rule: {text!r} is not a rule "
        '(expected like "10 working days" or "28 calendar days")'
    )


def test_rule_is_refused_when_working_days_roll_forward():
    with pytest.raises(InvalidInput, match="only calendar days roll"):
        Rule.parse("10 working days, rolled forward")


def test_rule_is_refused_when_negative_or_of_unknown_unit():
    with pytest.raises(InvalidInput, match="negative"):
        Rule(-1, "working")
    with pytest.raises(InvalidInput, match="expected working or calendar"):
        Rule(3, "weekly")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule(10, "working"), "10 working days"),
        (Rule(1, "working"), "1 working day"),
        (Rule(28, "calendar"), "28 calendar days"),
        (Rule(28, "calendar", roll_forward=True), "28 calendar days, rolled forward"),
        (Rule(5, "working", roll_forward=True), "5 working days"),
    ],
)
def test_rule_prints_canonically_and_parses_back(rule, text):
    assert str(rule) == text
    assert Rule.parse(text).days == rule.days


def test_long_date_has_no_leading_zero():
    assert long_date(date(2026, 1, 5)) == "Monday 5 January 2026"


def test_arithmetic_is_refused_when_outside_the_calendar_coverage():
    calendar = WorkingDayCalendar(
        "wales", HOLIDAYS, "test", covers=(date(2025, 1, 1), date(2027, 12, 31))
    )

    with pytest.raises(InvalidInput, match=r"covers 2025-01-01 to 2027-12-31"):
        calendar.add_working_days(date(2027, 12, 30), 5)
    with pytest.raises(InvalidInput, match="outside the wales"):
        calendar.working_days_between(date(2024, 12, 1), date(2025, 1, 5))
    assert calendar.add_working_days(date(2027, 12, 24), 3) == date(2027, 12, 31)


def test_calendar_can_be_hashed_and_compared_when_built_twice():
    again = WorkingDayCalendar("england", dict(HOLIDAYS), "test-calendar-1")

    assert again == CALENDAR
    assert hash(again) == hash(CALENDAR)


def test_due_is_a_plain_value_when_built_directly():
    due = Due(date(2026, 1, 5), Rule(0, "calendar"), date(2026, 1, 5), "england", "x")

    assert due.to_json()["skipped"] == []
    assert (
        due.explanation()[-1]
        == "Due Monday 5 January 2026: start + 0 calendar days (calendar x)"
    )


def _brute_force_between(calendar, a, b):
    days = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
    return sum(1 for d in days if calendar.is_working_day(d))


@given(
    a=st.dates(date(2025, 6, 1), date(2028, 6, 1)),
    span=st.integers(0, 400),
)
def test_working_days_between_counts_like_stepping_day_by_day(a, span):
    b = a + timedelta(days=span)

    assert CALENDAR.working_days_between(a, b) == _brute_force_between(CALENDAR, a, b)


@given(start=st.dates(date(2025, 6, 1), date(2028, 1, 1)), n=st.integers(0, 60))
def test_adding_then_counting_working_days_gives_n_back(start, n):
    due = CALENDAR.due(start, Rule(n, "working"))

    assert CALENDAR.add_working_days(start, n) == due.due_on
    assert CALENDAR.working_days_between(start, due.due_on) == n
    assert len(due.counted) == n
    assert n == 0 or CALENDAR.is_working_day(due.due_on)


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        (date(9999, 12, 30), Rule(28, "calendar")),
        (date(9999, 12, 30), Rule(2, "calendar", roll_forward=True)),
        (date(9999, 12, 30), Rule(2, "working")),
        (date(2026, 1, 1), Rule(10**12, "calendar")),
    ],
)
def test_due_date_is_bad_input_when_beyond_the_last_date_a_date_can_hold(start, rule):
    calendar = WorkingDayCalendar("england", {}, "test")  # no coverage limit

    with pytest.raises(InvalidInput, match="beyond the last date") as caught:
        calendar.due(start, rule)

    assert "9999-12-31" in str(caught.value) and str(rule) in str(caught.value)
