"""The chained PostgreSQL recorder: `<app>_events` plus `<app>_event_chain` and
`<app>_event_chain_origin` in the same schema, append-only by triggers that fire ALWAYS (so a
session with `session_replication_role = replica`, which skips ordinary triggers, is refused too).

See `casereview.adapters.ledger` for the chain. The library runs every insert as: LOCK TABLE events IN
EXCLUSIVE MODE, INSERT ... RETURNING notification_id, then `_fetch_ids_after_insert_events`,
all in one transaction. The chain rows are written in that hook, so the previous chain value is
read while the table lock serialises every writer, and a failed insert writes no chain row.

Table creation is idempotent and, once done, touches no catalog row and takes no lock on the
events table: the trigger function, the triggers, their ALWAYS mode and the chain's `previous`
column are created or set by a DO block only when missing (or when the function's body
differs). In the same transaction, a store whose chain table did not exist is backfilled (under
the events table's lock), and one whose chain was removed is refused (`ChainRemoved`), never
re-chained. The first creation must still be serialised across processes (casereview.adapters.store.ddl_lock),
as the library's own CREATE TABLE IF NOT EXISTS must.
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

TRIGGER_BODY = (
    "BEGIN RAISE EXCEPTION USING MESSAGE = "
    f"'{APPEND_ONLY_MESSAGE} (' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused)'; "
    "END"
)


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgresApplicationRecorder that writes the SHA-256 chain with every event."""

    positions_are_contiguous = False
    """A transaction that rolls back (a conflict, say) leaves the positions it took unused."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        base = events_table_name.removesuffix("_events")
        self.chain_table_name = f"{base}_event_chain"
        self.origin_table_name = f"{base}_event_chain_origin"
        self.trigger_function_name = f"{base}_append_only"
        self.check_identifier_length(self.chain_table_name)
        self.check_identifier_length(self.origin_table_name)
        self.check_identifier_length(self.trigger_function_name)
        schema = Identifier(self.datastore.schema)
        events = Identifier(self.events_table_name)
        chain = Identifier(self.chain_table_name)
        origin = Identifier(self.origin_table_name)
        # `previous`: the position the row's event was chained onto (0 for the first). It is
        # not hashed; it only lets `verify_log` name an event removed before a gap as removed.
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "position bigint PRIMARY KEY, "
                "chain char(64) NOT NULL, "
                "previous bigint)"
            ).format(schema=schema, chain=chain)
        )
        # One row: when the chain was started on this store. It is what tells a store that
        # has held a chain (refused if its chain is gone) from one written before the chain
        # (backfilled).
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{origin} ("
                "id smallint PRIMARY KEY CHECK (id = 1), "
                "recorded_at text NOT NULL, "
                "backfilled bigint)"
            ).format(schema=schema, origin=origin)
        )
        self.sql_create_statements.append(self._guard_statement())

        self.select_head_statement = SQL(
            "SELECT position, chain FROM {schema}.{chain} ORDER BY position DESC LIMIT 1"
        ).format(schema=schema, chain=chain)
        self.select_head_and_before_statement = SQL(
            "SELECT h.position, h.chain, (SELECT MAX(notification_id) "
            "FROM {schema}.{events} WHERE notification_id < %s) AS before "
            "FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT position, chain "
            "FROM {schema}.{chain} ORDER BY position DESC LIMIT 1) AS h ON true"
        ).format(schema=schema, chain=chain, events=events)
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
            "INSERT INTO {schema}.{chain} (position, chain, previous) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])"
        ).format(schema=schema, chain=chain)
        self.select_any_event_statement = SQL(
            "SELECT EXISTS (SELECT 1 FROM {schema}.{events}) AS found"
        ).format(schema=schema, events=events)
        self.select_tables_statement = SQL(
            "SELECT to_regclass({events}) IS NOT NULL AS events, "
            "to_regclass({chain}) IS NOT NULL AS chain, "
            "to_regclass({origin}) IS NOT NULL AS origin"
        ).format(
            events=Literal(
                Identifier(self.datastore.schema, events_table_name).as_string()
            ),
            chain=Literal(
                Identifier(self.datastore.schema, self.chain_table_name).as_string()
            ),
            origin=Literal(
                Identifier(self.datastore.schema, self.origin_table_name).as_string()
            ),
        )
        self.select_origin_statement = SQL(
            "SELECT recorded_at, backfilled FROM {schema}.{origin} WHERE id = 1"
        ).format(schema=schema, origin=origin)
        self.insert_origin_statement = SQL(
            "INSERT INTO {schema}.{origin} (id, recorded_at, backfilled) VALUES (1, "
            "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), %s)"
        ).format(schema=schema, origin=origin)
        self.select_ends_statement = SQL(
            "SELECT (SELECT MAX(notification_id) FROM {schema}.{events}) AS last_event, "
            "(SELECT MAX(position) FROM {schema}.{chain}) AS last_chain"
        ).format(schema=schema, chain=chain, events=events)
        self.select_unchained_statement = SQL(
            "SELECT COUNT(*) AS missing, MIN(e.notification_id) AS first "
            "FROM {schema}.{events} e WHERE NOT EXISTS "
            "(SELECT 1 FROM {schema}.{chain} c WHERE c.position = e.notification_id)"
        ).format(schema=schema, chain=chain, events=events)
        self.select_audit_statement = SQL(
            "SELECT e.notification_id AS position, e.originator_id, e.originator_version, "
            "e.topic, e.state, c.chain, c.previous FROM {schema}.{events} e "
            "LEFT JOIN {schema}.{chain} c ON c.position = e.notification_id "
            "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
        ).format(schema=schema, chain=chain, events=events)
        self.select_unchained_audit_statement = SQL(
            "SELECT notification_id AS position, originator_id, originator_version, "
            "topic, state, NULL::text AS chain, NULL::bigint AS previous "
            "FROM {schema}.{events} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, events=events)
        self.select_first_orphan_statement = SQL(
            "SELECT MIN(c.position) AS first FROM {schema}.{chain} c WHERE NOT EXISTS "
            "(SELECT 1 FROM {schema}.{events} e WHERE e.notification_id = c.position)"
        ).format(schema=schema, chain=chain, events=events)

    def _guard_statement(self) -> Composed:
        """One DO block: the trigger function, the chain's `previous` column, and the
        UPDATE/DELETE/TRUNCATE triggers on the three tables, each created only when missing
        and set to fire ALWAYS when it does not (a store from before, or a trigger disabled)."""
        schema_name = self.datastore.schema
        function = Identifier(schema_name, self.trigger_function_name)
        create_function = SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
            "LANGUAGE plpgsql AS {body}"
        ).format(function=function, body=Literal(TRIGGER_BODY))
        chain = Identifier(schema_name, self.chain_table_name)
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
            ),
            SQL(
                "IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE "
                "attrelid = to_regclass({table}) AND attname = 'previous' "
                "AND NOT attisdropped) THEN EXECUTE {add}; END IF;"
            ).format(
                table=Literal(chain.as_string()),
                add=Literal(
                    SQL("ALTER TABLE {chain} ADD COLUMN previous bigint")
                    .format(chain=chain)
                    .as_string()
                ),
            ),
        ]
        for table_name in (
            self.events_table_name,
            self.chain_table_name,
            self.origin_table_name,
        ):
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
                always = SQL(
                    "ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}"
                ).format(table=table, trigger=Identifier(trigger))
                parts.append(
                    SQL(
                        "IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE "
                        "tgrelid = to_regclass({table}) AND tgname = {trigger}) "
                        "THEN EXECUTE {create}; END IF; "
                        "IF EXISTS (SELECT 1 FROM pg_trigger WHERE "
                        "tgrelid = to_regclass({table}) AND tgname = {trigger} "
                        "AND tgenabled <> 'A') THEN EXECUTE {always}; END IF;"
                    ).format(
                        table=Literal(table.as_string()),
                        trigger=Literal(trigger),
                        create=Literal(create_trigger.as_string()),
                        always=Literal(always.as_string()),
                    )
                )
        return SQL("DO $casereview$ BEGIN {parts} END $casereview$").format(
            parts=SQL(" ").join(parts)
        )

    # ----- opening ----------------------------------------------------------------------

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # What existed before this transaction decides between backfill and refusal.
        curs.execute(self.select_tables_statement)
        before = curs.fetchone()
        assert before is not None  # noqa: S101 - a SELECT without FROM has one row
        super()._create_table(curs)
        self._settle(
            curs, chain_existed=before["chain"], origin_existed=before["origin"]
        )

    def _settle(
        self, curs: Cursor[DictRow], *, chain_existed: bool, origin_existed: bool
    ) -> None:
        if not chain_existed and origin_existed:
            raise ChainRemoved(dropped_chain_message(self._origin(curs)))
        if not chain_existed:  # a new store, or one written before the chain
            curs.execute(self.insert_origin_statement, (self._backfill(curs),))
            return
        if self._origin(curs) is None:  # chained before the origin was recorded
            curs.execute(self.insert_origin_statement, (None,))
        self._check_ends(curs)

    def _origin(self, curs: Cursor[DictRow]) -> ChainOrigin | None:
        curs.execute(self.select_origin_statement)
        row = curs.fetchone()
        return ChainOrigin(row["recorded_at"], row["backfilled"]) if row else None

    def _check_ends(self, curs: Cursor[DictRow]) -> None:
        """Refuse a store whose latest event has no chain row (the chain was emptied or cut
        short): two index lookups on every open; `log verify` finds holes further back."""
        curs.execute(self.select_ends_statement)
        ends = curs.fetchone()
        assert ends is not None  # noqa: S101 - a SELECT without FROM has one row
        last_event, last_chain = ends["last_event"], ends["last_chain"]
        if last_event == last_chain:
            return
        if last_chain is None or (last_event is not None and last_chain < last_event):
            curs.execute(self.select_unchained_statement)
            missing = curs.fetchone()
            assert missing is not None  # noqa: S101 - an aggregate has one row
            raise ChainRemoved(
                removed_chain_message(missing["missing"], missing["first"])
            )
        raise ChainRemoved(broken_head_message(last_event, last_chain))

    def _backfill(self, curs: Cursor[DictRow]) -> int:
        """Chain every event of a store written before the chain existed, holding the events
        table's lock; how many."""
        curs.execute(self.select_any_event_statement)
        found = curs.fetchone()
        if found is None or not found["found"]:
            return 0
        self._lock_table(curs)
        previous, previous_position = GENESIS, 0
        after, chained = 0, 0
        while True:
            curs.execute(self.select_rows_statement, (after, BATCH_SIZE))
            rows = curs.fetchall()
            if not rows:
                return chained
            previous = self._insert_chain(
                curs,
                previous,
                previous_position,
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
            after = previous_position = rows[-1]["notification_id"]
            chained += len(rows)

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
        # The table lock taken before the INSERT is held, so this head is the latest, and
        # it must be the chain row of the event before these: a chain whose head row is gone
        # is never continued (nor re-chained) over what is left.
        curs.execute(
            self.select_head_and_before_statement, (min(positions),), prepare=True
        )
        head = curs.fetchone()
        assert head is not None  # noqa: S101 - a SELECT ... LEFT JOIN has one row
        if head["position"] != head["before"]:
            raise ChainRemoved(broken_head_message(head["before"], head["position"]))
        self._insert_chain(
            curs,
            head["chain"] if head["chain"] is not None else GENESIS,
            head["position"] or 0,  # 0: the first event, chained onto GENESIS
            sorted(
                (p, s.originator_id, s.originator_version, s.topic, s.state)
                for p, s in zip(positions, stored_events, strict=True)
            ),
        )
        return positions

    def _insert_chain(
        self,
        curs: Cursor[DictRow],
        previous: str,
        previous_position: int,
        rows: Sequence[ChainInput],
    ) -> str:
        if not rows:
            return previous
        values = chain_values(previous, rows)
        positions = [row[0] for row in rows]
        curs.execute(
            self.insert_chain_statement,
            (positions, values, [previous_position, *positions[:-1]]),
            prepare=True,
        )
        return values[-1]

    # ----- reading ----------------------------------------------------------------------

    def chain_head(self) -> str:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_head_statement)
            row = curs.fetchone()
            return str(row["chain"]) if row is not None else GENESIS

    def chain_state(self) -> ChainState:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_tables_statement)
            found = curs.fetchone()
            assert found is not None  # noqa: S101 - a SELECT without FROM has one row
            return ChainState(
                events_table=found["events"],
                chain_table=found["chain"],
                origin_table=found["origin"],
                origin=self._origin(curs) if found["origin"] else None,
            )

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
            curs.execute(self.select_tables_statement)
            tables = curs.fetchone()
            if tables is None or not tables["chain"]:
                yield from self._walk(
                    curs, batch_size, self.select_unchained_audit_statement
                )
                return
            curs.execute(self.select_first_orphan_statement)
            found = curs.fetchone()
            first_orphan = found["first"] if found is not None else None
            yield from merge_orphan(
                self._walk(curs, batch_size, self.select_audit_statement), first_orphan
            )

    def _walk(
        self, curs: Cursor[DictRow], batch_size: int, statement: Composed
    ) -> Iterator[AuditRow]:
        after = 0
        while True:
            curs.execute(statement, (after, batch_size))
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
                    previous=row["previous"],
                )
            if len(rows) < batch_size:
                return
            after = rows[-1]["position"]
