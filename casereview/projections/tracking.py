"""How deadline and letter events change their rows: what the scheduled check and the outbox
read. Only ids, dates, states and template names; recipients and content stay in the events.

Each handler works on plain dicts (one per row) held by the batch being applied
(casereview/projections/batch.py): a `DeadlineScheduled` or `LetterQueued` makes a new row;
the other events change the row of their stream, if there is one (an event for a row that
does not exist changes nothing, as an UPDATE matching no row would).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from casereview.domain.deadline import Deadline
from casereview.domain.letter import Letter

Row = dict[str, Any]
Change = Callable[[Row, Any], None]


def utc_naive(moment: datetime) -> datetime:
    """Stored without a zone (SQLite keeps none), always in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


# ----- deadlines -------------------------------------------------------------------------


def deadline_scheduled(e: Any) -> Row:
    return {
        "deadline_id": e.stream,
        "ref": e.ref,
        "kind": e.kind,
        "from_step": e.from_step,
        "until_step": e.until_step,
        "start_on": e.start_on,
        "rule": e.rule,
        "due_on": e.due_on,
        "remind_on": e.remind_on,
        "state": "open",
        "reminded_on": None,
        "breached_on": None,
        "ended_on": None,
        "in_time": None,
    }


def _reminded(d: Row, e: Any) -> None:
    d["reminded_on"] = e.reminded_on


def _breached(d: Row, e: Any) -> None:
    d["state"] = "breached"
    d["breached_on"] = e.detected_on


def _met(d: Row, e: Any) -> None:
    if d["state"] == "open":  # a deadline met late was already marked breached
        d["state"] = "met" if e.in_time else "breached"
    d["ended_on"] = e.met_on
    d["in_time"] = bool(e.in_time)


def _cancelled(d: Row, e: Any) -> None:
    if d["state"] == "open":
        d["state"] = "cancelled"
    d["ended_on"] = e.cancelled_on


DEADLINE_CHANGES: dict[type[Any], Change] = {
    Deadline.DeadlineReminderSent: _reminded,
    Deadline.DeadlineBreached: _breached,
    Deadline.DeadlineMet: _met,
    Deadline.DeadlineCancelled: _cancelled,
}
"""Events changing the row of an existing deadline."""


# ----- letters ---------------------------------------------------------------------------


def letter_queued(e: Any) -> Row:
    return {
        "letter_id": e.stream,
        "ref": e.ref,
        "template": e.template,
        "recipient_role": e.recipient_role,
        "state": "queued",
        "attempts": 0,
        "queued_at": utc_naive(e.timestamp),
        "retry_after": None,
        "sent_at": None,
    }


def _dispatched(lt: Row, e: Any) -> None:
    lt["state"] = "dispatched"
    lt["attempts"] = e.attempt


def _sent(lt: Row, e: Any) -> None:
    lt["state"] = "sent"
    lt["sent_at"] = utc_naive(e.timestamp)


def _failed(lt: Row, e: Any) -> None:
    lt["state"] = "queued"
    lt["retry_after"] = utc_naive(e.retry_after)


LETTER_CHANGES: dict[type[Any], Change] = {
    Letter.LetterDispatched: _dispatched,
    Letter.LetterSent: _sent,
    Letter.LetterDeliveryFailed: _failed,
}
"""Events changing the row of an existing letter."""

READS: dict[type[Any], tuple[str, ...]] = {
    Deadline.DeadlineScheduled: (
        "ref",
        "kind",
        "from_step",
        "until_step",
        "start_on",
        "rule",
        "due_on",
        "remind_on",
    ),
    Letter.LetterQueued: ("ref", "template", "recipient_role", "timestamp"),
}
"""The fields `deadline_scheduled` and `letter_queued` read, decoded with the event."""
