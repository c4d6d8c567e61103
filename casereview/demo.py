"""`casereview demo`: a dozen fictional cases taken through every path of the process.

The people and events are invented; the areas' procedures are the shipped ones. Dates are set
relative to today so the demo always describes the last few months.

The demo touches nothing but a store and an outbox of its own: the folder `casereview-demo/`
in the working directory, which it makes (with a README.txt saying so) and rebuilds on every
run. Its letters are written there as .eml files, never sent by email, whatever
CASEREVIEW_SMTP_URL says. Given `--db`, it fills that store only if it holds no case the demo
did not record, and still writes its letters to its own outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casereview.cli_support import Config, say

if TYPE_CHECKING:
    from casereview.services import Services
    from casereview.services.cases import CaseService

DEMO_FOLDER = Path("casereview-demo")
DEMO_STORE = "demo.db"
DEMO_USER = "demo-admin"  # records every demo case: how the demo knows its own
MARKER = "README.txt"
MARKER_TEXT = """Made by `casereview demo`: fictional cases and their letters, nothing else.

demo.db   the demo's store (rebuilt on every run of `casereview demo`)
outbox/   the demo's letters as .eml files (the demo never sends email)

Safe to delete. The demo rebuilds this folder only while this file is in it.
"""


Script = Callable[["CaseService", str, Callable[[int], date]], str]


def _scenarios() -> list[tuple[str, Script]]:
    """(title, script) pairs; each script takes the service, the user and a day-offset helper."""

    def met_and_closed(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="gosport",
            received_on=d(0),
            applicant_name="Alys Demo-Morgan",
            email="alys@example.invalid",
            summary="Shouting and door-banging from a neighbouring flat at night",
            channel="online",
            by=u,
        )
        s.acknowledge(ref, d(2), by=u)
        for i, agency in enumerate(
            [
                "Hampshire and Isle of Wight Constabulary",
                "Gosport Borough Council",
                "Hampshire and Isle of Wight Constabulary",
            ]
        ):
            s.add_complaint(
                ref,
                agency=agency,
                incident_on=d(-60 + 15 * i),
                reported_on=d(-59 + 15 * i),
                agency_ref=f"{ref}-{100 + i}",  # unique to the case, run after run
                by=u,
            )
        s.decide_threshold(ref, d(9), by=u)
        s.schedule_meeting(
            ref,
            d(20),
            [
                "Gosport Borough Council",
                "Hampshire and Isle of Wight Constabulary",
                "Vivid Homes",
            ],
            "Independent chair (demo)",
            by=u,
        )
        s.hold_meeting(
            ref,
            d(20),
            ["Gosport Borough Council", "Hampshire and Isle of Wight Constabulary"],
            victim_attended=True,
            by=u,
        )
        r1 = s.add_recommendation(
            ref,
            "Vivid Homes",
            "Start tenancy enforcement against the perpetrator",
            d(60),
            by=u,
        )
        r2 = s.add_recommendation(
            ref,
            "Gosport Borough Council",
            "Install noise monitoring equipment",
            d(40),
            by=u,
        )
        a1 = s.agree_action(
            ref, r1, "Vivid Homes", "Serve a notice of seeking possession", d(50), by=u
        )
        s.agree_action(
            ref,
            r2,
            "Gosport Borough Council",
            "Fit noise recorder for 14 days",
            d(35),
            by=u,
        )
        s.send_outcome(ref, d(25), by=u)
        s.complete_action(ref, a1, d(45), "Notice served", by=u)
        s.close(ref, d(70), "Action plan under way; victim content", by=u)
        return ref

    def not_met(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="gosport", received_on=d(5), applicant_name="Bram Example", by=u
        )
        s.acknowledge(ref, d(6), by=u)
        s.add_complaint(
            ref,
            agency="Gosport Borough Council",
            incident_on=d(-20),
            reported_on=d(-19),
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Gosport Borough Council",
            incident_on=d(-10),
            reported_on=d(-8),
            by=u,
        )
        s.decide_threshold(ref, d(12), by=u)
        s.send_outcome(ref, d(14), by=u)
        s.close(ref, d(40), "No appeal received", by=u)
        return ref

    def appeal_upheld(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="stockton-on-tees",
            received_on=d(10),
            applicant_name="Cerys Fictional",
            email="cerys@example.invalid",
            summary="Intimidation by youths outside the shop",
            channel="phone",
            by=u,
        )
        s.acknowledge(ref, d(11), by=u)
        s.add_complaint(
            ref, agency="Cleveland Police", incident_on=d(-30), reported_on=d(-29), by=u
        )
        s.add_complaint(
            ref,
            agency="Stockton-on-Tees Borough Council",
            incident_on=d(-25),
            reported_on=d(-24),
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Cleveland Police",
            incident_on=d(-90),
            reported_on=d(-45),
            summary="Reported six weeks late",
            by=u,
        )
        s.decide_threshold(ref, d(20), by=u)
        s.send_outcome(ref, d(21), by=u)
        s.lodge_appeal(
            ref, d(25), "The late report was delayed by the police call handler", by=u
        )
        s.decide_appeal(
            ref,
            d(35),
            upheld=True,
            reasons="The delay was the agency's, not the victim's",
            by=u,
        )
        s.decide_threshold(
            ref,
            d(37),
            discretion="met",
            discretion_reason="Persistent intimidation; the delay was the agency's",
            by=u,
        )
        s.schedule_meeting(
            ref, d(50), ["Stockton-on-Tees Borough Council", "Cleveland Police"], by=u
        )
        return ref

    def hate_route(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="chelmsford",
            received_on=d(15),
            applicant_name="Dara Placeholder",
            hate=True,
            summary="Racist graffiti on the front door",
            by=u,
        )
        s.acknowledge(ref, d(16), by=u)
        s.add_complaint(
            ref,
            agency="Essex Police",
            incident_on=d(3),
            reported_on=d(3),
            hate=True,
            by=u,
        )
        s.decide_threshold(ref, d(22), by=u)
        s.schedule_meeting(
            ref, d(40), ["Chelmsford City Council", "Essex Police"], by=u
        )
        s.hold_meeting(
            ref,
            d(40),
            ["Chelmsford City Council", "Essex Police"],
            impact_statement="We feel unsafe",
            by=u,
        )
        s.add_recommendation(
            ref, "Essex Police", "Hate crime officer to visit weekly", d(70), by=u
        )
        return ref

    def withdrawn(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="gosport", received_on=d(30), applicant_name="Eben Sample", by=u
        )
        s.acknowledge(ref, d(31), by=u)
        s.withdraw(ref, d(33), "The neighbour has moved out", by=u)
        return ref

    def vulnerable_discretion(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="stockton-on-tees",
            received_on=d(40),
            applicant_name="Cllr Fen Invented",
            kind="on-behalf",
            on_behalf_of="Gwen Madeup",
            consent_on=d(39),
            vulnerable=True,
            summary="Older resident targeted by repeated knocking at night",
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Cleveland Police",
            incident_on=d(20),
            reported_on=d(21),
            complainant="Gwen Madeup",
            by=u,
        )
        s.decide_threshold(
            ref,
            d(45),
            discretion="met",
            discretion_reason="Victim is 88 and lives alone; high potential harm",
            by=u,
        )
        s.schedule_meeting(
            ref,
            d(60),
            [
                "Stockton-on-Tees Borough Council",
                "Cleveland Police",
                "NHS North East and North Cumbria ICB",
            ],
            by=u,
        )
        s.hold_meeting(
            ref, d(60), ["Stockton-on-Tees Borough Council", "Cleveland Police"], by=u
        )
        s.add_recommendation(
            ref,
            "Cleveland Police",
            "Flag the address for priority response",
            None,
            by=u,
        )
        s.send_outcome(ref, d(64), by=u)
        return ref

    def after_application(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="gosport", received_on=d(50), applicant_name="Hal Notreal", by=u
        )
        s.add_complaint(
            ref,
            agency="Gosport Borough Council",
            incident_on=d(30),
            reported_on=d(31),
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Hampshire and Isle of Wight Constabulary",
            incident_on=d(40),
            reported_on=d(40),
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Gosport Borough Council",
            incident_on=d(51),
            reported_on=d(52),
            by=u,
        )
        s.decide_threshold(ref, d(55), by=u)
        return ref

    def same_incident(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="chelmsford", received_on=d(60), applicant_name="Ida Fakename", by=u
        )
        s.add_complaint(
            ref,
            agency="Essex Police",
            incident_on=d(40),
            reported_on=d(40),
            incident="fire-bin",
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Chelmsford City Council",
            incident_on=d(40),
            reported_on=d(41),
            incident="fire-bin",
            by=u,
        )
        s.add_complaint(
            ref, agency="Essex Police", incident_on=d(50), reported_on=d(50), by=u
        )
        s.decide_threshold(ref, d(63), by=u)
        s.schedule_meeting(
            ref, d(80), ["Chelmsford City Council", "Essex Police"], by=u
        )
        return ref

    def appeal_not_upheld(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="suffolk",
            received_on=d(20),
            applicant_name="Jo Imaginary",
            email="jo@example.invalid",
            address="1 Example Row, Ipswich",
            by=u,
        )
        s.acknowledge(ref, d(21), by=u)
        for i in range(3):
            s.add_complaint(
                ref,
                agency="Suffolk Constabulary",
                incident_on=d(-40 + 10 * i),
                reported_on=d(-39 + 10 * i),
                by=u,
            )
        s.decide_threshold(ref, d(28), by=u)
        s.schedule_meeting(
            ref, d(45), ["Ipswich Borough Council", "Suffolk Constabulary"], by=u
        )
        s.hold_meeting(
            ref, d(45), ["Ipswich Borough Council", "Suffolk Constabulary"], by=u
        )
        s.send_outcome(ref, d(50), by=u)
        s.lodge_appeal(ref, d(90), "The panel made no recommendations", by=u)
        s.decide_appeal(
            ref, d(100), upheld=False, reasons="The review was properly conducted", by=u
        )
        s.close(ref, d(101), by=u)
        return ref

    def corrected(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="bedford", received_on=d(70), applicant_name="Kit Pretend", by=u
        )
        s.add_complaint(
            ref,
            agency="Bedfordshire Police",
            incident_on=d(50),
            reported_on=d(51),
            by=u,
        )
        c2 = s.add_complaint(
            ref,
            agency="Bedford Borough Council",
            incident_on=d(55),
            reported_on=d(56),
            by=u,
        )
        s.add_complaint(
            ref,
            agency="Bedford Borough Council",
            incident_on=d(60),
            reported_on=d(62),
            by=u,
        )
        s.correct_complaint(
            ref,
            c2,
            {"reported_on": d(57)},
            "Date keyed from the wrong diary sheet",
            by=u,
        )
        s.decide_threshold(ref, d(75), by=u)
        return ref

    def business(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="south-wales",
            received_on=d(80),
            applicant_name="Llew's Corner Shop (fictional)",
            kind="business",
            summary="Repeated shoplifting and abuse of staff",
            by=u,
        )
        s.acknowledge(ref, d(81), by=u)
        for i in range(3):
            s.add_complaint(
                ref,
                agency="South Wales Police",
                incident_on=d(60 + 5 * i),
                reported_on=d(60 + 5 * i),
                by=u,
            )
        s.decide_threshold(ref, d(86), by=u)
        s.schedule_meeting(ref, d(100), ["Cardiff Council", "South Wales Police"], by=u)
        return ref

    def awaiting(s: CaseService, u: str, d: Callable[[int], date]) -> str:
        ref = s.receive(
            area="mole-valley",
            received_on=d(95),
            applicant_name="Mo Unreal",
            channel="letter",
            by=u,
        )
        s.acknowledge(ref, d(96), by=u)
        s.add_complaint(
            ref, agency="Surrey Police", incident_on=d(80), reported_on=d(80), by=u
        )
        return ref

    return [
        ("threshold met, reviewed, actions, closed", met_and_closed),
        ("threshold not met, outcome sent, closed", not_met),
        ("not met, appeal upheld, discretion met", appeal_upheld),
        ("hate incident route", hate_route),
        ("withdrawn", withdrawn),
        ("on behalf of a vulnerable victim, discretion", vulnerable_discretion),
        ("complaint made after the application", after_application),
        ("same incident to two agencies", same_incident),
        ("appeal not upheld, closed", appeal_not_upheld),
        ("complaint date corrected", corrected),
        ("business applicant (Wales)", business),
        ("awaiting a decision", awaiting),
    ]


@click.command("demo")
@click.option(
    "--db",
    "demo_db",
    help=(
        f"Store for the demo: an empty one, or one only the demo has filled "
        f"(default: sqlite:///{DEMO_FOLDER / DEMO_STORE}, rebuilt on every run)."
    ),
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML summary.",
)
@click.pass_context
def demo(ctx: click.Context, demo_db: str | None, report: Path | None) -> None:
    """Run a dozen fictional cases through every path and print a summary.

    The demo keeps to a folder of its own, casereview-demo/ in the working directory: its
    store, rebuilt on every run, and its outbox, where its letters are written as .eml
    files (it never sends email). With --db it fills that store instead, which must hold
    no case the demo did not record (exit 3 if it does).

    \b
    Example:
        casereview demo
        casereview demo --db 'postgresql://postgres@127.0.0.1:5432/test?schema=demo' --report demo.html
    """
    from rich.console import Console
    from rich.table import Table

    parent: Config = ctx.obj
    ours = _is_own_folder(DEMO_FOLDER)  # refuses a folder of that name it did not make
    if demo_db is None:
        _rebuild(DEMO_FOLDER, ours)
        demo_db = f"sqlite:///{DEMO_FOLDER / DEMO_STORE}"
    # Its letters go to its own outbox as files, whatever CASEREVIEW_SMTP_URL says.
    cfg = Config(
        demo_db,
        parent.user,
        parent.policies_dir,
        parent.debug,
        outbox=DEMO_FOLDER / "outbox",
        smtp=False,
    )
    ctx.call_on_close(cfg.close)
    services = cfg.services
    shown = shown_url(demo_db)
    _refuse_cases_of_others(services, shown)
    if not ours and not DEMO_FOLDER.is_dir():
        _make(DEMO_FOLDER)
    t0 = services.today() - timedelta(days=200)

    def day(offset: int) -> date:
        return t0 + timedelta(days=offset)

    err = Console(stderr=True)
    results = []
    with err.status("running the demo cases...") as status:
        for title, script in _scenarios():
            status.update(f"running: {title}")
            results.append((title, script(services.cases, DEMO_USER, day)))
    checked = services.deadlines.check(by="demo-scheduler")
    flushed = services.letters.send(by="demo-scheduler")
    rows = {r["ref"]: r for r in services.casefile.list_cases(limit=None).cases}

    table = Table(title=f"casereview demo: {len(results)} cases in {shown}")
    for col in ("case", "area", "status", "complaints", "threshold", "path"):
        table.add_column(col)
    views = {ref: services.casefile.show(ref) for _, ref in results}
    for title, ref in results:
        view = views[ref]
        d = view["threshold"]
        verdict = (
            "-"
            if d is None
            else ("met: " + str(d["route"] or d["basis"]))
            if d["met"]
            else f"not met ({d['missing']})"
        )
        table.add_row(
            ref,
            view["area"],
            rows[ref]["status"],
            str(len(view["complaints"])),
            verdict,
            title,
        )
    Console(width=160).print(table)
    say(
        f"Deadlines: {len(checked.breached)} breach(es) recorded as of {checked.today}. "
        f"Letters: {len(flushed.sent)} written to {DEMO_FOLDER / 'outbox'}/ (the demo "
        "never sends email)."
    )
    say(f"Try: casereview --db {shown} case show {results[0][1]}")
    if report is not None:
        _write_report(report, services, [views[ref] for _, ref in results])
        say(f"report written to {report}", err=True)


def shown_url(url: str) -> str:
    """The store's URL as the demo prints it: without its password."""
    from casereview.bootstrap import redact_url

    return redact_url(url)


def _is_own_folder(folder: Path) -> bool:
    """Whether the demo made `folder` (it holds the demo's README.txt); False when there is
    no such folder yet. Anything else by that name is not the demo's to touch: refused."""
    if not folder.exists() and not folder.is_symlink():
        return False
    marker = folder / MARKER
    if folder.is_dir() and not folder.is_symlink() and marker.is_file():
        first = MARKER_TEXT.splitlines()[0]
        try:
            if marker.read_text(encoding="utf-8").startswith(first):
                return True
        except (OSError, UnicodeDecodeError):
            pass
    from casereview.errors import RuleViolation

    raise RuleViolation(
        f"{folder}/ is not the demo's own folder (it holds no {MARKER} written by the "
        "demo), so the demo leaves it alone: move it away, or run the demo in another "
        "folder"
    )


def _make(folder: Path) -> None:
    """The demo's folder, with the README.txt that marks it as the demo's."""
    try:
        (folder / "outbox").mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        from casereview.errors import InvalidInput

        raise InvalidInput(
            f"cannot make the demo's folder {folder}/ in {Path.cwd()}: "
            f"{exc.strerror or exc}; run the demo in a folder you can write to"
        ) from None


def _rebuild(folder: Path, ours: bool) -> None:
    """A fresh store and an empty outbox in the demo's folder. Only the files the demo
    writes there are removed; the folder is made if missing."""
    if ours:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (folder / f"{DEMO_STORE}{suffix}").unlink(missing_ok=True)
        outbox = folder / "outbox"
        if outbox.is_dir():
            for letter in [*outbox.glob("*.eml"), *outbox.glob("*.tmp")]:
                letter.unlink(missing_ok=True)
    _make(folder)


def _refuse_cases_of_others(services: Services, shown: str) -> None:
    """Refuse (exit 3) a store holding any case the demo did not record: the demo adds a
    dozen fictional cases and sends their letters, which belong in no real store."""
    from casereview.errors import RuleViolation

    others = services.casefile.received_by_others(DEMO_USER, limit=3)
    if others:
        more = ", ..." if len(others) >= 3 else ""
        raise RuleViolation(
            f"--db: {shown} holds cases that are not the demo's ({', '.join(others)}"
            f"{more}); the demo fills only an empty store or one of its own: run "
            "`casereview demo` without --db for a store of its own"
        )


def _write_report(path: Path, services: Services, cases: list[dict[str, Any]]) -> None:
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True))
    page = env.from_string(REPORT).render(cases=cases, today=services.today())
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        from casereview.errors import FieldError

        raise FieldError(
            "report", f"cannot write {path}: {exc.strerror or exc}"
        ) from None


REPORT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>casereview demo</title><style>body{font-family:system-ui,sans-serif;margin:2rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>casereview demo ({{ today }})</h1><table><tr><th>Case</th><th>Area</th><th>Status</th>
<th>Complaints</th><th>Threshold</th></tr>{% for c in cases %}<tr><td>{{ c.ref }}</td><td>{{ c.area }}</td>
<td>{{ c.status }}</td><td>{{ c.complaints|length }}</td><td>{% if c.threshold %}{{ 'met' if c.threshold.met
else 'not met' }} ({{ c.threshold.basis or c.threshold.missing }}){% else %}-{% endif %}</td></tr>{% endfor %}
</table></body></html>"""
