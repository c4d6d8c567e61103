"""The Case stream's events: statutory records, kept for years.

Each class pins its stored name in `TOPIC` ("casereview:<Name>"), so modules and classes can move
without orphaning records; never change a TOPIC. To change an event's fields, raise its
`class_version` and add a static `upcast_vN_vN+1(state)` that turns the stored dict of the old
version into the new one (the mapper calls it on read; see ComplaintRecorded).

Every event carries `recorded_by` and the business date(s) it is about, separate from the
library's `timestamp`, which is when it was recorded (passed in from the injected clock).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from casereview.domain.personal import Person, Personal


class ApplicationReceived(Aggregate.Created):
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


class ApplicationAcknowledged(Aggregate.Event):
    TOPIC = "casereview:ApplicationAcknowledged"
    acknowledged_on: date
    recorded_by: str


class ComplaintRecorded(Aggregate.Event):
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


class ComplaintCorrected(Aggregate.Event):
    TOPIC = "casereview:ComplaintCorrected"
    complaint_id: str
    fields: dict[str, Any]
    reason: Personal
    recorded_by: str


class ThresholdDecided(Aggregate.Event):
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


class ReviewMeetingScheduled(Aggregate.Event):
    TOPIC = "casereview:ReviewMeetingScheduled"
    meeting_on: date
    agencies: list[str]
    chair: str | None
    recorded_by: str


class ReviewMeetingHeld(Aggregate.Event):
    TOPIC = "casereview:ReviewMeetingHeld"
    held_on: date
    attended: list[str]
    apologies: list[str]
    victim_attended: bool
    impact_statement: Personal | None
    recorded_by: str


class RecommendationMade(Aggregate.Event):
    TOPIC = "casereview:RecommendationMade"
    recommendation_id: str
    agency: str
    text: Personal
    due_on: date | None
    recorded_by: str


class ActionPlanStepAgreed(Aggregate.Event):
    TOPIC = "casereview:ActionPlanStepAgreed"
    action_id: str
    recommendation_id: str
    owner: str
    text: Personal
    due_on: date
    recorded_by: str


class ActionPlanStepCompleted(Aggregate.Event):
    TOPIC = "casereview:ActionPlanStepCompleted"
    action_id: str
    completed_on: date
    note: Personal | None
    recorded_by: str


class OutcomeCommunicated(Aggregate.Event):
    TOPIC = "casereview:OutcomeCommunicated"
    sent_on: date
    letter: str
    recorded_by: str


class AppealLodged(Aggregate.Event):
    TOPIC = "casereview:AppealLodged"
    lodged_on: date
    grounds: Personal
    in_time: bool | None
    window: str | None
    recorded_by: str


class AppealDecided(Aggregate.Event):
    TOPIC = "casereview:AppealDecided"
    decided_on: date
    upheld: bool
    reasons: Personal
    decided_by: str
    reopens_at: str | None
    recorded_by: str


class ApplicationWithdrawn(Aggregate.Event):
    TOPIC = "casereview:ApplicationWithdrawn"
    withdrawn_on: date
    reason: Personal
    recorded_by: str


class CaseClosed(Aggregate.Event):
    TOPIC = "casereview:CaseClosed"
    closed_on: date
    reason: Personal | None
    recorded_by: str


CASE_EVENTS: tuple[type[Aggregate.Event], ...] = (
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
