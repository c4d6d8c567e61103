"""What happens to a case: each Case event's fields, written once, and what it changes.

Each class is one stored event. Its annotations are its fields, in the order they are stored;
they are written here and nowhere else in the domain: the Case triggers an event by naming
these fields (casereview/domain/case.py), and the event's `apply` reads them. `TOPIC`
("casereview:<Name>") pins the stored name, so modules and classes can move without
orphaning statutory records: never change a TOPIC. To change an event's fields, raise its
`class_version` and add a static `upcast_vN_vN+1(state)` turning the stored dict of the old
version into the new one (the mapper calls it on read; see ComplaintRecorded). Every event
carries `recorded_by` and the business date(s) it is about, separate from the library's
`timestamp` (when it was recorded, passed in from the injected clock).

`apply` changes the case's state (CaseState, casereview/domain/records.py) when the event is
triggered, and again on every replay, so it only copies values into state: no clock, no
I/O, no ids made up on the spot, and no rule (the Case checks its rules before it triggers
an event, so what is stored is always applied).
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from casereview.domain.identity import reference_identity
from casereview.domain.personal import Person, Personal
from casereview.domain.records import (
    ActionStep,
    AppealRecord,
    CaseState,
    Meeting,
    Recommendation,
    StandingDecision,
)
from casereview.domain.values import Complaint


class CaseEvent(Aggregate.Event):
    """An event of a Case's stream: the Case's base event class (`Case.Event`)."""


class ApplicationReceived(CaseEvent, Aggregate.Created):
    TOPIC = "casereview:ApplicationReceived"
    ref: str
    area: str
    received_on: date
    applicant_kind: str
    applicant: Person
    victim: Person | None
    consent_on: date | None
    hate: bool
    vulnerable: bool
    summary: Personal | None
    channel: str
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.ref, case.area, case.received_on = self.ref, self.area, self.received_on
        case.applicant_kind, case.applicant, case.victim = (
            self.applicant_kind,
            self.applicant,
            self.victim,
        )
        case.consent_on, case.hate, case.vulnerable = (
            self.consent_on,
            self.hate,
            self.vulnerable,
        )
        case.summary, case.channel = self.summary, self.channel
        case.status = "received"
        case.people = {self.applicant.id: self.applicant}
        if self.victim is not None:
            case.people[self.victim.id] = self.victim
        case.acknowledged_on = None
        case.complaints = {}
        case.agency_refs = {}
        case.corrections = []
        case.decisions = []
        case.decision = None
        case.meetings = []
        case.recommendations = {}
        case.actions = {}
        case.outcome_sent_on = None
        case.appeals = []
        case.reopened_at = None
        case.withdrawn_on = None
        case.closed_on = None
        case.steps = [("received", self.received_on)]


class ApplicationAcknowledged(CaseEvent):
    TOPIC = "casereview:ApplicationAcknowledged"
    acknowledged_on: date
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.acknowledged_on = self.acknowledged_on
        case.status = "acknowledged"
        case.steps.append(("acknowledged", self.acknowledged_on))


class ComplaintRecorded(CaseEvent):
    """v2 added `incident` (the key grouping reports of one incident to several agencies)."""

    TOPIC = "casereview:ComplaintRecorded"
    class_version = 2
    complaint_id: str
    agency: str
    agency_ref: str | None
    incident: str | None
    incident_on: date
    reported_on: date
    complainant: Person
    hate: bool
    summary: Personal | None
    recorded_by: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Version 1 had no incident key: each report then stood for its own incident.
        state["incident"] = None

    def apply(self, case: CaseState) -> None:
        case.people.setdefault(self.complainant.id, self.complainant)
        identity = reference_identity(self.agency, self.agency_ref)
        if identity is not None:
            case.agency_refs[identity] = self.complaint_id
        case.complaints[self.complaint_id] = Complaint(
            id=self.complaint_id,
            agency=self.agency,
            incident_on=self.incident_on,
            reported_on=self.reported_on,
            complainant=self.complainant.id,
            agency_ref=self.agency_ref,
            incident=self.incident,
            hate=self.hate,
            summary=self.summary,
        )


class ComplaintCorrected(CaseEvent):
    TOPIC = "casereview:ComplaintCorrected"
    complaint_id: str
    fields: dict[str, Any]
    reason: Personal
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        old = case.complaints[self.complaint_id]
        new = replace(old, **self.fields)
        old_identity = reference_identity(old.agency, old.agency_ref)
        if (
            old_identity is not None
            and case.agency_refs.get(old_identity) == self.complaint_id
        ):
            del case.agency_refs[old_identity]
        new_identity = reference_identity(new.agency, new.agency_ref)
        if new_identity is not None:
            case.agency_refs[new_identity] = self.complaint_id
        case.complaints[self.complaint_id] = new
        case.corrections.append((self.complaint_id, dict(self.fields), self.reason))


class ThresholdDecided(CaseEvent):
    TOPIC = "casereview:ThresholdDecided"
    decided_on: date
    met: bool
    basis: str | None
    route: str | None
    policy: dict[str, str]
    qualifying: list[str]
    excluded: list[dict[str, str]]
    explanation: list[str]
    nearest: str | None
    missing: str | None
    discretion_reason: Personal | None
    decided_by: str
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.decision = StandingDecision(
            decided_on=self.decided_on,
            met=self.met,
            basis=self.basis,
            route=self.route,
            policy=dict(self.policy),
            qualifying=tuple(self.qualifying),
            excluded=tuple((e["id"], e["reason"]) for e in self.excluded),
            explanation=tuple(self.explanation),
            nearest=self.nearest,
            missing=self.missing,
            discretion_reason=self.discretion_reason,
            decided_by=self.decided_by,
        )
        case.decisions.append(case.decision)
        case.reopened_at = None
        case.status = "threshold_met" if self.met else "threshold_not_met"
        case.steps.append(("threshold_decided", self.decided_on))


class ReviewMeetingScheduled(CaseEvent):
    TOPIC = "casereview:ReviewMeetingScheduled"
    meeting_on: date
    agencies: list[str]
    chair: str | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        if case.status == "meeting_scheduled":
            case.meetings.pop()  # a reschedule replaces the meeting not yet held
        case.meetings.append(Meeting(self.meeting_on, tuple(self.agencies), self.chair))
        case.reopened_at = None
        case.status = "meeting_scheduled"


class ReviewMeetingHeld(CaseEvent):
    TOPIC = "casereview:ReviewMeetingHeld"
    held_on: date
    attended: list[str]
    apologies: list[str]
    victim_attended: bool
    impact_statement: Personal | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.meetings[-1] = replace(
            case.meetings[-1],
            held_on=self.held_on,
            attended=tuple(self.attended),
            apologies=tuple(self.apologies),
            victim_attended=self.victim_attended,
            impact_statement=self.impact_statement,
        )
        case.status = "reviewed"
        case.steps.append(("meeting_held", self.held_on))


class RecommendationMade(CaseEvent):
    TOPIC = "casereview:RecommendationMade"
    recommendation_id: str
    agency: str
    text: Personal
    due_on: date | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.recommendations[self.recommendation_id] = Recommendation(
            self.recommendation_id, self.agency, self.text, self.due_on
        )


class ActionPlanStepAgreed(CaseEvent):
    TOPIC = "casereview:ActionPlanStepAgreed"
    action_id: str
    recommendation_id: str
    owner: str
    text: Personal
    due_on: date
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.actions[self.action_id] = ActionStep(
            self.action_id, self.recommendation_id, self.owner, self.text, self.due_on
        )


class ActionPlanStepCompleted(CaseEvent):
    TOPIC = "casereview:ActionPlanStepCompleted"
    action_id: str
    completed_on: date
    note: Personal | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.actions[self.action_id] = replace(
            case.actions[self.action_id],
            completed_on=self.completed_on,
            note=self.note,
        )


class OutcomeCommunicated(CaseEvent):
    TOPIC = "casereview:OutcomeCommunicated"
    sent_on: date
    letter: str
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.outcome_sent_on = self.sent_on
        case.status = "outcome_sent"
        case.steps.append(("outcome_sent", self.sent_on))


class AppealLodged(CaseEvent):
    TOPIC = "casereview:AppealLodged"
    lodged_on: date
    grounds: Personal
    in_time: bool | None
    window: str | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.appeals.append(
            AppealRecord(self.lodged_on, self.grounds, self.in_time, self.window)
        )
        case.status = "appealed"
        case.steps.append(("appeal_lodged", self.lodged_on))


class AppealDecided(CaseEvent):
    TOPIC = "casereview:AppealDecided"
    decided_on: date
    upheld: bool
    reasons: Personal
    decided_by: str
    reopens_at: str | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.appeals[-1] = replace(
            case.appeals[-1],
            decided_on=self.decided_on,
            upheld=self.upheld,
            reasons=self.reasons,
            decided_by=self.decided_by,
            reopens_at=self.reopens_at,
        )
        case.reopened_at = self.reopens_at
        if self.reopens_at == "threshold":
            # The earlier decision stays in `decisions` and in the log.
            case.decision = None
        case.status = "appeal_decided"
        case.steps.append(("appeal_decided", self.decided_on))


class ApplicationWithdrawn(CaseEvent):
    TOPIC = "casereview:ApplicationWithdrawn"
    withdrawn_on: date
    reason: Personal
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.withdrawn_on = self.withdrawn_on
        case.status = "withdrawn"
        case.steps.append(("withdrawn", self.withdrawn_on))


class CaseClosed(CaseEvent):
    TOPIC = "casereview:CaseClosed"
    closed_on: date
    reason: Personal | None
    recorded_by: str

    def apply(self, case: CaseState) -> None:
        case.closed_on = self.closed_on
        case.status = "closed"
        case.steps.append(("closed", self.closed_on))


CASE_EVENTS: tuple[type[CaseEvent], ...] = (
    ApplicationReceived,
    ApplicationAcknowledged,
    ComplaintRecorded,
    ComplaintCorrected,
    ThresholdDecided,
    ReviewMeetingScheduled,
    ReviewMeetingHeld,
    RecommendationMade,
    ActionPlanStepAgreed,
    ActionPlanStepCompleted,
    OutcomeCommunicated,
    AppealLodged,
    AppealDecided,
    ApplicationWithdrawn,
    CaseClosed,
)

ENVELOPE = ("originator_id", "originator_version")
"""What every event has that is stored beside its state, not in it (the stream and the
position in it)."""


def stored_fields(event_class: type[CaseEvent]) -> tuple[str, ...]:
    """The names in an event's stored state, in the order the library's mapper writes them:
    its dataclass fields (the library's `timestamp` first), but for the ENVELOPE."""
    return tuple(f.name for f in fields(event_class) if f.name not in ENVELOPE)
