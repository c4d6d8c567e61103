"""The Case's events as stored: each event's fields are written once (domain/case_events.py);
this pins what is stored under each topic, so a change there is a deliberate one (a new
`class_version` and its upcaster), and checks that readers naming fields up front name real
ones."""

from __future__ import annotations

import pytest

from casereview.bulk_import.encoding import FIELDS
from casereview.domain import case_events
from casereview.domain.case import CASE_EVENTS, Case
from casereview.domain.case_events import stored_fields
from casereview.projections.apply import READS

STORED = {
    "casereview:ApplicationReceived": (
        1,
        "timestamp originator_topic ref area received_on applicant_kind applicant victim "
        "consent_on hate vulnerable summary channel recorded_by",
    ),
    "casereview:ApplicationAcknowledged": (1, "timestamp acknowledged_on recorded_by"),
    "casereview:ComplaintRecorded": (
        2,
        "timestamp complaint_id agency agency_ref incident incident_on reported_on "
        "complainant hate summary recorded_by",
    ),
    "casereview:ComplaintCorrected": (
        1,
        "timestamp complaint_id fields reason recorded_by",
    ),
    "casereview:ThresholdDecided": (
        1,
        "timestamp decided_on met basis route policy qualifying excluded explanation "
        "nearest missing discretion_reason decided_by recorded_by",
    ),
    "casereview:ReviewMeetingScheduled": (
        1,
        "timestamp meeting_on agencies chair recorded_by",
    ),
    "casereview:ReviewMeetingHeld": (
        1,
        "timestamp held_on attended apologies victim_attended impact_statement "
        "recorded_by",
    ),
    "casereview:RecommendationMade": (
        1,
        "timestamp recommendation_id agency text due_on recorded_by",
    ),
    "casereview:ActionPlanStepAgreed": (
        1,
        "timestamp action_id recommendation_id owner text due_on recorded_by",
    ),
    "casereview:ActionPlanStepCompleted": (
        1,
        "timestamp action_id completed_on note recorded_by",
    ),
    "casereview:OutcomeCommunicated": (1, "timestamp sent_on letter recorded_by"),
    "casereview:AppealLodged": (
        1,
        "timestamp lodged_on grounds in_time window recorded_by",
    ),
    "casereview:AppealDecided": (
        1,
        "timestamp decided_on upheld reasons decided_by reopens_at recorded_by",
    ),
    "casereview:ApplicationWithdrawn": (
        1,
        "timestamp withdrawn_on reason recorded_by",
    ),
    "casereview:CaseClosed": (1, "timestamp closed_on reason recorded_by"),
}


@pytest.mark.parametrize("event_class", CASE_EVENTS, ids=lambda c: c.__name__)
def test_each_event_stores_the_fields_it_always_stored_under_its_topic(event_class):
    version, names = STORED[event_class.TOPIC]

    assert stored_fields(event_class) == tuple(names.split())
    assert getattr(event_class, "class_version", 1) == version


def test_every_topic_is_pinned_and_every_event_is_the_case_s():
    assert {cls.TOPIC for cls in CASE_EVENTS} == set(STORED)
    for cls in CASE_EVENTS:
        assert getattr(Case, cls.__name__) is cls
        assert getattr(case_events, cls.__name__) is cls
        assert issubclass(cls, Case.Event)


def test_readers_name_only_fields_their_events_store():
    for event_class, names in READS.items():
        assert set(names) <= set(stored_fields(event_class)), event_class
    assert FIELDS == stored_fields(Case.ComplaintRecorded)
