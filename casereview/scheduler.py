"""`casereview scheduler run`: the deadline check and the outbox on a timer (APScheduler).

Only one scheduler acts at a time (the services' scheduler lock); a second one started beside
it says so and waits. Every tick does the services' scheduled work (`Services.tick`), which
looks at everything overdue or unsent, so the timer is never what correctness rests on; the
first tick runs at start-up.
"""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casereview.services import Services


def say(message: str) -> None:
    """The scheduler's log line on stderr, without any password."""
    from casereview.bootstrap import redact

    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} scheduler: {redact(message)}",
        file=sys.stderr,
        flush=True,
    )


def run(
    services: Services,
    *,
    by: str,
    interval: float,
    once: bool = False,
    daily_at: str = "07:00",
) -> None:
    """Tick now, then every `interval` seconds and once a day at `daily_at`, until stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from casereview.services.schedule import parse_daily_at

    hour, minute = parse_daily_at(daily_at)  # refused before any tick, not after one

    def tick() -> None:
        say(services.tick(by=by).summary())

    with services.scheduler_lock(say):
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
