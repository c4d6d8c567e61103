"""A deadline: one promised timescale of one case, as its own event stream.

Deadlines live in their own streams rather than the case's so that the scheduler recording a
breach never clashes with an administrator recording the next step, and so that a breach is
recorded once whatever runs the check: a second `DeadlineBreached` is refused by the aggregate,
and two checks racing on one deadline collide on its version (optimistic concurrency), so one
of them writes nothing.

A deadline is scheduled in the same save as the case event that starts it, and met or
cancelled in the same save as the case event that ends it. Its id is derived from the case
reference, the timescale's name and the position of the starting step in the case's history,
so the case can find its own deadlines again without a lookup.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from casereview.errors import RuleViolation


def deadline_id(ref: str, kind: str, step_index: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"/casereview/deadline/{ref}/{kind}/{step_index}")


class Deadline(Aggregate):
    """A timescale of the area's procedure, running from one step of a case to another."""

    TOPIC = "casereview:Deadline"

    class Created(Aggregate.Created):
        TOPIC = "casereview:Deadline.Created"

    class DeadlineScheduled(Aggregate.Created):
        TOPIC = "casereview:DeadlineScheduled"
        ref: str
        kind: str
        from_step: str
        until_step: str
        start_on: date
        rule: str
        due_on: date
        remind_on: date | None
        calendar: str
        explanation: list[str]
        notify: list[str]
        policy: str
        recorded_by: str

    class DeadlineReminderSent(Aggregate.Event):
        TOPIC = "casereview:DeadlineReminderSent"
        reminded_on: date
        recorded_by: str

    class DeadlineMet(Aggregate.Event):
        TOPIC = "casereview:DeadlineMet"
        met_on: date
        in_time: bool
        recorded_by: str

    class DeadlineBreached(Aggregate.Event):
        TOPIC = "casereview:DeadlineBreached"
        due_on: date
        detected_on: date
        recorded_by: str

    class DeadlineCancelled(Aggregate.Event):
        TOPIC = "casereview:DeadlineCancelled"
        cancelled_on: date
        reason: str
        recorded_by: str

    @classmethod
    def schedule(
        cls,
        *,
        ref: str,
        kind: str,
        step_index: int,
        at: datetime,
        by: str,
        **fields: object,
    ) -> Deadline:
        return cls._create(
            cls.DeadlineScheduled,
            id=deadline_id(ref, kind, step_index),
            timestamp=at,
            ref=ref,
            kind=kind,
            recorded_by=by,
            **fields,
        )

    @event(DeadlineScheduled)
    def __init__(
        self,
        ref: str,
        kind: str,
        from_step: str,
        until_step: str,
        start_on: date,
        rule: str,
        due_on: date,
        remind_on: date | None,
        calendar: str,
        explanation: list[str],
        notify: list[str],
        policy: str,
        recorded_by: str,
    ) -> None:
        self.ref, self.kind, self.from_step, self.until_step = (
            ref,
            kind,
            from_step,
            until_step,
        )
        self.start_on, self.rule, self.due_on, self.remind_on = (
            start_on,
            rule,
            due_on,
            remind_on,
        )
        self.calendar, self.explanation = calendar, tuple(explanation)
        self.notify, self.policy = tuple(notify), policy
        self.state = "open"
        self.reminded_on: date | None = None
        self.breached_on: date | None = None
        self.ended_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Still waiting for its closing step (a breached deadline still waits)."""
        return self.ended_on is None

    def remind(self, today: date, *, at: datetime, by: str) -> bool:
        """Record the reminder once, when its day has come; False if nothing to do."""
        if self.state != "open" or not self.is_open or self.reminded_on is not None:
            return False
        if self.remind_on is None or today < self.remind_on:
            return False
        self.trigger_event(
            self.DeadlineReminderSent, timestamp=at, reminded_on=today, recorded_by=by
        )
        return True

    @event(DeadlineReminderSent)
    def _reminded(self, reminded_on: date, recorded_by: str) -> None:
        self.reminded_on = reminded_on

    def check_breach(self, today: date, *, at: datetime, by: str) -> bool:
        """Record the breach once, the day after the due date; False if nothing to do."""
        if self.state != "open" or not self.is_open or today <= self.due_on:
            return False
        self.trigger_event(
            self.DeadlineBreached,
            timestamp=at,
            due_on=self.due_on,
            detected_on=today,
            recorded_by=by,
        )
        return True

    @event(DeadlineBreached)
    def _breached(self, due_on: date, detected_on: date, recorded_by: str) -> None:
        self.state = "breached"
        self.breached_on = detected_on

    def meet(self, met_on: date, *, at: datetime, by: str) -> None:
        """The closing step happened; a step on the due date is in time."""
        if not self.is_open:
            raise RuleViolation(
                f"{self.ref}: the {self.kind} deadline is already {self.state}"
            )
        self.trigger_event(
            self.DeadlineMet,
            timestamp=at,
            met_on=met_on,
            in_time=met_on <= self.due_on,
            recorded_by=by,
        )

    @event(DeadlineMet)
    def _met(self, met_on: date, in_time: bool, recorded_by: str) -> None:  # noqa: FBT001
        # A breached deadline stays "breached" in the figures, with the day it was done.
        self.state = "met" if in_time and self.state == "open" else "breached"
        self.ended_on = met_on

    def cancel(self, cancelled_on: date, reason: str, *, at: datetime, by: str) -> None:
        if not self.is_open:
            raise RuleViolation(
                f"{self.ref}: the {self.kind} deadline is already {self.state}"
            )
        self.trigger_event(
            self.DeadlineCancelled,
            timestamp=at,
            cancelled_on=cancelled_on,
            reason=reason,
            recorded_by=by,
        )

    @event(DeadlineCancelled)
    def _cancelled(self, cancelled_on: date, reason: str, recorded_by: str) -> None:
        self.state = "cancelled" if self.state == "open" else self.state
        self.ended_on = cancelled_on


DEADLINE_EVENTS: tuple[type[Aggregate.Event], ...] = (
    Deadline.DeadlineScheduled,
    Deadline.DeadlineReminderSent,
    Deadline.DeadlineMet,
    Deadline.DeadlineBreached,
    Deadline.DeadlineCancelled,
)
