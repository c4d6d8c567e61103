"""The import keeps parity with the interactive path (issue 12): the same complaints recorded
through `complaint add` into one store and through `complaint import` into another leave the
same events, deadlines, letters and read models, on cases in every state a complaint can
arrive in, and after the steps that follow.

A complaint is not a step that starts or ends a timescale in today's policy format (the
steps are `casereview.thresholds.policy.STEP_ORDER`), so nothing is scheduled or queued by a
complaint itself; what follows from it comes at later steps (a threshold decision counting
it, a letter quoting it, a meeting timescale that runs only once the threshold is met). The
scenario runs those later steps on both stores, and its procedure has a timescale from every
step the format knows, so a step a complaint starts, if the format ever gains one, is covered
here without changing this test.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from casereview.adapters.policy_files import SHIPPED_POLICIES
from casereview.bootstrap import Settings, build_services
from casereview.bulk_import.importer import COLUMNS
from casereview.cli import cli
from casereview.domain.personal import Person, Personal
from casereview.errors import CaseReviewError
from casereview.services import Services
from casereview.thresholds.policy import STEP_ORDER, PolicyError, parse_procedure
from tests.conftest import TODAY, FixedClock, drop_schema

BY = "parity-tester"
AREA = "parity-borough"


def every_step_procedure() -> str:
    """A lawful procedure with a timescale from every step the format knows (each until the
    step after it), reminders to the case team, a hate route and an appeal."""
    timescales = []
    for i, step in enumerate(STEP_ORDER[:-1]):
        unit = "working" if i % 2 == 0 else "calendar"
        timescales.append(
            f"""
[[timescales]]
name = "from_{step}"
from = "{step}"
until = "{STEP_ORDER[i + 1]}"
days = {10 + i}
unit = "{unit}"
remind_before = 2
notify = ["case_team"]
"""
        )
    return f"""schema = 1
area = "Parity Borough"
nation = "england"
effective_from = 2025-04-01
source = "https://example.org/parity-borough/asb-case-review"
read_on = 2026-11-01
relevant_bodies = ["Parity Council", "Parity Police", "Parity Homes"]

[threshold]
complaints = 3
complain_within_months = 1
apply_within_months = 6

[[routes]]
kind = "hate"
complaints = 1
{"".join(timescales)}
[[timescales]]
name = "decide_overall"
from = "received"
until = "threshold_decided"
days = 30
unit = "working"
remind_before = 5
notify = ["case_team", "csp_chair"]

[appeal]
body = "Office of the Police and Crime Commissioner for Parity"
from = "outcome_sent"
days = 20
unit = "working"

[contacts]
case_team = "asb-reviews@parity.invalid"
csp_chair = "chair@parity.invalid"
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """The shipped procedures (Gosport, Chelmsford's hate route and appeal, South Wales's
    calendar), and Parity Borough's timescale from every step."""
    folder = tmp_path / "policies"
    shutil.copytree(SHIPPED_POLICIES, folder)
    (folder / AREA).mkdir()
    (folder / AREA / "2025-04-01.toml").write_text(
        every_step_procedure(), encoding="utf-8"
    )
    return folder


@pytest.fixture
def imported_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh store on the same backend as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'imported.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{db_url.split('?', 1)[0]}?schema={schema}"
    drop_schema(schema)


def open_services(url: str, policies: Path, outbox: Path) -> Services:
    return build_services(
        Settings(
            db=url, policies=policies, clock=FixedClock(), outbox=outbox, smtp=False
        )
    )


# ----- the scenario: the same cases, the same steps, on each store ------------------------


@dataclass(frozen=True)
class Row:
    """One complaint as an agency export holds it (what both paths can record)."""

    case: str  # the scenario's name for the case
    agency: str
    agency_ref: str
    incident_on: str
    reported_on: str
    hate: bool = False
    summary: str | None = None


Step = Callable[[Services, str], object]


def receive(
    area: str, on: str, *, on_behalf: bool = False
) -> Callable[[Services], str]:
    def run(s: Services) -> str:
        return s.cases.receive(
            area=area,
            received_on=date.fromisoformat(on),
            applicant_name="Pat Applicant",
            email="pat@example.invalid",
            on_behalf_of="Vic Victim" if on_behalf else None,
            consent_on=date.fromisoformat(on) if on_behalf else None,
            by=BY,
        )

    return run


def d(text: str) -> date:
    return date.fromisoformat(text)


def ack(on: str) -> Step:
    return lambda s, ref: s.cases.acknowledge(ref, d(on), by=BY)


def decide(on: str) -> Step:
    return lambda s, ref: s.cases.decide_threshold(ref, d(on), by=BY)


def discretion_met(on: str) -> Step:
    return lambda s, ref: s.cases.decide_threshold(
        ref, d(on), discretion="met", discretion_reason="High harm", by=BY
    )


def schedule(on: str) -> Step:
    return lambda s, ref: s.cases.schedule_meeting(
        ref, d(on), ["Parity Council", "Parity Police"], by=BY
    )


def hold(on: str) -> Step:
    return lambda s, ref: s.cases.hold_meeting(ref, d(on), ["Parity Council"], by=BY)


def recommend(due: str) -> Step:
    return lambda s, ref: s.cases.add_recommendation(
        ref, "Parity Council", "Fit CCTV", d(due), by=BY
    )


def outcome(on: str) -> Step:
    return lambda s, ref: s.cases.send_outcome(ref, d(on), by=BY)


def appeal(on: str) -> Step:
    return lambda s, ref: s.cases.lodge_appeal(ref, d(on), "Not enough done", by=BY)


def appeal_decided(on: str, reopens_at: str | None = None) -> Step:
    return lambda s, ref: s.cases.decide_appeal(
        ref,
        d(on),
        upheld=reopens_at is not None,
        reasons="Reasons given",
        reopens_at=reopens_at,
        by=BY,
    )


def withdraw(on: str) -> Step:
    return lambda s, ref: s.cases.withdraw(ref, d(on), "Moved away", by=BY)


def close(on: str) -> Step:
    return lambda s, ref: s.cases.close(ref, d(on), "Done", by=BY)


@dataclass(frozen=True)
class Case:
    """A case: received, taken to the state the complaints arrive in, then on."""

    name: str
    receive: Callable[[Services], str]
    before: tuple[Step, ...]
    after: tuple[Step, ...]


CASES = (
    # Complaints before acknowledgement; enough to meet the Act's test at the decision.
    Case(
        "received",
        receive(AREA, "2026-03-02"),
        (),
        (
            ack("2026-03-03"),
            decide("2026-03-05"),
            schedule("2026-03-20"),
            hold("2026-03-20"),
            recommend("2026-05-01"),
            outcome("2026-03-25"),
            appeal("2026-03-30"),
            appeal_decided("2026-04-10"),
        ),
    ),
    # An application on someone's behalf; complaints with summaries (whose personal data?).
    Case(
        "on_behalf",
        receive(AREA, "2026-03-02", on_behalf=True),
        (ack("2026-03-03"),),
        (decide("2026-03-06"),),
    ),
    # Acknowledged, under Chelmsford's hate route: one hate complaint meets it.
    Case(
        "acknowledged",
        receive("chelmsford", "2026-03-02"),
        (ack("2026-03-04"),),
        (decide("2026-03-06"), schedule("2026-03-23"), hold("2026-03-23")),
    ),
    # Not met for want of complaints; the complaints come after, an upheld appeal reopens
    # the threshold and the second decision counts them.
    Case(
        "not_met",
        receive("chelmsford", "2026-03-02"),
        (
            ack("2026-03-03"),
            decide("2026-03-04"),
            outcome("2026-03-05"),
            appeal("2026-03-09"),
        ),
        (appeal_decided("2026-03-20", "threshold"), decide("2026-03-23")),
    ),
    # Met by the bodies' discretion before any complaint; the meeting timescale runs.
    Case(
        "met",
        receive(AREA, "2026-03-02"),
        (ack("2026-03-03"), discretion_met("2026-03-04")),
        (schedule("2026-03-24"), hold("2026-03-24")),
    ),
    Case(
        "meeting_scheduled",
        receive(AREA, "2026-03-02"),
        (ack("2026-03-03"), discretion_met("2026-03-04"), schedule("2026-03-18")),
        (hold("2026-03-18"), recommend("2026-06-01"), outcome("2026-03-30")),
    ),
    # After the review: outcome sent, then an appeal and its decision.
    Case(
        "after_review",
        receive(AREA, "2026-03-02"),
        (
            ack("2026-03-03"),
            discretion_met("2026-03-04"),
            schedule("2026-03-10"),
            hold("2026-03-10"),
            outcome("2026-03-16"),
        ),
        (appeal("2026-03-20"), appeal_decided("2026-04-02"), close("2026-04-03")),
    ),
    Case(
        "appealed",
        receive("gosport", "2026-03-02"),
        (
            ack("2026-03-03"),
            decide("2026-03-04"),
            outcome("2026-03-05"),
            appeal("2026-03-09"),
        ),
        (appeal_decided("2026-03-25"),),
    ),
    Case(
        "closed",
        receive("gosport", "2026-03-02"),
        (decide("2026-03-04"), outcome("2026-03-05"), close("2026-03-06")),
        (),
    ),
    Case(
        "withdrawn",
        receive("south-wales", "2026-03-02"),
        (ack("2026-03-03"), withdraw("2026-03-04")),
        (),
    ),
    # Wales's calendar, and a complaint neither path may record (see ROWS).
    Case(
        "wales",
        receive("south-wales", "2026-03-02"),
        (),
        (ack("2026-03-05"), decide("2026-03-09")),
    ),
)


def three(case: str, prefix: str, **extra: Any) -> list[Row]:
    """Three complaints that qualify for an application received on 2 March 2026."""
    return [
        Row(case, "Parity Police", f"{prefix}-1", "2026-02-02", "2026-02-03", **extra),
        Row(case, "Parity Council", f"{prefix}-2", "2026-02-10", "2026-02-12"),
        Row(case, "Parity Homes", f"{prefix}-3", "2026-02-20", "2026-02-20"),
    ]


ROWS = (
    *three("received", "REC", summary="Shouting at night"),
    *three("on_behalf", "OBH", summary="Threats at the door"),
    Row("on_behalf", "Parity Police", "OBH-4", "2026-02-25", "2026-02-26", True),
    Row("acknowledged", "Essex Police", "ACK-1", "2026-02-14", "2026-02-14", hate=True),
    *three("not_met", "NMT", hate=True),
    *three("met", "MET"),
    *three("meeting_scheduled", "MSC", summary="Graffiti"),
    *three("after_review", "AFT"),
    Row("after_review", "Parity Police", "AFT-4", "2026-03-01", "2026-03-20"),
    *three("appealed", "APL"),
    *three("closed", "CLS"),
    *three("withdrawn", "WDN"),
    # Late (more than a month after the behaviour): recorded, then excluded by the decision.
    Row("wales", "South Wales Police", "WAL-1", "2026-01-02", "2026-02-20", True),
    Row("wales", "Cardiff Council", "WAL-2", "2026-02-01", "2026-02-02"),
    # Another spelling of a reference already on this case: neither path records it.
    Row("wales", " cardiff  council ", "wal-2", "2026-02-01", "2026-02-02"),
    # A reference recorded on another case: refused by both.
    Row("wales", "Parity Police", "REC-1", "2026-02-02", "2026-02-03"),
    # Reported before the behaviour: refused by both.
    Row("wales", "Cardiff Council", "WAL-3", "2026-02-10", "2026-02-09"),
)


def set_up(s: Services) -> dict[str, str]:
    """Receive every case and take it to the state its complaints arrive in."""
    refs = {}
    for case in CASES:
        refs[case.name] = ref = case.receive(s)
        for step in case.before:
            step(s, ref)
    return refs


def carry_on(s: Services, refs: dict[str, str]) -> dict[str, list[str]]:
    """The steps after the complaints; what became of each (a refusal is compared, not
    raised: the paths may part here)."""
    done: dict[str, list[str]] = {}
    for case in CASES:
        for step in case.after:
            try:
                outcome = repr(step(s, refs[case.name]))
            except CaseReviewError as exc:
                outcome = f"refused: {exc}"
            done.setdefault(case.name, []).append(outcome)
    return done


def reminder_days(s: Services) -> list[date]:
    """The days the open deadlines' reminders fall due, in order."""
    return sorted(
        {
            d(row["remind_on"])
            for row in s.deadlines.list(state="open", limit=None).deadlines
            if row["remind_on"]
        }
    )


def check_deadlines(s: Services, days: list[date]) -> None:
    """The scheduled check, run on each of these days and then today."""
    for day in [*days, TODAY]:
        s.deadlines.check(day, by=BY)


def add_each(s: Services, refs: dict[str, str]) -> list[str | None]:
    """`complaint add` for every row: the complaint's id, or None when refused."""
    ids: list[str | None] = []
    for row in ROWS:
        try:
            ids.append(
                s.cases.add_complaint(
                    refs[row.case],
                    agency=row.agency,
                    agency_ref=row.agency_ref,
                    incident_on=d(row.incident_on),
                    reported_on=d(row.reported_on),
                    hate=row.hate,
                    summary=row.summary,
                    by=BY,
                )
            )
        except CaseReviewError:
            ids.append(None)
    return ids


def import_all(s: Services, refs: dict[str, str], folder: Path) -> tuple[int, int]:
    """`complaint import` of every row as one agency export, a few rows a batch (so the
    import's writer process saves all but the first): (recorded, not recorded)."""
    path = folder / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in ROWS:
            hate = "yes" if row.hate else "no"
            writer.writerow(
                [refs[row.case], *astuple(row)[1:5], hate, row.summary or ""]
            )
    result = s.imports.complaints(
        path, reject_file=folder / "rejects.csv", batch_size=4, by=BY
    )
    return result.recorded, result.already + result.rejected


# ----- what is compared -------------------------------------------------------------------

ID_FREE = {"timestamp", "originator_id", "queued_at", "recorded_at", "position"}
"""Times, and the log positions that depend on how events interleave across streams."""


class People:
    """Person ids are random by design: each is replaced by who the person is on the case
    (applicant, victim, or another named person), so a value filed under the wrong person
    still shows."""

    def __init__(self, s: Services, refs: dict[str, str]) -> None:
        self.roles: dict[str, str] = {}
        for ref in refs.values():
            case = s.cases.app.get_case(ref)
            for pid, person in case.people.items():
                role = (
                    "applicant"
                    if pid == case.applicant.id
                    else "victim"
                    if case.victim is not None and pid == case.victim.id
                    else f"person {person.name}"
                )
                self.roles[pid] = f"{ref} {role}"

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Person):
            return ("Person", self(value.id), value.name, value.email, value.address)
        if isinstance(value, Personal):
            return ("Personal", self(value.subject), value.text)
        if isinstance(value, str):
            return self.roles.get(value, value)
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items() if k not in ID_FREE}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        return value


def events_of(s: Services, stream: uuid.UUID, people: People) -> list[dict[str, Any]]:
    """Every event of one stream: its type and every field but the time."""
    return [
        {"event": type(e).__qualname__, **people(dict(vars(e)))}
        for e in s.cases.app.events.get(stream)
    ]


def cli_json(url: str, policies: Path, *args: str) -> Any:
    result = CliRunner().invoke(
        cli, ["--db", url, "--user", BY, "--policies", str(policies), *args, "--json"]
    )
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout)


def rows_of(listing: Any, key: str) -> list[Any]:
    """A list command's rows, whether it prints a list or a page `{key: [...], "next"}`."""
    return listing[key] if isinstance(listing, dict) else listing


def everything(
    s: Services, url: str, policies: Path, refs: dict[str, str]
) -> dict[str, Any]:
    """All a follow-up can leave behind, per case and overall, ids and times aside."""
    people = People(s, refs)
    projector = s.read_models.for_reading()
    found: dict[str, Any] = {}
    for name, ref in refs.items():
        letters = projector.letter_rows(ref)
        deadlines = s.deadlines.list(ref=ref, limit=None).deadlines
        found[name] = {
            "case events": events_of(s, s.cases.app.get_case(ref).id, people),
            "history": people(s.casefile.history(ref)),
            "case show": people(s.casefile.show(ref)),
            "complaint rows": projector.complaint_rows(ref),
            "deadline rows": deadlines,
            "deadline events": [
                events_of(s, uuid.UUID(str(row["deadline_id"])), people)
                for row in deadlines
            ],
            "letter rows": people(letters),
            "letters": [
                people(
                    {
                        k: v
                        for k, v in vars(
                            s.cases.app.repository.get(uuid.UUID(str(row["letter_id"])))
                        ).items()
                        if not k.startswith("_")
                    }
                )
                for row in letters
            ],
            "letter events": [
                events_of(s, uuid.UUID(str(row["letter_id"])), people)
                for row in letters
            ],
        }
    found["case list --json"] = rows_of(
        cli_json(url, policies, "case", "list"), "cases"
    )
    found["case list --status open --json"] = rows_of(
        cli_json(url, policies, "case", "list", "--status", "open"), "cases"
    )
    found["deadlines list --json"] = rows_of(
        cli_json(url, policies, "deadlines", "list"), "deadlines"
    )
    for year in ("2025", "2026"):
        found[f"stats --year {year} --json"] = cli_json(
            url, policies, "stats", "--year", year
        )
    found["stats --calendar-year --json"] = cli_json(
        url, policies, "stats", "--year", "2026", "--calendar-year"
    )
    return found


def differences(added: Any, imported: Any, where: str = "") -> list[str]:
    """Where the two differ, each as `path: added != imported` (a readable failure)."""
    if isinstance(added, dict) and isinstance(imported, dict):
        return [
            line
            for key in sorted({*added, *imported}, key=str)
            for line in differences(
                added.get(key, "<absent>"),
                imported.get(key, "<absent>"),
                f"{where}/{key}",
            )
        ]
    if isinstance(added, list) and isinstance(imported, list):
        if len(added) != len(imported):
            return [f"{where}: {len(added)} items by add != {len(imported)} by import"]
        return [
            line
            for i, (a, b) in enumerate(zip(added, imported, strict=True))
            for line in differences(a, b, f"{where}[{i}]")
        ]
    return [] if added == imported else [f"{where}: {added!r} != {imported!r}"]


# ----- the tests --------------------------------------------------------------------------


def test_import_leaves_what_complaint_add_leaves_when_cases_are_in_every_state(
    db_url, imported_url, policies, tmp_path
):
    added = open_services(db_url, policies, tmp_path / "outbox-added")
    imported = open_services(imported_url, policies, tmp_path / "outbox-imported")
    try:
        refs = set_up(added)
        assert set_up(imported) == refs

        ids = add_each(added, refs)
        recorded, not_recorded = import_all(imported, refs, tmp_path)
        steps_added = carry_on(added, refs)
        steps_imported = carry_on(imported, refs)
        days = reminder_days(added)
        check_deadlines(added, days)
        check_deadlines(imported, days)

        by_add = {
            "steps after": steps_added,
            **everything(added, db_url, policies, refs),
        }
        by_import = {
            "steps after": steps_imported,
            **everything(imported, imported_url, policies, refs),
        }
    finally:
        added.close()
        imported.close()

    assert (recorded, not_recorded) == (
        sum(i is not None for i in ids),
        sum(i is None for i in ids),
    )
    assert ids[-3:] == [None, None, None]  # the scenario reaches the refusals
    parted = differences(by_add, by_import)
    assert not parted, "the import parted from complaint add:\n" + "\n".join(parted)
    assert not [o for done in steps_added.values() for o in done if "refused" in o]
    # The scenario reaches what it is meant to: deadlines and letters after complaints,
    # the hate route, the reopened threshold counting complaints made after the first
    # decision, and every state a complaint arrived in.
    assert by_add["acknowledged"]["case show"]["threshold"]["route"] == "hate"
    assert by_add["not_met"]["case show"]["decisions"] == 2
    assert by_add["not_met"]["case show"]["threshold"]["met"] is True
    assert by_add["wales"]["case show"]["threshold"]["excluded"]
    assert [n for n in refs if not by_add[n]["letter rows"]] == []
    # South Wales's only timescale starts at a review meeting, which these never reach.
    assert [n for n in refs if not by_add[n]["deadline rows"]] == ["withdrawn", "wales"]
    assert {"deadline_reminder", "deadline_breach"} <= {
        row["template"] for name in refs for row in by_add[name]["letter rows"]
    }


def test_a_timescale_from_a_complaint_is_refused_when_a_policy_names_one():
    """Today no timescale can start at a complaint, so the parity above needs none. If the
    format ever accepts one, the procedure of the test above gains it by itself (it has a
    timescale from every step in STEP_ORDER): then check that the import schedules it."""
    text = every_step_procedure().replace(
        'from = "received"\nuntil = "acknowledged"',
        'from = "complaint_recorded"\nuntil = "acknowledged"',
    )
    assert "complaint_recorded" in text

    with pytest.raises(PolicyError, match="from"):
        parse_procedure(text.encode(), AREA)
    assert not [step for step in STEP_ORDER if "complaint" in step]
