"""Engines for the read models: the events' own SQLite file, or the PostgreSQL database and
schema of the store; and one place turning database failures into ServiceUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy.exc
from eventsourcing.persistence import OperationalError as StoreOperationalError
from sqlalchemy import Connection, Engine, create_engine, event

from casereview.adapters.store import Store
from casereview.errors import ServiceUnavailable

IMMEDIATE = "casereview_immediate"
"""Execution option: on SQLite, open the transaction with BEGIN IMMEDIATE (take the write lock
first, so a writer waits for another instead of failing on a stale snapshot)."""


def make_engine(store: Store) -> tuple[Engine, Engine]:
    """(engine to query through, base engine to dispose)."""
    if store.is_postgres:
        base = create_engine(
            store.sqlalchemy_url,
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5},
        )
        if store.schema:
            return base.execution_options(
                schema_translate_map={None: store.schema}
            ), base
        return base, base
    base = create_engine(store.sqlalchemy_url, connect_args={"timeout": 30})
    _sqlite_transactions(base)
    return base, base


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the driver, begin transactions (pysqlite's implicit BEGIN is late)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


REBUILD_SYNCHRONOUS = "NORMAL"


@contextmanager
def rebuild_settings(conn: Connection) -> Iterator[None]:
    """SQLite: this connection commits without waiting for the disk while it rebuilds.

    The events' file is in WAL mode, where synchronous=NORMAL never corrupts it: a commit
    of read-model rows just skips its fsync (a power cut may lose the last batches, with
    their position, which the next catch-up replays); checkpoints still sync, so the events
    the application committed stay durable. The setting is restored afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver: Any = conn.connection.driver_connection
    before = int(driver.execute("PRAGMA synchronous").fetchone()[0])
    driver.execute(f"PRAGMA synchronous={REBUILD_SYNCHRONOUS}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA synchronous={before}")


@contextmanager
def unavailable_as_error(what: str = "read-model database") -> Iterator[None]:
    try:
        yield
    except (sqlalchemy.exc.OperationalError, StoreOperationalError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ServiceUnavailable(f"{what} unavailable: {detail}") from None


UNHOLDABLE = (sqlalchemy.exc.DataError, ValueError, UnicodeError)
"""What one stored event can make the read models raise: a value the database refuses (NUL
in PostgreSQL text, a string longer than its column), or state the decoder cannot read."""


def problem_of(exc: BaseException) -> str:
    """Why an event was skipped, without any of its values: the database's own first line
    (PostgreSQL quotes the value only on later lines, `CONTEXT: ...`) or the error's kind."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return f"{type(exc.orig).__name__}: {first}"[:500]
    return type(exc).__name__
