"""`casereview threshold decide`: the threshold decision, explained."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli_support import (
    DATE,
    Config,
    emit,
    json_option,
    pass_config,
    say,
)


@click.group()
def threshold() -> None:
    """Decide whether the threshold for a case review is met."""


@threshold.command("decide")
@click.argument("ref")
@click.option("--on", "on", type=DATE, help="Date of the decision (default: today).")
@click.option(
    "--discretion",
    type=click.Choice(["met", "not-met"]),
    help="Record the relevant bodies' s.104(5) decision (not-met: a referral decided against).",
)
@click.option("--reason", help="The reasons for a discretionary decision.")
@json_option
@pass_config
def threshold_decide(
    cfg: Config,
    ref: str,
    on: date | None,
    discretion: str | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Apply the Act and the area's procedure; print the decision and why.

    "Not met" is a result (exit 0), with the nearest test and what was missing.

    \b
    Example:
        casereview threshold decide GOSPORT-2026-0001 --json
        casereview threshold decide GOSPORT-2026-0002 --discretion met --reason "Repeat victim"
    """
    services = cfg.services
    services.cases.decide_threshold(
        ref, on, discretion_reason=reason, discretion=discretion, by=cfg.user
    )
    view = services.casefile.threshold(ref)
    assert view is not None  # noqa: S101 - just decided
    if as_json:
        emit(view)
        return
    verdict = "MET" if view["met"] else "NOT MET"
    how = (
        f" ({view['basis']}{', ' + view['route'] if view['route'] else ''})"
        if view["met"]
        else ""
    )
    say(f"{ref.upper()}: threshold {verdict}{how} on {view['decided_on']}")
    for line in view["explanation"]:
        say(f"  {line}")
