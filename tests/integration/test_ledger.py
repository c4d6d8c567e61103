"""The tamper-evident log on SQLite and PostgreSQL: a SHA-256 chain written with every event,
`log verify`, append-only triggers, and the backfill of a store written before the chain."""

# The SQL below is built from the fixed table names of each store.
# ruff: noqa: S608

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

import casereview.adapters.ledger_postgres
import casereview.adapters.ledger_sqlite
from casereview.adapters.eventstore import CaseReviews
from casereview.adapters.ledger import (
    APPEND_ONLY_MESSAGE,
    GENESIS,
    RECORDER_TOPICS,
    ChainRemoved,
    canonical,
    chain_values,
    log_head,
    next_chain,
    verify_log,
)
from casereview.adapters.ledger_postgres import ChainedPostgresApplicationRecorder
from casereview.adapters.ledger_sqlite import ChainedSQLiteApplicationRecorder
from casereview.adapters.store import ddl_lock, parse_store_url
from casereview.cli import cli
from casereview.errors import Conflict
from casereview.services.cases import CaseService
from tests.conftest import PG_BASE, FixedClock

BY = "officer-1"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def receive(service: CaseService, name: str = "Zelda Quigley") -> str:
    return service.receive(
        area="gosport",
        received_on=date(2026, 10, 1),
        applicant_name=name,
        summary=f"{name} reports shouting from number 3",
        by=BY,
    )


def add_complaint(service: CaseService, ref: str, agency: str = "police") -> None:
    service.add_complaint(
        ref,
        agency=agency,
        incident_on=date(2026, 8, 10),
        reported_on=date(2026, 8, 11),
        by=BY,
    )


# ----- raw access to the store, past the library ---------------------------------------


def tables(db_url: str) -> tuple[str, str]:
    """(events table, chain table) of the store."""
    if db_url.startswith("sqlite"):
        return "stored_events", "event_chain"
    return "casereview_events", "casereview_event_chain"


@contextmanager
def raw(db_url: str) -> Iterator[Any]:
    """A DB-API connection to the store in autocommit mode (PostgreSQL: in the test schema)."""
    store = parse_store_url(db_url)
    if not store.is_postgres:
        conn = sqlite3.connect(store.env["SQLITE_DBNAME"], isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as pg:
        pg.execute(f'SET search_path TO "{store.schema}"')
        yield pg


def scalar(db_url: str, statement: str) -> Any:
    with raw(db_url) as conn:
        return conn.execute(statement).fetchone()[0]


def refused(db_url: str, statement: str) -> str:
    """Run a statement that must be refused; the database's message."""
    import psycopg

    with raw(db_url) as conn, pytest.raises((sqlite3.Error, psycopg.Error)) as caught:
        conn.execute(statement)
    return str(caught.value)


# ----- the chain ------------------------------------------------------------------------


def test_recorder_topics_name_the_chained_recorders_and_bootstrap_uses_them(db_url):
    assert RECORDER_TOPICS == {
        "eventsourcing.sqlite": get_topic(ChainedSQLiteApplicationRecorder),
        "eventsourcing.postgres": get_topic(ChainedPostgresApplicationRecorder),
    }
    store = parse_store_url(db_url)
    assert (
        store.env["APPLICATION_RECORDER_TOPIC"]
        == RECORDER_TOPICS[store.env["PERSISTENCE_MODULE"]]
    )


def test_canonical_form_is_length_prefixed_fields_and_the_chain_starts_from_zeros():
    record = canonical(7, "abc", 2, "t:X", b"{}")
    assert record == (
        b"\0\0\0\0\0\0\0\x017"
        b"\0\0\0\0\0\0\0\x03abc"
        b"\0\0\0\0\0\0\0\x012"
        b"\0\0\0\0\0\0\0\x03t:X"
        b"\0\0\0\0\0\0\0\x02{}"
    )
    import hashlib

    assert (
        next_chain(GENESIS, 7, "abc", 2, "t:X", b"{}")
        == hashlib.sha256(bytes(32) + record).hexdigest()
    )
    # Moving bytes between fields changes the record.
    assert canonical(7, "ab", 2, "ct:X", b"{}") != record


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 2**62),
            st.uuids() | st.text(),
            st.integers(1, 10**6),
            st.text(),
            st.binary(max_size=600),
        ),
        max_size=8,
    )
)
def test_the_writers_chain_values_are_next_chain_in_turn(rows: list[Any]) -> None:
    expected, previous = [], GENESIS
    for row in rows:
        previous = next_chain(previous, *row)
        expected.append(previous)
    assert chain_values(GENESIS, rows) == expected


def test_fresh_log_verifies_with_its_event_count_and_a_head_that_changes_with_every_save(
    service,
):
    empty = verify_log(service.app)
    assert empty.ok and empty.events == 0 and empty.head == GENESIS

    ref = receive(service)
    first = verify_log(service.app)
    add_complaint(service, ref)
    second = verify_log(service.app)

    stored = service.app.recorder.select_notifications(start=None, limit=1000)
    events = len(stored)
    assert second.ok and second.first_bad is None and second.reason is None
    assert second.events == events > first.events > 0
    assert HEX64.match(first.head) and HEX64.match(second.head)
    assert first.head != second.head != empty.head
    assert log_head(service.app) == second.head
    as_json = second.to_json()
    assert as_json == {
        "ok": True,
        "events": events,
        "head": second.head,
        "first_bad": None,
        "reason": None,
        "position": stored[-1].id,
        "chain_origin": as_json["chain_origin"],
    }
    assert (
        as_json["chain_origin"]["backfilled"] == 0
    )  # a new store: nothing predates it


def test_every_event_has_one_chain_row_at_its_position(service, db_url):
    ref = receive(service)
    add_complaint(service, ref)
    events, chain = tables(db_url)
    position = "rowid" if db_url.startswith("sqlite") else "notification_id"

    unchained = scalar(
        db_url,
        f"SELECT COUNT(*) FROM {events} e LEFT JOIN {chain} c "
        f"ON c.position = e.{position} WHERE c.position IS NULL",
    )
    assert unchained == 0
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == scalar(
        db_url, f"SELECT COUNT(*) FROM {events}"
    )


def test_a_save_that_fails_with_a_conflict_writes_no_chain_row(
    service, service_factory, db_url
):
    ref = receive(service)
    other = service_factory()
    first = service.app.get_case(ref)
    second = other.app.get_case(ref)
    for case, agency in ((first, "police"), (second, "council")):
        case.record_complaint(
            agency=agency,
            incident_on=date(2026, 9, 1),
            reported_on=date(2026, 9, 2),
            complainant=case.applicant,
            at=case.modified_on,
            by=BY,
        )
    service.app.save(first)
    _, chain = tables(db_url)
    rows_before = scalar(db_url, f"SELECT COUNT(*) FROM {chain}")
    head_before = log_head(service.app)

    with pytest.raises(IntegrityError):
        other.app.save(second)

    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == rows_before
    assert log_head(other.app) == head_before
    report = verify_log(other.app)
    assert report.ok and report.head == head_before


def test_concurrent_writers_keep_one_unbroken_chain(service_factory):
    services = [service_factory() for _ in range(3)]
    errors: list[BaseException] = []

    def write(service: CaseService, name: str) -> None:
        try:
            for i in range(5):
                for _ in range(20):  # writers race for the area's reference sequence
                    try:
                        ref = receive(service, f"{name} {i}")
                        break
                    except Conflict:
                        continue
                add_complaint(service, ref)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(s, f"Writer {n}"))
        for n, s in enumerate(services)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = verify_log(services[0].app)
    events = services[0].app.recorder.select_notifications(start=None, limit=1000)
    assert report.ok, report
    assert report.events == len(events)


# ----- append-only ----------------------------------------------------------------------


@pytest.mark.parametrize("table_index", [0, 1], ids=["events", "chain"])
def test_update_and_delete_are_refused_on_the_event_and_chain_tables(
    service, db_url, table_index
):
    receive(service)
    table = tables(db_url)[table_index]
    column = "topic" if table_index == 0 else "chain"

    assert APPEND_ONLY_MESSAGE in refused(
        db_url, f"UPDATE {table} SET {column} = {column}"
    )
    assert APPEND_ONLY_MESSAGE in refused(db_url, f"DELETE FROM {table}")
    if not db_url.startswith("sqlite"):
        assert APPEND_ONLY_MESSAGE in refused(db_url, f"TRUNCATE {table}")
    assert verify_log(service.app).ok


# ----- tampering, found by `log verify` ---------------------------------------------------


def sqlite_copy(db_url: str, tmp_path: Path) -> Path:
    """A consistent copy of a live SQLite store (WAL included), by the backup API."""
    copy = tmp_path / "copy.db"
    with raw(db_url) as source:
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
    return copy


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_changed_byte_in_a_sqlite_copy_fails_log_verify_naming_its_position(
    service, db_url, tmp_path: Path
):
    ref = receive(service)
    add_complaint(service, ref)
    add_complaint(service, ref, agency="council")
    intact = verify_log(service.app)
    copy = sqlite_copy(db_url, tmp_path)
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        position = conn.execute(
            "SELECT rowid FROM stored_events ORDER BY rowid LIMIT 1 OFFSET 3"
        ).fetchone()[0]
        state = bytearray(
            conn.execute(
                "SELECT state FROM stored_events WHERE rowid = ?", (position,)
            ).fetchone()[0]
        )
        state[len(state) // 2] ^= 0x01  # one bit of one byte
        with pytest.raises(sqlite3.Error, match=APPEND_ONLY_MESSAGE):
            conn.execute(
                "UPDATE stored_events SET state = ? WHERE rowid = ?",
                (bytes(state), position),
            )
        conn.execute("DROP TRIGGER stored_events_no_update")
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (bytes(state), position),
        )
    finally:
        conn.close()
    runner = CliRunner()

    text = runner.invoke(cli, ["--db", f"sqlite:///{copy}", "log", "verify"])
    as_json = runner.invoke(
        cli, ["--db", f"sqlite:///{copy}", "log", "verify", "--json"]
    )
    untouched = runner.invoke(cli, ["--db", db_url, "log", "verify", "--json"])

    assert text.exit_code == 3, (text.output, text.stderr)
    assert (
        f"Error: the event log fails verification at position {position}: "
        in text.stderr
    )
    assert as_json.exit_code == 3
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["first_bad"] == position
    assert report["events"] == intact.events
    assert HEX64.match(report["head"]) and report["head"] != intact.head
    assert untouched.exit_code == 0, untouched.stderr
    assert json.loads(untouched.stdout) == {**intact.to_json()}


def unguard(conn: Any, db_url: str, table: str) -> None:
    """What someone with the owner's rights can do: take the append-only triggers off."""
    if db_url.startswith("sqlite"):
        conn.execute(f"DROP TRIGGER {table}_no_update")
        conn.execute(f"DROP TRIGGER {table}_no_delete")
    else:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER casereview_append_only")


def test_a_rewritten_event_is_found_at_its_position_once_the_triggers_are_off(
    service, db_url
):
    ref = receive(service)
    add_complaint(service, ref)
    events, _ = tables(db_url)
    position = "rowid" if db_url.startswith("sqlite") else "notification_id"
    notifications = service.app.recorder.select_notifications(start=None, limit=100)
    target = notifications[2].id
    with raw(db_url) as conn:
        unguard(conn, db_url, events)
        conn.execute(
            f"UPDATE {events} SET topic = topic || 'x' WHERE {position} = {target}"
        )

    report = verify_log(service.app)

    assert not report.ok
    assert report.first_bad == target
    assert report.events == len(notifications)
    assert report.head == next_chain(
        next_chain(GENESIS, *fields(notifications[0])), *fields(notifications[1])
    )


def fields(n: Any) -> tuple[Any, ...]:
    return (n.id, n.originator_id, n.originator_version, n.topic, n.state)


def test_a_removed_event_is_found_at_its_position(service, db_url):
    ref = receive(service)
    add_complaint(service, ref)
    events, _ = tables(db_url)
    position = "rowid" if db_url.startswith("sqlite") else "notification_id"
    notifications = service.app.recorder.select_notifications(start=None, limit=100)
    target = notifications[1].id
    with raw(db_url) as conn:
        unguard(conn, db_url, events)
        conn.execute(f"DELETE FROM {events} WHERE {position} = {target}")

    report = verify_log(service.app)

    assert not report.ok
    assert report.first_bad == target
    assert "no event" in (report.reason or "")
    assert report.events == len(notifications) - 1


def test_log_verify_prints_the_event_count_and_head_and_exits_0(service, db_url):
    receive(service)
    head = log_head(service.app)

    result = CliRunner().invoke(cli, ["--db", db_url, "log", "verify"])

    assert result.exit_code == 0, result.stderr
    assert head in result.stdout
    assert "intact" in result.stdout


def test_an_event_written_past_the_chained_recorder_is_reported(service, db_url):
    ref = receive(service)
    plain = plain_app(db_url)
    try:
        case = plain.get_case(ref)
        case.record_complaint(
            agency="police",
            incident_on=date(2026, 9, 1),
            reported_on=date(2026, 9, 2),
            complainant=case.applicant,
            at=case.modified_on,
            by=BY,
        )
        recordings = plain.save(case)
    finally:
        plain.close()

    report = verify_log(service.app)

    assert not report.ok
    assert report.first_bad == recordings[0].notification.id
    assert "no chain row" in (report.reason or "")


# ----- stores written before the chain ----------------------------------------------------


def plain_app(db_url: str) -> CaseReviews:
    """The application with the library's own recorder: no chain, no triggers."""
    store = parse_store_url(db_url)
    env = dict(store.env)
    del env["APPLICATION_RECORDER_TOPIC"]
    with ddl_lock(store):  # creates the test schema on PostgreSQL
        return CaseReviews(env=env, clock=FixedClock())


def test_a_store_written_before_the_chain_is_backfilled_on_first_use_and_verifies(
    db_url, service_factory, monkeypatch
):
    # Small batches, so the backfill and the walk both go past a batch boundary.
    monkeypatch.setattr(casereview.adapters.ledger_sqlite, "BATCH_SIZE", 3)
    monkeypatch.setattr(casereview.adapters.ledger_postgres, "BATCH_SIZE", 3)
    plain = plain_app(db_url)
    try:
        ref = plain.receive_application(
            area="gosport",
            received_on=date(2026, 10, 1),
            applicant_name="Zelda Quigley",
            by=BY,
        )
        events = len(plain.recorder.select_notifications(start=None, limit=1000))
    finally:
        plain.close()

    service = service_factory()
    backfilled = verify_log(service.app, batch_size=3)
    add_complaint(service, ref)
    after = verify_log(service.app)

    assert backfilled.ok and backfilled.events == events > 0
    assert HEX64.match(backfilled.head) and backfilled.head != GENESIS
    assert after.ok and after.events > events and after.head != backfilled.head
    _, chain = tables(db_url)
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == after.events
    # Opening it again recomputes nothing.
    service_factory()
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == after.events
    assert verify_log(service.app) == after


# ----- a chain is never re-chained (issue 11, item 3) ---------------------------------------


def is_sqlite(db_url: str) -> bool:
    return db_url.startswith("sqlite")


def position_column(db_url: str) -> str:
    return "rowid" if is_sqlite(db_url) else "notification_id"


def origin_table(db_url: str) -> str:
    return (
        "event_chain_origin" if is_sqlite(db_url) else "casereview_event_chain_origin"
    )


def table_exists(db_url: str, table: str) -> bool:
    if is_sqlite(db_url):
        return bool(
            scalar(
                db_url,
                "SELECT COUNT(*) FROM sqlite_master "
                f"WHERE type = 'table' AND name = '{table}'",
            )
        )
    return scalar(db_url, f"SELECT to_regclass('{table}') IS NOT NULL") is True


def unguard_all(conn: Any, db_url: str) -> None:
    """The owner takes every append-only trigger off both tables (DDL)."""
    for table in tables(db_url):
        if is_sqlite(db_url):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def three_steps(service: CaseService) -> list[Any]:
    ref = receive(service)
    add_complaint(service, ref)
    add_complaint(service, ref, agency="council")
    return list(service.app.recorder.select_notifications(start=None, limit=1000))


def cli_verify(db_url: str, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db_url, "log", "verify", "--json", *extra])


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_replica_session_role_does_not_bypass_the_append_only_triggers(service, db_url):
    receive(service)
    events, chain = tables(db_url)

    for statement in (
        f"UPDATE {events} SET topic = topic || 'x'",
        f"DELETE FROM {events}",
        f"DELETE FROM {chain}",
        f"UPDATE {chain} SET chain = chain",
        f"TRUNCATE {chain}",
    ):
        assert APPEND_ONLY_MESSAGE in refused(
            db_url, f"SET session_replication_role = replica; {statement}"
        ), statement
    assert verify_log(service.app).ok


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_opening_a_store_makes_triggers_that_are_not_always_always(
    service_factory, db_url
):
    service_factory()
    with raw(db_url) as conn:
        for table in tables(db_url):
            # What a store written before this release has: ENABLE (origin only).
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    service_factory()

    states = {
        row
        for row in raw_rows(
            db_url,
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
        )
    }
    assert {state for _, _, state in states} == {"A"}
    assert len(states) == 6  # two on each of events, chain and origin


def raw_rows(db_url: str, statement: str) -> list[tuple[Any, ...]]:
    with raw(db_url) as conn:
        return [tuple(row) for row in conn.execute(statement).fetchall()]


def test_the_tamper_sequence_ends_in_a_failing_verify_and_nothing_is_rechained(
    service_factory, db_url
):
    service = service_factory()
    notifications = three_steps(service)
    target = notifications[2].id
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        if is_sqlite(db_url):
            unguard_all(conn, db_url)  # drop the triggers
        else:  # no DDL: the session role that skips ordinary triggers ...
            conn.execute("SET session_replication_role = replica")
            with pytest.raises(Exception, match=APPEND_ONLY_MESSAGE):
                conn.execute(f"DELETE FROM {chain}")
            unguard_all(conn, db_url)  # ... fails, so the owner uses DDL
        conn.execute(
            f"UPDATE {events} SET topic = topic || 'x' "
            f"WHERE {position_column(db_url)} = {target}"
        )
        conn.execute(f"DELETE FROM {chain}")

    first = cli_verify(db_url)
    write = CliRunner().invoke(
        cli,
        [
            "--db",
            db_url,
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-02",
            "--applicant",
            "Someone Else",
        ],
    )
    second = cli_verify(db_url)

    assert first.exit_code == 3, (first.stdout, first.stderr)
    report = json.loads(first.stdout)
    assert report["ok"] is False
    assert report["first_bad"] == notifications[0].id
    assert f"no rows for {len(notifications)} stored events" in report["reason"]
    assert write.exit_code == 3, (write.stdout, write.stderr)
    assert (
        f"the chain table has no rows for {len(notifications)} stored events"
        in write.stderr
    )
    assert "never re-chains" in write.stderr
    assert second.exit_code == 3
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == 0
    assert scalar(db_url, f"SELECT COUNT(*) FROM {events}") == len(notifications)


def test_opening_a_store_whose_chain_rows_were_deleted_is_refused_naming_them(
    service_factory, db_url
):
    service = service_factory()
    notifications = three_steps(service)
    _, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {chain} WHERE position >= {notifications[-2].id}")

    with pytest.raises(ChainRemoved) as caught:
        service_factory()

    assert "the chain table has no rows for 2 stored events" in str(caught.value)
    assert caught.value.exit_code == 3
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == len(notifications) - 2


def test_a_write_onto_a_chain_whose_head_row_was_removed_is_refused(service, db_url):
    notifications = three_steps(service)
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {chain} WHERE position = {notifications[-1].id}")

    with pytest.raises(ChainRemoved, match="no chain row"):
        add_complaint(service, "GOSPORT-2026-0001")

    assert scalar(db_url, f"SELECT COUNT(*) FROM {events}") == len(notifications)
    assert scalar(db_url, f"SELECT COUNT(*) FROM {chain}") == len(notifications) - 1


def test_a_store_whose_chain_table_was_dropped_is_refused_not_backfilled(
    service_factory, db_url
):
    service = service_factory()
    three_steps(service)
    service.app.close()
    _, chain = tables(db_url)
    with raw(db_url) as conn:
        conn.execute(f"DROP TABLE {chain}")

    with pytest.raises(ChainRemoved, match="the chain table was dropped"):
        service_factory()
    verified = cli_verify(db_url)

    assert not table_exists(db_url, chain)
    assert verified.exit_code == 3
    assert "dropped" in json.loads(verified.stdout)["reason"]


def test_log_verify_of_a_store_written_before_the_chain_writes_nothing(db_url):
    plain = plain_app(db_url)
    try:
        plain.receive_application(
            area="gosport",
            received_on=date(2026, 10, 1),
            applicant_name="Zelda Quigley",
            by=BY,
        )
    finally:
        plain.close()
    _, chain = tables(db_url)

    result = cli_verify(db_url)

    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "no chain table" in json.loads(result.stdout)["reason"]
    assert not table_exists(db_url, chain)
    assert not table_exists(db_url, origin_table(db_url))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_log_verify_of_a_missing_store_is_not_found_and_creates_nothing(
    db_url, tmp_path
):
    result = CliRunner().invoke(cli, ["--db", db_url, "log", "verify"])

    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "no event log" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_origin_records_when_the_chain_started_and_what_it_backfilled(
    db_url, service_factory
):
    plain = plain_app(db_url)
    try:
        plain.receive_application(
            area="gosport",
            received_on=date(2026, 10, 1),
            applicant_name="Zelda Quigley",
            by=BY,
        )
        legacy = len(plain.recorder.select_notifications(start=None, limit=1000))
    finally:
        plain.close()

    service = service_factory()
    state = service.app.recorder.chain_state()
    service_factory()  # a second open changes nothing

    assert state.chain_table and state.events_table
    assert state.origin is not None and state.origin.backfilled == legacy
    assert service.app.recorder.chain_state() == state
    assert verify_log(service.app).to_json()["chain_origin"] == {
        "recorded_at": state.origin.recorded_at,
        "backfilled": legacy,
    }


# ----- naming what was removed --------------------------------------------------------------


def test_a_removed_event_and_its_chain_row_are_named_as_removed(service, db_url):
    notifications = three_steps(service)
    target = notifications[3].id
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {events} WHERE {position_column(db_url)} = {target}")
        conn.execute(f"DELETE FROM {chain} WHERE position = {target}")

    report = verify_log(service.app)
    text = CliRunner().invoke(cli, ["--db", db_url, "log", "verify"])

    assert not report.ok
    assert report.first_bad == target
    assert "removed" in (report.reason or "")
    assert f"at position {target}: " in text.stderr
    assert f"the event at position {target} was removed" in text.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_removed_events_are_named_on_sqlite_even_when_the_rest_was_rechained(
    service, db_url
):
    notifications = three_steps(service)
    first, last = notifications[0].id, notifications[1].id
    events, _ = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {events} WHERE rowid <= {last}")
        rechain(conn, db_url)

    report = verify_log(service.app)

    assert not report.ok
    assert report.first_bad == first
    assert f"the events at positions {first} to {last} were removed" in (
        report.reason or ""
    )


def rechain(conn: Any, db_url: str) -> None:
    """What the old code did on the next open: a fresh chain over whatever is stored."""
    events, chain = tables(db_url)
    position = position_column(db_url)
    rows = conn.execute(
        f"SELECT {position}, originator_id, originator_version, topic, state "
        f"FROM {events} ORDER BY {position}"
    ).fetchall()
    inputs = [
        (
            row[0],
            str(uuid.UUID(str(row[1]))),
            row[2],
            row[3],
            bytes(row[4]),
        )
        for row in rows
    ]
    conn.execute(f"DELETE FROM {chain}")
    for (position_value, *_), value in zip(
        inputs, chain_values(GENESIS, inputs), strict=True
    ):
        conn.execute(
            f"INSERT INTO {chain} (position, chain) VALUES ({position_value}, '{value}')"
        )


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_gap_left_by_a_rolled_back_transaction_is_not_a_removal_on_postgres(
    service, service_factory, db_url
):
    ref = receive(service)
    other = service_factory()
    first, second = service.app.get_case(ref), other.app.get_case(ref)
    for case, agency in ((first, "police"), (second, "council")):
        case.record_complaint(
            agency=agency,
            incident_on=date(2026, 9, 1),
            reported_on=date(2026, 9, 2),
            complainant=case.applicant,
            at=case.modified_on,
            by=BY,
        )
    service.app.save(first)
    with pytest.raises(IntegrityError):
        other.app.save(second)  # takes a notification id, then rolls back
    add_complaint(service, ref, agency="housing")
    ids = [n.id for n in service.app.recorder.select_notifications(None, 1000)]

    report = verify_log(service.app)

    assert ids != list(range(ids[0], ids[0] + len(ids)))  # there is a gap
    assert report.ok, report


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_without_the_predecessor_record_postgres_says_changed_or_removed(
    service, db_url
):
    notifications = three_steps(service)
    target, after = notifications[3].id, notifications[4].id
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {events} WHERE notification_id = {target}")
        conn.execute(f"DELETE FROM {chain} WHERE position = {target}")
        # A chain row written before chain rows named their predecessor.
        conn.execute(f"UPDATE {chain} SET previous = NULL WHERE position = {after}")

    report = verify_log(service.app)

    assert report.first_bad == after
    assert (
        f"the event at position {after} or its chain value was changed, or an event "
        f"at position {target} was removed"
    ) in (report.reason or "")
