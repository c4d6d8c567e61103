"""`casereview scheduler run`: the deadline check and the outbox on a timer (APScheduler).

Only one scheduler acts at a time: it holds a PostgreSQL advisory lock (a file lock beside a
SQLite database) for as long as it runs; a second one started beside it says so and waits.
Correctness never rests on the timer: every tick looks at everything overdue or unsent, so a
tick missed while the machine was down is simply caught up by the next, and the first tick runs
at start-up. Exactly-once comes from the aggregates (a breach or a letter is recorded once),
not from the scheduler.
"""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casereview.adapters.store import Store

if TYPE_CHECKING:
    from casereview.projections.runner import Projector
    from casereview.services.cases import CaseService

# The key of the PostgreSQL advisory lock held by the running scheduler.
SCHEDULER_LOCK_KEY = 0x53434845


def say(message: str) -> None:
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} scheduler: {message}",
        file=sys.stderr,
        flush=True,
    )


@contextmanager
def single_instance(store: Store) -> Iterator[None]:
    """Hold the scheduler's lock for the duration; wait (and say so) if another holds it."""
    if store.is_postgres:
        with _postgres_lock(store):
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
def _postgres_lock(store: Store) -> Iterator[None]:
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


class Ticker:
    """One pass: catch up the read models, check deadlines, flush the outbox."""

    def __init__(
        self,
        service: CaseService,
        projector: Projector,
        sender: Any,
        *,
        by: str,
        now: Callable[[], datetime],
    ) -> None:
        self.service, self.projector, self.sender, self.by, self.now = (
            service,
            projector,
            sender,
            by,
            now,
        )

    def __call__(self) -> None:
        from casereview.domain.errors import CaseReviewError
        from casereview.notifications.outbox import flush
        from casereview.services.overdue import check_deadlines

        try:
            today = self.service.today()
            checked = check_deadlines(
                self.service,
                self.projector,
                today,
                by=self.by,
                composer=self.service.composer,
            )
            flushed = flush(
                self.service, self.projector, self.sender, now=self.now(), by=self.by
            )
        except CaseReviewError as exc:  # the next tick tries again
            from casereview.adapters.redaction import redact

            say(f"tick failed: {redact(str(exc))}")
            return
        say(
            f"{len(checked.breached)} breach(es), {len(checked.reminded)} reminder(s); "
            f"{len(flushed.sent)} letter(s) sent, {flushed.remaining} queued"
            + (
                f"; mail server unavailable: {flushed.unavailable}"
                if flushed.unavailable
                else ""
            )
        )


def run(
    store: Store,
    tick: Callable[[], None],
    *,
    interval: float,
    once: bool = False,
    daily_at: str = "07:00",
) -> None:
    """Run `tick` now, then every `interval` seconds and once a day, until stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    hour, minute = parse_daily_at(
        daily_at
    )  # refused before any tick, not after the first
    with single_instance(store):
        say("holding the scheduler lock")
        tick()
        if once:
            return
        scheduler = BlockingScheduler(timezone="Europe/London")
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(tick, "interval", seconds=interval, id="tick", **common)
        scheduler.add_job(tick, "cron", hour=hour, minute=minute, id="daily", **common)

        def stop(signum: int, frame: object) -> None:
            say(f"stopping on signal {signum}")
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        say(f"running every {interval:g}s and daily at {daily_at} (Europe/London)")
        scheduler.start()


_HH_MM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_daily_at(text: str) -> tuple[int, int]:
    """`--daily-at HH:MM` (00:00 to 23:59) as (hour, minute)."""
    found = _HH_MM.fullmatch(text.strip())
    if found is None:
        from casereview.domain.errors import InvalidInput

        raise InvalidInput(
            f"--daily-at: {text!r} is not a time of day (expected HH:MM from 00:00 to "
            "23:59, like 07:00)"
        )
    return int(found[1]), int(found[2])


def default_outbox(store: Store) -> Path:
    """Where letters go as .eml files when no SMTP server is configured."""
    dbname = store.env.get("SQLITE_DBNAME", "")
    if store.is_postgres or dbname.startswith("file:") or not dbname:
        return Path("outbox")
    return Path(dbname).resolve().parent / "outbox"
