"""The `casereview` command line: the only module that reads the clock, the environment, or
prints. Commands are grouped by noun, then verb (CONTRACT.md). Heavy imports happen inside the
commands so `casereview --help` starts quickly."""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casereview import __version__

if TYPE_CHECKING:  # kept out of start-up
    from casereview.services.cases import CaseService


class Config:
    """Global options, and the service built from them on first use."""

    def __init__(self, db: str, user: str, policies: Path | None, debug: bool) -> None:
        self.db, self.user, self.policies_dir, self.debug = db, user, policies, debug
        self._service: CaseService | None = None
        self._projector: Any = None
        self._skipped_reported = False

    @property
    def policies(self) -> Path:
        if self.policies_dir is not None:
            return self.policies_dir
        from casereview.adapters.policy_files import SHIPPED_POLICIES

        return SHIPPED_POLICIES

    @cached_property
    def store(self) -> Any:
        """Parsed once: the service and the read models must share one store (an in-memory
        SQLite URL names a fresh database each time it is parsed)."""
        from casereview.bootstrap import parse_store_url

        return parse_store_url(self.db)

    @property
    def service(self) -> CaseService:
        if self._service is None:
            from casereview.bootstrap import build_service

            self._service = build_service(self.store, self.policies)
        return self._service

    @property
    def projector(self) -> Any:
        if self._projector is None:
            from casereview.projections.runner import Projector

            self._projector = Projector(self.service.app, self.store)
            self._projector.create()
        return self._projector

    def refresh(self) -> None:
        """Bring the read models up to date before reading them, and say (once) if any
        event of the log could not be held in them."""
        self._catch_up()
        self.report_skipped()

    def refresh_after_write(self) -> None:
        """Bring the read models up to date after a write. The event is committed by now, so
        no trouble with the read models may turn the command into a failure (a retry would
        record it twice): it is a warning, and the next command catches up."""
        try:
            self._catch_up()
        except Exception as exc:  # whatever it is, the write stands
            click.echo(
                f"Warning: recorded, but the read models are not up to date yet ({_kind(exc)}); "
                "the next command brings them up to date",
                err=True,
            )

    def report_skipped(self) -> None:
        """One line on stderr, once per command, if the read models skipped events."""
        if self._skipped_reported or self._projector is None:
            return
        self._skipped_reported = True
        skipped = self._projector.skipped()
        if not skipped:
            return
        first = skipped[0]
        click.echo(
            f"Warning: the read models could not hold {len(skipped)} event(s) of the log "
            f"(the first at log position {first['position']}: {first['problem']}); lists, "
            "deadlines and statistics leave them out, the log keeps them, and every other "
            "event is applied. `casereview log verify` checks the log itself.",
            err=True,
        )

    def _catch_up(self) -> None:
        """After an upgrade that changed the read models' shape, this version's tables are
        built beside the old ones first, with progress on a terminal; older programs keep
        reading theirs."""
        projector = self.projector
        if projector.schema_reset is None:
            projector.catch_up()
            return
        old, new = projector.schema_reset
        tty = sys.stderr.isatty()
        click.echo(
            f"read models: building version {new} beside version {old} from the log",
            err=True,
        )

        def progress(reached: int, head: int) -> None:
            if tty:
                click.echo(
                    f"\r  log position {reached:,} of {head:,}", err=True, nl=False
                )

        applied = projector.catch_up(progress=progress)
        click.echo(("\n" if tty else "") + f"  built from {applied:,} events", err=True)
        projector.schema_reset = None

    def close(self) -> None:
        if self._projector is not None:
            self._projector.close()
        if self._service is not None:
            self._service.app.close()


pass_config = click.make_pass_decorator(Config)


class ISODate(click.ParamType):  # type: ignore[type-arg]
    """YYYY-MM-DD, with a message naming the option and the expected form."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        label = param.opts[0] if param is not None and param.opts else "date"
        return parse_date(label, str(value))


DATE = ISODate()

# Only the calendar form the contract names: `date.fromisoformat` also takes week dates
# (2026-W40-1) and basic forms (20261001), which a clerk may type by mistake and nobody reads.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date(label: str, value: str) -> date:
    """A YYYY-MM-DD date, or InvalidInput naming the option and the expected form."""
    from casereview.domain.errors import InvalidInput

    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"{label}: {value!r} is not a date (expected YYYY-MM-DD)")


def parse_moment(label: str, value: str) -> datetime:
    """An ISO date means the end of that day in the UK; a timestamp must carry its zone."""
    from zoneinfo import ZoneInfo

    from casereview.domain.errors import InvalidInput

    try:
        if len(value) == 10:
            day = parse_date(label, value)
            return datetime(
                day.year,
                day.month,
                day.day,
                23,
                59,
                59,
                999999,
                tzinfo=ZoneInfo("Europe/London"),
            )
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except (ValueError, InvalidInput):
        raise InvalidInput(
            f"{label}: {value!r} is not a date or timestamp "
            "(expected YYYY-MM-DD or an ISO 8601 time with its zone, like 2026-03-01T12:00:00+00:00)"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{label}: {value!r} has no time zone (add +00:00 or Z)")
    return moment


# C0 and C1 controls but newline and tab, bidirectional overrides and isolates (which make text
# read in another order than it is stored), line/paragraph separators, and lone surrogates
# (which the terminal's encoding cannot write).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """Text safe to show on a terminal: a stored name like `\\e]0;pwned\\a` would otherwise
    retitle the window or rewrite the screen. Each such character shows as U+FFFD."""
    return _UNPRINTABLE.sub("\ufffd", text)


def say(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Human output: click.echo of `printable` text. (JSON escapes these characters itself.)"""
    click.echo(printable(text), err=err, nl=nl)


def emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document."
    )(f)


def written(cfg: Config, as_json: bool, text: str, data: dict[str, Any]) -> None:
    cfg.refresh_after_write()
    if as_json:
        emit(data)
    else:
        click.echo(text)


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


# ----- the group -------------------------------------------------------------------------


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
    from casereview.adapters.redaction import redact
    from casereview.domain.errors import CaseReviewError

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


def _kind(exc: BaseException) -> str:
    """An error in a few words that carry no stored value: a database error's message can
    quote the row it refused."""
    from casereview.domain.errors import CaseReviewError

    if isinstance(exc, CaseReviewError):
        return str(exc)
    return type(exc).__name__


def message(exc: BaseException) -> str:
    """The error in the CLI's words: a field is named as its option (`--incident-on`)."""
    from casereview.domain.errors import FieldError

    if isinstance(exc, FieldError):
        return f"--{exc.field.replace('_', '-')}: {exc.problem}"
    return str(exc)


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
    from casereview.adapters.redaction import url_secrets

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


# Importing the command modules registers their commands on `cli`.
from casereview import cli_commands, cli_log, cli_ops, cli_read, cli_stats, demo  # noqa: E402, F401
