"""Deadlines as people ask about them: the due reminders and breaches recorded (each once),
and the list of deadlines by area, case and state."""

from __future__ import annotations

from datetime import date
from typing import Any

from casereview.errors import FieldError
from casereview.services.cases import CaseService
from casereview.services.overdue import CheckResult, check_deadlines
from casereview.services.read_models import ReadModels

DeadlineRow = dict[str, Any]
"""One entry of `deadlines list --json`."""
STATES = ("open", "met", "breached", "cancelled")


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
    ) -> list[DeadlineRow]:
        """Deadlines from the read models; `open` means not yet ended, breached or not."""
        if state is not None and state not in STATES:
            raise FieldError("state", f"{state!r}: expected one of {', '.join(STATES)}")
        slug = self.cases.area_slug(area) if area else None
        rows = self.read_models.for_reading().deadline_rows(
            ref=ref, area=slug, state=state
        )
        return [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
            for r in rows
        ]
