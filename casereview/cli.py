"""The `casereview` command line: the root group, its global options, and the one place that
turns errors into the exit codes of CONTRACT.md. The commands live beside it, a module per noun
(`cli_application.py`, `cli_case.py`, ...), and are registered here explicitly; they call the
services (casereview.services) and render what comes back. Heavy imports happen inside the
commands so `casereview --help` starts quickly."""

from __future__ import annotations

import getpass
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from casereview import (
    __version__,
    cli_appeal,
    cli_application,
    cli_case,
    cli_complaint,
    cli_deadlines,
    cli_notifications,
    cli_policy,
    cli_review,
    cli_scheduler,
    cli_stats,
    cli_store,
    cli_threshold,
    demo,
)
from casereview.cli_support import Config, message, printable


class CaseReviewGroup(click.Group):
    """Maps error groups to the exit codes of CONTRACT.md, for the console and CliRunner alike."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (`| head -1`): nothing to report
            _quiet_stdout()
            ctx.exit(CLOSED_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # one line on stderr; the traceback only with --debug
            config = ctx.obj if isinstance(ctx.obj, Config) else None
            debug = bool(config and config.debug) or "--debug" in sys.argv[1:]
            ctx.exit(
                report(
                    exc,
                    debug=debug,
                    secrets=_secrets(config),
                    sqlite_file=_sqlite_file(config),
                )
            )


@click.group(
    cls=CaseReviewGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="casereview")
@click.option(
    "--db",
    envvar="CASEREVIEW_DB",
    default="sqlite:///casereview.db",
    show_default=True,
    help="Store URL: sqlite:///FILE.db or postgresql://user:password@host:5432/dbname.",
)
@click.option(
    "--user",
    envvar="CASEREVIEW_USER",
    default=None,
    help="Who is recording (default: the OS user).",
)
@click.option(
    "--policies",
    envvar="CASEREVIEW_POLICIES",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of local procedures (default: the shipped policies/).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected failures.")
@click.pass_context
def cli(
    ctx: click.Context, db: str, user: str | None, policies: Path | None, debug: bool
) -> None:
    """Run ASB Case Reviews (the Community Trigger, ABCPA 2014 ss.104-105).

    \b
    Example:
        REF=$(casereview application receive --area gosport --received-on 2026-03-02 --applicant "Sam Jones")
        casereview complaint add $REF --agency "Hampshire Police" --incident-on 2026-02-01 --reported-on 2026-02-01
        casereview threshold decide $REF
        casereview case show $REF
    """
    config = Config(db, user or _os_user(), policies, debug)
    ctx.obj = config
    ctx.call_on_close(config.close)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def main() -> None:
    """Console entry point (`casereview`, `python -m casereview`)."""
    try:
        try:
            cli(prog_name="casereview")
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not as a warning at exit
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(CLOSED_PIPE)


# 128 + SIGPIPE: how the shell reports a writer whose reader went away (`yes | head -1`).
CLOSED_PIPE = 141


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit has nowhere to fail
    (the recipe of the Python docs, "Note on SIGPIPE")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # CliRunner's has no descriptor
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def report(
    exc: BaseException,
    *,
    debug: bool,
    secrets: Iterable[str] = (),
    sqlite_file: str | None = None,
) -> int:
    """Say on stderr what went wrong, without any password; the exit code of CONTRACT.md."""
    from casereview.bootstrap import redact
    from casereview.errors import CaseReviewError

    def say(text: str) -> None:
        click.echo(printable(redact(text, secrets)), err=True)

    damage = _damage(exc)
    if damage is not None:
        where = f"file {sqlite_file}" if sqlite_file else "database"
        say(
            f"Error: the SQLite {where} is damaged ({damage}); restore it from a backup"
        )
        code = 6
    elif isinstance(exc, CaseReviewError):
        say(f"Error: {message(exc)}")
        code = exc.exit_code
    elif _is_unavailable(exc):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        say(f"Error: a service is unavailable: {first}")
        code = 6
    else:
        # One line: a database's message goes on to quote the row it refused.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        say(
            f"Error: unexpected failure ({type(exc).__name__}: {first}); "
            "rerun with --debug for the traceback"
        )
        code = 1
    if debug:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        click.echo(redact(trace, secrets), err=True, nl=False)
    return code


def _is_unavailable(exc: BaseException) -> bool:
    names = {t.__name__ for t in type(exc).__mro__}
    return (
        bool(names & {"OperationalError", "InterfaceError"})
        and "Integrity" not in type(exc).__name__
    )


# What SQLite says of a file that is not, or no longer, a database it can read.
DAMAGED = (
    "file is not a database",
    "file is encrypted or is not a database",
    "database disk image is malformed",
)


def _damage(exc: BaseException) -> str | None:
    """SQLite's words for a damaged file, anywhere in the error or what caused it."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        text = str(current)
        for words in DAMAGED:
            if words in text:
                return words
        orig = getattr(current, "orig", None)
        todo += [
            current.__cause__,
            current.__context__,
            orig if isinstance(orig, BaseException) else None,
        ]
    return None


def _secrets(config: Config | None) -> tuple[str, ...]:
    """The passwords this run was given: the store's and the SMTP server's."""
    from casereview.bootstrap import url_secrets

    urls = [os.environ.get("CASEREVIEW_SMTP_URL", "")]
    if config is not None:
        urls.append(config.db)
    return tuple(secret for url in urls if url for secret in url_secrets(url))


def _sqlite_file(config: Config | None) -> str | None:
    """The store's SQLite file, when it is one (for naming it when it is damaged)."""
    if config is None:
        return None
    try:
        store = config.store
    except Exception:  # an unparsable URL has no file to name
        return None
    name = str(store.env.get("SQLITE_DBNAME", ""))
    if store.is_postgres or not name or name.startswith("file:"):
        return None
    return os.path.abspath(name)


COMMANDS: tuple[click.Command, ...] = (
    cli_store.init,
    demo.demo,
    cli_application.application,
    cli_complaint.complaint,
    cli_threshold.threshold,
    cli_review.meeting,
    cli_review.recommendation,
    cli_review.action,
    cli_review.outcome,
    cli_appeal.appeal,
    cli_case.case,
    cli_policy.policy,
    cli_policy.calendar,
    cli_deadlines.deadlines,
    cli_notifications.notifications,
    cli_scheduler.scheduler,
    cli_stats.stats,
    cli_store.projections,
    cli_store.log,
)
"""Every command and command group of CONTRACT.md (`--help` lists them by name)."""

for command in COMMANDS:
    cli.add_command(command)
