"""The chained SQLite recorder: `stored_events` plus `event_chain`, append-only by triggers.

See `casereview.ledger` for the chain. Writers are serialised by SQLite's write lock, which the
library's transaction holds from the events' INSERT on, so the previous chain value read after
it is the latest one.
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

from casereview.ledger import (
    APPEND_ONLY_MESSAGE,
    BATCH_SIZE,
    GENESIS,
    AuditRow,
    ChainInput,
    chain_values,
    merge_orphan,
)

STREAMS_PER_QUERY = 500
"""Streams named in one IN (...) list (SQLite allows 32,766 variables; this keeps a query small)."""


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLiteApplicationRecorder that writes the SHA-256 chain with every event."""

    chain_table_name = "event_chain"

    def __init__(
        self,
        datastore: SQLiteDatastore,
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name)
        events, chain = self.events_table_name, self.chain_table_name
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
        self.select_first_orphan_statement = (
            f"SELECT MIN(c.position) FROM {chain} c WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {events} e WHERE e.rowid = c.position)"
        )

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, "
            "chain CHAR(64) NOT NULL)"
        )
        for table in (self.events_table_name, self.chain_table_name):
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    "CREATE TRIGGER IF NOT EXISTS "
                    f"{table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
                )
        return statements

    def create_table(self) -> None:
        super().create_table()
        self.backfill_chain()

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

    def backfill_chain(self) -> int:
        """Chain every event of a store written before the chain existed (chain table empty,
        events present), in one transaction. Returns how many events were chained."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_head_statement)
            if c.fetchone() is not None:
                return 0
            if not self._max_notification_id(c):
                return 0
        try:
            with self.datastore.get_connection(commit=True) as conn:
                cursor = conn.cursor()
                cursor.execute("BEGIN IMMEDIATE")  # take the write lock before reading
                try:
                    chained = self._backfill(cursor)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        except sqlite3.Error as exc:
            raise PersistenceError(exc) from exc
        return chained

    def _backfill(self, c: SQLiteCursor) -> int:
        c.execute(self.select_head_statement)
        if c.fetchone() is not None:
            return 0  # another process backfilled first
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

    # ----- reading ----------------------------------------------------------------------

    def chain_head(self) -> str:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_head_statement)
            head = c.fetchone()
            return str(head["chain"]) if head is not None else GENESIS

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
            c.execute(self.select_first_orphan_statement)
            first_orphan = c.fetchone()[0]
            yield from merge_orphan(self._walk(c, batch_size), first_orphan)

    def _walk(self, c: SQLiteCursor, batch_size: int) -> Iterator[AuditRow]:
        after = 0
        while True:
            c.execute(self.select_audit_statement, (after, batch_size))
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
