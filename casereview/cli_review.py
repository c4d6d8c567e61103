"""`casereview meeting`, `recommendation`, `action` and `outcome`: the review, its action plan and the outcome letter."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli_support import DATE, Config, json_option, pass_config, written
from casereview.services.inputs import split_list


@click.group()
def meeting() -> None:
    """Schedule and record the case review meeting."""


@meeting.command("schedule")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE, help="Date the panel will sit.")
@click.option("--agencies", required=True, help="Comma-separated agencies invited.")
@click.option("--chair", help="Who chairs (an independent chair where possible).")
@json_option
@pass_config
def meeting_schedule(
    cfg: Config, ref: str, on: date, agencies: str, chair: str | None, as_json: bool
) -> None:
    """Schedule (or reschedule) the review meeting.

    \b
    Example:
        casereview meeting schedule GOSPORT-2026-0001 --on 2026-03-20 --agencies "Gosport Borough Council,Hampshire Police"
    """
    cfg.services.cases.schedule_meeting(
        ref, on, split_list(agencies), chair, by=cfg.user
    )
    written(
        as_json,
        f"{ref.upper()}: meeting scheduled for {on}",
        {"ref": ref.upper(), "meeting_on": on.isoformat()},
    )


@meeting.command("held")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option(
    "--attended", required=True, help="Comma-separated agencies that attended."
)
@click.option("--victim-attended", is_flag=True)
@click.option("--impact-statement", help="The victim's impact statement, if given.")
@json_option
@pass_config
def meeting_held(
    cfg: Config,
    ref: str,
    on: date,
    attended: str,
    victim_attended: bool,
    impact_statement: str | None,
    as_json: bool,
) -> None:
    """Record that the review meeting was held.

    \b
    Example:
        casereview meeting held GOSPORT-2026-0001 --on 2026-03-20 --attended "Gosport Borough Council" --victim-attended
    """
    cfg.services.cases.hold_meeting(
        ref,
        on,
        split_list(attended),
        victim_attended=victim_attended,
        impact_statement=impact_statement,
        by=cfg.user,
    )
    written(
        as_json,
        f"{ref.upper()}: meeting held on {on}",
        {"ref": ref.upper(), "held_on": on.isoformat()},
    )


# ----- recommendations and actions ---------------------------------------------------------


@click.group()
def recommendation() -> None:
    """Record the panel's recommendations."""


@recommendation.command("add")
@click.argument("ref")
@click.option("--agency", required=True, help="The agency asked to act.")
@click.option("--text", required=True)
@click.option("--due", type=DATE)
@json_option
@pass_config
def recommendation_add(
    cfg: Config, ref: str, agency: str, text: str, due: date | None, as_json: bool
) -> None:
    """Record a recommendation and print its id.

    \b
    Example:
        casereview recommendation add GOSPORT-2026-0001 --agency "Hampshire Police" --text "Patrols" --due 2026-05-01
    """
    rid = cfg.services.cases.add_recommendation(ref, agency, text, due, by=cfg.user)
    written(as_json, rid, {"ref": ref.upper(), "id": rid})


@click.group()
def action() -> None:
    """Agree and complete action plan steps."""


@action.command("add")
@click.argument("ref")
@click.option(
    "--recommendation", required=True, help="The recommendation this step carries out."
)
@click.option("--owner", required=True, help="The agency that owns the step.")
@click.option("--text", required=True)
@click.option("--due", required=True, type=DATE)
@json_option
@pass_config
def action_add(
    cfg: Config,
    ref: str,
    recommendation: str,
    owner: str,
    text: str,
    due: date,
    as_json: bool,
) -> None:
    """Agree an action plan step and print its id.

    \b
    Example:
        casereview action add GOSPORT-2026-0001 --recommendation R1 --owner "Hampshire Police" --text "Weekly patrol" --due 2026-04-30
    """
    aid = cfg.services.cases.agree_action(
        ref, recommendation, owner, text, due, by=cfg.user
    )
    written(as_json, aid, {"ref": ref.upper(), "id": aid})


@action.command("complete")
@click.argument("ref")
@click.argument("action_id")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--note")
@json_option
@pass_config
def action_complete(
    cfg: Config, ref: str, action_id: str, on: date, note: str | None, as_json: bool
) -> None:
    """Record an action plan step as done.

    \b
    Example:
        casereview action complete GOSPORT-2026-0001 A1 --on 2026-04-20 --note "Patrols in place"
    """
    cfg.services.cases.complete_action(ref, action_id, on, note, by=cfg.user)
    written(
        as_json,
        f"{ref.upper()} {action_id.upper()}: completed on {on}",
        {"ref": ref.upper(), "id": action_id.upper(), "completed_on": on.isoformat()},
    )


@click.group()
def outcome() -> None:
    """Tell the applicant the outcome."""


@outcome.command("send")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@json_option
@pass_config
def outcome_send(cfg: Config, ref: str, on: date, as_json: bool) -> None:
    """Record that the outcome letter was sent.

    \b
    Example:
        casereview outcome send GOSPORT-2026-0001 --on 2026-03-27
    """
    cfg.services.cases.send_outcome(ref, on, by=cfg.user)
    written(
        as_json,
        f"{ref.upper()}: outcome sent on {on}",
        {"ref": ref.upper(), "outcome_sent_on": on.isoformat()},
    )
