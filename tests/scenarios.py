"""Random valid command sequences for a few cases, run through CaseService.

`intended_steps()` draws a list of intended steps: `next` (the case's next lifecycle step for
whatever status it is in, which keeps sequences moving deep into the lifecycle) or one named
command. `run_steps` executes them, skipping any step whose precondition the case's current
status does not allow, so every command it does call is valid and must succeed. Personal data
(names, contact details, free text) carries the PII marker so tests can look for leaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from casereview.domain.case import OPEN_ACTION_STATES, Case
from casereview.services.cases import CaseService

TODAY = date(2026, 11, 20)
FIRST_DAY = date(2026, 1, 1)
AREAS = ("gosport", "suffolk", "south-wales", "birmingham")
AGENCIES = ("police", "council", "housing", "nhs")
PII = "PII-7f3a"
"""Marker in every piece of personal data the scenarios record."""

KINDS = (
    "receive",
    "ack",
    "complaint",
    "correct",
    "decide",
    "schedule",
    "hold",
    "recommend",
    "action",
    "complete",
    "outcome",
    "appeal",
    "appeal_decide",
    "withdraw",
    "close",
)


@dataclass(frozen=True)
class Step:
    kind: str  # "next" or one of KINDS
    case: int  # which case (modulo the number received)
    pick: int  # chooses among alternatives (area, agency, reopening, ...)
    days: int  # how far the business date moves on
    flag: bool  # hate / discretion / upheld / a late complaint, by kind


steps = st.builds(
    Step,
    kind=st.sampled_from(("next",) * (2 * len(KINDS)) + KINDS),
    case=st.integers(0, 2),
    pick=st.integers(0, 11),
    days=st.integers(0, 20),
    flag=st.booleans(),
)


def intended_steps(
    min_size: int = 15, max_size: int = 50
) -> st.SearchStrategy[list[Step]]:
    """A first receipt, then random steps (about two in three of them `next`)."""
    first = st.builds(
        Step,
        kind=st.just("receive"),
        case=st.just(0),
        pick=st.integers(0, 11),
        days=st.integers(0, 322),  # received_on from 2026-01-01 to 2026-11-19
        flag=st.booleans(),
    )
    return st.tuples(first, st.lists(steps, min_size=min_size, max_size=max_size)).map(
        lambda t: [t[0], *t[1]]
    )


@dataclass
class Done:
    """One command that ran: the case, what it was, and the case right after it."""

    ref: str
    kind: str
    version: int
    status: str


@dataclass
class Run:
    service: CaseService
    refs: list[str] = field(default_factory=list)
    cursor: dict[str, date] = field(default_factory=dict)
    done: list[Done] = field(default_factory=list)
    after: Callable[[], None] | None = (
        None  # called after every command (live catch-up)
    )

    # ----- helpers --------------------------------------------------------------------------

    def case(self, ref: str) -> Case:
        return self.service.app.get_case(ref)

    def advance(self, ref: str, days: int) -> date:
        day = min(self.cursor[ref] + timedelta(days=days), TODAY)
        self.cursor[ref] = day
        return day

    def record(self, ref: str, kind: str) -> None:
        case = self.case(ref)
        self.done.append(Done(ref, kind, case.version, case.status))
        if self.after is not None:
            self.after()

    # ----- executing ------------------------------------------------------------------------

    def run(self, intended: list[Step]) -> Run:
        for step in intended:
            if step.kind == "receive":
                self.receive(step)
                continue
            if not self.refs:
                continue
            ref = self.refs[step.case % len(self.refs)]
            kind = (
                self.next_kind(self.case(ref), step)
                if step.kind == "next"
                else step.kind
            )
            if kind is not None and self.allowed(self.case(ref), kind):
                getattr(self, f"do_{kind}")(ref, step)
                self.record(ref, kind)
        return self

    def receive(self, step: Step) -> None:
        if len(self.refs) >= 3:
            return
        received_on = FIRST_DAY + timedelta(days=min(step.days, 322))
        if self.refs:  # later cases: near the first one
            received_on = min(self.cursor[self.refs[0]], TODAY)
        n = len(self.refs) + 1
        kinds = ("victim", "community", "business", "on-behalf")
        kind = kinds[step.pick % 4]
        ref = self.service.receive(
            area=AREAS[step.pick % len(AREAS)],
            received_on=received_on,
            applicant_name=f"Applicant {PII} {n}",
            kind=kind,
            on_behalf_of=f"Victim {PII} {n}" if kind == "on-behalf" else None,
            consent_on=received_on if kind == "on-behalf" else None,
            email=f"applicant{n}.{PII}@example.invalid",
            address=f"{n} Secret Street {PII}",
            hate=step.flag and step.pick % 3 == 0,
            vulnerable=step.pick % 5 == 0,
            summary=f"Summary {PII}: noise every night" if step.pick % 2 else None,
            by="tester",
        )
        self.refs.append(ref)
        self.cursor[ref] = received_on
        self.record(ref, "receive")

    def next_kind(self, case: Case, step: Step) -> str | None:
        status = case.status
        if status in OPEN_ACTION_STATES and case.recommendations and step.pick % 6 == 5:
            has_open = any(a.completed_on is None for a in case.actions.values())
            return "complete" if has_open and step.flag else "action"
        if status == "received":
            return "ack" if step.pick % 3 else "complaint"
        if status == "acknowledged":
            wanted = 3 if step.pick % 4 else step.pick % 3  # mostly enough to qualify
            return "complaint" if len(case.complaints) < wanted else "decide"
        if status == "threshold_met":
            return "schedule"
        if status == "meeting_scheduled":
            return "hold" if step.pick % 4 else "schedule"
        if status == "reviewed":
            return (
                "recommend"
                if not case.recommendations or step.pick % 3 == 0
                else "outcome"
            )
        if status == "threshold_not_met":
            return "outcome"
        if status == "outcome_sent":
            return "appeal" if step.pick % 2 else "close"
        if status == "appealed":
            return "appeal_decide"
        if status == "appeal_decided":
            return {"threshold": "decide", "review": "schedule"}.get(
                case.reopened_at or "", "close"
            )
        return None  # closed or withdrawn: nothing comes next

    @staticmethod
    def allowed(case: Case, kind: str) -> bool:
        """The lifecycle's preconditions (DOMAIN.md section 4), checked on the case's status."""
        status, reopened = case.status, case.reopened_at
        if kind in ("complaint", "withdraw"):
            return case.is_open
        if kind == "correct":
            return bool(case.complaints)
        if kind == "ack":
            return status == "received"
        if kind == "decide":
            return (
                case.decision is None and status in ("received", "acknowledged")
            ) or (status == "appeal_decided" and reopened == "threshold")
        if kind == "schedule":
            return status in ("threshold_met", "meeting_scheduled") or (
                status == "appeal_decided" and reopened == "review"
            )
        if kind == "hold":
            return status == "meeting_scheduled"
        if kind == "recommend":
            return status == "reviewed"
        if kind == "action":
            return status in OPEN_ACTION_STATES and bool(case.recommendations)
        if kind == "complete":
            return status in OPEN_ACTION_STATES and any(
                a.completed_on is None for a in case.actions.values()
            )
        if kind == "outcome":
            return status in ("reviewed", "threshold_not_met")
        if kind == "appeal":
            return status == "outcome_sent"
        if kind == "appeal_decide":
            return status == "appealed"
        if kind == "close":
            return status == "outcome_sent" or (
                status == "appeal_decided" and reopened is None
            )
        raise AssertionError(kind)

    # ----- the commands ---------------------------------------------------------------------

    def do_ack(self, ref: str, step: Step) -> None:
        self.service.acknowledge(ref, self.advance(ref, step.days % 5), by="tester")

    def do_complaint(self, ref: str, step: Step) -> None:
        case = self.case(ref)
        incident_on = min(
            case.received_on - timedelta(days=10 + step.pick * 12 + step.days), TODAY
        )
        late = 35 + step.days if step.flag and step.pick % 3 == 0 else step.days % 10
        reported_on = min(incident_on + timedelta(days=late), TODAY)
        n = len(case.complaints) + 1
        self.service.add_complaint(
            ref,
            agency=AGENCIES[step.pick % len(AGENCIES)],
            incident_on=incident_on,
            reported_on=reported_on,
            complainant=f"Complainant {PII} {step.pick % 2}"
            if step.pick % 4 == 1
            else None,
            agency_ref=f"REF-{ref}-{n}" if step.pick % 3 else None,
            incident=f"inc{step.days % 3}" if step.pick % 5 == 0 else None,
            hate=step.flag,
            summary=f"Complaint {PII} {n}" if step.pick % 2 else None,
            by="tester",
        )

    def do_correct(self, ref: str, step: Step) -> None:
        complaints = list(self.case(ref).complaints.values())
        current = complaints[step.pick % len(complaints)]
        changes: dict[str, Any]
        if step.days % 3 == 0:
            changes = {"hate": not current.hate}
        elif step.days % 3 == 1:
            others = [a for a in AGENCIES if a != current.agency]
            changes = {"agency": others[step.pick % len(others)]}
        else:
            changes = {
                "incident_on": current.incident_on - timedelta(days=1 + step.pick)
            }
        self.service.correct_complaint(
            ref, current.id, changes, f"Correction {PII}", by="tester"
        )

    def do_decide(self, ref: str, step: Step) -> None:
        discretionary = step.flag and step.pick % 2
        self.service.decide_threshold(
            ref,
            self.advance(ref, step.days % 7),
            discretion="met" if discretionary else None,
            discretion_reason=f"Discretion {PII}" if discretionary else None,
            by="tester",
        )

    def do_schedule(self, ref: str, step: Step) -> None:
        on = self.cursor[ref] + timedelta(days=step.days)  # may be ahead of today
        agencies = list(AGENCIES[: 1 + step.pick % len(AGENCIES)])
        self.service.schedule_meeting(
            ref, on, agencies, "Chair" if step.flag else None, by="tester"
        )

    def do_hold(self, ref: str, step: Step) -> None:
        invited = self.case(ref).meetings[-1].agencies
        self.service.hold_meeting(
            ref,
            self.advance(ref, step.days % 10),
            list(invited[: 1 + step.pick % len(invited)]),
            victim_attended=step.flag,
            impact_statement=f"Impact {PII}" if step.pick % 2 else None,
            by="tester",
        )

    def do_recommend(self, ref: str, step: Step) -> None:
        due = self.cursor[ref] + timedelta(days=30) if step.flag else None
        self.service.add_recommendation(
            ref,
            AGENCIES[step.pick % len(AGENCIES)],
            f"Recommend {PII}",
            due,
            by="tester",
        )

    def do_action(self, ref: str, step: Step) -> None:
        recommendations = list(self.case(ref).recommendations)
        self.service.agree_action(
            ref,
            recommendations[step.pick % len(recommendations)],
            AGENCIES[step.pick % len(AGENCIES)],
            f"Action {PII}",
            self.cursor[ref] + timedelta(days=14),
            by="tester",
        )

    def do_complete(self, ref: str, step: Step) -> None:
        open_ids = [
            a.id for a in self.case(ref).actions.values() if a.completed_on is None
        ]
        self.service.complete_action(
            ref,
            open_ids[step.pick % len(open_ids)],
            self.advance(ref, step.days % 5),
            f"Done {PII}" if step.flag else None,
            by="tester",
        )

    def do_outcome(self, ref: str, step: Step) -> None:
        self.service.send_outcome(ref, self.advance(ref, step.days % 10), by="tester")

    def do_appeal(self, ref: str, step: Step) -> None:
        self.service.lodge_appeal(
            ref, self.advance(ref, step.days), f"Grounds {PII}", by="tester"
        )

    def do_appeal_decide(self, ref: str, step: Step) -> None:
        case = self.case(ref)
        choices: list[str | None] = [None, "threshold"]
        if case.decision is not None and case.decision.met:
            choices.append("review")
        self.service.decide_appeal(
            ref,
            self.advance(ref, step.days % 10),
            upheld=step.flag,
            reasons=f"Reasons {PII}",
            reopens_at=choices[step.pick % len(choices)] if step.flag else None,
            by="tester",
        )

    def do_withdraw(self, ref: str, step: Step) -> None:
        self.service.withdraw(
            ref, self.advance(ref, step.days % 5), f"Withdrawn {PII}", by="tester"
        )

    def do_close(self, ref: str, step: Step) -> None:
        self.service.close(
            ref,
            self.advance(ref, step.days % 5),
            f"Closed {PII}" if step.flag else None,
            by="tester",
        )


def run_steps(
    service: CaseService, intended: list[Step], after: Callable[[], None] | None = None
) -> Run:
    return Run(service, after=after).run(intended)
