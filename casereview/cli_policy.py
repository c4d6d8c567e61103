"""`casereview policy` and `casereview calendar`: local procedures (list, show, check,
simulate) and working-day arithmetic, explained."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from casereview.cli_support import DATE, Config, emit, json_option, pass_config, say


@click.group()
def policy() -> None:
    """Local procedures: list, show, check and simulate them."""


@policy.command("list")
@json_option
@pass_config
def policy_list(cfg: Config, as_json: bool) -> None:
    """One line per area: the procedure in force today.

    \b
    Example:
        casereview policy list --json
    """
    rows = cfg.services.procedures.areas()
    if as_json:
        emit(rows)
        return
    for r in rows:
        routes = ", ".join(r["routes"]) or "none"
        say(
            f"{r['slug']:<20} {r['area']:<28} {r['nation']:<8} from {r['effective_from']}  "
            f"threshold {r['threshold']}  routes: {routes}"
        )


@policy.command("show")
@click.argument("area")
@click.option(
    "--on", "on", type=DATE, help="The version in force on this date (default: today)."
)
@json_option
@pass_config
def policy_show(cfg: Config, area: str, on: date | None, as_json: bool) -> None:
    """Show an area's procedure as in force on a date.

    \b
    Example:
        casereview policy show gosport --on 2026-01-01 --json
    """
    p = cfg.services.procedures.in_force(area, on)
    if as_json:
        emit(p.model_dump(mode="json", by_alias=True))
        return
    say(f"{p.area} ({p.version}, {p.nation}); source {p.source}")
    t = p.threshold
    say(
        f"  Threshold: {t.complaints} qualifying complaint(s), each made within "
        f"{t.complain_within_months} month(s) of the behaviour, the application within "
        f"{t.apply_within_months} months of each complaint."
    )
    for r in p.routes:
        say(f"  Route: {_route(r)}")
    for s in p.timescales:
        say(
            f"  Timescale {s.name}: {s.rule} from {_words(s.from_)} until {_words(s.until)}"
        )
    if p.appeal:
        say(
            f"  Appeal: to {p.appeal.body}, within {p.appeal.rule} of "
            f"{_words(p.appeal.from_)}."
        )
    else:
        say("  Appeal: the procedure names no appeal body.")


def _route(route: Any) -> str:
    """A local route in words."""
    if route.kind == "hate":
        text = f"hate incidents: {route.complaints} qualifying complaint(s) are enough"
    elif route.kind == "community":
        text = (
            f"community: {route.individuals} different people each with a qualifying "
            "complaint about similar behaviour"
        )
    else:
        text = (
            f"vulnerability or high harm: referred to the {route.decided_by} to decide"
        )
    if route.complain_within_days:
        text += f" (complaints made within {route.complain_within_days} days count)"
    return text


def _words(step: str) -> str:
    return step.replace("_", " ")


@policy.command("check")
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
def policy_check(paths: tuple[Path, ...]) -> None:
    """Validate procedure files; exit 3 if one is stricter than the Act, 2 if malformed.

    \b
    Example:
        casereview policy check policies/*/*.toml
    """
    from casereview.services.procedures import ProcedureService

    worst = 0
    for checked in ProcedureService.check_files(list(paths)):
        if checked.error is not None:
            say(f"Error: {checked.error}", err=True)
            worst = max(worst, checked.error.exit_code)
            continue
        p = checked.procedure
        assert p is not None  # noqa: S101 - no error
        say(
            f"OK {checked.path}: {p.area} from {p.effective_from}: "
            f"{p.threshold.complaints} complaints"
        )
    if worst:
        raise click.exceptions.Exit(worst)


@policy.command("simulate")
@click.argument("area")
@click.option(
    "--proposed",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The proposed procedure file.",
)
@click.option(
    "--from", "from_", type=DATE, help="Only applications received on or after."
)
@click.option("--to", type=DATE, help="Only applications received on or before.")
@json_option
@pass_config
def policy_simulate(
    cfg: Config,
    area: str,
    proposed: Path,
    from_: date | None,
    to: date | None,
    as_json: bool,
) -> None:
    """Decide every past application of AREA again under a proposed procedure.

    Reads the event log and writes nothing. A proposal stricter than the Act is refused
    (exit 3) before anything is simulated.

    \b
    Example:
        casereview policy simulate gosport --proposed draft.toml --from 2026-04-01 --json
    """
    result = cfg.services.procedures.simulate(area, proposed, from_, to)
    if as_json:
        emit(result.to_json())
        return
    say(
        f"{area.strip().lower()}: {result.cases} application(s) replayed under {proposed}: "
        f"{len(result.to_met)} not met -> met, {len(result.to_not_met)} met -> not met, "
        f"{result.unchanged} unchanged"
    )
    for flip in result.flips:
        arrow = "not met -> MET" if flip.now_met else "met -> NOT MET"
        say(f"  {flip.ref} ({flip.received_on}): {arrow}")
        say(f"    was: {flip.was}")
        say(f"    now: {flip.now}")


@click.group()
def calendar() -> None:
    """Working-day arithmetic with England or Wales bank holidays."""


@calendar.command("due")
@click.argument("start", type=DATE)
@click.argument("rule")
@click.option("--area", help="Use this area's nation.")
@click.option(
    "--division",
    type=click.Choice(["england", "wales"]),
    help="Bank holidays of this nation.",
)
@json_option
@pass_config
def calendar_due(
    cfg: Config,
    start: date,
    rule: str,
    area: str | None,
    division: str | None,
    as_json: bool,
) -> None:
    """When a timescale ends, with the days skipped and why (the deadlines' own calendar,
    bank-holiday overrides included).

    \b
    Example:
        casereview calendar due 2026-12-21 "10 working days" --area gosport --json
    """
    due = cfg.services.procedures.calendar_due(
        start, rule, area=area, division=division
    )
    if as_json:
        emit(due.to_json())
        return
    for line in due.explanation():
        say(line)
