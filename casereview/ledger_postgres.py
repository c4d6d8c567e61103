"""The chained PostgreSQL recorder: `<app>_events` plus `<app>_event_chain` in the same schema,
append-only by triggers.

See `casereview.ledger` for the chain. The library runs every insert as: LOCK TABLE events IN
EXCLUSIVE MODE, INSERT ... RETURNING notification_id, then `_fetch_ids_after_insert_events`,
all in one transaction. The chain rows are written in that hook, so the previous chain value is
read while the table lock serialises every writer, and a failed insert writes no chain row.

Table creation is idempotent and, once done, touches no catalog row and takes no lock on the
events table: the trigger function and triggers are created by a DO block only when missing (or
when the function's body differs). The first creation must still be serialised across processes
(bootstrap.ddl_lock), as the library's own CREATE TABLE IF NOT EXISTS must.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from casereview.ledger import (
    APPEND_ONLY_MESSAGE,
    BATCH_SIZE,
    GENESIS,
    AuditRow,
    ChainInput,
    chain_values,
    merge_orphan,
)

TRIGGER_BODY = (
    "BEGIN RAISE EXCEPTION USING MESSAGE = "
    f"'{APPEND_ONLY_MESSAGE} (' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused)'; "
    "END"
)


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgresApplicationRecorder that writes the SHA-256 chain with every event."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        base = events_table_name.removesuffix("_events")
        self.chain_table_name = f"{base}_event_chain"
        self.trigger_function_name = f"{base}_append_only"
        self.check_identifier_length(self.chain_table_name)
        self.check_identifier_length(self.trigger_function_name)
        schema = Identifier(self.datastore.schema)
        events = Identifier(self.events_table_name)
        chain = Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "position bigint PRIMARY KEY, "
                "chain char(64) NOT NULL)"
            ).format(schema=schema, chain=chain)
        )
        self.sql_create_statements.append(self._guard_statement())

        self.select_head_statement = SQL(
            "SELECT position, chain FROM {schema}.{chain} ORDER BY position DESC LIMIT 1"
        ).format(schema=schema, chain=chain)
        # Four plain arrays rather than the library's array of a composite type, which
        # psycopg builds row by row in Python (most of an import's time on PostgreSQL). Each
        # new row's position comes back with its stream and version, so the chain is
        # computed from the events in hand rather than read back from the table.
        self.insert_columns_statement = SQL(
            "INSERT INTO {schema}.{events} "
            "(originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id, originator_id, originator_version"
        ).format(schema=schema, events=events)
        self.select_rows_statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{events} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, events=events)
        self.insert_chain_statement = SQL(
            "INSERT INTO {schema}.{chain} (position, chain) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[])"
        ).format(schema=schema, chain=chain)
        self.select_needs_backfill_statement = SQL(
            "SELECT NOT EXISTS (SELECT 1 FROM {schema}.{chain}) "
            "AND EXISTS (SELECT 1 FROM {schema}.{events}) AS needed"
        ).format(schema=schema, chain=chain, events=events)
        self.select_audit_statement = SQL(
            "SELECT e.notification_id AS position, e.originator_id, e.originator_version, "
            "e.topic, e.state, c.chain FROM {schema}.{events} e "
            "LEFT JOIN {schema}.{chain} c ON c.position = e.notification_id "
            "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
        ).format(schema=schema, chain=chain, events=events)
        self.select_first_orphan_statement = SQL(
            "SELECT MIN(c.position) AS first FROM {schema}.{chain} c WHERE NOT EXISTS "
            "(SELECT 1 FROM {schema}.{events} e WHERE e.notification_id = c.position)"
        ).format(schema=schema, chain=chain, events=events)

    def _guard_statement(self) -> Composed:
        """One DO block: the trigger function and the UPDATE/DELETE/TRUNCATE triggers on both
        tables, each created only when missing."""
        schema_name = self.datastore.schema
        function = Identifier(schema_name, self.trigger_function_name)
        create_function = SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
            "LANGUAGE plpgsql AS {body}"
        ).format(function=function, body=Literal(TRIGGER_BODY))
        parts: list[Composed] = [
            SQL(
                "IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = {schema} "
                "AND p.proname = {name} AND p.prosrc = {body}) "
                "THEN EXECUTE {create}; END IF;"
            ).format(
                schema=Literal(schema_name),
                name=Literal(self.trigger_function_name),
                body=Literal(TRIGGER_BODY),
                create=Literal(create_function.as_string()),
            )
        ]
        for table_name in (self.events_table_name, self.chain_table_name):
            table = Identifier(schema_name, table_name)
            for trigger, when in (
                (
                    "casereview_append_only",
                    "BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW",
                ),
                (
                    "casereview_no_truncate",
                    "BEFORE TRUNCATE ON {table} FOR EACH STATEMENT",
                ),
            ):
                create_trigger = SQL(
                    "CREATE TRIGGER {trigger} "
                    + when
                    + " EXECUTE FUNCTION {function}()"
                ).format(trigger=Identifier(trigger), table=table, function=function)
                parts.append(
                    SQL(
                        "IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE "
                        "tgrelid = to_regclass({table}) AND tgname = {trigger}) "
                        "THEN EXECUTE {create}; END IF;"
                    ).format(
                        table=Literal(table.as_string()),
                        trigger=Literal(trigger),
                        create=Literal(create_trigger.as_string()),
                    )
                )
        return SQL("DO $casereview$ BEGIN {parts} END $casereview$").format(
            parts=SQL(" ").join(parts)
        )

    def create_table(self) -> None:
        super().create_table()
        self.backfill_chain()

    # ----- writing ----------------------------------------------------------------------

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library's insert runs in pipeline mode, where a batch of thousands of events
        # can leave psycopg waiting on a reply to a query it has not finished sending (seen
        # here at 20,000 events; psycopg issue #685). A plain transaction costs a few round
        # trips a batch.
        if not stored_events:
            return []
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [s.originator_id for s in stored_events],
                [s.originator_version for s in stored_events],
                [s.topic for s in stored_events],
                [s.state for s in stored_events],
            ),
            prepare=True,
        )

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        position = {
            (row["originator_id"], row["originator_version"]): row["notification_id"]
            for row in curs.fetchall()
        }
        positions = [
            position[s.originator_id, s.originator_version] for s in stored_events
        ]
        # The table lock taken before the INSERT is held, so this head is the latest.
        curs.execute(self.select_head_statement, prepare=True)
        head = curs.fetchone()
        self._insert_chain(
            curs,
            head["chain"] if head is not None else GENESIS,
            sorted(
                (p, s.originator_id, s.originator_version, s.topic, s.state)
                for p, s in zip(positions, stored_events, strict=True)
            ),
        )
        return positions

    def _insert_chain(
        self, curs: Cursor[DictRow], previous: str, rows: Sequence[ChainInput]
    ) -> str:
        if not rows:
            return previous
        values = chain_values(previous, rows)
        curs.execute(
            self.insert_chain_statement,
            ([row[0] for row in rows], values),
            prepare=True,
        )
        return values[-1]

    def backfill_chain(self) -> int:
        """Chain every event of a store written before the chain existed (chain table empty,
        events present), in one transaction that holds the events table's lock. Returns how
        many events were chained."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_needs_backfill_statement)
            row = curs.fetchone()
            if row is None or not row["needed"]:
                return 0
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            curs.execute(self.select_needs_backfill_statement)
            row = curs.fetchone()
            if row is None or not row["needed"]:
                return 0  # another process backfilled first
            previous, after, chained = GENESIS, 0, 0
            while True:
                curs.execute(self.select_rows_statement, (after, BATCH_SIZE))
                rows = curs.fetchall()
                if not rows:
                    return chained
                previous = self._insert_chain(
                    curs,
                    previous,
                    [
                        (
                            row["notification_id"],
                            row["originator_id"],
                            row["originator_version"],
                            row["topic"],
                            bytes(row["state"]),
                        )
                        for row in rows
                    ],
                )
                after = rows[-1]["notification_id"]
                chained += len(rows)

    # ----- reading ----------------------------------------------------------------------

    def chain_head(self) -> str:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_head_statement)
            row = curs.fetchone()
            return str(row["chain"]) if row is not None else GENESIS

    def positions(self, originator_id: UUID) -> dict[int, int]:
        statement = SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (originator_id,))
            return {
                int(row["originator_version"]): int(row["notification_id"])
                for row in curs.fetchall()
            }

    def select_streams(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s::uuid[]) ORDER BY originator_id, originator_version"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (list(originator_ids),), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def audit_rows(self, batch_size: int = BATCH_SIZE) -> Iterator[AuditRow]:
        with self.datastore.transaction(commit=False) as curs:
            # One snapshot for the whole walk, so concurrent writers cannot make it disagree.
            curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            curs.execute(self.select_first_orphan_statement)
            found = curs.fetchone()
            first_orphan = found["first"] if found is not None else None
            yield from merge_orphan(self._walk(curs, batch_size), first_orphan)

    def _walk(self, curs: Cursor[DictRow], batch_size: int) -> Iterator[AuditRow]:
        after = 0
        while True:
            curs.execute(self.select_audit_statement, (after, batch_size))
            rows = curs.fetchall()
            for row in rows:
                yield AuditRow(
                    position=row["position"],
                    has_event=True,
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                    chain=row["chain"],
                )
            if len(rows) < batch_size:
                return
            after = rows[-1]["position"]
