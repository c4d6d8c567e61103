"""`casereview init`, `projections rebuild` and `log verify` / `log checkpoint`: the store's
tables, its read models, and the tamper-evident log (checked read-only, pinned by signed
checkpoints kept outside the database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from casereview.cli_support import Config, emit, json_option, pass_config, say

if TYPE_CHECKING:
    from casereview.services.integrity import LogReport

LOG_NOT_INTACT_EXIT = 3
"""Exit code when the log fails verification (CONTRACT.md: a rule of the process refuses it)."""


@click.command("init")
@pass_config
def init(cfg: Config) -> None:
    """Create the event store and read-model tables (idempotent).

    \b
    Example:
        casereview --db postgresql://postgres@127.0.0.1:5432/test init
    """
    cfg.services.upkeep.init()
    from casereview.bootstrap import redact_url

    say(f"ready: {redact_url(cfg.db)}")


@click.group()
def projections() -> None:
    """Rebuild the read models from the log."""


@projections.command("rebuild")
@click.option(
    "--verify",
    is_flag=True,
    help="Rebuild into fresh tables and compare with the live ones.",
)
@pass_config
def projections_rebuild(cfg: Config, verify: bool) -> None:
    """Rebuild the read models from the event log.

    \b
    Example:
        casereview projections rebuild --verify
    """
    import sys

    upkeep = cfg.services.upkeep
    if verify:
        from casereview.errors import CaseReviewError

        check = upkeep.verify()
        for table, (live, rebuilt) in check.digests.items():
            mark = "equal" if live == rebuilt else "DIFFERENT"
            say(f"{table:<20} live {live[:16]}  rebuilt {rebuilt[:16]}  {mark}")
        if not check.equal:
            raise CaseReviewError("the rebuilt read models differ from the live ones")
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("rebuilding"),
        BarColumn(),
        TextColumn("log position {task.completed:,.0f} of {task.total:,.0f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task("rebuild", total=None)
        done = upkeep.rebuild(
            progress=lambda reached, newest: bar.update(
                task, completed=reached, total=newest
            )
        )
    say(f"rebuilt from {done.events} events")
    if done.dropped_versions:
        versions = ", ".join(str(v) for v in done.dropped_versions)
        say(f"dropped the read models of schema version(s) {versions}")


@click.group()
def log() -> None:
    """Check the tamper-evident event log (a SHA-256 chain over every stored event)."""


@log.command("verify")
@json_option
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Also check every signed checkpoint in FILE (as `log checkpoint --append` writes).",
)
@click.option(
    "--expect-head",
    default=None,
    metavar="POSITION:HASH",
    help="Also check that the log still has this head at this position.",
)
@pass_config
def log_verify(
    cfg: Config,
    as_json: bool,
    checkpoint_file: Path | None,
    expect_head: str | None,
) -> None:
    """Recompute the SHA-256 chain over every stored event and compare it with the stored one.

    Prints the number of events and the head hash at its position (the chain value of the
    latest event: a report that prints it pins the log). With --checkpoint FILE (or
    --expect-head POSITION:HASH) it also fails when any event up to a checkpoint's position
    was changed, removed or cut off the end, or the chain was rebuilt: a checkpoint is kept
    outside the database, so it shows what the database alone cannot. Reads only.

    Exit code 0 when the log is intact; 3 when it is not, with "Error: the event log fails
    verification at position N: <reason>" (or "does not match the checkpoint at position N")
    on stderr, and the JSON, with "ok": false and "first_bad": N, on stdout under --json; 3 too
    for a checkpoint whose signature does not match; 2 for a malformed checkpoint or head.

    \b
    Example:
        casereview log verify
        casereview --db sqlite:///copy-of-casereview.db log verify --json
        casereview log verify --checkpoint published-checkpoints.jsonl
        casereview log verify --expect-head 1234:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    report = cfg.services.integrity.verify(
        checkpoint_file=checkpoint_file, expect_head=expect_head
    )
    if as_json:
        emit(report.to_json())
    else:
        say(_summary(report))
    if not report.ok:
        say(f"Error: {_failure(report)}", err=True)
        raise click.exceptions.Exit(LOG_NOT_INTACT_EXIT)


def _summary(report: LogReport) -> str:
    if report.chain_ok and not report.ok:
        return (
            f"The event log does NOT match its checkpoints: {report.events} events, head "
            f"{report.head} at position {report.position} (the chain itself verifies), "
            f"first bad position {report.first_bad}"
        )
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
    if (
        len(report.checks) == 1
        and report.checks[0].expectation.source == "--expect-head"
    ):
        text += "; it has the expected head"
    elif report.checks:
        latest = max(check.expectation.position for check in report.checks)
        count = len(report.checks)
        text += (
            f"; it matches {count} checkpoint{'s' if count > 1 else ''} "
            f"(the latest at position {latest})"
        )
    if report.origin is not None and report.origin.backfilled:
        text += (
            f"\nThe first {report.origin.backfilled} events were written before the chain "
            f"and chained at {report.origin.recorded_at}."
        )
    return text


def _failure(report: LogReport) -> str:
    failed = report.failed_check
    if not report.chain_ok:
        text = (
            f"the event log fails verification at position {report.first_bad}: "
            f"{report.reason}"
        )
        if failed is not None:
            bad = sum(1 for check in report.checks if not check.ok)
            text += (
                f" (and {bad} of {len(report.checks)} checkpoints fail, the first at "
                f"position {failed.expectation.position})"
            )
        return text
    assert failed is not None  # noqa: S101 - not ok, and the chain is
    return (
        f"the event log does not match the checkpoint at position "
        f"{failed.expectation.position} ({failed.expectation.source}): {failed.problem}"
    )


@log.command("checkpoint")
@json_option
@click.option(
    "--append",
    "append_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also append the checkpoint to FILE as one JSON line.",
)
@pass_config
def log_checkpoint(cfg: Config, as_json: bool, append_to: Path | None) -> None:
    """Sign a statement of the log's position, head and time, to keep outside the database.

    Verifies the log first (and refuses, exit 3, to sign one that fails), then signs
    (position, head, at) with HMAC-SHA256 under the checkpoint key: CASEREVIEW_CHECKPOINT_KEY,
    or for a SQLite store the key file beside it (<database>.checkpoint-key, created on first
    use, mode 0600). Publish the checkpoint (the area's website, the PCC office, the scrutiny
    panel); `casereview log verify --checkpoint FILE` later fails, naming the position, if any
    event up to it was changed, removed or cut off. Writes nothing to the store.

    \b
    Example:
        casereview log checkpoint --append checkpoints.jsonl
        CASEREVIEW_CHECKPOINT_KEY=... casereview --db postgresql://... log checkpoint --json
    """
    checkpoint = cfg.services.integrity.checkpoint(append_to=append_to)
    if as_json:
        emit(checkpoint.to_json())
    else:
        say(
            f"position {checkpoint.position}\nhead {checkpoint.head}\n"
            f"at {checkpoint.at}\nsignature {checkpoint.signature}"
        )
    if append_to is not None:
        say(f"checkpoint appended to {append_to}", err=True)
