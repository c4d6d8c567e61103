"""The edge that builds working-day calendars from the pinned `holidays` package.

`holidays` computes the UK bank holidays offline (GB, subdivisions ENG and WLS),
including one-off days such as the 2023 Coronation. Bank holidays announced after the
pinned release go in `policies/bank-holidays.toml`, read by `load_overrides`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib.metadata import version as dist_version
from pathlib import Path
from types import MappingProxyType

import holidays

from casereview.errors import InvalidInput
from casereview.thresholds.calendar import WorkingDayCalendar

SUBDIVISIONS: Mapping[str, str] = MappingProxyType({"england": "ENG", "wales": "WLS"})
FIRST_YEAR = 2010
LAST_YEAR = 2040
OVERRIDES_FILE = "bank-holidays.toml"
HOLIDAYS_VERSION = dist_version("holidays")


def _division(division: str) -> str:
    key = division.strip().lower()
    if key not in SUBDIVISIONS:
        allowed = " or ".join(SUBDIVISIONS)
        raise InvalidInput(
            f"division: {division!r} is not a division (expected {allowed})"
        )
    return key


def calendar_for(
    division: str, overrides: Mapping[date, str] | None = None
) -> WorkingDayCalendar:
    """England's or Wales's working days for 2010-2040, plus any local overrides."""
    key = _division(division)
    extra = tuple(sorted((overrides or {}).items()))
    return _build(key, extra)


@lru_cache(maxsize=32)
def _build(
    division: str, overrides: tuple[tuple[date, str], ...]
) -> WorkingDayCalendar:
    subdiv = SUBDIVISIONS[division]
    source = holidays.country_holidays(
        "GB", subdiv=subdiv, years=range(FIRST_YEAR, LAST_YEAR + 1)
    )
    # A bank holiday on a weekend is listed twice by `holidays`: on its own date and as
    # its weekday "(observed)" substitute. Only the substitute changes which days are
    # worked, and only it may be named as skipped (engineering-notes "Further pitfalls").
    days = {d: str(name) for d, name in source.items() if d.weekday() < 5}
    for d, name in overrides:
        if d.weekday() < 5:
            days[d] = name
    version = f"holidays=={HOLIDAYS_VERSION}/GB-{subdiv}"
    if overrides:
        version += f"+overrides:{len(overrides)}"
    return WorkingDayCalendar(
        division=division,
        holidays=MappingProxyType(dict(sorted(days.items()))),
        version=version,
        covers=(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)),
    )


def load_overrides(path: Path) -> dict[str, dict[date, str]]:
    """Read the optional bank-holiday overrides: per division, ISO date = name.

    A missing file means no overrides. Every division is in the result, perhaps empty.
    """
    result: dict[str, dict[date, str]] = {division: {} for division in SUBDIVISIONS}
    if not path.exists():
        return result
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})") from None
    for division, table in data.items():
        if division not in SUBDIVISIONS:
            allowed = ", ".join(f"[{d}]" for d in SUBDIVISIONS)
            raise InvalidInput(
                f"{path}: [{division}] is not a division (expected tables {allowed})"
            )
        if not isinstance(table, dict):
            raise InvalidInput(
                f"{path}: {division} must be a table like "
                f'[{division}] "2027-05-10" = "Name"'
            )
        for key, name in table.items():
            day = _override_date(path, division, key)
            if not isinstance(name, str) or not name.strip():
                raise InvalidInput(
                    f"{path}: [{division}] {key}: {name!r} is not a bank holiday's "
                    "name "
                    '(expected a non-empty string like "Extra bank holiday")'
                )
            result[division][day] = name.strip()
    return result


def _override_date(path: Path, division: str, key: str) -> date:
    try:
        day = date.fromisoformat(key)
    except ValueError:
        raise InvalidInput(
            f"{path}: [{division}] {key!r} is not a date (expected YYYY-MM-DD)"
        ) from None
    if day.weekday() >= 5:
        raise InvalidInput(
            f"{path}: [{division}] {key} is a {day:%A}, never a working day; "
            "give the weekday the holiday is substituted to"
        )
    return day
