"""Deadline, scheduler and notification commands of CONTRACT.md."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from casereview.cli import DATE, Config, cli, emit, json_option, pass_config

if TYPE_CHECKING:
    from casereview.adapters.mail import Sender


@cli.group()
def deadlines() -> None:
    """Timescales as deadlines: check them, list them."""


@deadlines.command("check")
@click.option(
    "--today", type=DATE, help="Check as of this date (not after the real date)."
)
@json_option
@pass_config
def deadlines_check(cfg: Config, today: date | None, as_json: bool) -> None:
    """Record due reminders and breaches (each once) and queue their notices.

    Safe to run as often as you like, and by several processes at once.

    \b
    Example:
        casereview deadlines check --json
    """
    from casereview.domain.errors import InvalidInput
    from casereview.services.overdue import check_deadlines

    real = cfg.service.today()
    if today is not None and today > real:
        raise InvalidInput(
            f"--today: {today.isoformat()} is after the real date ({real.isoformat()}); "
            "breaches cannot be recorded in advance"
        )
    result = check_deadlines(
        cfg.service,
        cfg.projector,
        today or real,
        by=cfg.user,
        composer=cfg.service.composer,
    )
    cfg.report_skipped()
    if as_json:
        emit(result.to_json())
        return
    for item in result.breached:
        click.echo(
            f"BREACHED  {item['ref']:<26} {item['kind']:<16} due {item['due_on']}"
        )
    for item in result.reminded:
        click.echo(
            f"reminder  {item['ref']:<26} {item['kind']:<16} due {item['due_on']}"
        )
    click.echo(
        f"{len(result.breached)} breach(es), {len(result.reminded)} reminder(s) recorded "
        f"as of {result.today}",
        err=True,
    )


@deadlines.command("list")
@click.option("--area")
@click.option("--ref", help="One case's deadlines.")
@click.option("--state", type=click.Choice(["open", "met", "breached", "cancelled"]))
@json_option
@pass_config
def deadlines_list(
    cfg: Config, area: str | None, ref: str | None, state: str | None, as_json: bool
) -> None:
    """List deadlines from the read model (`open`: not yet ended, breached or not).

    \b
    Example:
        casereview deadlines list --area gosport --state breached --json
    """
    if area:
        area = cfg.service.area_slug(area)
    cfg.refresh()
    rows = cfg.projector.deadline_rows(ref=ref, area=area, state=state)
    if as_json:
        emit(
            [
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
                for r in rows
            ]
        )
        return
    for r in rows:
        ended = f"ended {r['ended_on']}" if r["ended_on"] else "open"
        click.echo(
            f"{r['ref']:<26} {r['kind']:<16} {r['rule']:<20} due {r['due_on']}  "
            f"{r['state']:<10} {ended}"
        )
    click.echo(f"{len(rows)} deadline(s)", err=True)


def _sender(cfg: Config) -> Sender:
    import os

    from casereview.adapters.mail import sender_from_env
    from casereview.scheduler import default_outbox

    return sender_from_env(os.environ, default_outbox(cfg.store))


@cli.group()
def notifications() -> None:
    """Letters and emails: flush the outbox."""


@notifications.command("send")
@json_option
@pass_config
def notifications_send(cfg: Config, as_json: bool) -> None:
    """Send every queued letter now (SMTP from CASEREVIEW_SMTP_URL, else .eml files).

    With the mail server down it exits 6 and every letter stays queued for a retry.

    \b
    Example:
        CASEREVIEW_SMTP_URL=smtp://mail.example.org:25 casereview notifications send --json
    """
    from datetime import UTC, datetime

    from casereview.domain.errors import ServiceUnavailable
    from casereview.notifications.outbox import flush

    result = flush(
        cfg.service, cfg.projector, _sender(cfg), now=datetime.now(UTC), by=cfg.user
    )
    cfg.report_skipped()
    if as_json:
        emit(result.to_json())
    else:
        click.echo(
            f"{len(result.sent)} sent, {len(result.failed)} failed, {result.remaining} queued"
        )
    if result.unavailable:
        raise ServiceUnavailable(
            f"mail server unavailable: {result.unavailable}; {result.remaining} letter(s) stay queued"
        )


@cli.group()
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
    from datetime import UTC, datetime

    from casereview.scheduler import Ticker, parse_daily_at, run

    parse_daily_at(daily_at)  # a wrong time is refused before anything runs
    ticker = Ticker(
        cfg.service,
        cfg.projector,
        _sender(cfg),
        by=cfg.user,
        now=lambda: datetime.now(UTC),
    )
    run(cfg.store, ticker, interval=interval, once=once, daily_at=daily_at)
