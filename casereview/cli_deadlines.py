"""`casereview deadlines`: record due reminders and breaches, and list deadlines."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli_support import DATE, Config, emit, json_option, pass_config, say


@click.group()
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
    result = cfg.services.deadlines.check(today, by=cfg.user)
    if as_json:
        emit(result.to_json())
        return
    for item in result.breached:
        say(f"BREACHED  {item['ref']:<26} {item['kind']:<16} due {item['due_on']}")
    for item in result.reminded:
        say(f"reminder  {item['ref']:<26} {item['kind']:<16} due {item['due_on']}")
    say(
        f"{len(result.breached)} breach(es), {len(result.reminded)} reminder(s) recorded "
        f"as of {result.today}",
        err=True,
    )


@deadlines.command("list")
@click.option("--area")
@click.option("--ref", help="One case's deadlines.")
@click.option("--state", type=click.Choice(["open", "met", "breached", "cancelled"]))
@click.option("--limit", type=int, default=50, show_default=True, help="Per page.")
@click.option("--after", metavar="CURSOR", help="The page after this cursor.")
@click.option("--all", "every", is_flag=True, help="Every deadline, in one list.")
@json_option
@pass_config
def deadlines_list(
    cfg: Config,
    area: str | None,
    ref: str | None,
    state: str | None,
    limit: int,
    after: str | None,
    every: bool,
    as_json: bool,
) -> None:
    """List deadlines from the read model (`open`: not yet ended, breached or not).

    \b
    Example:
        casereview deadlines list --area gosport --state breached --json
    """
    page = cfg.services.deadlines.list(
        area=area, ref=ref, state=state, after=after, limit=None if every else limit
    )
    if as_json:
        emit(page.to_json())
        return
    for r in page.deadlines:
        ended = f"ended {r['ended_on']}" if r["ended_on"] else "open"
        say(
            f"{r['ref']:<26} {r['kind']:<16} {r['rule']:<20} due {r['due_on']}  "
            f"{r['state']:<10} {ended}"
        )
    more = f"; the next page: --after {page.next}" if page.next else ""
    say(f"{len(page.deadlines)} deadline(s){more}", err=True)
