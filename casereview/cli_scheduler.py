"""`casereview scheduler run`: deadline checks and the outbox on a timer."""

from __future__ import annotations

import click

from casereview.cli_support import Config, pass_config


@click.group()
def scheduler() -> None:
    """The long-running scheduler: deadline checks and the outbox on a timer."""


@scheduler.command("run")
@click.option(
    "--interval",
    type=click.FloatRange(1),
    default=300,
    show_default=True,
    help="Seconds between ticks (there is also one every day at --daily-at).",
)
@click.option("--daily-at", default="07:00", show_default=True, help="HH:MM, UK time.")
@click.option("--once", is_flag=True, help="Run one tick and exit (for cron).")
@pass_config
def scheduler_run(cfg: Config, interval: float, daily_at: str, once: bool) -> None:
    """Check deadlines and send letters on a timer; one scheduler acts at a time.

    A second scheduler started beside a running one says so and waits for the lock.

    \b
    Example:
        casereview --db postgresql://postgres@127.0.0.1:5432/test scheduler run --interval 60
    """
    from casereview.scheduler import run

    run(cfg.services, by=cfg.user, interval=interval, once=once, daily_at=daily_at)
