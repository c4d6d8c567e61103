"""Case, policy, calendar and housekeeping commands of CONTRACT.md."""

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
    parse_moment,
    pass_config,
    say,
    written,
)

# ----- case -------------------------------------------------------------------------------


@cli.group()
def case() -> None:
    """Show, list, replay and close cases."""


@case.command("close")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--reason")
@json_option
@pass_config
def case_close(
    cfg: Config, ref: str, on: date, reason: str | None, as_json: bool
) -> None:
    """Close a case once the outcome has been sent.

    \b
    Example:
        casereview case close GOSPORT-2026-0001 --on 2026-05-01 --reason "Action plan complete"
    """
    cfg.service.close(ref, on, reason, by=cfg.user)
    written(
        cfg,
        as_json,
        f"{ref.upper()}: closed on {on}",
        {"ref": ref.upper(), "closed_on": on.isoformat()},
    )


@case.command("show")
@click.argument("ref")
@click.option(
    "--as-at",
    help="Show the case as recorded at DATE (end of day) or an ISO timestamp.",
)
@json_option
@pass_config
def case_show(cfg: Config, ref: str, as_at: str | None, as_json: bool) -> None:
    """Show a case from its events (optionally as it stood at a past moment).

    \b
    Example:
        casereview case show GOSPORT-2026-0001 --json
        casereview case show GOSPORT-2026-0001 --as-at 2026-03-05
    """
    from casereview.domain.errors import CaseNotFound
    from casereview.services.followup import case_deadlines
    from casereview.services.views import case_view, deadline_view

    app = cfg.service.app
    moment = None
    if as_at:
        moment = parse_moment("--as-at", as_at)
        past = app.case_as_at(ref, moment)
        if past is None:
            raise CaseNotFound(f"{ref.upper()} as at {as_at}")
        case = past
    else:
        case = app.get_case(ref)
    found = case_deadlines(app, case, cfg.service.procedure_for(case), moment)
    view = case_view(case, [deadline_view(d) for d in found])
    if as_json:
        emit(view)
        return
    print_case(view)


def print_case(view: dict[str, Any]) -> None:
    echo = say
    echo(
        f"{view['ref']}  {view['area']}  {view['status']}  (version {view['version']})"
    )
    echo(
        f"  received {view['received_on']} from {view['applicant']['name']} ({view['applicant_kind']})"
        + (f" for {view['victim']['name']}" if view["victim"] else "")
    )
    flags = [f for f in ("hate", "vulnerable") if view[f]]
    if flags:
        echo(f"  flags: {', '.join(flags)}")
    if view["acknowledged_on"]:
        echo(f"  acknowledged {view['acknowledged_on']}")
    echo(f"  complaints ({len(view['complaints'])}):")
    for c in view["complaints"]:
        ref_text = f" ref {c['agency_ref']}" if c["agency_ref"] else ""
        echo(
            f"    {c['id']}: {c['agency']}{ref_text}, incident {c['incident_on']}, reported {c['reported_on']}"
            + (" [hate]" if c["hate"] else "")
        )
    t = view["threshold"]
    if t:
        verdict = "met" if t["met"] else "not met"
        echo(
            f"  threshold {verdict} on {t['decided_on']} (basis {t['basis']}, route {t['route']}, "
            f"policy {t['policy']['area']}/{t['policy']['effective_from']})"
        )
        for line in t["explanation"]:
            echo(f"    {line}")
    for m in view["meetings"]:
        held = f", held {m['held_on']}" if m["held_on"] else ""
        echo(f"  meeting {m['meeting_on']} with {', '.join(m['agencies'])}{held}")
    for r in view["recommendations"]:
        echo(
            f"  {r['id']}: {r['agency']}: {r['text']}"
            + (f" (due {r['due_on']})" if r["due_on"] else "")
        )
    for a in view["actions"]:
        done = (
            f"done {a['completed_on']}" if a["completed_on"] else f"due {a['due_on']}"
        )
        echo(f"  {a['id']} ({a['recommendation']}, {a['owner']}): {a['text']} [{done}]")
    if view["outcome_sent_on"]:
        echo(f"  outcome sent {view['outcome_sent_on']}")
    ap = view["appeal"]
    if ap:
        timing = {True: "in time", False: "late", None: "no window"}[ap["in_time"]]
        echo(
            f"  appeal lodged {ap['lodged_on']} ({timing})"
            + (
                f", {'upheld' if ap['upheld'] else 'not upheld'} {ap['decided_on']}"
                if ap["decided_on"]
                else ""
            )
        )
    if view["withdrawn_on"]:
        echo(f"  withdrawn {view['withdrawn_on']}")
    if view["closed_on"]:
        echo(f"  closed {view['closed_on']}")
    for d in view["deadlines"]:
        ended = f", ended {d['ended_on']}" if d["ended_on"] else ""
        echo(
            f"  deadline {d['kind']}: {d['rule']} from {d['start_on']}, due {d['due_on']} [{d['state']}{ended}]"
        )


@case.command("history")
@click.argument("ref")
@json_option
@pass_config
def case_history(cfg: Config, ref: str, as_json: bool) -> None:
    """Every event of a case, oldest first, with who recorded it and when.

    \b
    Example:
        casereview case history GOSPORT-2026-0001 --json
    """
    from casereview.services.views import history_view

    rows = history_view(*_events_and_positions(cfg, ref))
    if as_json:
        emit(rows)
        return
    for row in rows:
        say(
            f"{row['version']:>3}  #{row['position']:<8} {row['recorded_at']}  "
            f"{row['recorded_by']:<12} {row['event']}"
        )


def _events_and_positions(cfg: Config, ref: str) -> tuple[list[Any], dict[int, int]]:
    """A case's events and each one's position in the whole log."""
    from casereview.adapters.eventstore import normalise_ref
    from casereview.adapters.ledger import stream_positions
    from casereview.domain.case import case_id

    app = cfg.service.app
    events = app.case_events(ref)
    return events, stream_positions(app, case_id(normalise_ref(ref)))


@case.command("diff")
@click.argument("ref")
@click.argument("from_", metavar="FROM")
@click.argument("to")
@json_option
@pass_config
def case_diff(cfg: Config, ref: str, from_: str, to: str, as_json: bool) -> None:
    """The events recorded after FROM and up to TO (dates or ISO timestamps).

    \b
    Example:
        casereview case diff GOSPORT-2026-0001 2026-03-01 2026-03-31 --json
    """
    from casereview.services.views import history_view

    start, end = parse_moment("FROM", from_), parse_moment("TO", to)
    rows = [
        r
        for r in history_view(*_events_and_positions(cfg, ref))
        if start < _moment(r["recorded_at"]) <= end
    ]
    if as_json:
        emit(rows)
        return
    for row in rows:
        say(f"{row['version']:>3}  {row['recorded_at']}  {row['event']}: {row['data']}")


def _moment(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


@case.command("list")
@click.option("--area")
@click.option("--status")
@json_option
@pass_config
def case_list(cfg: Config, area: str | None, status: str | None, as_json: bool) -> None:
    """List cases from the read model.

    \b
    Example:
        casereview case list --area gosport --status threshold_met --json
    """
    from casereview.domain.errors import InvalidInput
    from casereview.domain.values import STATUSES

    if status and status not in STATUSES:
        raise InvalidInput(
            f"--status: {status!r} is not a status (expected one of {', '.join(STATUSES)})"
        )
    if area:
        area = cfg.service.area_slug(area)
    cfg.refresh()
    rows = cfg.projector.list_cases(area=area, status=status)
    if as_json:
        emit(
            [
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
                for r in rows
            ]
        )
        return
    for r in rows:
        say(
            f"{r['ref']:<24} {r['status']:<18} received {r['received_on']}  complaints {r['complaints']}"
        )
    say(f"{len(rows)} case(s)", err=True)


# ----- housekeeping -----------------------------------------------------------------------


@cli.command("init")
@pass_config
def init(cfg: Config) -> None:
    """Create the event store and read-model tables (idempotent).

    \b
    Example:
        casereview --db postgresql://postgres@127.0.0.1:5432/test init
    """
    cfg.refresh()
    say(f"ready: {cfg.db}")


@cli.group()
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
    from casereview.domain.errors import CaseReviewError

    if verify:
        equal, digests = cfg.projector.verify()
        for table, (live, rebuilt) in digests.items():
            mark = "equal" if live == rebuilt else "DIFFERENT"
            say(f"{table:<20} live {live[:16]}  rebuilt {rebuilt[:16]}  {mark}")
        if not equal:
            raise CaseReviewError("the rebuilt read models differ from the live ones")
        return
    import sys

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    head = cfg.service.app.recorder.max_notification_id() or 0
    columns = (
        TextColumn("rebuilding"),
        BarColumn(),
        TextColumn("log position {task.completed:,.0f} of {task.total:,.0f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task("rebuild", total=head)
        applied = cfg.projector.rebuild(
            progress=lambda reached, newest: bar.update(
                task, completed=reached, total=newest
            )
        )
    say(f"rebuilt from {applied} events")
    cfg.report_skipped()
    dropped = cfg.projector.drop_other_versions()
    if dropped:
        versions = ", ".join(str(v) for v in dropped)
        say(f"dropped the read models of schema version(s) {versions}")


# ----- policies and calendar --------------------------------------------------------------


@cli.group()
def policy() -> None:
    """Local procedures: list, show and check them."""


def _book(cfg: Config) -> Any:
    from casereview.adapters.policy_files import PolicyBook

    return PolicyBook.load(cfg.policies)


@policy.command("list")
@json_option
@pass_config
def policy_list(cfg: Config, as_json: bool) -> None:
    """One line per area: the procedure in force today.

    \b
    Example:
        casereview policy list --json
    """
    book = _book(cfg)
    today = cfg.service.today()
    rows = []
    for slug in book.areas():
        p = book.current(slug, today)
        rows.append(
            {
                "slug": slug,
                "area": p.area,
                "nation": p.nation,
                "effective_from": p.effective_from.isoformat(),
                "threshold": p.threshold.complaints,
                "routes": [r.kind for r in p.routes],
            }
        )
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
    p = _book(cfg).in_force(area.lower(), on or cfg.service.today())
    data = p.model_dump(mode="json", by_alias=True)
    if as_json:
        emit(data)
        return
    say(f"{p.area} ({p.version}, {p.nation}); source {p.source}")
    t = p.threshold
    say(
        f"  threshold: {t.complaints} complaints, each within {t.complain_within_months} month(s) of the "
        f"behaviour, application within {t.apply_within_months} months"
    )
    for r in p.routes:
        say(f"  route: {r.model_dump(exclude_none=True)}")
    for s in p.timescales:
        say(f"  timescale {s.name}: {s.rule} from {s.from_} until {s.until}")
    if p.appeal:
        say(f"  appeal: {p.appeal.body}, {p.appeal.rule} from {p.appeal.from_}")


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
    from casereview.adapters.policy_files import load_policy_file
    from casereview.domain.errors import CaseReviewError

    worst: CaseReviewError | None = None
    for path in paths:
        try:
            p = load_policy_file(path)
        except CaseReviewError as exc:
            say(f"Error: {exc}", err=True)
            if worst is None or exc.exit_code > worst.exit_code:
                worst = exc
            continue
        say(
            f"OK {path}: {p.area} from {p.effective_from}: {p.threshold.complaints} complaints"
        )
    if worst is not None:
        raise click.exceptions.Exit(worst.exit_code)


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
    from casereview.services.simulation import simulate
    from casereview.thresholds.policy import parse_procedure

    slug = cfg.service.area_slug(area)
    try:
        data = proposed.read_bytes()
    except OSError as exc:
        from casereview.thresholds.policy import PolicyError

        raise PolicyError(f"{proposed}: cannot read: {exc.strerror}") from None
    procedure = parse_procedure(data, slug=slug, name=str(proposed))
    result = simulate(cfg.service, slug, procedure, from_, to)
    if as_json:
        emit(result.to_json())
        return
    say(
        f"{slug}: {result.cases} application(s) replayed under {proposed}: "
        f"{len(result.to_met)} not met -> met, {len(result.to_not_met)} met -> not met, "
        f"{result.unchanged} unchanged"
    )
    for flip in result.flips:
        arrow = "not met -> MET" if flip.now_met else "met -> NOT MET"
        say(f"  {flip.ref} ({flip.received_on}): {arrow}")
        say(f"    was: {flip.was}")
        say(f"    now: {flip.now}")


@cli.group()
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
    """When a timescale ends, with the days skipped and why.

    \b
    Example:
        casereview calendar due 2026-12-21 "10 working days" --area gosport --json
    """
    from casereview.adapters.holidays import calendar_for
    from casereview.thresholds.calendar import Rule

    if area and division:
        raise click.UsageError("give --area or --division, not both")
    if area:
        division = _book(cfg).in_force(area.lower(), start).nation
    due = calendar_for(division or "england").due(start, Rule.parse(rule))
    if as_json:
        emit(due.to_json())
        return
    for line in due.explanation():
        say(line)
