"""Timescales turned into deadlines, and the letters that go with each step.

`FollowUp` runs after every case command, inside the same save: for each new step of the case
it meets or cancels the deadlines that step ends, schedules the ones it starts (from the area's
procedure in force on the day the application was received, counted on the calendar of its
nation), and queues the letters the step calls for. Because the case and its deadlines are
saved together, a deadline can never be missed by a crash between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from casereview.domain.case import Case
from casereview.domain.deadline import Deadline, deadline_id
from casereview.domain.letter import Letter
from casereview.thresholds.calendar import Rule, WorkingDayCalendar
from casereview.thresholds.policy import Procedure, Timescale

ENDING_STEPS = ("withdrawn", "closed")


class Repository(Protocol):
    def get(self, aggregate_id: UUID) -> Any: ...


class LetterComposer(Protocol):
    """Renders the letters a step or a deadline calls for (casereview.notifications)."""

    def for_step(
        self,
        case: Case,
        step: str,
        index: int,
        procedure: Procedure,
        *,
        at: datetime,
        by: str,
    ) -> list[Letter]: ...

    def for_deadline(
        self,
        deadline: Deadline,
        procedure: Procedure,
        kind: str,
        *,
        at: datetime,
        by: str,
    ) -> list[Letter]: ...

    def meeting_invitation(
        self, case: Case, procedure: Procedure, *, at: datetime, by: str
    ) -> list[Letter]: ...


def applies(timescale: Timescale, case: Case) -> bool:
    """A timescale towards the review meeting only runs once the threshold is met."""
    if timescale.until in ("meeting_held",):
        return case.decision is not None and case.decision.met
    return True


def remind_on(
    calendar: WorkingDayCalendar, due_on: date, timescale: Timescale
) -> date | None:
    """The reminder day: `remind_before` working (or calendar) days before the due date."""
    if timescale.remind_before <= 0:
        return None
    if timescale.unit == "calendar":
        return due_on - timedelta(days=timescale.remind_before)
    day, counted = due_on, 0
    while counted < timescale.remind_before:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


class FollowUp:
    """Deadlines and letters that follow from the steps a command added to a case."""

    def __init__(
        self,
        repository: Repository,
        procedure_for: Callable[[Case], Procedure],
        calendar_for: Callable[[str], WorkingDayCalendar],
        composer: LetterComposer | None = None,
    ) -> None:
        self.repository = repository
        self.procedure_for = procedure_for
        self.calendar_for = calendar_for
        self.composer = composer

    def __call__(
        self, case: Case, since: int, *, at: datetime, by: str
    ) -> list[Aggregate]:
        changed: dict[UUID, Aggregate] = {}
        procedure = self.procedure_for(case)
        for index in range(since, len(case.steps)):
            step, on = case.steps[index]
            if step in ENDING_STEPS:
                for deadline in self._open(
                    case, procedure, procedure.timescales, index, changed
                ):
                    deadline.cancel(on, f"application {step}", at=at, by=by)
                    changed[deadline.id] = deadline
            else:
                ending = [t for t in procedure.timescales if t.until == step]
                for deadline in self._open(case, procedure, ending, index, changed):
                    deadline.meet(on, at=at, by=by)
                    changed[deadline.id] = deadline
                for timescale in procedure.timescales:
                    if timescale.from_ == step and applies(timescale, case):
                        deadline = self._schedule(
                            case, procedure, timescale, index, on, at, by
                        )
                        changed[deadline.id] = deadline
            if self.composer is not None:
                for letter in self.composer.for_step(
                    case, step, index, procedure, at=at, by=by
                ):
                    changed[letter.id] = letter
        return list(changed.values())

    def _schedule(
        self,
        case: Case,
        procedure: Procedure,
        timescale: Timescale,
        index: int,
        start_on: date,
        at: datetime,
        by: str,
    ) -> Deadline:
        calendar = self.calendar_for(procedure.nation)
        rule = Rule(timescale.days, timescale.unit, timescale.roll_forward)
        due = calendar.due(start_on, rule)
        return Deadline.schedule(
            ref=case.ref,
            kind=timescale.name,
            step_index=index,
            at=at,
            by=by,
            from_step=timescale.from_,
            until_step=timescale.until,
            start_on=start_on,
            rule=str(rule),
            due_on=due.due_on,
            remind_on=remind_on(calendar, due.due_on, timescale),
            calendar=due.calendar,
            explanation=due.explanation(),
            notify=list(timescale.notify),
            policy=procedure.version,
        )

    def _open(
        self,
        case: Case,
        procedure: Procedure,
        timescales: Iterable[Timescale],
        before: int,
        changed: dict[UUID, Aggregate],
    ) -> list[Deadline]:
        """Open deadlines of these timescales, started by steps before position `before`."""
        found = []
        for timescale in timescales:
            for index, (step, _) in enumerate(case.steps[:before]):
                if step != timescale.from_:
                    continue
                deadline = self.load(
                    deadline_id(case.ref, timescale.name, index), changed
                )
                if deadline is not None and deadline.is_open:
                    found.append(deadline)
        return found

    def load(self, key: UUID, changed: dict[UUID, Aggregate]) -> Deadline | None:
        if key in changed:
            pending = changed[key]
            return pending if isinstance(pending, Deadline) else None
        return load_deadline(self.repository, key)


def load_deadline(repository: Repository, key: UUID) -> Deadline | None:
    try:
        found = repository.get(key)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Deadline) else None


class Store(Protocol):
    @property
    def repository(self) -> Any: ...

    def stream_version_at(self, stream: UUID, moment: datetime) -> int | None: ...


def case_deadlines(
    app: Store, case: Case, procedure: Procedure, moment: datetime | None = None
) -> list[Deadline]:
    """Every deadline a case has had, in the order their starting steps happened; with
    `moment`, each as it was recorded then."""
    found = []
    for index, (step, _) in enumerate(case.steps):
        for timescale in procedure.timescales:
            if step != timescale.from_:
                continue
            key = deadline_id(case.ref, timescale.name, index)
            if moment is None:
                deadline = load_deadline(app.repository, key)
            else:
                version = app.stream_version_at(key, moment)
                deadline = (
                    None
                    if version is None
                    else app.repository.get(key, version=version)
                )
            if isinstance(deadline, Deadline):
                found.append(deadline)
    return found
