"""Deadlines as people ask about them: the due reminders and breaches recorded (each once),
and the list of deadlines by area, case and state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from casereview.errors import FieldError
from casereview.services.cases import CaseService
from casereview.services.overdue import CheckResult, check_deadlines
from casereview.services.paging import DEFAULT_PAGE, cut, fetch_size
from casereview.services.read_models import ReadModels

DeadlineRow = dict[str, Any]
"""One entry of `deadlines list --json`."""
STATES = ("open", "met", "breached", "cancelled")


@dataclass(frozen=True)
class DeadlinePage:
    """One page of `deadlines list`, and the cursor of the next page (None: the last)."""

    deadlines: list[DeadlineRow]
    next: str | None

    def to_json(self) -> dict[str, Any]:
        return {"deadlines": self.deadlines, "next": self.next}


class DeadlineService:
    """The scheduled check and the deadline list."""

    def __init__(self, cases: CaseService, read_models: ReadModels) -> None:
        self.cases = cases
        self.read_models = read_models

    def check(self, today: date | None = None, *, by: str) -> CheckResult:
        """Record every reminder due and every breach as of `today` (the real date by
        default; never after it: a breach cannot be recorded in advance)."""
        real = self.cases.today()
        if today is not None and today > real:
            raise FieldError(
                "today",
                f"{today.isoformat()} is after the real date ({real.isoformat()}); "
                "breaches cannot be recorded in advance",
            )
        projector = self.read_models.for_reading()
        return check_deadlines(
            self.cases,
            projector,
            today or real,
            by=by,
            composer=self.cases.composer,
        )

    def list(
        self,
        *,
        area: str | None = None,
        ref: str | None = None,
        state: str | None = None,
        after: str | None = None,
        limit: int | None = DEFAULT_PAGE,
    ) -> DeadlinePage:
        """A page of deadlines from the read models, by case and start (None: all);
        `open` means not yet ended, breached or not; `next` is the next page's cursor."""
        if state is not None and state not in STATES:
            raise FieldError("state", f"{state!r}: expected one of {', '.join(STATES)}")
        size = fetch_size(limit)
        slug = self.cases.area_slug(area) if area else None
        rows, last = cut(
            self.read_models.for_reading().deadline_rows(
                ref=ref,
                area=slug,
                state=state,
                after=None if after is None else _cursor(after),
                limit=size,
            ),
            limit,
        )
        return DeadlinePage(
            rows,
            None
            if last is None
            else f"{last['ref']}/{last['start_on']}/{last['deadline_id']}",
        )


def _cursor(text: str) -> tuple[str, date, str]:
    """A deadline page's cursor, `REF/START/ID`, as `next` gives it."""
    try:
        ref, start, deadline_id = text.strip().split("/")
        return ref.upper(), date.fromisoformat(start), deadline_id
    except ValueError:
        raise FieldError(
            "after", f"{text!r} is not a cursor (use the `next` of the previous page)"
        ) from None
