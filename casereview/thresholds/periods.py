"""The Act's calendar-month windows: "the period of N months beginning with" a day.

ABCPA 2014 s.104(8)-(9) as read in DOMAIN.md section 2: the period is inclusive of its first day
and ends on the day before the same day number N months later; where that month has no such day
(31 January plus one month), it ends on that month's last day. This is the one function that owns
the arithmetic; `relativedelta(months=1) - 1 day` is wrong at month ends (31 January -> 27 February).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def last_day_of_period(first_day: date, months: int) -> date:
    """The last day of the period of `months` months beginning with `first_day`."""
    if months < 1:
        raise ValueError(f"a period is at least one month, not {months}")
    year, month_index = divmod(first_day.month - 1 + months, 12)
    year += first_day.year
    month = month_index + 1
    days_in_month = calendar.monthrange(year, month)[1]
    if first_day.day > days_in_month:
        return date(year, month, days_in_month)
    return date(year, month, first_day.day) - timedelta(days=1)


def within_period(day: date, first_day: date, months: int) -> bool:
    """Whether `day` falls in the period of `months` months beginning with `first_day`."""
    return first_day <= day <= last_day_of_period(first_day, months)


def months_text(months: int) -> str:
    words = {1: "one month", 6: "six months", 12: "twelve months"}
    return words.get(months, f"{months} months")
