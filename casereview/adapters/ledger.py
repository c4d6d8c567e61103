"""The tamper-evident event log: a SHA-256 chain over every stored event.

Every stored event gets a chain value, written by the recorder in the same transaction as the
event (`casereview.adapters.ledger_sqlite`, `casereview.adapters.ledger_postgres`)::

    chain(first)  = SHA-256(GENESIS_BYTES + canonical(first event))
    chain(next)   = SHA-256(bytes.fromhex(chain(previous)) + canonical(next event))

where GENESIS_BYTES are 32 zero bytes (`GENESIS`, 64 hex zeros), the previous event is the one
with the next lower position (positions are the notification ids: SQLite rowid, PostgreSQL
`notification_id`; they increase but may have gaps on PostgreSQL), and the chain value is stored
as 64 lower-case hex digits in the table `event_chain` (SQLite) or `<app>_event_chain`
(PostgreSQL: `casereview_event_chain`, in the schema of the events) as `(position, chain)`.
PostgreSQL chain rows also name the position of the event they were chained onto (`previous`,
0 for the first event, NULL in rows written before this was recorded; outside the hash: it only
helps `verify_log` name a removed event, see below).

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
where the stored chain differs. A removed event is named as removed: on SQLite positions have
no gaps unless rows are deleted (a new row takes the largest rowid plus one, and a rolled-back
insert leaves nothing behind), so a gap is a removal; on PostgreSQL a rolled-back transaction
leaves its positions unused, so a gap proves nothing by itself, and the `previous` of the next
chain row says which position the event after the gap was chained onto.

No chain can show that events were cut off its end, or that someone who could rewrite the
tables rebuilt the whole chain over a changed log. The head (the last chain value) pins the
log: `casereview.adapters.checkpoint` signs (position, head, time) with a key kept outside the database,
and `verify_log(expected=...)` fails when the log up to a checkpoint's position is not the one
it pinned.

The database refuses UPDATE, DELETE and TRUNCATE on the events, chain and origin tables with
triggers ("casereview: the event log is append-only"; on PostgreSQL `ENABLE ALWAYS`, so a
session with `session_replication_role = replica` is refused too). Triggers stop mistakes, not
the database owner: someone who can drop them can rewrite rows, and the chain and the
checkpoints are what show it. In production, also give the application's role only SELECT and
INSERT on these tables.

A chain is computed once and never again. A store whose events were written before the chain
existed (no chain table and no origin table) is backfilled when it is first opened with a
chained recorder, in one transaction, and the origin table records when and how many events
that covered. A store that has held a chain is never re-chained: if its chain table is gone
(the origin table says it existed), or has no rows for the latest events, opening it is refused
(`ChainRemoved`, exit 3) and so is every write, naming the problem; `casereview log verify`
opens the store without writing anything and shows where the log breaks. The one thing the
store cannot show on its own is an owner dropping both the chain and the origin table: then it
looks like a store from before the chain, and only a checkpoint kept outside it shows the change.

This module imports nothing heavy, so `bootstrap` can read `RECORDER_TOPICS` at start-up; the
recorders live in `ledger_sqlite` and `ledger_postgres`, loaded by the library from their topics.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable
from uuid import UUID

from casereview.errors import NotFound, RuleViolation

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import StoredEvent

GENESIS = "0" * 64
"""The chain value before the first event: 32 zero bytes, as hex."""

APPEND_ONLY_MESSAGE = "casereview: the event log is append-only"
"""What the database says when asked to UPDATE or DELETE a stored event or chain row."""

NEVER_RECHAINED = (
    "casereview never re-chains a store that has held a chain: restore the store from a "
    "backup (`casereview log verify` shows where the log breaks)"
)

RECORDER_TOPICS = {
    "eventsourcing.sqlite": "casereview.adapters.ledger_sqlite:ChainedSQLiteApplicationRecorder",
    "eventsourcing.postgres": "casereview.adapters.ledger_postgres:ChainedPostgresApplicationRecorder",
}
"""APPLICATION_RECORDER_TOPIC for each PERSISTENCE_MODULE (set by casereview.adapters.store.parse_store_url)."""

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
    and its chain value (absent when the event has no chain row). `previous` is the position
    the chain row says its event was chained onto (PostgreSQL; 0 for the first event, None
    where not recorded)."""

    position: int
    has_event: bool
    originator_id: UUID | str | None
    originator_version: int | None
    topic: str | None
    state: bytes | None
    chain: str | None
    previous: int | None = None


class ChainOrigin(NamedTuple):
    """When this store's origin record was written, and how many events that predated the
    chain were backfilled then (None: the chain is older than the record, which was added to
    a store already chained)."""

    recorded_at: str
    backfilled: int | None


class ChainState(NamedTuple):
    """Which of the log's tables exist, and the origin record if there is one."""

    events_table: bool
    chain_table: bool
    origin_table: bool
    origin: ChainOrigin | None


class ChainRemoved(RuleViolation):
    """The chain of a store that has held one is gone, in whole or at its end; casereview
    refuses to open the store for writing rather than chain it again."""


class LogNotFound(NotFound):
    """There is no event log where the store URL points."""


def removed_chain_message(missing: int, first: int) -> str:
    return (
        f"the chain table has no rows for {missing} stored events (the first at position "
        f"{first}): the chain was removed; {NEVER_RECHAINED}"
    )


def dropped_chain_message(origin: ChainOrigin | None) -> str:
    since = f" (its origin was recorded at {origin.recorded_at})" if origin else ""
    return (
        f"the chain table was dropped from a store that has held a chain{since}; "
        f"{NEVER_RECHAINED}"
    )


def broken_head_message(last_event: int | None, last_chain: int | None) -> str:
    """Why a store whose latest chain row is not its latest event cannot be written to."""
    if last_chain is not None and (last_event is None or last_chain > last_event):
        return (
            f"the chain has a row for position {last_chain} but the log ends at position "
            f"{last_event or 0}: events were removed from its end; {NEVER_RECHAINED}"
        )
    return (
        f"the event at position {last_event} has no chain row: the chain was removed or cut "
        f"short; {NEVER_RECHAINED}"
    )


@runtime_checkable
class ChainedRecorder(Protocol):
    """What the chained recorders of both stores offer to `verify_log` and `log_head`."""

    chain_table_name: str
    positions_are_contiguous: bool
    """True where a gap between positions can only mean rows were deleted (SQLite)."""

    def chain_head(self) -> str:
        """The chain value of the latest event (GENESIS for an empty log)."""
        ...

    def chain_state(self) -> ChainState:
        """Which tables of the log exist, and its origin record (reads only)."""
        ...

    def audit_rows(self, batch_size: int = BATCH_SIZE) -> Iterator[AuditRow]:
        """Every position that has an event or a chain row, in position order, read from one
        consistent snapshot of the store (events without chain values if there is no chain
        table)."""
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
class Expectation:
    """A head the log must still have at a position: a checkpoint's, or one given by hand."""

    position: int
    head: str
    source: str
    """Where it came from, as an error names it (`checkpoints.jsonl line 3`)."""


@dataclass(frozen=True)
class CheckResult:
    expectation: Expectation
    problem: str | None
    first_bad: int | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.expectation.position,
            "head": self.expectation.head,
            "source": self.expectation.source,
            "ok": self.ok,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class LogReport:
    """The result of `verify_log`; `to_json` gives the CONTRACT keys plus `reason`,
    `position` (of the head), `chain_origin`, and `checkpoints` when any were checked."""

    ok: bool
    events: int
    head: str
    first_bad: int | None
    reason: str | None = None
    position: int = 0
    origin: ChainOrigin | None = None
    chain_ok: bool = True
    checks: tuple[CheckResult, ...] = field(default=())

    @property
    def failed_check(self) -> CheckResult | None:
        return next((check for check in self.checks if not check.ok), None)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "position": self.position,
            "chain_origin": self.origin._asdict() if self.origin else None,
        }
        if self.checks:
            found["checkpoints"] = [check.to_json() for check in self.checks]
        return found


def chained_recorder(source: object) -> ChainedRecorder:
    """The chained recorder of an application (or the recorder itself)."""
    recorder = (
        source
        if isinstance(source, ChainedRecorder)
        else getattr(source, "recorder", source)
    )
    if not isinstance(recorder, ChainedRecorder):
        raise TypeError(
            f"the application's recorder {type(recorder).__qualname__} keeps no chain "
            f"(expected APPLICATION_RECORDER_TOPIC to be one of {sorted(RECORDER_TOPICS.values())})"
        )
    return recorder


@contextmanager
def reading_log(env: Mapping[str, str], app_name: str) -> Iterator[ChainedRecorder]:
    """The chained recorder of a store, opened to read only: no table is created, no chain
    backfilled, no trigger repaired (what `log verify` and `log checkpoint` use). A store that
    does not exist is `LogNotFound`; one that cannot be reached, the library's errors."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        name = env.get("SQLITE_DBNAME", "")
        if "mode=memory" not in name and not Path(name).exists():
            raise LogNotFound(f"no event log at {name}: the file does not exist")
    factory = InfrastructureFactory.construct(
        Environment(app_name, {**env, "CREATE_TABLE": "no"})
    )
    try:
        recorder = chained_recorder(factory.application_recorder())
        if not recorder.chain_state().events_table:
            raise LogNotFound(
                "no event log in this store (it has no events table; "
                "`casereview init` creates one)"
            )
        yield recorder
    finally:
        factory.close()


def stream_positions(app: Application[Any], originator_id: UUID) -> dict[int, int]:
    """Version -> log position for one stream."""
    return chained_recorder(app).positions(originator_id)


def log_head(app: Application[Any]) -> str:
    """The latest chain value (64 hex digits): print it in reports to pin the log."""
    return chained_recorder(app).chain_head()


def verify_log(
    source: Application[Any] | ChainedRecorder,
    batch_size: int = BATCH_SIZE,
    expected: Sequence[Expectation] = (),
) -> LogReport:
    """Recompute the chain over every stored event, in position order, and compare it with the
    stored chain; then compare the recomputed chain with each expected head. The first position
    whose stored chain differs from the recomputed one, whose event has no chain row, whose
    chain row has no event, or that was removed, is `first_bad`; `head` is the last chain value
    that verified (the stored head when all is well, GENESIS if nothing did) and `position`
    its position. Reads only."""
    recorder = chained_recorder(source)
    state = recorder.chain_state()
    walk = _Walk(
        contiguous=recorder.positions_are_contiguous,
        wanted={e.position for e in expected},
    )
    for row in recorder.audit_rows(batch_size):
        walk.add(row)
    if walk.failed_unchained:
        walk.reason = _unchained_reason(state, walk.unchained, walk.events)
    checks = tuple(_check(walk, expected))
    failed = next((check for check in checks if not check.ok), None)
    chain_ok = walk.first_bad is None
    # A broken chain is named first; a checkpoint only when the chain itself verifies.
    named = failed if chain_ok and failed is not None else None
    return LogReport(
        ok=chain_ok and failed is None,
        events=walk.events,
        head=walk.head,
        first_bad=named.first_bad if named else walk.first_bad,
        reason=named.problem if named else walk.reason,
        position=walk.position,
        origin=state.origin,
        chain_ok=chain_ok,
        checks=checks,
    )


def _unchained_reason(state: ChainState, unchained: int, events: int) -> str:
    if not state.chain_table and state.origin_table:
        return dropped_chain_message(state.origin)
    if not state.chain_table:
        return (
            "the store has no chain table: it was written before the chain existed (any "
            "casereview command that writes chains it), or its chain was dropped with the "
            "record of its origin (a checkpoint kept outside the database shows which)"
        )
    if unchained == events:
        return (
            f"the event has no chain row: the chain table has no rows for {unchained} "
            f"stored events: the chain was removed; {NEVER_RECHAINED}"
        )
    return (
        f"the event has no chain row (the chain table has no rows for {unchained} stored "
        "events): its chain row was removed, or it was written past the chained recorder"
    )


def _positions_text(first: int, last: int) -> str:
    if first == last:
        return f"the event at position {first} was removed"
    return f"the events at positions {first} to {last} were removed"


class _Walk:
    """The state of one pass over the log, in position order."""

    def __init__(self, *, contiguous: bool, wanted: set[int]) -> None:
        self.contiguous, self.wanted = contiguous, wanted
        self.events = 0
        # The last chain value that verified, and its position.
        self.head, self.position = GENESIS, 0
        # The chain over the events present, whatever the chain table says (checkpoints).
        self.recomputed = GENESIS
        self.last_event = 0
        # The recomputed chain value at each position a checkpoint names.
        self.values: dict[int, str] = {}
        self.first_bad: int | None = None
        self.reason: str | None = None
        self.unchained = 0  # events without a chain row
        self.failed_unchained = False  # first_bad is an event without a chain row

    def fail(self, position: int, reason: str) -> None:
        if self.first_bad is None:
            self.first_bad, self.reason = position, reason

    def add(self, row: AuditRow) -> None:
        if not row.has_event:
            self.fail(
                row.position,
                f"the event at position {row.position} was removed (a chain row has no "
                "event)",
            )
            return
        assert row.originator_id is not None  # noqa: S101 - has_event
        assert row.originator_version is not None  # noqa: S101
        assert row.topic is not None  # noqa: S101
        assert row.state is not None  # noqa: S101
        self.events += 1
        before = self.last_event
        self.last_event = row.position
        self.recomputed = next_chain(
            self.recomputed,
            row.position,
            row.originator_id,
            row.originator_version,
            row.topic,
            row.state,
        )
        if row.position in self.wanted:
            self.values[row.position] = self.recomputed
        if row.chain is None:
            self.unchained += 1
        if self.first_bad is not None:
            return  # keep counting, and recomputing for the checkpoints
        if self.contiguous and row.position > before + 1:
            self.fail(
                before + 1,
                _positions_text(before + 1, row.position - 1)
                + " (positions in this log have no gaps unless rows are deleted)",
            )
            return
        if row.chain is None:
            self.fail(row.position, "the event has no chain row")
            self.failed_unchained = True
            return
        # Until the first bad position the stored head is the recomputed one, so the value
        # just recomputed is what this row's chain value must be.
        if self.recomputed != row.chain.strip().lower():
            self.fail(*self._name_mismatch(row, before))
            return
        self.head, self.position = self.recomputed, row.position

    def _name_mismatch(self, row: AuditRow, before: int) -> tuple[int, str]:
        """A chain value that does not verify: this event (or its chain value) changed, or
        the event it was chained onto is gone."""
        stored = (row.chain or "").strip()
        changed = (
            f"the stored event or its chain value was changed (recomputed "
            f"{self.recomputed[:12]}..., stored {stored[:12]}...)"
        )
        if row.position == before + 1 or self.contiguous:
            if row.previous is not None and row.previous < before:
                changed += (
                    f"; its chain row was written after position {row.previous}, but the "
                    f"event before it is now at position {before}: an event was inserted"
                )
            return row.position, changed
        gap_first, gap_last = before + 1, row.position - 1
        if row.previous is not None and gap_first <= row.previous <= gap_last:
            reason = (
                f"the event at position {row.previous} was removed (the event at "
                f"position {row.position} was chained onto it)"
            )
            if row.previous > gap_first:
                reason += (
                    f"; positions {gap_first} to {row.previous - 1} are missing too: "
                    "removed, or never used (a rolled-back transaction leaves its "
                    "positions unused)"
                )
            return row.previous, reason
        if row.previous is None:
            # PostgreSQL leaves positions unused when a transaction rolls back, so the gap
            # alone shows no removal, and this chain row (written before chain rows named
            # their predecessor) cannot tell which it is: say both.
            gone = (
                f"an event at position {gap_first} was removed"
                if gap_first == gap_last
                else f"events at positions {gap_first} to {gap_last} were removed"
            )
            return row.position, (
                f"the event at position {row.position} or its chain value was changed, or "
                f"{gone} (a gap alone shows no removal on PostgreSQL, where a rolled-back "
                "transaction leaves positions unused, and this chain row does not name the "
                "position it was chained onto)"
            )
        return row.position, changed


def _check(walk: _Walk, expected: Sequence[Expectation]) -> Iterator[CheckResult]:
    """Each expected head against the chain recomputed from the events as they are now."""
    last_good = 0
    for expectation in sorted(expected, key=lambda e: e.position):
        position, problem, first_bad = expectation.position, None, None
        if position == 0:
            if expectation.head != GENESIS:
                problem = "position 0 is the empty log, whose head is 64 zeros"
                first_bad = 0
        elif position > walk.last_event:
            problem = (
                f"the log ends at position {walk.last_event}, before the checkpoint's "
                f"position {position}: events were cut off its end, or this is an older "
                "copy of the store"
            )
            first_bad = walk.last_event + 1
        elif position not in walk.values:
            problem = f"there is no event at position {position}: it was removed"
            first_bad = position
        elif walk.values[position] != expectation.head:
            where = (
                f"between positions {last_good + 1} and {position}"
                if last_good
                else f"at or before position {position}"
            )
            problem = (
                f"the log is not the one the checkpoint pinned: an event {where} was "
                "changed or removed, or the chain was rebuilt over a changed log"
            )
            first_bad = position
        else:
            last_good = position
        yield CheckResult(expectation, problem, first_bad)


def merge_orphan(
    rows: Iterator[AuditRow], first_orphan: int | None
) -> Iterator[AuditRow]:
    """Insert the first chain row that has no event (if any) into the event rows in position
    order; only the first one matters for `first_bad`."""
    pending = first_orphan
    for row in rows:
        if pending is not None and pending < row.position:
            yield _orphan(pending)
            pending = None
        yield row
    if pending is not None:
        yield _orphan(pending)


def _orphan(position: int) -> AuditRow:
    return AuditRow(
        position,
        has_event=False,
        originator_id=None,
        originator_version=None,
        topic=None,
        state=None,
        chain=None,
    )
