"""One scheduler at a time: a PostgreSQL advisory lock (a file lock beside a SQLite database),
held for as long as the scheduler runs; a second one says so (through `say`) and waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from casereview.adapters.store import Store

# The key of the PostgreSQL advisory lock held by the running scheduler.
SCHEDULER_LOCK_KEY = 0x53434845


@contextmanager
def single_instance(store: Store, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the scheduler's lock for the duration; wait (and say so) if another holds it."""
    if store.is_postgres:
        with _postgres_lock(store, say):
            yield
        return
    dbname = store.env.get("SQLITE_DBNAME", "")
    if dbname.startswith("file:") or dbname in ("", ":memory:"):
        yield  # an in-memory store belongs to one process anyway
        return
    from filelock import FileLock, Timeout

    lock = FileLock(f"{dbname}.scheduler.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"another scheduler holds {lock.lock_file}; waiting for it to stop")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _postgres_lock(store: Store, say: Callable[[str], None]) -> Iterator[None]:
    import psycopg

    env = store.env
    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=env["POSTGRES_DBNAME"],
        autocommit=True,
    ) as conn:
        key = (SCHEDULER_LOCK_KEY, store.schema or "public")
        got = conn.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", key
        ).fetchone()
        if not (got and got[0]):
            say(
                "another scheduler holds the PostgreSQL advisory lock; waiting for it to stop"
            )
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
        yield
