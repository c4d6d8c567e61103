"""`casereview log verify`: check the tamper-evident event log (casereview.ledger). It opens
the store to read only: it never creates a table, backfills a chain or writes a row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from casereview.cli import Config, cli, emit, json_option, pass_config

if TYPE_CHECKING:
    from casereview.ledger import ChainedRecorder, LogReport

LOG_NOT_INTACT_EXIT = 3
"""Exit code when the log fails verification (CONTRACT.md: a rule of the process refuses it)."""


@cli.group()
def log() -> None:
    """Check the tamper-evident event log (a SHA-256 chain over every stored event)."""


@contextmanager
def reading(cfg: Config) -> Iterator[ChainedRecorder]:
    from casereview.application import CaseReviews
    from casereview.ledger import reading_log

    with reading_log(cfg.store.env, CaseReviews.name) as recorder:
        yield recorder


@log.command("verify")
@json_option
@pass_config
def log_verify(cfg: Config, as_json: bool) -> None:
    """Recompute the SHA-256 chain over every stored event and compare it with the stored one.

    Prints the number of events and the head hash at its position (the chain value of the
    latest event: a report that prints it pins the log). Reads only.

    Exit code 0 when the log is intact; 3 when it is not, with "Error: the event log fails
    verification at position N: <reason>" on stderr (and the JSON, with "ok": false and
    "first_bad": N, on stdout under --json).

    \b
    Example:
        casereview log verify
        casereview --db sqlite:///copy-of-casereview.db log verify --json
    """
    from casereview.ledger import verify_log

    with reading(cfg) as recorder:
        report = verify_log(recorder)
    if as_json:
        emit(report.to_json())
    else:
        click.echo(_summary(report))
    if not report.ok:
        click.echo(
            "Error: the event log fails verification at position "
            f"{report.first_bad}: {report.reason}",
            err=True,
        )
        raise click.exceptions.Exit(LOG_NOT_INTACT_EXIT)


def _summary(report: LogReport) -> str:
    if not report.ok:
        return (
            f"The event log is NOT intact: {report.events} events, first bad position "
            f"{report.first_bad}, last good head {report.head} at position "
            f"{report.position}"
        )
    text = (
        f"The event log is intact: {report.events} events, head {report.head} at "
        f"position {report.position}"
    )
    if report.origin is not None and report.origin.backfilled:
        text += (
            f"\nThe first {report.origin.backfilled} events were written before the chain "
            f"and chained at {report.origin.recorded_at}."
        )
    return text
