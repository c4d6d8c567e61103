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

from eventsourcing.persistence import OperationalError, PersistenceError
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
    merge_orphan,
    next_chain,
)


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
        self.select_range_statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {events} WHERE rowid>=? AND rowid<=? ORDER BY rowid"
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
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if notification_ids:
            self._chain_positions(c, list(notification_ids))
        return notification_ids

    def _chain_positions(self, c: SQLiteCursor, positions: list[int]) -> None:
        """Write the chain rows of the events just inserted at `positions` (in this
        transaction), reading them back as stored."""
        c.execute(self.select_head_statement)
        head = c.fetchone()
        previous = head["chain"] if head is not None else GENESIS
        first, last = min(positions), max(positions)
        c.execute(self.select_range_statement, (first, last))
        wanted = set(positions)
        rows = [row for row in c.fetchall() if row["rowid"] in wanted]
        self._insert_chain(c, previous, rows)

    def _insert_chain(self, c: SQLiteCursor, previous: str, rows: list[Any]) -> str:
        params = []
        for row in rows:
            previous = next_chain(
                previous,
                row["rowid"],
                self.convert_originator_id(row["originator_id"]),
                row["originator_version"],
                row["topic"],
                row["state"],
            )
            params.append((row["rowid"], previous))
        c.executemany(self.insert_chain_statement, params)
        return previous

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
            previous = self._insert_chain(c, previous, rows)
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
