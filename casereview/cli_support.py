"""What every command of the CLI shares: the global options and the services built from them,
option types that parse through the services' input rules, and rendering helpers (JSON on
stdout, human text made safe for a terminal, warnings on stderr).

The command modules (`cli_<noun>.py`) import this module only; `cli.py` imports them and
registers their groups, so no module of the CLI imports another in a circle."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # kept out of start-up
    from casereview.bootstrap import Store
    from casereview.services import Services


class Config:
    """Global options, and the services built from them on first use."""

    def __init__(
        self,
        db: str,
        user: str,
        policies: Path | None,
        debug: bool,
        *,
        outbox: Path | None = None,
        smtp: bool = True,
    ) -> None:
        self.db, self.user, self.policies_dir, self.debug = db, user, policies, debug
        self.outbox, self.smtp = outbox, smtp

    @cached_property
    def store(self) -> Store:
        """Parsed once: the services and the read models must share one store (an in-memory
        SQLite URL names a fresh database each time it is parsed)."""
        from casereview.bootstrap import parse_store_url

        return parse_store_url(self.db)

    @cached_property
    def services(self) -> Services:
        from casereview.bootstrap import Settings, build_services
        from casereview.services import Notices

        notices = Notices(warn=warn, progress=_progress_line())
        settings = Settings(
            db=self.db, policies=self.policies_dir, outbox=self.outbox, smtp=self.smtp
        )
        return build_services(settings, notices, store=self.store)

    def close(self) -> None:
        if "services" in self.__dict__:
            self.services.close()


pass_config = click.make_pass_decorator(Config)


def warn(text: str) -> None:
    """A warning of the services, on stderr."""
    say(f"Warning: {text}", err=True)


def _progress_line() -> Callable[[int, int], None] | None:
    """Progress of long work on one line of a terminal's stderr (nothing when piped)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\r  log position {done:,} of {total:,}", err=True, nl=False)
        if done >= total:
            click.echo("", err=True)

    return show


class FieldOption(click.ParamType):  # type: ignore[type-arg]
    """Base of the option types that parse through the services' input rules, naming the
    field by the option's domain name (`--incident-on` is `incident_on`)."""

    @staticmethod
    def field(param: click.Parameter | None) -> str:
        """The option's domain name, or an argument's metavar (`START`), which `message`
        shows as it is."""
        if param is None or not param.name:
            return "value"
        if isinstance(param, click.Argument):
            return param.human_readable_name.upper()
        return param.name


class ISODate(FieldOption):
    """YYYY-MM-DD only (services.inputs.parse_date)."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        from casereview.services.inputs import parse_date

        return parse_date(self.field(param), str(value))


class Moment(FieldOption):
    """A date (the end of that day in the UK) or an ISO 8601 timestamp with its zone."""

    name = "MOMENT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        from casereview.services.inputs import parse_moment

        return parse_moment(self.field(param), str(value))


DATE = ISODate()
MOMENT = Moment()


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


def message(exc: BaseException) -> str:
    """An error in the CLI's words: a field is named as its option (`--incident-on`), an
    argument by its metavar (`START`)."""
    from casereview.errors import FieldError

    if isinstance(exc, FieldError):
        name = exc.field if exc.field.isupper() else f"--{exc.field.replace('_', '-')}"
        return f"{name}: {exc.problem}"
    return str(exc)


def emit(data: Any) -> None:
    """One JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document."
    )(f)


def written(as_json: bool, text: str, data: dict[str, Any]) -> None:
    """What a write command prints: its text, or with --json the JSON object."""
    if as_json:
        emit(data)
    else:
        say(text)
