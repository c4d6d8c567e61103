"""Applying a batch of events set-based: a few statements per batch, not a few per event.

For a batch of decoded events, in the caller's transaction (the one claiming the position):

1. one pass over the events finds the existing rows they will change (the cases of their
   streams, the deadlines and letters they update, the complaints corrected and the actions
   completed), leaving out rows the batch itself creates;
2. those rows are loaded with one SELECT per table (`WHERE key IN (...)`, in chunks);
3. the events are applied in order to the rows as plain dicts (the handlers in apply.py and
   tracking.py), so an event sees every change made before it, in the batch or earlier;
4. the rows the events created or changed are written: on SQLite new rows with one
   executemany INSERT per table and changed rows with one executemany UPDATE per table and
   set of columns changed (casereview/projections/sqlite_rows.py); on PostgreSQL the changed
   rows deleted (one DELETE per chunk of keys) and all of them copied in (one COPY per table).

The rows come out exactly as applying the events one at a time with UPDATEs would leave them.
Statements are built once per set of tables, so SQLAlchemy compiles each once and reuses it.
A rebuild's replay (casereview/projections/replay.py) keeps one Batch across its transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.sql import ColumnElement, Delete, Select
from sqlalchemy.sql.elements import BindParameter

from casereview.domain.case import Case
from casereview.domain.deadline import Deadline
from casereview.domain.letter import Letter
from casereview.projections.apply import HANDLERS, apply_case_event, case_received
from casereview.projections.decode import Change
from casereview.projections.sqlite_rows import SQLiteRows
from casereview.projections.tables import DIGESTED, ProjectionTables
from casereview.projections.tracking import (
    DEADLINE_CHANGES,
    LETTER_CHANGES,
    deadline_scheduled,
    letter_queued,
)

Row = dict[str, Any]
Key = Any
"""A row's primary key: the value of its one key column, or a tuple of its key columns."""

CHUNK = 500
"""Keys per `IN (...)` list (well under every driver's limit on bound parameters)."""


class DuplicateRow(Exception):
    """An event would create a row that already exists (the log and the rows disagree)."""


Fetch = Callable[[str, Key], "Row | None"]
"""Finds a row the batch does not hold, by table and key (None: there is none)."""


class Batch:
    """The rows a batch of events touches, as dicts by table and primary key.

    A row is `stored` when it is in the database as it was loaded or last written (its values
    then, to write back only what changed) and `touched` when an event created or changed it
    since. A rebuild keeps one Batch across its transactions (see `settle`)."""

    def __init__(self, fetch: Fetch | None = None) -> None:
        self.rows: dict[str, dict[Key, Row]] = {name: {} for name in DIGESTED}
        self.stored: dict[str, dict[Key, Row]] = {name: {} for name in DIGESTED}
        self.touched: dict[str, set[Key]] = {name: set() for name in DIGESTED}
        self.refs: dict[str, str] = {}
        """Case stream id (hex) -> case reference, for the cases in the batch."""
        self.fetch = fetch

    def row(self, table: str, key: Key) -> Row | None:
        """The row an event is about to change (fetched if the batch lacks it), or None."""
        row = self.rows[table].get(key)
        if row is None and self.fetch is not None:
            row = self.fetch(table, key)
            if row is not None:
                self.load(table, key, row)
        if row is not None:
            self.touched[table].add(key)
        return row

    def add(self, table: str, key: Key, row: Row) -> None:
        """A new row; one already there means the log and the rows disagree."""
        if key in self.rows[table]:
            raise DuplicateRow(f"{table} {key!r} exists already")
        self.rows[table][key] = row
        self.touched[table].add(key)

    def load(self, table: str, key: Key, row: Row) -> None:
        """A row as the database holds it."""
        self.rows[table][key] = row
        self.stored[table][key] = dict(row)

    def case(self, case_id: str) -> Row:
        ref = self.refs.get(case_id)
        if ref is None:
            raise NoResultFound(f"no case row for the stream {case_id}")
        self.touched["cases"].add(ref)
        return self.rows["cases"][ref]

    def settle(self, keep: Collection[str]) -> None:
        """After the rows are written: the tables in `keep` stay held, as now stored; the
        others are let go (their rows are found again through `fetch` if needed)."""
        for name in DIGESTED:
            touched, stored = self.touched[name], self.stored[name]
            if name in keep:
                rows = self.rows[name]
                for key in touched:
                    stored[key] = dict(rows[key])
            else:
                self.rows[name].clear()
                stored.clear()
            touched.clear()

    def apply(self, e: Change) -> bool:
        """Apply one event to the rows; False if it is not one the read models follow."""
        kind, stream = e.event_type, e.stream
        if kind is Case.ApplicationReceived:
            self.add("cases", e.ref, case_received(e))
            self.refs[stream] = e.ref
            return True
        if kind in HANDLERS:
            return apply_case_event(self, self.case(stream), e)
        if kind is Deadline.DeadlineScheduled:
            self.add("deadlines", stream, deadline_scheduled(e))
            return True
        if kind is Letter.LetterQueued:
            self.add("letters", stream, letter_queued(e))
            return True
        change = DEADLINE_CHANGES.get(kind)
        table = "deadlines"
        if change is None:
            change, table = LETTER_CHANGES.get(kind), "letters"
        if change is None:
            return False
        row = self.row(table, stream)
        if row is not None:  # an UPDATE matching no row changes nothing
            change(row, e)
        return True


class Wanted:
    """The existing rows a batch's events will change, found in one pass over them."""

    def __init__(self, events: Sequence[Change]) -> None:
        self.cases: set[str] = set()
        self.deadlines: set[str] = set()
        self.letters: set[str] = set()
        self.complaints: set[tuple[str, str]] = set()  # (case stream, complaint id)
        self.actions: set[tuple[str, str]] = set()  # (case stream, action id)
        self.new_refs: dict[str, str] = {}  # case stream -> ref, of cases received here
        born: set[Any] = set()
        for e in events:
            kind, stream = e.event_type, e.stream
            if kind is Case.ApplicationReceived:
                self.new_refs[stream] = e.ref
            elif kind in HANDLERS:
                if stream not in self.new_refs:
                    self.cases.add(stream)
                if kind is Case.ComplaintRecorded:
                    born.add(("c", stream, e.complaint_id))
                elif kind is Case.ComplaintCorrected:
                    if ("c", stream, e.complaint_id) not in born:
                        self.complaints.add((stream, e.complaint_id))
                elif kind is Case.ActionPlanStepAgreed:
                    born.add(("a", stream, e.action_id))
                elif kind is Case.ActionPlanStepCompleted:
                    if ("a", stream, e.action_id) not in born:
                        self.actions.add((stream, e.action_id))
            elif kind is Deadline.DeadlineScheduled or kind is Letter.LetterQueued:
                born.add(stream)
            elif kind in DEADLINE_CHANGES:
                if stream not in born:
                    self.deadlines.add(stream)
            elif kind in LETTER_CHANGES and stream not in born:
                self.letters.add(stream)


class BatchWriter:
    """Applies batches of events to one set of read-model tables (statements built once)."""

    def __init__(self, t: ProjectionTables) -> None:
        tables = t.by_name()
        self.tables = {name: tables[name] for name in DIGESTED}
        self.key_columns = {
            name: [c.name for c in table.primary_key.columns]
            for name, table in self.tables.items()
        }
        self.select: dict[str, Select[Any]] = {}
        self.delete: dict[str, Delete] = {}
        for name, table in self.tables.items():
            self.select[name] = select(table).where(self._key_in(name))
            self.delete[name] = table.delete().where(self._key_in(name))
        self.cases_by_stream = select(t.cases).where(
            t.cases.c.case_id.in_(bindparam("keys", expanding=True))
        )
        self._sqlite_rows: dict[str, SQLiteRows] = {}

    def _key_in(self, name: str) -> ColumnElement[bool]:
        cols = list(self.tables[name].primary_key.columns)
        keys: BindParameter[Any] = bindparam("keys", expanding=True)
        return cols[0].in_(keys) if len(cols) == 1 else tuple_(*cols).in_(keys)

    def key_of(self, name: str, row: Row) -> Key:
        cols = self.key_columns[name]
        return row[cols[0]] if len(cols) == 1 else tuple(row[c] for c in cols)

    def apply(self, conn: Connection, events: Sequence[Change]) -> None:
        """Apply the events, in order, in the caller's transaction."""
        batch = Batch()
        self._load(conn, batch, Wanted(events))
        for e in events:
            batch.apply(e)
        self.write(conn, batch)

    def _load(self, conn: Connection, batch: Batch, wanted: Wanted) -> None:
        for row in self._fetch(conn, self.cases_by_stream, wanted.cases):
            batch.load("cases", row["ref"], row)
            batch.refs[row["case_id"]] = row["ref"]
        self._load_rows(conn, batch, "deadlines", wanted.deadlines)
        self._load_rows(conn, batch, "letters", wanted.letters)
        refs = {**batch.refs, **wanted.new_refs}
        for name, pairs in (
            ("complaints", wanted.complaints),
            ("actions", wanted.actions),
        ):
            keys = {(refs[s], item) for s, item in pairs if s in refs}
            self._load_rows(conn, batch, name, keys)

    def _load_rows(
        self, conn: Connection, batch: Batch, name: str, keys: set[Any]
    ) -> None:
        for row in self._fetch(conn, self.select[name], keys):
            batch.load(name, self.key_of(name, row), row)

    def fetch(self, conn: Connection, name: str, key: Key) -> Row | None:
        """One row by its primary key, or None."""
        for row in self._fetch(conn, self.select[name], {key}):
            return row
        return None

    def _fetch(
        self, conn: Connection, query: Select[Any], keys: set[Any]
    ) -> Iterator[Row]:
        for chunk in _chunks(sorted(keys)):
            for found in conn.execute(query, {"keys": chunk}).mappings():
                yield dict(found)

    def write(self, conn: Connection, batch: Batch) -> None:
        """Write the rows the batch touched: new ones inserted, stored ones changed."""
        for name in DIGESTED:
            touched = batch.touched[name]
            if not touched:
                continue
            rows, stored = batch.rows[name], batch.stored[name]
            # In key order: neighbouring index entries, so fewer pages written.
            changed = sorted(k for k in touched if k in stored)
            new = sorted(k for k in touched if k not in stored)
            if conn.dialect.name == "postgresql":
                for chunk in _chunks(changed):
                    conn.execute(self.delete[name], {"keys": chunk})
                self._copy(conn, name, [rows[k] for k in (*changed, *new)])
            else:
                writer = self._sqlite(conn, name)
                writer.update(conn, [(rows[k], stored[k]) for k in changed])
                writer.insert(conn, [rows[k] for k in new])

    def _sqlite(self, conn: Connection, name: str) -> SQLiteRows:
        found = self._sqlite_rows.get(name)
        if found is None:
            found = SQLiteRows(self.tables[name], conn.dialect)
            self._sqlite_rows[name] = found
        return found

    def _copy(self, conn: Connection, name: str, rows: Any) -> None:
        """PostgreSQL: the rows through COPY on the transaction's own connection (several
        times faster than even a pipelined executemany); driver errors come out as
        SQLAlchemy's, as from any statement."""
        import psycopg
        from psycopg import sql

        table = self.tables[name]
        translate = conn.get_execution_options().get("schema_translate_map") or {}
        schema = translate.get(None)
        target = (
            sql.Identifier(schema, table.name) if schema else sql.Identifier(table.name)
        )
        cols = [c.name for c in table.columns]
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            target, sql.SQL(", ").join(map(sql.Identifier, cols))
        )
        driver: Any = conn.connection.driver_connection  # the psycopg connection
        try:
            with driver.cursor() as cursor, cursor.copy(stmt) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in cols])
        except psycopg.Error as exc:
            raise DBAPIError.instance(
                stmt.as_string(driver), None, exc, psycopg.Error, dialect=conn.dialect
            ) from exc


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
