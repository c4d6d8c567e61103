"""How deadline and letter events change their rows: what the scheduled check and the outbox
read. Only ids, dates, states and template names; recipients and content stay in the events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from casereview.domain.deadline import Deadline
from casereview.domain.letter import Letter
from casereview.projections.tables import ProjectionTables


def utc_naive(moment: datetime) -> datetime:
    """Stored without a zone (SQLite keeps none), always in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _deadline(conn: Connection, t: ProjectionTables, e: Any, **values: Any) -> None:
    conn.execute(
        t.deadlines.update()
        .where(t.deadlines.c.deadline_id == e.originator_id.hex)
        .values(**values)
    )


def _scheduled(conn: Connection, t: ProjectionTables, e: Any) -> None:
    conn.execute(
        t.deadlines.insert().values(
            deadline_id=e.originator_id.hex,
            ref=e.ref,
            kind=e.kind,
            from_step=e.from_step,
            until_step=e.until_step,
            start_on=e.start_on,
            rule=e.rule,
            due_on=e.due_on,
            remind_on=e.remind_on,
            state="open",
        )
    )


def _reminded(conn: Connection, t: ProjectionTables, e: Any) -> None:
    _deadline(conn, t, e, reminded_on=e.reminded_on)


def _breached(conn: Connection, t: ProjectionTables, e: Any) -> None:
    _deadline(conn, t, e, state="breached", breached_on=e.detected_on)


def _met(conn: Connection, t: ProjectionTables, e: Any) -> None:
    c = t.deadlines.c
    conn.execute(
        t.deadlines.update()
        .where(c.deadline_id == e.originator_id.hex, c.state == "open")
        .values(state="met" if e.in_time else "breached")
    )
    _deadline(conn, t, e, ended_on=e.met_on, in_time=bool(e.in_time))


def _cancelled(conn: Connection, t: ProjectionTables, e: Any) -> None:
    c = t.deadlines.c
    conn.execute(
        t.deadlines.update()
        .where(c.deadline_id == e.originator_id.hex, c.state == "open")
        .values(state="cancelled")
    )
    _deadline(conn, t, e, ended_on=e.cancelled_on)


def _letter(conn: Connection, t: ProjectionTables, e: Any, **values: Any) -> None:
    conn.execute(
        t.letters.update()
        .where(t.letters.c.letter_id == e.originator_id.hex)
        .values(**values)
    )


def _queued(conn: Connection, t: ProjectionTables, e: Any) -> None:
    conn.execute(
        t.letters.insert().values(
            letter_id=e.originator_id.hex,
            ref=e.ref,
            template=e.template,
            recipient_role=e.recipient_role,
            state="queued",
            attempts=0,
            queued_at=utc_naive(e.timestamp),
        )
    )


def _dispatched(conn: Connection, t: ProjectionTables, e: Any) -> None:
    _letter(conn, t, e, state="dispatched", attempts=e.attempt)


def _sent(conn: Connection, t: ProjectionTables, e: Any) -> None:
    _letter(conn, t, e, state="sent", sent_at=utc_naive(e.timestamp))


def _failed(conn: Connection, t: ProjectionTables, e: Any) -> None:
    _letter(conn, t, e, state="queued", retry_after=utc_naive(e.retry_after))


TRACKING_HANDLERS: dict[
    type[Any], Callable[[Connection, ProjectionTables, Any], None]
] = {
    Deadline.DeadlineScheduled: _scheduled,
    Deadline.DeadlineReminderSent: _reminded,
    Deadline.DeadlineBreached: _breached,
    Deadline.DeadlineMet: _met,
    Deadline.DeadlineCancelled: _cancelled,
    Letter.LetterQueued: _queued,
    Letter.LetterDispatched: _dispatched,
    Letter.LetterSent: _sent,
    Letter.LetterDeliveryFailed: _failed,
}
