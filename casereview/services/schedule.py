"""The scheduler's work, one tick at a time: record due reminders and breaches, then send what
is queued. Correctness never rests on the timer: every tick looks at everything overdue or
unsent, so a tick missed while the machine was down is caught up by the next. Exactly-once
comes from the aggregates (a breach or a letter is recorded once), not from the scheduler."""

from __future__ import annotations

import re
from dataclasses import dataclass

from casereview.errors import CaseReviewError, FieldError
from casereview.services.letters import LetterService
from casereview.services.timekeeping import DeadlineService

_HH_MM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_daily_at(text: str) -> tuple[int, int]:
    """A time of day HH:MM (00:00 to 23:59) as (hour, minute)."""
    found = _HH_MM.fullmatch(text.strip())
    if found is None:
        raise FieldError(
            "daily_at",
            f"{text!r} is not a time of day (expected HH:MM from 00:00 to 23:59, "
            "like 07:00)",
        )
    return int(found[1]), int(found[2])


@dataclass(frozen=True)
class Tick:
    """What one tick did, or why it could not (the next tick tries again)."""

    breached: int = 0
    reminded: int = 0
    sent: int = 0
    queued: int = 0
    unavailable: str | None = None
    failed: str | None = None

    def summary(self) -> str:
        if self.failed is not None:
            return f"tick failed: {self.failed}"
        text = (
            f"{self.breached} breach(es), {self.reminded} reminder(s); "
            f"{self.sent} letter(s) sent, {self.queued} queued"
        )
        if self.unavailable:
            text += f"; mail server unavailable: {self.unavailable}"
        return text


def run_tick(deadlines: DeadlineService, letters: LetterService, *, by: str) -> Tick:
    """One pass: the deadline check, then the outbox."""
    try:
        checked = deadlines.check(by=by)
        flushed = letters.send(by=by)
    except CaseReviewError as exc:
        return Tick(failed=str(exc))
    return Tick(
        breached=len(checked.breached),
        reminded=len(checked.reminded),
        sent=len(flushed.sent),
        queued=flushed.remaining,
        unavailable=flushed.unavailable,
    )
