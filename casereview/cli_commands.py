"""The lifecycle commands of CONTRACT.md: application, complaint, threshold, meeting,
recommendation, action, outcome, appeal and case steps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from casereview.cli import (
    DATE,
    Config,
    cli,
    emit,
    json_option,
    pass_config,
    split_list,
    written,
)


def today(cfg: Config) -> date:
    return cfg.service.today()


# ----- application -----------------------------------------------------------------------


@cli.group()
def application() -> None:
    """Receive, acknowledge or withdraw an application for a case review."""


@application.command("receive")
@click.option(
    "--area", required=True, help="Area slug, as in `casereview policy list`."
)
@click.option(
    "--received-on", required=True, type=DATE, help="Date the application arrived."
)
@click.option("--applicant", required=True, help="Applicant's name.")
@click.option(
    "--kind",
    type=click.Choice(["victim", "on-behalf", "community", "business"]),
    default="victim",
    show_default=True,
)
@click.option(
    "--on-behalf-of", help="The victim's name, when applying for someone else."
)
@click.option(
    "--consent-on", type=DATE, help="Date the victim consented (with --on-behalf-of)."
)
@click.option("--email")
@click.option("--address")
@click.option("--hate", is_flag=True, help="The behaviour is hate-motivated.")
@click.option(
    "--vulnerable",
    is_flag=True,
    help="The victim is vulnerable or at risk of high harm.",
)
@click.option("--summary", help="What the applicant describes.")
@click.option(
    "--channel",
    default="not recorded",
    help="How it arrived: online, phone, letter, in person.",
)
@json_option
@pass_config
def application_receive(
    cfg: Config,
    area: str,
    received_on: date,
    applicant: str,
    kind: str,
    on_behalf_of: str | None,
    consent_on: date | None,
    email: str | None,
    address: str | None,
    hate: bool,
    vulnerable: bool,
    summary: str | None,
    channel: str,
    as_json: bool,
) -> None:
    """Record a new application and print its case reference.

    \b
    Example:
        REF=$(casereview application receive --area gosport --received-on 2026-03-02 --applicant "Sam Jones")
    """
    if on_behalf_of and kind == "victim":
        kind = "on-behalf"
    ref = cfg.service.receive(
        area=area,
        received_on=received_on,
        applicant_name=applicant,
        kind=kind,
        on_behalf_of=on_behalf_of,
        consent_on=consent_on,
        email=email,
        address=address,
        hate=hate,
        vulnerable=vulnerable,
        summary=summary,
        channel=channel,
        by=cfg.user,
    )
    written(cfg, as_json, ref, {"ref": ref})


@application.command("acknowledge")
@click.argument("ref")
@click.option("--on", "on", type=DATE, help="Date acknowledged (default: today).")
@json_option
@pass_config
def application_acknowledge(
    cfg: Config, ref: str, on: date | None, as_json: bool
) -> None:
    """Record that the applicant was told their application arrived.

    \b
    Example:
        casereview application acknowledge GOSPORT-2026-0001 --on 2026-03-03
    """
    on = on or today(cfg)
    cfg.service.acknowledge(ref, on, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()}: acknowledged on {on}",
        {"ref": ref.upper(), "acknowledged_on": on.isoformat()},
    )


@application.command("withdraw")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--reason", required=True)
@json_option
@pass_config
def application_withdraw(
    cfg: Config, ref: str, on: date, reason: str, as_json: bool
) -> None:
    """Record that the applicant withdrew; open deadlines end with it.

    \b
    Example:
        casereview application withdraw GOSPORT-2026-0001 --on 2026-03-10 --reason "Moved away"
    """
    cfg.service.withdraw(ref, on, reason, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()}: withdrawn on {on}",
        {"ref": ref.upper(), "withdrawn_on": on.isoformat()},
    )


# ----- complaints --------------------------------------------------------------------------


@cli.group()
def complaint() -> None:
    """Record or correct complaints made to the relevant bodies."""


@complaint.command("add")
@click.argument("ref")
@click.option("--agency", required=True, help="The relevant body complained to.")
@click.option("--incident-on", required=True, type=DATE, help="Date of the behaviour.")
@click.option("--reported-on", required=True, type=DATE, help="Date it was reported.")
@click.option("--agency-ref", help="The agency's own reference.")
@click.option("--incident", help="Key grouping reports of the same incident.")
@click.option("--complainant", help="Who complained (default: the applicant).")
@click.option("--hate", is_flag=True, help="Reported as hate-motivated.")
@click.option("--summary")
@json_option
@pass_config
def complaint_add(
    cfg: Config,
    ref: str,
    agency: str,
    incident_on: date,
    reported_on: date,
    agency_ref: str | None,
    incident: str | None,
    complainant: str | None,
    hate: bool,
    summary: str | None,
    as_json: bool,
) -> None:
    """Record a complaint and print its id.

    An agency's reference identifies one complaint, whatever its case and spaces: one
    already recorded on another case is refused (exit 3, naming that case).

    \b
    Example:
        casereview complaint add GOSPORT-2026-0001 --agency "Hampshire Police" \\
            --incident-on 2026-02-01 --reported-on 2026-02-02 --agency-ref 44120
    """
    if agency_ref:
        refuse_recorded_elsewhere(cfg, ref, agency, agency_ref)
    complaint_id = cfg.service.add_complaint(
        ref,
        agency=agency,
        incident_on=incident_on,
        reported_on=reported_on,
        complainant=complainant,
        agency_ref=agency_ref,
        incident=incident,
        hate=hate,
        summary=summary,
        by=cfg.user,
    )
    written(cfg, as_json, complaint_id, {"ref": ref.upper(), "id": complaint_id})


def refuse_recorded_elsewhere(
    cfg: Config, ref: str, agency: str, agency_ref: str
) -> None:
    """RecordedOnAnotherCase if the read model (caught up first) holds this reference on a
    case other than `ref` (on `ref` itself the case refuses it, naming the complaint).
    Two writers recording one reference on two cases at the same moment can both pass: the
    read model then lists it under both (see casereview.import_pipeline)."""
    from casereview.application import normalise_ref
    from casereview.domain.identity import RecordedOnAnotherCase, identity_key

    ref = normalise_ref(ref)
    cfg.refresh()
    key = identity_key(agency, agency_ref)
    holders = cfg.projector.recorded_under([key]).get(key, [])
    if any(holder == ref for holder, _ in holders):
        return
    for other, complaint_id in holders:
        raise RecordedOnAnotherCase(ref, agency, agency_ref, other, complaint_id)


@complaint.command("correct")
@click.argument("ref")
@click.argument("complaint_id")
@click.option("--incident-on", type=DATE)
@click.option("--reported-on", type=DATE)
@click.option("--agency")
@click.option("--agency-ref")
@click.option("--reason", required=True, help="Why the record was wrong.")
@json_option
@pass_config
def complaint_correct(
    cfg: Config,
    ref: str,
    complaint_id: str,
    incident_on: date | None,
    reported_on: date | None,
    agency: str | None,
    agency_ref: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Correct a recorded complaint; the original stays in the log.

    \b
    Example:
        casereview complaint correct GOSPORT-2026-0001 C2 --reported-on 2026-02-03 --reason "Typo"
    """
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "incident_on": incident_on,
            "reported_on": reported_on,
            "agency": agency,
            "agency_ref": agency_ref,
        }.items()
        if v is not None
    }
    if not changes:
        raise click.UsageError(
            "name at least one field to correct (--incident-on, --reported-on, --agency, --agency-ref)"
        )
    cfg.service.correct_complaint(ref, complaint_id, changes, reason, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()} {complaint_id.upper()}: corrected",
        {"ref": ref.upper(), "id": complaint_id.upper(), "corrected": sorted(changes)},
    )


@complaint.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--reject-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write bad rows here with their line number and reason (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 50_000), default=5000, show_default=True
)
@json_option
@pass_config
def complaint_import(
    cfg: Config, path: Path, reject_file: Path | None, batch_size: int, as_json: bool
) -> None:
    """Import complaints from an agency export (CSV); exit 2 if any row was rejected.

    Columns: case_ref,agency,agency_ref,incident_on,reported_on,hate,summary.
    (agency, agency_ref) identifies a complaint, whatever its case and spaces: importing a
    file again records nothing new, and a reference already recorded on another case is
    rejected. The reject file is written only if a row is rejected.

    \b
    Example:
        casereview complaint import police-export.csv --reject-file rejects.csv
    """
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from casereview.importer import RejectFile, check_reject_file, import_complaints

    reject_file = reject_file or path.with_suffix(".rejects.csv")
    check_reject_file(path, reject_file)  # before anything is opened for writing
    cfg.refresh()  # the read model says which case each reference is already on
    total = None  # the bar's length, counted only when a terminal shows it
    if sys.stderr.isatty():
        with path.open(encoding="utf-8-sig", errors="replace") as lines:
            total = max(sum(1 for _ in lines) - 1, 0)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
    with (
        RejectFile(reject_file) as rejects,
        Progress(*columns, disable=not sys.stderr.isatty(), transient=True) as bar,
    ):
        task = bar.add_task("rows", total=total)
        result = import_complaints(
            cfg.service,
            path,
            by=cfg.user,
            batch_size=batch_size,
            progress=lambda n: bar.advance(task, n),
            reject=rejects,
            elsewhere=cfg.projector.reference_lookup(),
        )
    cfg.refresh()
    if as_json:
        emit(
            {
                **result.to_json(),
                "reject_file": str(reject_file) if result.rejected else None,
            }
        )
    else:
        click.echo(
            f"{result.recorded} recorded, {result.already} already recorded, "
            f"{result.rejected} rejected"
            + (f" (see {reject_file})" if result.rejected else "")
        )
    if not result.rejected:
        return
    click.echo(f"Error: {result.rejected} row(s) rejected; see {reject_file}", err=True)
    raise click.exceptions.Exit(2)


# ----- threshold ---------------------------------------------------------------------------


@cli.group()
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
    from casereview.domain.errors import InvalidInput
    from casereview.views import threshold_view

    if discretion and not reason:
        raise InvalidInput(
            f"--discretion {discretion} needs --reason: the relevant bodies' reasons are recorded"
        )
    if reason and not discretion:
        raise InvalidInput(
            "--reason goes with --discretion met or --discretion not-met"
        )
    on = on or today(cfg)
    cfg.service.decide_threshold(
        ref, on, discretion_reason=reason, discretion=discretion or "met", by=cfg.user
    )
    view = threshold_view(cfg.service.app.get_case(ref))
    assert view is not None  # noqa: S101 - just decided
    cfg.refresh()
    if as_json:
        emit(view)
        return
    verdict = "MET" if view["met"] else "NOT MET"
    how = (
        f" ({view['basis']}{', ' + view['route'] if view['route'] else ''})"
        if view["met"]
        else ""
    )
    click.echo(f"{ref.upper()}: threshold {verdict}{how} on {view['decided_on']}")
    for line in view["explanation"]:
        click.echo(f"  {line}")


# ----- review meeting ---------------------------------------------------------------------


@cli.group()
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
    cfg.service.schedule_meeting(ref, on, split_list(agencies), chair, by=cfg.user)
    written(
        cfg,
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
    cfg.service.hold_meeting(
        ref,
        on,
        split_list(attended),
        victim_attended=victim_attended,
        impact_statement=impact_statement,
        by=cfg.user,
    )
    written(
        cfg,
        as_json,
        f"{ref.upper()}: meeting held on {on}",
        {"ref": ref.upper(), "held_on": on.isoformat()},
    )


# ----- recommendations and actions ---------------------------------------------------------


@cli.group()
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
    rid = cfg.service.add_recommendation(ref, agency, text, due, by=cfg.user)
    written(cfg, as_json, rid, {"ref": ref.upper(), "id": rid})


@cli.group()
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
    aid = cfg.service.agree_action(ref, recommendation, owner, text, due, by=cfg.user)
    written(cfg, as_json, aid, {"ref": ref.upper(), "id": aid})


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
    cfg.service.complete_action(ref, action_id, on, note, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()} {action_id.upper()}: completed on {on}",
        {"ref": ref.upper(), "id": action_id.upper(), "completed_on": on.isoformat()},
    )


# ----- outcome, appeal, closure -----------------------------------------------------------


@cli.group()
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
    cfg.service.send_outcome(ref, on, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()}: outcome sent on {on}",
        {"ref": ref.upper(), "outcome_sent_on": on.isoformat()},
    )


@cli.group()
def appeal() -> None:
    """Appeals (queries) to the area's appeal body, usually the PCC office."""


@appeal.command("lodge")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--grounds", required=True)
@json_option
@pass_config
def appeal_lodge(cfg: Config, ref: str, on: date, grounds: str, as_json: bool) -> None:
    """Record an appeal; a late one is recorded as late, never refused.

    \b
    Example:
        casereview appeal lodge GOSPORT-2026-0001 --on 2026-04-02 --grounds "Panel did not hear from housing"
    """
    in_time = cfg.service.lodge_appeal(ref, on, grounds, by=cfg.user)
    timing = {
        True: "in time",
        False: "LATE: for the appeal body to accept or decline",
        None: "no appeal window in the procedure",
    }[in_time]
    written(
        cfg,
        as_json,
        f"{ref.upper()}: appeal lodged on {on} ({timing})",
        {"ref": ref.upper(), "lodged_on": on.isoformat(), "in_time": in_time},
    )


@appeal.command("decide")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--upheld/--not-upheld", required=True, default=None)
@click.option("--reasons", required=True)
@click.option(
    "--reopens-at",
    type=click.Choice(["threshold", "review"]),
    help="Where an upheld appeal reopens the case (default: the step appealed).",
)
@click.option(
    "--by", "decided_by", help="Who decided (default: the procedure's appeal body)."
)
@json_option
@pass_config
def appeal_decide(
    cfg: Config,
    ref: str,
    on: date,
    upheld: bool,
    reasons: str,
    reopens_at: str | None,
    decided_by: str | None,
    as_json: bool,
) -> None:
    """Record the appeal body's decision; an upheld appeal reopens the case.

    \b
    Example:
        casereview appeal decide GOSPORT-2026-0001 --on 2026-04-20 --upheld --reasons "Housing not consulted"
    """
    cfg.service.decide_appeal(
        ref,
        on,
        upheld=upheld,
        reasons=reasons,
        reopens_at=reopens_at,
        decided_by=decided_by,
        by=cfg.user,
    )
    case = cfg.service.app.get_case(ref)
    text = f"{ref.upper()}: appeal {'upheld' if upheld else 'not upheld'} on {on}"
    if case.reopened_at:
        text += f"; reopened at the {case.reopened_at}"
    written(
        cfg,
        as_json,
        text,
        {"ref": ref.upper(), "upheld": upheld, "reopens_at": case.reopened_at},
    )
