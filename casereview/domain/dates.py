"""The range of business dates a case can hold.

No date in a case review can be before 2000: the Act dates from 2014 and its windows reach back
months, not decades, so an incident "in year 1" is a typing slip. Dates that look ahead (a
review meeting, a due date) may be in the future, but not by more than a few years: an action
due in 9999 is a slip too, and would only ever be breached by nobody.
"""

from __future__ import annotations

from datetime import date

from casereview.errors import FieldError

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 3
"""How far ahead a meeting or a due date may be set (a review's action plan runs for months)."""


def latest_ahead(today: date) -> date:
    """The last day a forward-looking date may fall on, seen from `today`."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February, three years on
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def check_past(field: str, day: date | None, today: date) -> None:
    """A date on which something already happened: from 2000 up to today."""
    if day is None:
        return
    _check_earliest(field, day)
    if day > today:
        raise FieldError(
            field, f"{day.isoformat()} is in the future (today is {today.isoformat()})"
        )


def check_ahead(field: str, day: date | None, today: date) -> None:
    """A date that may lie ahead (a meeting, a due date): from 2000 up to a few years on."""
    if day is None:
        return
    _check_earliest(field, day)
    last = latest_ahead(today)
    if day > last:
        raise FieldError(
            field,
            f"{day.isoformat()} is more than {YEARS_AHEAD} years ahead "
            f"(the latest allowed is {last.isoformat()})",
        )


def _check_earliest(field: str, day: date) -> None:
    if day < EARLIEST:
        raise FieldError(
            field,
            f"{day.isoformat()} is before {EARLIEST.isoformat()}; "
            "no date in a case review can be that early",
        )
