"""`casereview case`: show, list, replay and close cases. Human output reads as sentences and
aligned columns; `--json` prints CONTRACT.md's shapes unchanged."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from casereview.cli_support import (
    DATE,
    MOMENT,
    Config,
    emit,
    json_option,
    pass_config,
    say,
    written,
)

UK = ZoneInfo("Europe/London")


@click.group()
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
    cfg.services.cases.close(ref, on, reason, by=cfg.user)
    written(
        as_json,
        f"{ref.upper()}: closed on {on}",
        {"ref": ref.upper(), "closed_on": on.isoformat()},
    )


@case.command("show")
@click.argument("ref")
@click.option(
    "--as-at",
    type=MOMENT,
    help="Show the case as recorded at DATE (end of day) or an ISO timestamp.",
)
@json_option
@pass_config
def case_show(cfg: Config, ref: str, as_at: datetime | None, as_json: bool) -> None:
    """Show a case from its events (optionally as it stood at a past moment).

    \b
    Example:
        casereview case show GOSPORT-2026-0001 --json
        casereview case show GOSPORT-2026-0001 --as-at 2026-03-05
    """
    view = cfg.services.casefile.show(ref, as_at=as_at)
    if as_json:
        emit(view)
        return
    print_case(view)


def print_case(view: dict[str, Any]) -> None:
    """A case in sentences: who applied and when, each complaint, the decision and its
    explanation, the review, the outcome and appeal, and the deadlines."""
    echo = say
    echo(
        f"{view['ref']}  {view['area']}  {_words(view['status'])}  (version {view['version']})"
    )
    victim = f" for {view['victim']['name']}" if view["victim"] else ""
    echo(
        f"  Received {_day(view['received_on'])} from {view['applicant']['name']} "
        f"({view['applicant_kind']}){victim}."
    )
    flags = [f for f in ("hate", "vulnerable") if view[f]]
    if flags:
        echo(f"  Flagged: {' and '.join(flags)}.")
    if view["acknowledged_on"]:
        echo(f"  Acknowledged {_day(view['acknowledged_on'])}.")
    complaints = view["complaints"]
    echo(f"  Complaints ({len(complaints)}):" if complaints else "  No complaints yet.")
    for c in complaints:
        ref_text = f", their reference {c['agency_ref']}" if c["agency_ref"] else ""
        hate = ", hate-motivated" if c["hate"] else ""
        echo(
            f"    {c['id']}: to {c['agency']}{ref_text}; incident {_day(c['incident_on'])}, "
            f"reported {_day(c['reported_on'])}{hate}"
        )
    t = view["threshold"]
    if t:
        verdict = "met" if t["met"] else "not met"
        how = ""
        if t["met"]:
            how = {
                "statutory": " (the Act's test)",
                "local_count": " (the local count)",
                "route": f" (the {t['route']} route)",
                "discretion": " (the relevant bodies' discretion)",
            }.get(t["basis"] or "", "")
        echo(
            f"  Threshold {verdict}{how} on {_day(t['decided_on'])}, under the "
            f"{t['policy']['area']} procedure in force from "
            f"{_day(t['policy']['effective_from'])}:"
        )
        for line in t["explanation"]:
            echo(f"    {line}")
    for m in view["meetings"]:
        held = f"; held {_day(m['held_on'])}" if m["held_on"] else ""
        echo(
            f"  Review meeting {_day(m['meeting_on'])} with {', '.join(m['agencies'])}{held}."
        )
    for r in view["recommendations"]:
        due = f" (due {_day(r['due_on'])})" if r["due_on"] else ""
        echo(f"  Recommendation {r['id']} to {r['agency']}: {r['text']}{due}")
    for a in view["actions"]:
        done = (
            f"done {_day(a['completed_on'])}"
            if a["completed_on"]
            else f"due {_day(a['due_on'])}"
        )
        echo(
            f"  Action {a['id']} ({a['owner']}, for {a['recommendation']}): {a['text']}; {done}"
        )
    if view["outcome_sent_on"]:
        echo(f"  Outcome sent {_day(view['outcome_sent_on'])}.")
    ap = view["appeal"]
    if ap:
        timing = {True: "in time", False: "late", None: "no appeal window"}[
            ap["in_time"]
        ]
        decided = ""
        if ap["decided_on"]:
            verdict = "upheld" if ap["upheld"] else "not upheld"
            decided = f"; {verdict} {_day(ap['decided_on'])}"
        echo(f"  Appeal lodged {_day(ap['lodged_on'])} ({timing}){decided}.")
    if view["withdrawn_on"]:
        echo(f"  Withdrawn {_day(view['withdrawn_on'])}.")
    if view["closed_on"]:
        echo(f"  Closed {_day(view['closed_on'])}.")
    if view["deadlines"]:
        echo("  Deadlines:")
    for d in view["deadlines"]:
        ended = f", ended {_day(d['ended_on'])}" if d["ended_on"] else ""
        echo(
            f"    {_words(d['kind'])}: {d['rule']} from {_day(d['start_on'])}, "
            f"due {_day(d['due_on'])} ({d['state']}{ended})"
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
    rows = cfg.services.casefile.history(ref)
    if as_json:
        emit(rows)
        return
    print_events(rows, detail=False)


@case.command("diff")
@click.argument("ref")
@click.argument("from_", metavar="FROM", type=MOMENT)
@click.argument("to", type=MOMENT)
@json_option
@pass_config
def case_diff(
    cfg: Config, ref: str, from_: datetime, to: datetime, as_json: bool
) -> None:
    """The events recorded after FROM and up to TO (dates or ISO timestamps).

    \b
    Example:
        casereview case diff GOSPORT-2026-0001 2026-03-01 2026-03-31 --json
    """
    rows = cfg.services.casefile.diff(ref, from_, to)
    if as_json:
        emit(rows)
        return
    if not rows:
        say("No events were recorded in that time.")
    print_events(rows, detail=True)


def print_events(rows: list[dict[str, Any]], *, detail: bool) -> None:
    """One line per event: version, when (UK time, to the minute), who, what; with `detail`,
    each field it recorded on a line of its own."""
    who_width = max((len(str(r["recorded_by"] or "")) for r in rows), default=0)
    for row in rows:
        when = datetime.fromisoformat(row["recorded_at"]).astimezone(UK)
        say(
            f"{row['version']:>3}  {when:%d %b %Y %H:%M}  "
            f"{row['recorded_by'] or ''!s:<{who_width}}  {_event_words(row['event'])}"
        )
        if detail:
            for name, value in row["data"].items():
                say(f"       {_words(name)}: {_value(value)}")


@case.command("list")
@click.option("--area")
@click.option("--status", help="A status, or `open` for every status not final.")
@click.option("--from", "from_", type=DATE, help="Only cases received on or after.")
@click.option("--to", type=DATE, help="Only cases received on or before.")
@click.option(
    "--limit",
    type=int,
    default=50,
    show_default=True,
    help="Cases per page (the next page: --after with the cursor printed).",
)
@click.option(
    "--after", metavar="CURSOR", help="The page after this cursor (a reference)."
)
@click.option("--all", "every", is_flag=True, help="Every case, in one list.")
@json_option
@pass_config
def case_list(
    cfg: Config,
    area: str | None,
    status: str | None,
    from_: date | None,
    to: date | None,
    limit: int,
    after: str | None,
    every: bool,
    as_json: bool,
) -> None:
    """List cases from the read model, 50 to a page by reference.

    \b
    Example:
        casereview case list --area gosport --status open --json
    """
    page = cfg.services.casefile.list_cases(
        area=area,
        status=status,
        received_from=from_,
        received_to=to,
        after=after,
        limit=None if every else limit,
    )
    if as_json:
        emit(page.to_json())
        return
    for r in page.cases:
        say(
            f"{r['ref']:<24} {_words(r['status']):<18} received {_day(r['received_on'])}  "
            f"complaints {r['complaints']}"
        )
    more = f"; the next page: --after {page.next}" if page.next else ""
    say(f"{len(page.cases)} case(s){more}", err=True)


# ----- words for people ------------------------------------------------------------------


def _day(value: str | None) -> str:
    """An ISO date as people read it: 5 March 2026."""
    if not value:
        return "-"
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def _words(name: str) -> str:
    """`threshold_not_met` as `threshold not met`."""
    return name.replace("_", " ")


def _event_words(event: str) -> str:
    """`ComplaintRecorded` as `complaint recorded`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", event).lower()


def _value(value: Any) -> str:
    """A recorded value in words: lists joined, a person by name, nothing as "none"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        if "name" in value and "person" in value:
            return str(value["name"])
        return "; ".join(f"{_words(str(k))} {_value(v)}" for k, v in value.items())
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return _day(value)
    return str(value)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
