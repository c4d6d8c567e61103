"""The event store on SQLite and PostgreSQL: stored topics, encodings, personal data,
upcasting of old events, and optimistic concurrency between two writers."""

from __future__ import annotations

import json
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from casereview.domain.case import CASE_EVENTS, Case, case_id
from casereview.domain.personal import Person
from casereview.errors import Conflict, DecisionAlreadyStands
from casereview.services.cases import CaseService
from casereview.thresholds.policy import Procedure

APPLICANT = "Zelda Quigley"
NEIGHBOUR = "Yusuf Ortega"
BY = "officer-1"


def receive(service: CaseService, **details) -> str:
    return service.receive(
        area="gosport",
        received_on=date(2026, 10, 1),
        applicant_name=APPLICANT,
        email="zelda@example.invalid",
        address="1 Example Road",
        summary=f"{APPLICANT} reports shouting from number 3",
        channel="phone",
        by=BY,
        **details,
    )


def add_three_complaints(service: CaseService, ref: str) -> None:
    service.add_complaint(
        ref,
        agency="police",
        incident_on=date(2026, 8, 10),
        reported_on=date(2026, 8, 11),
        agency_ref="HC-1",
        incident="I-1",
        summary=f"{APPLICANT} says her door was kicked",
        by=BY,
    )
    service.add_complaint(
        ref,
        agency="council",
        incident_on=date(2026, 8, 10),
        reported_on=date(2026, 8, 12),
        incident="I-1",
        by=BY,
    )
    service.add_complaint(
        ref,
        agency="housing",
        incident_on=date(2026, 9, 15),
        reported_on=date(2026, 9, 16),
        complainant=NEIGHBOUR,
        by=BY,
    )


def full_lifecycle(service: CaseService) -> str:
    ref = receive(service)
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    add_three_complaints(service, ref)
    service.correct_complaint(
        ref, "C2", {"reported_on": date(2026, 8, 13)}, "date misread", by=BY
    )
    service.decide_threshold(ref, date(2026, 10, 10), by=BY)
    service.schedule_meeting(
        ref, date(2026, 10, 20), ["police", "council"], "Chair", by=BY
    )
    service.hold_meeting(
        ref,
        date(2026, 10, 20),
        ["police", "council"],
        impact_statement=f"{APPLICANT} cannot sleep",
        by=BY,
    )
    rec = service.add_recommendation(ref, "police", "weekly patrols", by=BY)
    action = service.agree_action(
        ref, rec, "Sgt Smith", "patrol rota", date(2026, 12, 1), by=BY
    )
    service.complete_action(ref, action, date(2026, 11, 1), by=BY)
    service.send_outcome(ref, date(2026, 10, 25), by=BY)
    service.lodge_appeal(ref, date(2026, 10, 30), f"{APPLICANT} disagrees", by=BY)
    service.decide_appeal(
        ref, date(2026, 11, 5), upheld=False, reasons="review was sound", by=BY
    )
    service.close(ref, date(2026, 11, 10), by=BY)
    withdrawn = receive(service)
    service.withdraw(withdrawn, date(2026, 10, 3), f"{APPLICANT} moved away", by=BY)
    return ref


def notifications(service: CaseService):
    return service.app.recorder.select_notifications(start=1, limit=100)


def walk(value, inside_personal=False):
    """Yield (string, inside a person/personal value) for every string in decoded JSON."""
    if isinstance(value, dict):
        personal = inside_personal or value.get("_type_") in ("person", "personal")
        for key, item in value.items():
            yield key, personal
            yield from walk(item, personal)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, inside_personal)
    elif isinstance(value, str):
        yield value, inside_personal


# ----- what is stored ---------------------------------------------------------------------


def test_every_stored_topic_is_pinned_and_names_its_event_class_when_a_case_runs(
    service,
):
    full_lifecycle(service)

    stored = notifications(service)

    topics = [n.topic for n in stored]
    assert all(t.startswith("casereview:") for t in topics)
    for n in stored:
        event = service.app.mapper.to_domain_event(n)
        assert n.topic == f"casereview:{type(event).__name__}"
    assert {f"casereview:{cls.__name__}" for cls in CASE_EVENTS} - set(topics) == set()
    assert "casereview:ReferenceIssued" in topics


def test_dates_are_stored_as_iso_strings_when_events_are_saved(service):
    ref = receive(service)
    add_three_complaints(service, ref)

    stored = [n for n in notifications(service) if n.originator_id == case_id(ref)]

    received = json.loads(stored[0].state)
    assert b'"date_iso"' in stored[0].state
    assert received["received_on"] == {"_type_": "date_iso", "_data_": "2026-10-01"}
    complaint = json.loads(stored[1].state)
    assert complaint["incident_on"] == {"_type_": "date_iso", "_data_": "2026-08-10"}
    assert complaint["reported_on"] == {"_type_": "date_iso", "_data_": "2026-08-11"}


def test_personal_data_is_stored_only_inside_person_values_when_a_case_runs(service):
    full_lifecycle(service)

    stored = notifications(service)

    seen = 0
    for n in stored:
        assert APPLICANT not in n.topic
        assert APPLICANT not in str(n.originator_id)
        for text, inside_personal in walk(json.loads(n.state)):
            if APPLICANT in text or NEIGHBOUR in text:
                assert inside_personal, f"{n.topic}: {text!r} outside a person value"
                seen += 1
    # applicant, summaries, impact statement, grounds, reasons, the neighbour
    assert seen >= 6


# ----- upcasting --------------------------------------------------------------------------


def test_version_1_complaint_is_read_with_no_incident_key_when_upcast(service):
    ref = receive(service)
    add_three_complaints(service, ref)
    recorder = service.app.recorder
    events = recorder.select_events(case_id(ref))
    v2 = next(e for e in events if e.topic == "casereview:ComplaintRecorded")
    state = json.loads(v2.state)
    assert state.pop("class_version") == 2
    assert state.pop("incident") == "I-1"
    state["complaint_id"] = "C4"
    state["agency_ref"] = "HC-OLD"

    recorder.insert_events(
        [
            StoredEvent(
                originator_id=case_id(ref),
                originator_version=events[-1].originator_version + 1,
                topic="casereview:ComplaintRecorded",
                state=json.dumps(state, separators=(",", ":")).encode(),
            )
        ]
    )
    case = service.app.get_case(ref)

    assert case.complaints["C1"].incident == "I-1"
    assert case.complaints["C4"].incident is None
    assert case.complaints["C4"].agency_ref == "HC-OLD"
    assert case.complaints["C4"].incident_on == date(2026, 8, 10)
    assert case.version == events[-1].originator_version + 1


# ----- optimistic concurrency -----------------------------------------------------------


def record_on(case: Case, agency: str) -> None:
    case.record_complaint(
        agency=agency,
        incident_on=date(2026, 9, 1),
        reported_on=date(2026, 9, 2),
        complainant=case.applicant,
        at=case.modified_on,
        by=BY,
    )


def test_second_writer_gets_an_integrity_error_and_the_log_keeps_the_first(
    service, service_factory
):
    ref = receive(service)
    other = service_factory()
    first = service.app.get_case(ref)
    second = other.app.get_case(ref)
    record_on(first, "police")
    record_on(second, "council")

    service.app.save(first)
    with pytest.raises(IntegrityError):
        other.app.save(second)

    stored = other.app.get_case(ref)
    assert [c.agency for c in stored.complaints.values()] == ["police"]
    assert len(service.app.case_events(ref)) == 2


def test_second_writer_gets_conflict_exit_5_when_store_errors_are_translated(
    service, service_factory
):
    from casereview.adapters.eventstore import translate_store_errors

    ref = receive(service)
    other = service_factory()
    first = service.app.get_case(ref)
    second = other.app.get_case(ref)
    record_on(first, "police")
    record_on(second, "council")
    service.app.save(first)

    with pytest.raises(Conflict) as refused, translate_store_errors():
        other.app.save(second)

    assert refused.value.exit_code == 5
    assert len(service.app.case_events(ref)) == 2


class DecideElsewhereFirst:
    """Policies that, on first use, let another service decide the same case: the window
    between this service's load and save, where a concurrent writer gets in."""

    def __init__(self, inner, other: CaseService, ref: str) -> None:
        self.inner, self.other, self.ref = inner, other, ref
        self.calls = 0

    def in_force(self, slug: str, on: date) -> Procedure:
        self.calls += 1
        if self.calls == 1:
            self.other.decide_threshold(self.ref, date(2026, 10, 10), by="officer-b")
        return self.inner.in_force(slug, on)

    def areas(self) -> list[str]:
        return self.inner.areas()


def test_retry_after_a_conflict_rechecks_the_rules_when_another_writer_decided_first(
    service, service_factory
):
    ref = receive(service)
    add_three_complaints(service, ref)
    other = service_factory()
    policies = DecideElsewhereFirst(service.policies, other, ref)
    racing = CaseService(service.app, policies)

    with pytest.raises(DecisionAlreadyStands):
        racing.decide_threshold(ref, date(2026, 10, 11), by="officer-a")

    # First attempt: the rules, then its deadlines (the procedure again), then a conflict on
    # save; the retry loaded the case and re-ran the rules, which refused.
    assert policies.calls == 3
    decided = [
        e for e in service.app.case_events(ref) if isinstance(e, Case.ThresholdDecided)
    ]
    assert [(d.recorded_by, d.decided_on) for d in decided] == [
        ("officer-b", date(2026, 10, 10))
    ]


def test_change_retries_and_saves_when_another_writer_only_added_a_complaint(
    service, service_factory
):
    ref = receive(service)
    other = service_factory()
    attempts = []

    def add_after_other(case: Case) -> str:
        attempts.append(case.version)
        if len(attempts) == 1:
            other.add_complaint(
                ref,
                agency="council",
                incident_on=date(2026, 9, 1),
                reported_on=date(2026, 9, 2),
                by="officer-b",
            )
        return case.record_complaint(
            agency="police",
            incident_on=date(2026, 9, 3),
            reported_on=date(2026, 9, 4),
            complainant=Person("p-x", NEIGHBOUR),
            at=service.app.clock(),
            by="officer-a",
        )

    complaint_id = service.app.change(ref, add_after_other)

    assert complaint_id == "C2"
    assert attempts == [1, 2]
    stored = service.app.get_case(ref)
    assert [(c.id, c.agency) for c in stored.complaints.values()] == [
        ("C1", "council"),
        ("C2", "police"),
    ]
