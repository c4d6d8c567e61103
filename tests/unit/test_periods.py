from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.thresholds.periods import last_day_of_period, within_period


@pytest.mark.parametrize(
    ("first", "months", "last"),
    [
        (date(2026, 3, 10), 1, date(2026, 4, 9)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 1, date(2028, 3, 28)),
        (date(2026, 1, 15), 6, date(2026, 7, 14)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 1), 1, date(2026, 12, 31)),
        (date(2026, 12, 31), 1, date(2027, 1, 30)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2027, 3, 30), 1, date(2027, 4, 29)),
    ],
)
def test_period_ends_as_domain_md_says_when_started_on(first, months, last):
    assert last_day_of_period(first, months) == last


def test_period_includes_its_first_and_last_day_when_checked_at_the_edges():
    assert within_period(date(2026, 1, 31), date(2026, 1, 31), 1)
    assert within_period(date(2026, 2, 28), date(2026, 1, 31), 1)
    assert not within_period(date(2026, 3, 1), date(2026, 1, 31), 1)
    assert not within_period(date(2026, 1, 30), date(2026, 1, 31), 1)


def test_period_refuses_zero_months_when_asked():
    with pytest.raises(ValueError, match="at least one month"):
        last_day_of_period(date(2026, 1, 1), 0)


@given(first=st.dates(date(1990, 1, 1), date(2090, 12, 31)), months=st.integers(1, 24))
def test_period_lasts_about_the_months_asked_for_any_start(first, months):
    last = last_day_of_period(first, months)

    assert last >= first
    assert 28 * months - 3 <= (last - first).days + 1 <= 31 * months
    # The next period starts where this one ends: no gap and no overlap.
    assert last + timedelta(days=1) > first


@given(first=st.dates(date(1990, 1, 1), date(2090, 12, 31)), months=st.integers(1, 24))
def test_longer_periods_never_end_earlier_for_any_start(first, months):
    assert last_day_of_period(first, months + 1) > last_day_of_period(first, months)
