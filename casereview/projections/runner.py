"""The pull-based catch-up runner that keeps the read models, and the queries over them.

It works the same on SQLite (which has no subscriptions) and PostgreSQL: read the position,
select the next Case notifications after it (exact topics), then in ONE transaction claim the
batch with a conditional `UPDATE projection_position SET notification_id=:new WHERE
name=:n AND notification_id=:old`, and apply its events. A runner whose claim matches no row
was overtaken by another: it rolls back and re-reads, so no event is ever applied twice, and a
crash leaves position and rows as they were. Notification ids increase but may have gaps.
A rebuild claims its batches the same way, but replays into its fresh tables holding their
rows between batches (casereview/projections/replay.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc
from eventsourcing.utils import get_topic
from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    inspect,
    or_,
    select,
    tuple_,
)

from casereview.adapters.store import Store, ddl_lock
from casereview.domain.case import CASE_EVENTS
from casereview.domain.deadline import DEADLINE_EVENTS
from casereview.domain.identity import identity_key
from casereview.domain.letter import LETTER_EVENTS
from casereview.projections import log
from casereview.projections import tables as schema
from casereview.projections.apply import READS as CASE_READS
from casereview.projections.batch import BatchWriter
from casereview.projections.db import (
    IMMEDIATE,
    UNHOLDABLE,
    make_engine,
    problem_of,
    rebuild_settings,
    unavailable_as_error,
)
from casereview.projections.decode import Decoder
from casereview.projections.log import Stored
from casereview.projections.replay import Overtaken, Replay
from casereview.projections.tables import DIGESTED, POSITION_NAME, make_tables
from casereview.projections.tracking import READS as TRACKING_READS

if TYPE_CHECKING:
    from casereview.adapters.eventstore import CaseReviews

TOPICS: tuple[str, ...] = tuple(
    get_topic(cls) for cls in (*CASE_EVENTS, *DEADLINE_EVENTS, *LETTER_EVENTS)
)
VERIFY_PREFIX = "verify_"
CATCH_UP_BATCH = 2000
"""Events per transaction when catching up: big enough that a batch costs a few statements
per table rather than a few per event, small enough to hold the write lock only briefly."""
REBUILD_BATCH = 50_000
"""Events per transaction when rebuilding (nobody else writes to fresh tables, and the replay
holds the rows between batches: fewer, bigger batches write each case row fewer times)."""

Progress = Callable[[int, int], None]
"""Called after each batch with (notification id reached, head of the application log)."""


class Projector:
    """The read models (cases, complaints, recommendations, actions, deadlines, letters) of
    one CaseReviews store.

    The log is the truth and these tables are disposable. Their names carry the schema
    version, so when `create()` finds only an older version's tables it builds this version's
    beside them (position 0) and sets `schema_reset`; the next `catch_up()` replays the whole
    log into them, calling its progress callback after each batch as a rebuild does, while
    programs of the older version go on reading their own tables.
    """

    def __init__(
        self,
        app: CaseReviews,
        store: Store,
        prefix: str = "",
        *,
        engine: tuple[Engine, Engine] | None = None,
    ) -> None:
        self.app, self.store, self.prefix = app, store, prefix
        self.version = (
            schema.SCHEMA_VERSION
        )  # read at call time, so tests can change it
        self.tables = make_tables(prefix, self.version)
        self._owns_engine = engine is None
        with unavailable_as_error():
            self.engine, self._base = engine or make_engine(store)
        self._writer = BatchWriter(self.tables)
        self._decode = Decoder(app.mapper, {**CASE_READS, **TRACKING_READS})
        self._created = False
        self.schema_reset: tuple[int | None, int] | None = None
        """(stored version, code's version) when `create()` found the tables out of date
        and reset them; the next catch-up replays the whole log."""

    # ----- schema -------------------------------------------------------------------------

    def create(self) -> None:
        """Create this version's tables and position row if missing (idempotent, safe to
        race: on PostgreSQL the DDL runs under the store's advisory DDL lock)."""
        with ddl_lock(self.store), unavailable_as_error():
            for attempt in range(3):
                try:
                    with self._begin(immediate=True) as conn:
                        self.tables.metadata.create_all(conn)
                        self._ensure_position(conn)
                        older = [v for v in self._versions(conn) if v != self.version]
                        if older and self._read_position(conn) == 0:
                            self.schema_reset = (max(older), self.version)
                    break
                except (
                    sqlalchemy.exc.IntegrityError,
                    sqlalchemy.exc.ProgrammingError,
                ):
                    # Another process created them between our check and our CREATE.
                    if attempt == 2:
                        raise
        self._created = True

    def _ensure_position(self, conn: Connection) -> None:
        p = self.tables.position
        found = conn.execute(
            select(p.c.notification_id).where(p.c.name == POSITION_NAME)
        ).first()
        if found is None:
            conn.execute(p.insert().values(name=POSITION_NAME, notification_id=0))

    def _versions(self, conn: Connection) -> list[int]:
        """The schema versions whose read models are present beside these."""
        pattern = re.compile(re.escape(self.prefix) + schema.VERSION_PATTERN + "$")
        names = inspect(conn).get_table_names(schema=self.store.schema or None)
        return sorted(int(m.group(1)) for n in names if (m := pattern.match(n)))

    def stored_schema_version(self) -> int:
        """The schema version of the tables this projector reads and writes."""
        self._ready()
        return self.version

    def drop_other_versions(self) -> list[int]:
        """Drop the read models of other schema versions (their programs must be gone)."""
        self._ready()
        with (
            ddl_lock(self.store),
            unavailable_as_error(),
            self._begin(immediate=True) as conn,
        ):
            others = [v for v in self._versions(conn) if v != self.version]
            for version in others:
                make_tables(self.prefix, version).metadata.drop_all(conn)
        return others

    def drop(self) -> None:
        """Drop this projector's tables (the events are untouched)."""
        with (
            ddl_lock(self.store),
            unavailable_as_error(),
            self._begin(immediate=True) as conn,
        ):
            self.tables.metadata.drop_all(conn)
        self._created = False

    def _ready(self) -> None:
        if not self._created:
            self.create()

    def _begin(self, *, immediate: bool = False) -> Any:
        conn = self.engine.connect()
        if immediate:
            conn = conn.execution_options(**{IMMEDIATE: True})
        return _Transaction(conn)

    # ----- catching up --------------------------------------------------------------------

    def position(self) -> int:
        """The id of the last notification applied (0 before any)."""
        self._ready()
        with unavailable_as_error(), self.engine.connect() as conn:
            return self._read_position(conn)

    def _read_position(self, conn: Connection) -> int:
        p = self.tables.position
        found = conn.execute(
            select(p.c.notification_id).where(p.c.name == POSITION_NAME)
        ).scalar_one_or_none()
        return int(found or 0)

    def catch_up(
        self, progress: Progress | None = None, batch: int = CATCH_UP_BATCH
    ) -> int:
        """Apply every Case event recorded since the position; the number applied."""
        return self._catch_up(progress, batch, stop=None)

    def _catch_up(self, progress: Progress | None, batch: int, stop: int | None) -> int:
        self._ready()
        applied = 0
        with unavailable_as_error():
            while True:
                old = self.position()
                if stop is not None and old >= stop:
                    break
                notifications = self._select(old, batch, stop)
                if not notifications:
                    break
                try:
                    try:
                        self._apply_batch(old, notifications)
                    except UNHOLDABLE:
                        self._apply_singly(old, notifications)
                except Overtaken:
                    continue
                applied += len(notifications)
                self._report(progress, notifications[-1].id)
        return applied

    def _select(self, start: int, limit: int, stop: int | None) -> list[Stored]:
        return log.select(self.app.recorder, start, limit, stop, TOPICS)

    def _report(self, progress: Progress | None, reached: int) -> None:
        if progress is not None:
            progress(reached, self.app.recorder.max_notification_id() or 0)

    def _apply_batch(self, old: int, notifications: Sequence[Stored]) -> None:
        events = [self._decode(n, n.stream) for n in notifications]
        with self._begin(immediate=True) as conn:
            self._claim(conn, old, notifications[-1].id)
            self._writer.apply(conn, events)

    def _apply_singly(self, old: int, notifications: Sequence[Stored]) -> None:
        """Apply a batch that failed one event at a time, skipping (and recording) any event
        the tables cannot hold, so that one bad event never stops the others: the deadlines
        and letters behind it most of all."""
        for n in notifications:
            try:
                self._apply_batch(old, [n])
            except UNHOLDABLE as exc:
                with self._begin(immediate=True) as conn:
                    self._claim(conn, old, n.id)
                    conn.execute(
                        self.tables.skipped.insert().values(
                            position=n.id, topic=n.topic[:200], problem=problem_of(exc)
                        )
                    )
            old = n.id

    def skipped(self) -> list[dict[str, Any]]:
        """The events the read models could not hold, by position (none, normally)."""
        self._ready()
        s = self.tables.skipped.c
        query = select(self.tables.skipped).order_by(s.position)
        with unavailable_as_error(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _claim(self, conn: Connection, old: int, new: int) -> None:
        p = self.tables.position
        claimed = conn.execute(
            p.update()
            .where(p.c.name == POSITION_NAME, p.c.notification_id == old)
            .values(notification_id=new)
        ).rowcount
        if claimed != 1:
            raise Overtaken

    def rebuild(
        self,
        progress: Progress | None = None,
        *,
        stop: int | None = None,
        batch: int = REBUILD_BATCH,
    ) -> int:
        """Drop and recreate this projector's tables, then replay the log into them from
        the first event (up to notification `stop` when given), `batch` events per
        transaction; the number of events applied."""
        self.drop()
        self.create()
        with unavailable_as_error():
            applied, finished = self._replay(progress, batch, stop)
        # Another runner wrote to the tables, or a batch held an event the tables cannot
        # hold: go on as a catch-up (which skips that event alone).
        if not finished:
            applied += self._catch_up(progress, CATCH_UP_BATCH, stop=stop)
        return applied

    def _replay(
        self, progress: Progress | None, batch: int, stop: int | None
    ) -> tuple[int, bool]:
        replay = Replay(
            self.engine, self._writer, self._decode, self._select, self._claim
        )
        with self.engine.connect() as conn, rebuild_settings(conn):
            return replay.run(
                conn.execution_options(**{IMMEDIATE: True}),
                batch,
                stop,
                lambda reached: self._report(progress, reached),
            )

    # ----- verification -------------------------------------------------------------------

    def digests(self) -> dict[str, str]:
        """sha256 over each read-model table's rows in primary-key order, by unprefixed name."""
        self._ready()
        with unavailable_as_error(), self.engine.connect() as conn:
            return self._digests(conn)

    def _digests(self, conn: Connection) -> dict[str, str]:
        tables = self.tables.by_name()
        return {name: _digest(conn, tables[name]) for name in DIGESTED}

    def verify(self) -> tuple[bool, dict[str, tuple[str, str]]]:
        """Catch the live tables up, rebuild into fresh `verify_` tables up to the same
        position, and compare table by table: (equal, {table: (live, rebuilt)})."""
        self.catch_up()
        with unavailable_as_error(), self.engine.connect() as conn:
            if self.store.is_postgres:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():  # position and rows from one snapshot
                stop = self._read_position(conn)
                live = self._digests(conn)
        fresh = Projector(
            self.app,
            self.store,
            VERIFY_PREFIX + self.prefix,
            engine=(self.engine, self._base),
        )
        try:
            fresh.rebuild(stop=stop)
            rebuilt = fresh.digests()
        finally:
            fresh.drop()
        report = {name: (live[name], rebuilt[name]) for name in DIGESTED}
        return all(a == b for a, b in report.values()), report

    # ----- queries ------------------------------------------------------------------------

    def list_cases(
        self,
        area: str | None = None,
        statuses: Sequence[str] | None = None,
        *,
        received_from: date | None = None,
        received_to: date | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Cases by reference, optionally of one area, of any of these statuses, received in
        a date range; with `after` and `limit`, the page of at most `limit` cases whose
        references follow `after` (keyset paging on the primary key: a page costs the same
        wherever it falls, and a case added meanwhile shifts no page)."""
        self._ready()
        c = self.tables.cases.c
        query = select(self.tables.cases).order_by(c.ref)
        if area is not None:
            query = query.where(c.area == area.strip().lower())
        if statuses is not None:
            query = query.where(c.status.in_(list(statuses)))
        if received_from is not None:
            query = query.where(c.received_on >= received_from)
        if received_to is not None:
            query = query.where(c.received_on <= received_to)
        if after is not None:
            query = query.where(c.ref > after)
        if limit is not None:
            query = query.limit(limit)
        with unavailable_as_error(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def complaint_rows(self, ref: str) -> list[dict[str, Any]]:
        self._ready()
        c = self.tables.complaints.c
        query = select(self.tables.complaints).where(c.ref == ref.strip().upper())
        with unavailable_as_error(), self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        return sorted(rows, key=lambda r: _id_order(r["complaint_id"]))

    def find_complaint(self, agency: str, agency_ref: str) -> tuple[str, str] | None:
        """The (case ref, complaint id) recorded under this agency's own reference, compared
        as the domain compares it (casereview.domain.identity)."""
        found = self.recorded_under([identity_key(agency, agency_ref)])
        holders = found.get(identity_key(agency, agency_ref))
        return holders[0] if holders else None

    def reference_lookup(
        self,
    ) -> Callable[[Sequence[str]], dict[str, list[tuple[str, str]]]] | None:
        """`recorded_under`, for an import to ask which case its references are already on;
        None when no complaint with a reference is recorded yet (a first import into a new
        store then has nothing to look up, batch after batch)."""
        self._ready()
        c = self.tables.complaints.c
        query = select(c.identity).where(c.identity.is_not(None)).limit(1)
        with unavailable_as_error(), self.engine.connect() as conn:
            found = conn.execute(query).first()
        return None if found is None else self.recorded_under

    def recorded_under(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """For each `identity_key` recorded, the (case ref, complaint id) pairs under it, in
        order: one query for any number of keys (the import asks once a batch), the keys
        bound as one array (PostgreSQL) or one JSON array (SQLite), not one parameter each,
        through a statement built once."""
        self._ready()
        found: dict[str, list[tuple[str, str]]] = {}
        if not keys:
            return found
        with unavailable_as_error(), self.engine.connect() as conn:
            if self.store.is_postgres:
                rows: Any = conn.execute(self._lookup, {"keys": list(keys)})
            else:  # the driver's own call: SQLAlchemy's per-call work cost more here
                rows = conn.exec_driver_sql(self._lookup_sql, (json.dumps(list(keys)),))
            for key, ref, complaint_id in rows:
                found.setdefault(key, []).append((str(ref), str(complaint_id)))
        return found

    @cached_property
    def _lookup(self) -> Select[Any]:
        c = self.tables.complaints.c
        if self.store.is_postgres:
            wanted: Any = c.identity == any_(bindparam("keys", type_=ARRAY(String)))
        else:
            keys = func.json_each(bindparam("keys", type_=String)).table_valued("value")
            wanted = c.identity.in_(select(keys.c.value))
        return (
            select(c.identity, c.ref, c.complaint_id)
            .where(wanted)
            .order_by(c.identity, c.ref, c.complaint_id)
        )

    @cached_property
    def _lookup_sql(self) -> str:
        return str(self._lookup.compile(dialect=self.engine.dialect))

    def due_deadlines(self, today: date) -> list[dict[str, Any]]:
        """Open deadlines whose reminder day has come or whose due date has passed."""
        self._ready()
        with unavailable_as_error(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(self._due_query(today))]

    def _due_query(self, today: date) -> Select[Any]:
        """Each arm of the OR is a range of one index: (ended_on, state, due_on) for the
        breaches, (ended_on, reminded_on, remind_on) for the reminders; so the check reads
        only the deadlines needing work, however many are open (SQLite's OR-by-union,
        PostgreSQL's BitmapOr)."""
        d = self.tables.deadlines.c
        open_ = (d.ended_on.is_(None), d.state == "open")
        return (
            select(self.tables.deadlines)
            .where(
                or_(
                    and_(*open_, d.due_on < today),
                    and_(
                        d.ended_on.is_(None),
                        d.reminded_on.is_(None),
                        d.remind_on <= today,
                        d.state == "open",
                    ),
                )
            )
            .order_by(d.due_on, d.deadline_id)
        )

    def deadline_rows(
        self,
        ref: str | None = None,
        area: str | None = None,
        state: str | None = None,
        *,
        after: tuple[str, date, str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Deadlines by case, start and id, optionally of one case or area; state `open`
        means not yet ended. With `after` (ref, start_on, deadline_id) and `limit`, the page
        that follows that deadline (keyset paging: one comparison of the sort key)."""
        self._ready()
        d, c = self.tables.deadlines.c, self.tables.cases.c
        query = select(self.tables.deadlines).order_by(d.ref, d.start_on, d.deadline_id)
        if ref is not None:
            query = query.where(d.ref == ref.strip().upper())
        if area is not None:
            query = query.join(self.tables.cases, c.ref == d.ref).where(
                c.area == area.strip().lower()
            )
        if state == "open":
            query = query.where(d.ended_on.is_(None))
        elif state is not None:
            query = query.where(d.state == state)
        if after is not None:
            query = query.where(
                tuple_(d.ref, d.start_on, d.deadline_id) > tuple_(*after)
            )
        if limit is not None:
            query = query.limit(limit)
        with unavailable_as_error(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def sendable_letters(self, now: datetime, limit: int = 500) -> list[str]:
        """Ids (hex) of queued letters whose retry time, if any, has come: oldest first."""
        self._ready()
        lt = self.tables.letters.c
        cutoff = now.astimezone(UTC).replace(tzinfo=None)
        query = (
            select(lt.letter_id)
            .where(
                lt.state == "queued",
                or_(lt.retry_after.is_(None), lt.retry_after <= cutoff),
            )
            .order_by(lt.queued_at, lt.letter_id)
            .limit(limit)
        )
        with unavailable_as_error(), self.engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(query)]

    def letter_rows(self, ref: str | None = None) -> list[dict[str, Any]]:
        self._ready()
        lt = self.tables.letters.c
        query = select(self.tables.letters).order_by(lt.queued_at, lt.letter_id)
        if ref is not None:
            query = query.where(lt.ref == ref.strip().upper())
        with unavailable_as_error(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def close(self) -> None:
        if self._owns_engine:
            self._base.dispose()


class _Transaction:
    """`with` block: a connection and its transaction, committed unless an error escapes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        self.conn.begin()
        return self.conn

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            if kind is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.close()


def _id_order(item_id: str) -> tuple[str, int]:
    digits = item_id.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return item_id[: len(item_id) - len(digits)], int(digits) if digits.isdigit() else 0


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _digest(conn: Connection, table: Table) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([c.name for c in table.columns]).encode())
    for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
        h.update(b"\n")
        h.update(json.dumps([_cell(v) for v in row], separators=(",", ":")).encode())
    return h.hexdigest()
