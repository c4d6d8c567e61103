"""The tamper-evident event log: a SHA-256 chain over every stored event.

Every stored event gets a chain value, written by the recorder in the same transaction as the
event (`casereview.ledger_sqlite`, `casereview.ledger_postgres`)::

    chain(first)  = SHA-256(GENESIS_BYTES + canonical(first event))
    chain(next)   = SHA-256(bytes.fromhex(chain(previous)) + canonical(next event))

where GENESIS_BYTES are 32 zero bytes (`GENESIS`, 64 hex zeros), the previous event is the one
with the next lower position (positions are the notification ids: SQLite rowid, PostgreSQL
`notification_id`; they increase but may have gaps on PostgreSQL), and the chain value is stored
as 64 lower-case hex digits in the table `event_chain` (SQLite) or `<app>_event_chain`
(PostgreSQL: `casereview_event_chain`, in the schema of the events) as `(position, chain)`.

`canonical(position, originator_id, originator_version, topic, state)` is the concatenation of
five fields, each as an 8-byte big-endian unsigned length followed by the field's bytes:

1. position: decimal ASCII digits (`b"42"`);
2. originator_id: a UUID as its 36-character lower-case hyphenated text
   (`str(uuid)`), any other id as its UTF-8 text;
3. originator_version: decimal ASCII digits;
4. topic: UTF-8;
5. state: the stored bytes exactly as they are in the table (after any compression or cipher).

So changing any byte of a stored record, moving a record to another position, or removing a
record changes the chain from there on; `verify_log` recomputes it and names the first position
where the stored chain differs. The head (the last chain value) pins the whole log: a report that
prints it lets anyone check later that the log they hold is the one the report was made from,
including that nothing was cut off its end (which no chain can show on its own).

The database refuses UPDATE and DELETE on the events table and on the chain table with triggers
("casereview: the event log is append-only"). Triggers stop mistakes, not the database owner:
someone who can drop them can rewrite rows, and the chain is what shows it. In production, also
give the application's role only SELECT and INSERT on both tables.

A store whose events were written before the chain existed is backfilled when it is first opened
with a chained recorder: if the chain table is empty but events exist, the chain is computed for
every event, in position order, in one transaction (holding the PostgreSQL table lock, or the
SQLite write lock), and it is never recomputed after that. An event inserted later by anything
other than the chained recorder gets no chain row, and `verify_log` reports it.

This module imports nothing heavy, so `bootstrap` can read `RECORDER_TOPICS` at start-up; the
recorders live in `ledger_sqlite` and `ledger_postgres`, loaded by the library from their topics.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import StoredEvent

GENESIS = "0" * 64
"""The chain value before the first event: 32 zero bytes, as hex."""

APPEND_ONLY_MESSAGE = "casereview: the event log is append-only"
"""What the database says when asked to UPDATE or DELETE a stored event or chain row."""

RECORDER_TOPICS = {
    "eventsourcing.sqlite": "casereview.ledger_sqlite:ChainedSQLiteApplicationRecorder",
    "eventsourcing.postgres": "casereview.ledger_postgres:ChainedPostgresApplicationRecorder",
}
"""APPLICATION_RECORDER_TOPIC for each PERSISTENCE_MODULE (set by bootstrap.parse_store_url)."""

BATCH_SIZE = 1000

ChainInput = tuple[int, "UUID | str", int, str, bytes]
"""What the chain covers of one record: (position, originator_id, originator_version, topic,
state), as `canonical` takes them."""

_LENGTH = struct.Struct(">Q").pack


def id_text(originator_id: UUID | str) -> str:
    """The text of an originator id in the canonical form: `str(uuid)` or the string itself."""
    return str(originator_id)


def canonical(
    position: int,
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """The bytes of one stored record that the chain covers (see the module docstring)."""
    fields = (
        str(int(position)).encode("ascii"),
        id_text(originator_id).encode("utf-8"),
        str(int(originator_version)).encode("ascii"),
        topic.encode("utf-8"),
        bytes(state),
    )
    return b"".join(_LENGTH(len(f)) + f for f in fields)


def next_chain(
    previous: str,
    position: int,
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> str:
    """The chain value of a record, given the chain value of the record before it (hex)."""
    return chain_values(
        previous, [(position, originator_id, originator_version, topic, state)]
    )[0]


def chain_values(previous: str, rows: Iterable[ChainInput]) -> list[str]:
    """The chain values of consecutive records after the one whose chain value is `previous`
    (the digest is carried as bytes from one record to the next, not through hex)."""
    values: list[str] = []
    last = bytes.fromhex(previous)
    for row in rows:
        last = hashlib.sha256(last + canonical(*row)).digest()
        values.append(last.hex())
    return values


class AuditRow(NamedTuple):
    """One position of the log as stored: the event (absent when only a chain row is there)
    and its chain value (absent when the event has no chain row)."""

    position: int
    has_event: bool
    originator_id: UUID | str | None
    originator_version: int | None
    topic: str | None
    state: bytes | None
    chain: str | None


@runtime_checkable
class ChainedRecorder(Protocol):
    """What the chained recorders of both stores offer to `verify_log` and `log_head`."""

    chain_table_name: str

    def chain_head(self) -> str:
        """The chain value of the latest event (GENESIS for an empty log)."""
        ...

    def audit_rows(self, batch_size: int = BATCH_SIZE) -> Iterator[AuditRow]:
        """Every position that has an event or a chain row, in position order, read from one
        consistent snapshot of the store."""
        ...

    def positions(self, originator_id: UUID) -> dict[int, int]:
        """The log position of each version of one stream (what `log verify` names)."""
        ...

    def select_streams(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these streams, by stream then version, in one query (a bulk
        import reads thousands of cases; one round trip each would cost more than the
        import)."""
        ...


@dataclass(frozen=True)
class LogReport:
    """The result of `verify_log`; `to_json` gives the CONTRACT keys plus `reason`."""

    ok: bool
    events: int
    head: str
    first_bad: int | None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "first_bad": self.first_bad,
            "reason": self.reason,
        }


def chained_recorder(app: Application[Any]) -> ChainedRecorder:
    recorder = app.recorder
    if not isinstance(recorder, ChainedRecorder):
        raise TypeError(
            f"the application's recorder {type(recorder).__qualname__} keeps no chain "
            f"(expected APPLICATION_RECORDER_TOPIC to be one of {sorted(RECORDER_TOPICS.values())})"
        )
    return recorder


def stream_positions(app: Application[Any], originator_id: UUID) -> dict[int, int]:
    """Version -> log position for one stream."""
    return chained_recorder(app).positions(originator_id)


def log_head(app: Application[Any]) -> str:
    """The latest chain value (64 hex digits): print it in reports to pin the log."""
    return chained_recorder(app).chain_head()


def verify_log(app: Application[Any], batch_size: int = BATCH_SIZE) -> LogReport:
    """Recompute the chain over every stored event, in position order, and compare it with the
    stored chain. The first position whose stored chain differs from the recomputed one, whose
    event has no chain row, or whose chain row has no event, is `first_bad`; `head` is the last
    chain value that verified (the stored head when all is well, GENESIS if nothing did)."""
    recorder = chained_recorder(app)
    events = 0
    head = GENESIS
    first_bad: int | None = None
    reason: str | None = None
    for row in recorder.audit_rows(batch_size):
        if row.has_event:
            events += 1
        if first_bad is not None:
            continue  # keep counting the events only
        if not row.has_event:
            first_bad, reason = (
                row.position,
                "a chain row has no event (an event was removed)",
            )
            continue
        if row.chain is None:
            first_bad, reason = (
                row.position,
                "the event has no chain row (it was written outside the chained recorder)",
            )
            continue
        assert row.originator_id is not None  # noqa: S101 - has_event
        assert row.originator_version is not None  # noqa: S101
        assert row.topic is not None  # noqa: S101
        assert row.state is not None  # noqa: S101
        expected = next_chain(
            head,
            row.position,
            row.originator_id,
            row.originator_version,
            row.topic,
            row.state,
        )
        if expected != row.chain.strip().lower():
            first_bad, reason = (
                row.position,
                "the stored event or its chain value was changed "
                f"(recomputed {expected[:12]}..., stored {row.chain.strip()[:12]}...)",
            )
            continue
        head = expected
    return LogReport(
        ok=first_bad is None,
        events=events,
        head=head,
        first_bad=first_bad,
        reason=reason,
    )


def merge_orphan(
    rows: Iterator[AuditRow], first_orphan: int | None
) -> Iterator[AuditRow]:
    """Insert the first chain row that has no event (if any) into the event rows in position
    order; only the first one matters for `first_bad`."""
    pending = first_orphan
    for row in rows:
        if pending is not None and pending < row.position:
            yield AuditRow(
                pending,
                has_event=False,
                originator_id=None,
                originator_version=None,
                topic=None,
                state=None,
                chain=None,
            )
            pending = None
        yield row
    if pending is not None:
        yield AuditRow(
            pending,
            has_event=False,
            originator_id=None,
            originator_version=None,
            topic=None,
            state=None,
            chain=None,
        )
