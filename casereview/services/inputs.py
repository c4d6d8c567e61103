"""Turning what a person typed into the values the services take: dates, moments, lists.

Every entry point parses through these, so the CLI, the web console and the API accept and
refuse the same text with the same words (a field named in domain words; each entry point
names it in its own).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from casereview.errors import FieldError

UK = ZoneInfo("Europe/London")

# Only the calendar form the contract names: `date.fromisoformat` also takes week dates
# (2026-W40-1) and basic forms (20261001), which a clerk may type by mistake and nobody reads.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date(field: str, value: str) -> date:
    """A YYYY-MM-DD date, or FieldError naming the field and the expected form."""
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FieldError(field, f"{value!r} is not a date (expected YYYY-MM-DD)")


def parse_moment(field: str, value: str) -> datetime:
    """A moment of the record: a date means the end of that day in the UK; a timestamp must
    carry its zone (ISO 8601)."""
    if len(value) == 10:
        try:
            day = parse_date(field, value)
        except FieldError:
            pass
        else:
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UK)
    moment = None
    if _ISO_DATE.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None:
        raise FieldError(
            field,
            f"{value!r} is not a date or timestamp (expected YYYY-MM-DD or an ISO 8601 "
            "time with its zone, like 2026-03-01T12:00:00+00:00)",
        )
    if moment.tzinfo is None:
        raise FieldError(field, f"{value!r} has no time zone (add +00:00 or Z)")
    return moment


def split_list(value: str | None) -> list[str]:
    """A comma-separated list, each item trimmed, empty items dropped."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]
