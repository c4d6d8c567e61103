"""Due dates in working or calendar days that explain themselves (DOMAIN.md section 3).

Working days are Monday to Friday except the bank holidays of the area's nation. The
start date is day 0 and never counted; the first working day after it is day 1; the due
date is day N. Calendar days: due = start + N, moved to the next working day only when
the timescale says `roll_forward = true`.

Pure: the bank holidays arrive as data (built at the edge by `casereview.adapters.holidays`);
nothing here reads files, the clock or the `holidays` package.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

from casereview.errors import InvalidInput

Unit = Literal["working", "calendar"]

_WEEKEND_NAMES = {5: "Saturday", 6: "Sunday"}
_RULE = re.compile(
    r"""^\s*(?P<days>\d+)\s+
    (?:(?P<unit>working|calendar)\s+)?
    days?
    (?P<roll>\s*,?\s*roll(?:ed|s)?[\s-]+forward)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_ONE_DAY = timedelta(days=1)


def long_date(d: date) -> str:
    """'Monday 5 January 2026': the form letters and explanations use."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def _weekdays_through(d: date) -> int:
    """How many Mondays to Fridays lie in 0001-01-01..d; 0001-01-01 was a Monday."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class Rule:
    """A timescale such as "10 working days" or "28 calendar days"."""

    days: int
    unit: Unit
    # Calendar days only: a due date on a weekend or bank holiday moves to the next
    # working day. A working-day due date is always a working day: nothing to move.
    roll_forward: bool = False

    def __post_init__(self) -> None:
        if self.days < 0:
            raise InvalidInput(
                f"rule: {self.days} days is negative (expected 0 or more)"
            )
        if self.unit not in ("working", "calendar"):
            raise InvalidInput(
                f"rule: unit {self.unit!r} is not a unit (expected working or calendar)"
            )

    @classmethod
    def parse(cls, text: str) -> Rule:
        """Read "10 working days", "1 working day", "28 calendar days" or "28 days"."""
        match = _RULE.match(text)
        if match is None:
            raise InvalidInput(
                f"rule: {text!r} is not a rule "
                '(expected like "10 working days" or "28 calendar days")'
            )
        unit: Unit = (
            "working" if (match["unit"] or "").lower() == "working" else "calendar"
        )
        roll_forward = match["roll"] is not None
        if roll_forward and unit == "working":
            raise InvalidInput(
                f"rule: {text!r} rolls working days forward; only calendar days roll "
                '(expected like "28 calendar days, rolled forward")'
            )
        return cls(int(match["days"]), unit, roll_forward=roll_forward)

    @property
    def working(self) -> bool:
        return self.unit == "working"

    def __str__(self) -> str:
        noun = "day" if self.days == 1 else "days"
        text = f"{self.days} {self.unit} {noun}"
        if self.roll_forward and not self.working:
            text += ", rolled forward"
        return text


@dataclass(frozen=True)
class Skipped:
    """A day not counted: a weekend day or a bank holiday, named."""

    date: date
    why: str

    def __str__(self) -> str:
        return f"{long_date(self.date)} ({self.why})"


@dataclass(frozen=True)
class Due:
    """A due date with how it was reached: the days counted and the days skipped."""

    start: date
    rule: Rule
    due_on: date
    division: str
    calendar: str
    counted: tuple[date, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def explanation(self) -> list[str]:
        """Plain-English lines: the start, the days counted and skipped, the due."""
        lines = [f"Started {long_date(self.start)} (day 0, not counted)"]
        where = f"(calendar {self.calendar})"
        if self.rule.working:
            if self.counted:
                lines.append(
                    "Counted: "
                    + ", ".join(
                        f"{long_date(d)} (day {i})"
                        for i, d in enumerate(self.counted, 1)
                    )
                )
            lines.append(self._skipped_line())
            lines.append(
                f"Due {long_date(self.due_on)}: "
                f"day {len(self.counted)} of {self.rule} {where}"
            )
            return lines
        plain = self.start + timedelta(days=self.rule.days)
        if plain == self.due_on:
            tail = "" if not self.rule.roll_forward else ", a working day"
            lines.append(
                f"Due {long_date(self.due_on)}: start + {self.rule.days} calendar "
                f"days{tail} {where}"
            )
            return lines
        lines.append(f"{self.rule.days} calendar days end on {long_date(plain)}")
        lines.append(self._skipped_line())
        lines.append(
            f"Due {long_date(self.due_on)}: "
            f"rolled forward to the next working day {where}"
        )
        return lines

    def _skipped_line(self) -> str:
        if not self.skipped:
            return "Skipped: none"
        return "Skipped: " + ", ".join(str(s) for s in self.skipped)

    def to_json(self) -> dict[str, object]:
        """The `calendar due --json` document of CONTRACT.md."""
        return {
            "start": self.start.isoformat(),
            "rule": str(self.rule),
            "due_on": self.due_on.isoformat(),
            "division": self.division,
            "skipped": [
                {"date": s.date.isoformat(), "why": s.why} for s in self.skipped
            ],
            "calendar": self.calendar,
        }


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Monday to Friday less one nation's weekday bank holidays, and the data's version.

    `holidays` names each weekday bank holiday. A holiday that falls on a weekend is
    represented by its weekday substitute ("Boxing Day (observed)"), so nothing is
    counted twice; weekend dates given here are ignored. `covers`, when set, is the
    first and last date the holiday data is known for: arithmetic reaching outside it
    is refused rather than silently treating every weekday there as a working day.
    """

    division: str
    holidays: Mapping[date, str] = field(hash=False)
    version: str
    covers: tuple[date, date] | None = None

    @cached_property
    def _holiday_index(self) -> tuple[date, ...]:
        return tuple(sorted(d for d in self.holidays if d.weekday() < 5))

    def _check(self, *days: date) -> None:
        if self.covers is None:
            return
        first, last = self.covers
        for d in days:
            if not first <= d <= last:
                raise InvalidInput(
                    f"{d.isoformat()} is outside the {self.division} bank-holiday "
                    f"calendar {self.version} "
                    f"(it covers {first.isoformat()} to {last.isoformat()})"
                )

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a Monday to Friday that is not a bank holiday."""
        self._check(d)
        return d.weekday() < 5 and d not in self.holidays

    def why_not_working(self, d: date) -> str | None:
        """ "Saturday"/"Sunday", the bank holiday's name, or None for a working day."""
        if d.weekday() in _WEEKEND_NAMES:
            return _WEEKEND_NAMES[d.weekday()]
        self._check(d)
        return self.holidays.get(d)

    def add_working_days(self, start: date, n: int) -> date:
        """The date that is working day `n` after `start` (day 0, never counted)."""
        if n < 0:
            raise InvalidInput(f"working days: {n} is negative (expected 0 or more)")
        d = start
        while n:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days d have a < d <= b (0 when b is not after a)."""
        if b <= a:
            return 0
        self._check(a, b)
        index = self._holiday_index
        holidays = bisect.bisect_right(index, b) - bisect.bisect_right(index, a)
        return _weekdays_through(b) - _weekdays_through(a) - holidays

    def next_working_day(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def due(self, start: date, rule: Rule) -> Due:
        """The due date for `rule` from `start`, with the days counted and skipped."""
        try:
            return self._count(start, rule)
        except OverflowError:  # past 9999-12-31, or more days than a timedelta holds
            raise InvalidInput(
                f"{rule} from {start.isoformat()} is beyond the last date this calendar "
                f"can count to ({date.max.isoformat()})"
            ) from None

    def _count(self, start: date, rule: Rule) -> Due:
        if rule.working:
            counted: list[date] = []
            skipped: list[Skipped] = []
            d = start
            while len(counted) < rule.days:
                d += _ONE_DAY
                why = self.why_not_working(d)
                if why is None:
                    counted.append(d)
                else:
                    skipped.append(Skipped(d, why))
            return self._due(start, rule, d, tuple(counted), tuple(skipped))
        due_on = start + timedelta(days=rule.days)
        rolled: list[Skipped] = []
        if rule.roll_forward:
            while (why := self.why_not_working(due_on)) is not None:
                rolled.append(Skipped(due_on, why))
                due_on += _ONE_DAY
        return self._due(start, rule, due_on, (), tuple(rolled))

    def _due(
        self,
        start: date,
        rule: Rule,
        due_on: date,
        counted: tuple[date, ...],
        skipped: tuple[Skipped, ...],
    ) -> Due:
        return Due(start, rule, due_on, self.division, self.version, counted, skipped)
