"""Deadline, scheduler and notification commands of CONTRACT.md."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli import DATE, Config, cli, emit, json_option, pass_config


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
    from casereview.checks import check_deadlines
    from casereview.domain.errors import InvalidInput

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
