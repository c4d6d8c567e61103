"""The scheduled deadline check: reminders due and breaches found, each recorded once.

It reads the open deadlines that need attention from the read model (caught up first), then
for each one loads the Deadline from the log, lets the aggregate decide (it refuses a second
reminder or breach), and saves it with its notices in one transaction. Two checks racing on one
deadline collide on its version: the loser reloads, finds it already recorded, and moves on.
Correctness never depends on when the check last ran: it always looks at everything overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from casereview.adapters.eventstore import translate_store_errors
from casereview.domain.deadline import Deadline
from casereview.errors import Conflict
from casereview.services.followup import LetterComposer, load_deadline

if TYPE_CHECKING:
    from casereview.projections.runner import Projector
    from casereview.services.cases import CaseService
    from casereview.thresholds.policy import Procedure


@dataclass
class CheckResult:
    today: date
    breached: list[dict[str, str]] = field(default_factory=list)
    reminded: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "breached": self.breached,
            "reminded": self.reminded,
        }


def procedure_of(service: CaseService, deadline: Deadline) -> Procedure:
    """The procedure version the deadline was scheduled under (recorded as `slug/date`)."""
    slug, effective_from = deadline.policy.split("/", 1)
    return service.policies.in_force(slug, date.fromisoformat(effective_from))


def check_deadlines(
    service: CaseService,
    projector: Projector,
    today: date,
    *,
    by: str,
    composer: LetterComposer | None = None,
) -> CheckResult:
    projector.catch_up()
    result = CheckResult(today)
    for row in projector.due_deadlines(today):
        for _ in range(3):
            deadline = load_deadline(service.app.repository, UUID(row["deadline_id"]))
            if deadline is None:
                break
            at = service.app.clock()
            if deadline.check_breach(today, at=at, by=by):
                kind, found = "breach", result.breached
            elif deadline.remind(today, at=at, by=by):
                kind, found = "reminder", result.reminded
            else:
                break  # already recorded by another check, or met meanwhile
            letters = []
            if composer is not None:
                letters = composer.for_deadline(
                    deadline, procedure_of(service, deadline), kind, at=at, by=by
                )
            try:
                with translate_store_errors():
                    service.app.save(deadline, *letters)
            except Conflict:
                continue
            found.append(
                {
                    "ref": deadline.ref,
                    "kind": deadline.kind,
                    "due_on": deadline.due_on.isoformat(),
                }
            )
            break
    projector.catch_up()
    return result
