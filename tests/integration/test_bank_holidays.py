"""The real calendars: the pinned `holidays` package, checked against GOV.UK's own list."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

import holidays
import pytest
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.adapters.holidays import calendar_for, load_overrides
from casereview.errors import InvalidInput
from casereview.thresholds.calendar import Rule, Skipped

DIVISIONS = ["england", "wales"]
PINNED = version("holidays")
SUBDIV = {"england": "ENG", "wales": "WLS"}
SHIPPED_OVERRIDES = Path(__file__).parents[2] / "policies" / "bank-holidays.toml"

# An oracle independent of casereview's filtering: the package's own lists, weekend
# entries included.
ORACLE = {
    division: holidays.country_holidays("GB", subdiv=subdiv, years=range(2011, 2033))
    for division, subdiv in SUBDIV.items()
}


@pytest.mark.parametrize("division", DIVISIONS)
def test_due_date_is_monday_5_january_when_received_on_saturday_27_december_2025(
    division,
):
    calendar = calendar_for(division)

    due = calendar.due(date(2025, 12, 27), Rule.parse("5 working days"))

    assert due.due_on == date(2026, 1, 5)
    assert due.skipped == (
        Skipped(date(2025, 12, 28), "Sunday"),
        Skipped(date(2026, 1, 1), "New Year's Day"),
        Skipped(date(2026, 1, 3), "Saturday"),
        Skipped(date(2026, 1, 4), "Sunday"),
    )
    assert due.explanation()[-1] == (
        "Due Monday 5 January 2026: day 5 of 5 working days "
        f"(calendar holidays==0.109/GB-{SUBDIV[division]})"
    )


@pytest.mark.parametrize("division", DIVISIONS)
def test_due_date_skips_christmas_when_received_on_a_saturday(division):
    calendar = calendar_for(division)
    christmas_eve = date(
        2027, 12, 24
    )  # Christmas and Boxing Day 2027 fall at a weekend

    due = calendar.due(christmas_eve, Rule.parse("3 working days"))

    assert due.due_on == date(2027, 12, 31)
    assert due.skipped == (
        Skipped(date(2027, 12, 25), "Saturday"),
        Skipped(date(2027, 12, 26), "Sunday"),
        Skipped(date(2027, 12, 27), "Christmas Day (observed)"),
        Skipped(date(2027, 12, 28), "Boxing Day (observed)"),
    )
    assert calendar.working_days_between(christmas_eve, due.due_on) == 3


def test_boxing_day_substitute_is_named_once_when_boxing_day_is_a_saturday():
    calendar = calendar_for("england")
    saturday = date(2026, 12, 26)

    due = calendar.due(saturday, Rule.parse("1 working day"))

    assert due.due_on == date(2026, 12, 29)
    assert due.skipped == (
        Skipped(date(2026, 12, 27), "Sunday"),
        Skipped(date(2026, 12, 28), "Boxing Day (observed)"),
    )
    assert saturday not in calendar.holidays


def test_calendar_days_roll_past_christmas_when_rolled_forward():
    calendar = calendar_for("wales")

    due = calendar.due(
        date(2027, 11, 27), Rule.parse("28 calendar days, rolled forward")
    )

    assert due.due_on == date(2027, 12, 29)
    assert [s.why for s in due.skipped] == [
        "Saturday",
        "Sunday",
        "Christmas Day (observed)",
        "Boxing Day (observed)",
    ]
    assert calendar.due(date(2027, 11, 27), Rule.parse("28 days")).due_on == date(
        2027, 12, 25
    )


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2020, 5, 8), "May Day"),
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 9, 19), "State Funeral"),
        (date(2023, 5, 8), "Coronation"),
    ],
)
def test_one_off_bank_holidays_are_not_working_days_when_announced_before_the_pin(
    day, name
):
    calendar = calendar_for("england")

    assert not calendar.is_working_day(day)
    assert name.lower() in calendar.holidays[day].lower()


@settings(max_examples=300, deadline=None)
@given(
    division=st.sampled_from(DIVISIONS),
    start=st.dates(date(2012, 1, 1), date(2030, 12, 31)),
    n=st.integers(1, 60),
)
def test_working_days_are_counted_exactly_when_any_start_and_any_n(division, start, n):
    calendar = calendar_for(division)

    due_on = calendar.add_working_days(start, n)
    # GOV.UK's own list (bundled with govuk-bank-holidays, read offline) where it reaches;
    # beyond it, the holidays package's lists.
    oracle = GOVUK if due_on <= GOVUK_LAST else ORACLE[division]
    due = calendar.due(start, Rule(n, "working"))

    assert due.due_on == due_on
    assert due_on.weekday() < 5 and due_on not in oracle
    counted = set(due.counted)
    assert len(counted) == n
    day = start + timedelta(days=1)
    while day < due_on:
        if day not in counted:
            assert day.weekday() >= 5 or day in oracle, day
        else:
            assert day.weekday() < 5 and day not in oracle, day
        day += timedelta(days=1)
    assert calendar.working_days_between(start, due_on) == n
    assert len({s.date for s in due.skipped}) == len(due.skipped)


def _govuk_dates():
    bank_holidays = BankHolidays(use_cached_holidays=True)
    return {
        h["date"]
        for h in bank_holidays.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    }


GOVUK = _govuk_dates()
GOVUK_LAST = date(max(GOVUK).year, 12, 31)


@pytest.mark.parametrize("division", DIVISIONS)
def test_weekday_holidays_match_govuk_when_the_bundled_list_covers_the_year(division):
    govuk = GOVUK
    years = range(min(govuk).year, max(govuk).year + 1)
    calendar = calendar_for(division)

    ours = {d for d in calendar.holidays if d.year in years}

    assert len(years) >= 10
    assert ours == {d for d in govuk if d.weekday() < 5}
    assert all(d.weekday() < 5 for d in govuk)


@pytest.mark.parametrize("division", DIVISIONS)
def test_calendar_holds_only_weekdays_when_built_from_the_package(division):
    calendar = calendar_for(division)

    assert all(d.weekday() < 5 for d in calendar.holidays)
    assert calendar.version == f"holidays=={PINNED}/GB-{SUBDIV[division]}"
    assert calendar.division == division


def test_calendar_is_built_once_when_asked_for_twice():
    assert calendar_for("england") is calendar_for("England ")


def test_unknown_division_is_refused_naming_the_allowed_ones():
    with pytest.raises(InvalidInput) as raised:
        calendar_for("scotland")

    assert str(raised.value) == (
        "division: 'scotland' is not a division (expected england or wales)"
    )


def test_dates_beyond_2040_are_refused_when_the_calendar_does_not_cover_them():
    with pytest.raises(InvalidInput, match="covers 2010-01-01 to 2040-12-31"):
        calendar_for("england").add_working_days(date(2040, 12, 28), 10)


def test_override_adds_a_bank_holiday_when_announced_after_the_pin():
    extra = date(2027, 5, 10)
    plain = calendar_for("england")

    calendar = calendar_for("england", {extra: "Extra bank holiday"})

    assert plain.is_working_day(extra)
    assert not calendar.is_working_day(extra)
    assert calendar.version == f"holidays=={PINNED}/GB-ENG+overrides:1"
    assert calendar.add_working_days(date(2027, 5, 7), 1) == date(2027, 5, 11)
    assert calendar_for("england", {}) is plain


def test_shipped_overrides_file_is_empty_when_nothing_announced_since_the_pin():
    assert load_overrides(SHIPPED_OVERRIDES) == {"england": {}, "wales": {}}


def test_overrides_are_read_per_division_when_the_file_has_entries(tmp_path):
    path = tmp_path / "bank-holidays.toml"
    path.write_text(
        '[england]\n"2027-05-10" = "Extra bank holiday"\n\n'
        '[wales]\n"2027-05-11" = " Welsh extra day "\n',
        encoding="utf-8",
    )

    overrides = load_overrides(path)

    assert overrides == {
        "england": {date(2027, 5, 10): "Extra bank holiday"},
        "wales": {date(2027, 5, 11): "Welsh extra day"},
    }


def test_overrides_are_empty_when_the_file_is_missing(tmp_path):
    assert load_overrides(tmp_path / "none.toml") == {"england": {}, "wales": {}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[england]\n"2027-02-30" = "X"\n', "'2027-02-30' is not a date"),
        ('[england]\n"2027-05-08" = "X"\n', "2027-05-08 is a Saturday"),
        ('[scotland]\n"2027-05-10" = "X"\n', r"\[scotland\] is not a division"),
        ('[england]\n"2027-05-10" = 1\n', "is not a bank holiday's name"),
        ('[england]\n"2027-05-10" = ""\n', "is not a bank holiday's name"),
        ('england = "2027-05-10"\n', "england must be a table"),
        ("[england\n", "not valid TOML"),
    ],
)
def test_overrides_file_is_refused_when_malformed(tmp_path, text, message):
    path = tmp_path / "bank-holidays.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidInput, match=message):
        load_overrides(path)
