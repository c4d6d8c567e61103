"""`casereview log verify`: check the tamper-evident event log (casereview.ledger)."""

from __future__ import annotations

import click

from casereview.cli import Config, cli, emit, json_option, pass_config

LOG_NOT_INTACT_EXIT = 3
"""Exit code when the log fails verification (CONTRACT.md: a rule of the process refuses it)."""


@cli.group()
def log() -> None:
    """Check the tamper-evident event log (a SHA-256 chain over every stored event)."""


@log.command("verify")
@json_option
@pass_config
def log_verify(cfg: Config, as_json: bool) -> None:
    """Recompute the SHA-256 chain over every stored event and compare it with the stored one.

    Prints the number of events and the head hash (the chain value of the latest event: a
    report that prints it pins the log). Exit code 0 when the log is intact; 3 when it is not,
    with "Error: the event log fails verification at position N: <reason>" on stderr (and the
    JSON, with "ok": false and "first_bad": N, on stdout under --json).

    \b
    Example:
        casereview log verify
        casereview --db sqlite:///copy-of-casereview.db log verify --json
    """
    from casereview.ledger import verify_log

    report = verify_log(cfg.service.app)
    if as_json:
        emit(report.to_json())
    elif report.ok:
        click.echo(
            f"The event log is intact: {report.events} events, head {report.head}"
        )
    else:
        click.echo(
            f"The event log is NOT intact: {report.events} events, first bad position "
            f"{report.first_bad}, last good head {report.head}"
        )
    if not report.ok:
        click.echo(
            "Error: the event log fails verification at position "
            f"{report.first_bad}: {report.reason}",
            err=True,
        )
        raise click.exceptions.Exit(LOG_NOT_INTACT_EXIT)
