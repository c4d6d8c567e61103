"""The chained SQLite recorder: `stored_events` plus `event_chain` and `event_chain_origin`,
append-only by triggers.

See `casereview.adapters.ledger` for the chain. Writers are serialised by SQLite's write lock, which the
library's transaction holds from the events' INSERT on, so the previous chain value read after
it is the latest one.

Opening the store checks, with reads only, that every table and trigger is there and that the
latest event has the latest chain row; only when something is missing does it take the write
lock (BEGIN IMMEDIATE) to create it, backfill a store written before the chain, or refuse one
whose chain was removed, deciding from what exists inside that transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, PersistenceError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
)

from casereview.adapters.ledger import (
    APPEND_ONLY_MESSAGE,
    BATCH_SIZE,
    GENESIS,
    AuditRow,
    ChainInput,
    ChainOrigin,
    ChainRemoved,
    ChainState,
    broken_head_message,
    chain_values,
    dropped_chain_message,
    merge_orphan,
    removed_chain_message,
)

STREAMS_PER_QUERY = 500
"""Streams named in one IN (...) list (SQLite allows 32,766 variables; this keeps a query small)."""


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLiteApplicationRecorder that writes the SHA-256 chain with every event."""

    chain_table_name = "event_chain"
    origin_table_name = "event_chain_origin"
    positions_are_contiguous = True
    """A new row takes the largest rowid plus one (no AUTOINCREMENT, and a rolled-back insert
    leaves nothing), so a gap in this log's positions means rows were deleted."""

    def __init__(
        self,
        datastore: SQLiteDatastore,
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name)
        events, chain = self.events_table_name, self.chain_table_name
        origin = self.origin_table_name
        self.select_head_statement = (
            f"SELECT position, chain FROM {chain} ORDER BY position DESC LIMIT 1"  # noqa: S608
        )
        self.select_rows_statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {events} WHERE rowid>? ORDER BY rowid LIMIT ?"
        )
        self.insert_chain_statement = (
            f"INSERT INTO {chain} (position, chain) VALUES (?, ?)"  # noqa: S608
        )
        self.select_audit_statement = (
            "SELECT e.rowid AS position, e.originator_id, e.originator_version, "  # noqa: S608
            f"e.topic, e.state, c.chain FROM {events} e "
            f"LEFT JOIN {chain} c ON c.position = e.rowid "
            "WHERE e.rowid>? ORDER BY e.rowid LIMIT ?"
        )
        self.select_unchained_audit_statement = (
            "SELECT rowid AS position, originator_id, originator_version, "  # noqa: S608
            f"topic, state, NULL AS chain FROM {events} "
            "WHERE rowid>? ORDER BY rowid LIMIT ?"
        )
        self.select_first_orphan_statement = (
            f"SELECT MIN(c.position) FROM {chain} c WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {events} e WHERE e.rowid = c.position)"
        )
        self.select_ends_statement = (
            f"SELECT (SELECT MAX(rowid) FROM {events}) AS last_event, "  # noqa: S608
            f"(SELECT MAX(position) FROM {chain}) AS last_chain"
        )
        self.select_unchained_statement = (
            "SELECT COUNT(*) AS missing, MIN(e.rowid) AS first "  # noqa: S608
            f"FROM {events} e WHERE NOT EXISTS "
            f"(SELECT 1 FROM {chain} c WHERE c.position = e.rowid)"
        )
        self.select_origin_statement = (
            f"SELECT recorded_at, backfilled FROM {origin} WHERE id = 1"  # noqa: S608
        )
        self.insert_origin_statement = (
            f"INSERT INTO {origin} (id, recorded_at, backfilled) "  # noqa: S608
            "VALUES (1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, "
            "chain CHAR(64) NOT NULL)"
        )
        # One row: when the chain was started on this store. It is what tells a store that
        # has held a chain (refused if its chain is gone) from one written before the chain
        # (backfilled).
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.origin_table_name} ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), "
            "recorded_at TEXT NOT NULL, "
            "backfilled INTEGER)"
        )
        for table in self._guarded():
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    "CREATE TRIGGER IF NOT EXISTS "
                    f"{table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
                )
        return statements

    def _guarded(self) -> tuple[str, str, str]:
        # construct_create_table_statements runs inside the library's __init__, before ours.
        return (self.events_table_name, self.chain_table_name, self.origin_table_name)

    def _schema_names(self) -> set[str]:
        names = set(self._guarded())
        for table in self._guarded():
            names |= {f"{table}_no_update", f"{table}_no_delete"}
        return names

    # ----- opening ----------------------------------------------------------------------

    def create_table(self) -> None:
        """Check the chain with reads only; create, backfill or refuse under the write lock
        only when something is missing."""
        with self.datastore.transaction(commit=False) as c:
            if self._existing(c) == self._schema_names() and self._origin(c):
                self._check_ends(c)
                return
        try:
            with self.datastore.get_connection(commit=True) as conn:
                cursor = conn.cursor()
                cursor.execute("BEGIN IMMEDIATE")  # take the write lock before reading
                try:
                    self._settle(cursor)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        except sqlite3.Error as exc:
            raise PersistenceError(exc) from exc

    def _settle(self, c: SQLiteCursor) -> None:
        existed = self._existing(c)
        chain_existed = self.chain_table_name in existed
        origin_existed = self.origin_table_name in existed
        if not chain_existed and origin_existed:
            raise ChainRemoved(dropped_chain_message(self._origin(c)))
        self._create_table(c)
        if not chain_existed:  # a new store, or one written before the chain
            c.execute(self.insert_origin_statement, (self._backfill(c),))
            return
        if self._origin(c) is None:  # chained before the origin was recorded
            c.execute(self.insert_origin_statement, (None,))
        self._check_ends(c)

    def _existing(self, c: SQLiteCursor) -> set[str]:
        names = sorted(self._schema_names())
        c.execute(
            "SELECT name FROM sqlite_master WHERE name IN "  # noqa: S608
            f"({','.join('?' * len(names))})",
            names,
        )
        return {row["name"] for row in c.fetchall()}

    def _origin(self, c: SQLiteCursor) -> ChainOrigin | None:
        c.execute(self.select_origin_statement)
        row = c.fetchone()
        return ChainOrigin(row["recorded_at"], row["backfilled"]) if row else None

    def _check_ends(self, c: SQLiteCursor) -> None:
        """Refuse a store whose latest event has no chain row (the chain was emptied or cut
        short): two index lookups on every open; `log verify` finds holes further back."""
        c.execute(self.select_ends_statement)
        ends = c.fetchone()
        last_event, last_chain = ends["last_event"], ends["last_chain"]
        if last_event == last_chain:
            return
        if last_chain is None or (last_event is not None and last_chain < last_event):
            c.execute(self.select_unchained_statement)
            missing = c.fetchone()
            raise ChainRemoved(
                removed_chain_message(missing["missing"], missing["first"])
            )
        raise ChainRemoved(broken_head_message(last_event, last_chain))

    def _backfill(self, c: SQLiteCursor) -> int:
        """Chain every event of a store written before the chain existed; how many."""
        previous, after, chained = GENESIS, 0, 0
        while True:
            c.execute(self.select_rows_statement, (after, BATCH_SIZE))
            rows = c.fetchall()
            if not rows:
                return chained
            previous = self._insert_chain(
                c,
                previous,
                [
                    (
                        row["rowid"],
                        self.convert_originator_id(row["originator_id"]),
                        row["originator_version"],
                        row["topic"],
                        row["state"],
                    )
                    for row in rows
                ],
            )
            after = rows[-1]["rowid"]
            chained += len(rows)

    # ----- writing ----------------------------------------------------------------------

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[Any],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [
                (
                    s.originator_id.hex
                    if isinstance(s.originator_id, UUID)
                    else s.originator_id,
                    s.originator_version,
                    s.topic,
                    s.state,
                )
                for s in stored_events
            ],
        )
        # This transaction holds the write lock from the first INSERT, and SQLite gives a new
        # row the largest rowid so far plus one, so the rows just inserted are the last
        # len(stored_events) positions, in order.
        c.execute(self.select_max_notification_id_statement)
        last = int(c.fetchone()[0])
        positions = list(range(last - len(stored_events) + 1, last + 1))
        c.execute(self.select_head_statement)
        head = c.fetchone()
        # The chain continues only from the latest event: a chain whose head row is gone is
        # never continued (nor re-chained) over what is left.
        before = positions[0] - 1
        head_position = head["position"] if head is not None else None
        if (head_position or 0) != before:
            raise ChainRemoved(broken_head_message(before or None, head_position))
        previous = head["chain"] if head is not None else GENESIS
        self._insert_chain(
            c,
            previous,
            [
                (p, s.originator_id, s.originator_version, s.topic, s.state)
                for p, s in zip(positions, stored_events, strict=True)
            ],
        )
        return positions

    def _insert_chain(
        self, c: SQLiteCursor, previous: str, rows: Sequence[ChainInput]
    ) -> str:
        values = chain_values(previous, rows)
        c.executemany(
            self.insert_chain_statement,
            zip([row[0] for row in rows], values, strict=True),
        )
        return values[-1] if values else previous

    # ----- reading ----------------------------------------------------------------------

    def chain_head(self) -> str:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_head_statement)
            head = c.fetchone()
            return str(head["chain"]) if head is not None else GENESIS

    def chain_state(self) -> ChainState:
        with self.datastore.transaction(commit=False) as c:
            existing = self._existing(c)
            origin_table = self.origin_table_name in existing
            return ChainState(
                events_table=self.events_table_name in existing,
                chain_table=self.chain_table_name in existing,
                origin_table=origin_table,
                origin=self._origin(c) if origin_table else None,
            )

    def positions(self, originator_id: UUID) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, rowid FROM {self.events_table_name} "  # noqa: S608
                "WHERE originator_id = ?",
                (originator_id.hex,),
            )
            return {int(row[0]): int(row[1]) for row in c.fetchall()}

    def select_streams(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(originator_ids), STREAMS_PER_QUERY):
                ids = [i.hex for i in originator_ids[start : start + STREAMS_PER_QUERY]]
                c.execute(
                    "SELECT originator_id, originator_version, topic, state "  # noqa: S608
                    f"FROM {self.events_table_name} WHERE originator_id IN "
                    f"({','.join('?' * len(ids))}) "
                    "ORDER BY originator_id, originator_version",
                    ids,
                )
                found += [
                    StoredEvent(
                        originator_id=self.convert_originator_id(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in c.fetchall()
                ]
        return found

    def audit_rows(self, batch_size: int = BATCH_SIZE) -> Iterator[AuditRow]:
        with self.datastore.transaction(
            commit=False
        ) as c:  # one snapshot for the whole walk
            if self.chain_table_name not in self._existing(c):
                yield from self._walk(
                    c, batch_size, self.select_unchained_audit_statement
                )
                return
            c.execute(self.select_first_orphan_statement)
            first_orphan = c.fetchone()[0]
            yield from merge_orphan(
                self._walk(c, batch_size, self.select_audit_statement), first_orphan
            )

    def _walk(
        self, c: SQLiteCursor, batch_size: int, statement: str
    ) -> Iterator[AuditRow]:
        after = 0
        while True:
            c.execute(statement, (after, batch_size))
            rows = c.fetchall()
            for row in rows:
                yield AuditRow(
                    position=row["position"],
                    has_event=True,
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                    chain=row["chain"],
                )
            if len(rows) < batch_size:
                return
            after = rows[-1]["position"]
