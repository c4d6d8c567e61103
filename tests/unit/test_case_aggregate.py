"""The Case aggregate without a database: its events and the lifecycle of DOMAIN.md section 4."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casereview.domain.case import Case, case_id
from casereview.domain.personal import Person, Personal
from casereview.errors import (
    DecisionAlreadyStands,
    DiscretionRequired,
    InvalidInput,
    RuleViolation,
    StepOutOfOrder,
)
from casereview.thresholds.policy import ACT_DEFAULT, Procedure, Route, Threshold

AT = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
BY = "officer-1"
REF = "GOSPORT-2026-0001"
RECEIVED_ON = date(2026, 3, 10)
APPLICANT = Person("p-applicant", "Alice Example", "alice@example.invalid")
NEIGHBOUR = Person("p-neighbour", "Bob Neighbour")
ONE_COMPLAINT = Procedure(
    slug="example-borough",
    area="Example Borough",
    nation="england",
    effective_from=date(2025, 4, 1),
    source="https://example.invalid/asb-case-review",
    threshold=Threshold(complaints=1),
)


def new_case(**overrides) -> Case:
    fields = {
        "ref": REF,
        "area": "gosport",
        "received_on": RECEIVED_ON,
        "applicant_kind": "victim",
        "applicant": APPLICANT,
        "victim": None,
        "consent_on": None,
        "hate": False,
        "vulnerable": False,
        "summary": None,
        "channel": "phone",
    }
    fields.update(overrides)
    return Case.receive(at=AT, by=BY, **fields)


def reason(text: str) -> Personal:
    return Personal(APPLICANT.id, text)


def add_complaint(case: Case, day: int, **kw) -> str:
    kw.setdefault("agency", "police")
    return case.record_complaint(
        incident_on=date(2026, 2, day),
        reported_on=date(2026, 2, day + 1),
        complainant=kw.pop("complainant", APPLICANT),
        at=AT,
        by=BY,
        **kw,
    )


def decided_case(*, met: bool) -> Case:
    case = new_case()
    case.acknowledge(date(2026, 3, 11), at=AT, by=BY)
    for day, agency in ((2, "police"), (9, "council"), (16, "housing"))[
        : 3 if met else 1
    ]:
        add_complaint(case, day, agency=agency)
    case.decide_threshold(ACT_DEFAULT, date(2026, 3, 12), at=AT, by=BY)
    return case


def scheduled_case() -> Case:
    case = decided_case(met=True)
    case.schedule_meeting(
        date(2026, 3, 25), ["police", "council"], "Chair", at=AT, by=BY
    )
    return case


def reviewed_case() -> Case:
    case = scheduled_case()
    case.hold_meeting(date(2026, 3, 25), ["police", "council"], at=AT, by=BY)
    return case


def outcome_sent_case(*, met: bool = True) -> Case:
    case = reviewed_case() if met else decided_case(met=False)
    case.send_outcome(date(2026, 3, 30), "outcome/review", at=AT, by=BY)
    return case


def appealed_case(*, met: bool = True, in_time: bool = True) -> Case:
    case = outcome_sent_case(met=met)
    case.lodge_appeal(
        date(2026, 4, 2), reason("not fair"), in_time=in_time, window=None, at=AT, by=BY
    )
    return case


def appeal_decided_case(
    *, met: bool = True, upheld: bool, reopens_at: str | None = None
) -> Case:
    case = appealed_case(met=met)
    case.decide_appeal(
        date(2026, 4, 10),
        upheld=upheld,
        reasons=reason("reasons"),
        decided_by="PCC office",
        reopens_at=reopens_at,
        at=AT,
        by=BY,
    )
    return case


def closed_case() -> Case:
    case = outcome_sent_case()
    case.close(date(2026, 4, 1), None, at=AT, by=BY)
    return case


def withdrawn_case() -> Case:
    case = new_case()
    case.withdraw(date(2026, 3, 12), reason("moved away"), at=AT, by=BY)
    return case


def event_types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


# ----- receipt and its event --------------------------------------------------------------


def test_receiving_an_application_records_one_event_with_its_fields_when_created():
    case = new_case(summary=reason("noise every night"), vulnerable=True)

    events = case.collect_events()

    assert [type(e) for e in events] == [Case.ApplicationReceived]
    received = events[0]
    assert received.originator_id == case_id(REF)
    assert received.originator_version == 1
    assert received.timestamp == AT
    assert received.recorded_by == BY
    assert received.ref == REF
    assert received.area == "gosport"
    assert received.received_on == RECEIVED_ON
    assert received.applicant == APPLICANT
    assert received.vulnerable is True
    assert received.summary == reason("noise every night")
    assert received.channel == "phone"
    assert case.status == "received"
    assert case.people == {APPLICANT.id: APPLICANT}


def test_receiving_on_behalf_of_a_victim_files_both_people_when_a_victim_is_named():
    victim = Person("p-victim", "Carol Victim")

    case = new_case(
        applicant_kind="on-behalf", victim=victim, consent_on=date(2026, 3, 1)
    )

    assert case.victim_id == victim.id
    assert set(case.people) == {APPLICANT.id, victim.id}


# ----- events of a full lifecycle -----------------------------------------------------------


def test_lifecycle_records_events_in_order_with_recorder_dates_and_timestamp_when_run():
    case = new_case()
    case.acknowledge(date(2026, 3, 11), at=AT, by=BY)
    add_complaint(case, 2, agency_ref="PC-1", incident="I-1")
    add_complaint(case, 9, agency="council")
    add_complaint(case, 16, agency="housing", complainant=NEIGHBOUR, hate=True)
    case.decide_threshold(ACT_DEFAULT, date(2026, 3, 12), at=AT, by="chair-1")
    case.schedule_meeting(date(2026, 3, 25), ["police"], "Chair", at=AT, by=BY)
    case.hold_meeting(date(2026, 3, 25), ["police"], victim_attended=True, at=AT, by=BY)
    rec = case.make_recommendation("police", reason("patrols"), None, at=AT, by=BY)
    action = case.agree_action(
        rec, "Sgt Smith", reason("weekly patrol"), date(2026, 5, 1), at=AT, by=BY
    )
    case.complete_action(action, date(2026, 4, 20), None, at=AT, by=BY)
    case.send_outcome(date(2026, 3, 30), "outcome/review", at=AT, by=BY)
    case.close(date(2026, 4, 30), None, at=AT, by=BY)

    events = case.collect_events()

    assert [type(e).__name__ for e in events] == [
        "ApplicationReceived",
        "ApplicationAcknowledged",
        "ComplaintRecorded",
        "ComplaintRecorded",
        "ComplaintRecorded",
        "ThresholdDecided",
        "ReviewMeetingScheduled",
        "ReviewMeetingHeld",
        "RecommendationMade",
        "ActionPlanStepAgreed",
        "ActionPlanStepCompleted",
        "OutcomeCommunicated",
        "CaseClosed",
    ]
    assert [e.originator_version for e in events] == list(range(1, 14))
    assert all(e.timestamp == AT for e in events)
    assert [e.recorded_by for e in events] == [BY] * 5 + ["chair-1"] + [BY] * 7
    ack, c1, _, c3, decided, scheduled, held = events[1:8]
    assert ack.acknowledged_on == date(2026, 3, 11)
    assert (c1.complaint_id, c1.agency, c1.agency_ref, c1.incident) == (
        "C1",
        "police",
        "PC-1",
        "I-1",
    )
    assert (c1.incident_on, c1.reported_on) == (date(2026, 2, 2), date(2026, 2, 3))
    assert c3.complainant == NEIGHBOUR
    assert c3.hate is True
    assert decided.decided_on == date(2026, 3, 12)
    assert decided.met is True
    assert decided.basis == "statutory"
    assert decided.qualifying == ["C1", "C2", "C3"]
    assert decided.policy["area"] == "act"
    assert decided.decided_by == "chair-1"
    assert scheduled.meeting_on == date(2026, 3, 25)
    assert held.victim_attended is True
    assert events[-1].closed_on == date(2026, 4, 30)
    assert case.status == "closed"
    assert set(case.people) == {APPLICANT.id, NEIGHBOUR.id}


def test_decision_records_discretion_reason_and_decider_when_met_by_discretion():
    case = new_case()
    add_complaint(case, 2)
    case.collect_events()

    case.decide_threshold(
        ACT_DEFAULT,
        date(2026, 3, 12),
        discretion_reason=reason("persistent, high harm"),
        decided_by="CSP chair",
        at=AT,
        by=BY,
    )

    [decided] = case.collect_events()
    assert decided.met is True
    assert decided.basis == "discretion"
    assert decided.discretion_reason == reason("persistent, high harm")
    assert decided.decided_by == "CSP chair"
    assert decided.recorded_by == BY
    assert case.status == "threshold_met"


VULNERABILITY_ROUTE = Procedure(
    slug="example-borough",
    area="Example Borough",
    nation="england",
    effective_from=date(2025, 4, 1),
    source="https://example.invalid/asb-case-review",
    routes=(Route(kind="vulnerability", decided_by="Head of Community Safety"),),
)


def test_decision_is_refused_until_the_named_role_decides_when_a_vulnerable_case_is_referred():
    case = new_case(vulnerable=True)
    add_complaint(case, 2)
    case.collect_events()

    with pytest.raises(DiscretionRequired) as refused:
        case.decide_threshold(VULNERABILITY_ROUTE, date(2026, 3, 12), at=AT, by=BY)

    assert (
        "refers a vulnerable applicant's case to the Head of Community Safety"
        in str(refused.value)
    )
    assert refused.value.exit_code == 3
    assert case.collect_events() == [] and case.decision is None


def test_named_role_may_decide_against_a_referral_with_reasons_when_no_test_is_met():
    case = new_case(vulnerable=True)
    add_complaint(case, 2)
    case.collect_events()

    case.decide_threshold(
        VULNERABILITY_ROUTE,
        date(2026, 3, 12),
        discretion_reason=reason("police response adequate; no further risk"),
        discretion="not-met",
        at=AT,
        by=BY,
    )

    [decided] = case.collect_events()
    assert (decided.met, decided.basis, decided.route) == (False, None, None)
    assert decided.discretion_reason == reason(
        "police response adequate; no further risk"
    )
    assert (
        "The Head of Community Safety decided not to treat the threshold as met"
        in (decided.explanation[-1])
    )
    assert case.status == "threshold_not_met"


def test_discretion_cannot_refuse_a_review_when_the_acts_test_is_met():
    case = new_case()
    for day in (2, 9, 16):
        add_complaint(case, day)
    case.collect_events()

    with pytest.raises(
        RuleViolation, match=r"discretion under s\.104\(5\) can only add"
    ):
        case.decide_threshold(
            ACT_DEFAULT,
            date(2026, 3, 12),
            discretion_reason=reason("no"),
            discretion="not-met",
            at=AT,
            by=BY,
        )

    assert case.decision is None and case.collect_events() == []


def test_threshold_not_met_is_recorded_with_nearest_and_missing_when_too_few_complaints():
    case = decided_case(met=False)

    decided = case.collect_events()[-1]

    assert isinstance(decided, Case.ThresholdDecided)
    assert decided.met is False
    assert decided.nearest == "the Act's threshold"
    assert decided.missing == "1 qualifying complaint; 3 needed"
    assert case.status == "threshold_not_met"


# ----- step order ------------------------------------------------------------------------


def test_meeting_is_refused_with_exit_3_when_the_threshold_is_not_yet_decided():
    case = new_case()

    with pytest.raises(StepOutOfOrder) as refused:
        case.schedule_meeting(date(2026, 3, 25), ["police"], None, at=AT, by=BY)

    assert refused.value.exit_code == 3
    assert "after the threshold is met" in str(refused.value)


def test_meeting_is_refused_when_the_threshold_is_not_met():
    case = decided_case(met=False)

    with pytest.raises(StepOutOfOrder):
        case.schedule_meeting(date(2026, 3, 25), ["police"], None, at=AT, by=BY)


def test_second_threshold_decision_is_refused_when_one_stands():
    case = decided_case(met=False)
    add_complaint(case, 20, agency="council")
    add_complaint(case, 21, agency="housing")

    with pytest.raises(DecisionAlreadyStands) as refused:
        case.decide_threshold(ACT_DEFAULT, date(2026, 3, 13), at=AT, by=BY)

    assert refused.value.exit_code == 3
    assert len(case.decisions) == 1


def test_recommendation_is_refused_when_the_meeting_is_only_scheduled():
    case = scheduled_case()

    with pytest.raises(StepOutOfOrder) as refused:
        case.make_recommendation("police", reason("patrols"), None, at=AT, by=BY)

    assert refused.value.exit_code == 3


def test_outcome_is_refused_when_the_review_has_not_been_held():
    case = scheduled_case()

    with pytest.raises(StepOutOfOrder):
        case.send_outcome(date(2026, 3, 30), "outcome/review", at=AT, by=BY)


def test_outcome_is_refused_when_the_threshold_is_met_but_not_reviewed():
    case = decided_case(met=True)

    with pytest.raises(StepOutOfOrder):
        case.send_outcome(date(2026, 3, 30), "outcome/review", at=AT, by=BY)


def test_appeal_is_refused_when_the_outcome_has_not_been_sent():
    case = reviewed_case()

    with pytest.raises(StepOutOfOrder) as refused:
        case.lodge_appeal(
            date(2026, 4, 2), reason("unfair"), in_time=True, window=None, at=AT, by=BY
        )

    assert refused.value.exit_code == 3


@pytest.mark.parametrize(
    "make", [closed_case, withdrawn_case], ids=["closed", "withdrawn"]
)
@pytest.mark.parametrize(
    "step",
    [
        lambda c: c.acknowledge(date(2026, 4, 2), at=AT, by=BY),
        lambda c: c.decide_threshold(ACT_DEFAULT, date(2026, 4, 2), at=AT, by=BY),
        lambda c: c.schedule_meeting(date(2026, 4, 9), ["police"], None, at=AT, by=BY),
        lambda c: c.hold_meeting(date(2026, 4, 9), ["police"], at=AT, by=BY),
        lambda c: c.make_recommendation("police", reason("x"), None, at=AT, by=BY),
        lambda c: c.send_outcome(date(2026, 4, 9), "outcome/review", at=AT, by=BY),
        lambda c: c.lodge_appeal(
            date(2026, 4, 9), reason("x"), in_time=True, window=None, at=AT, by=BY
        ),
        lambda c: c.withdraw(date(2026, 4, 9), reason("x"), at=AT, by=BY),
        lambda c: c.close(date(2026, 4, 9), None, at=AT, by=BY),
    ],
    ids=[
        "acknowledge",
        "decide",
        "schedule",
        "hold",
        "recommend",
        "outcome",
        "appeal",
        "withdraw",
        "close",
    ],
)
def test_lifecycle_step_is_refused_when_the_case_is_no_longer_open(make, step):
    case = make()
    case.collect_events()

    with pytest.raises(RuleViolation) as refused:
        step(case)

    assert refused.value.exit_code == 3
    assert case.collect_events() == []


@pytest.mark.parametrize(
    "make", [closed_case, withdrawn_case], ids=["closed", "withdrawn"]
)
def test_complaint_is_refused_for_a_new_application_when_the_case_is_no_longer_open(
    make,
):
    case = make()
    status = case.status
    case.collect_events()

    with pytest.raises(StepOutOfOrder) as refused:
        add_complaint(case, 20, agency="council")

    assert refused.value.exit_code == 3
    assert f"while the case is {status}" in str(refused.value)
    assert "a new application is the way" in str(refused.value)
    assert case.collect_events() == []
    assert case.status == status


def complaint_then_withdrawn() -> Case:
    case = new_case()
    add_complaint(case, 2)
    case.withdraw(date(2026, 3, 12), reason("moved away"), at=AT, by=BY)
    return case


@pytest.mark.parametrize(
    "make", [closed_case, complaint_then_withdrawn], ids=["closed", "withdrawn"]
)
def test_correction_is_kept_for_the_record_when_the_case_is_no_longer_open(make):
    case = make()
    status = case.status
    case.collect_events()

    case.correct_complaint(
        "C1", {"agency": "housing"}, reason("wrong agency"), at=AT, by=BY
    )

    assert event_types(case) == ["ComplaintCorrected"]
    assert case.status == status
    assert case.complaints["C1"].agency == "housing"


def test_complaint_after_a_decision_does_not_change_the_decision_that_stands():
    case = decided_case(met=False)

    add_complaint(case, 20, agency="council")
    add_complaint(case, 21, agency="housing")

    assert case.status == "threshold_not_met"
    assert case.decision is not None
    assert not case.decision.met
    assert case.decision.qualifying == ("C1",)


# ----- complaints and corrections ---------------------------------------------------------


def test_complaint_is_refused_with_exit_2_when_reported_before_its_incident():
    case = new_case()
    case.collect_events()

    with pytest.raises(InvalidInput) as refused:
        case.record_complaint(
            agency="police",
            incident_on=date(2026, 2, 10),
            reported_on=date(2026, 2, 9),
            complainant=APPLICANT,
            at=AT,
            by=BY,
        )

    assert refused.value.exit_code == 2
    assert case.complaints == {}
    assert case.collect_events() == []


def test_complaint_is_refused_when_its_agency_reference_is_already_recorded():
    case = new_case()
    add_complaint(case, 2, agency="police", agency_ref="PC-1")

    with pytest.raises(RuleViolation) as refused:
        add_complaint(case, 9, agency="police", agency_ref="PC-1")

    assert refused.value.exit_code == 3
    assert "already recorded as complaint C1" in str(refused.value)
    assert list(case.complaints) == ["C1"]


def test_complaint_is_recorded_when_another_agency_uses_the_same_reference():
    case = new_case()
    add_complaint(case, 2, agency="police", agency_ref="REF-1")

    cid = add_complaint(case, 9, agency="council", agency_ref="REF-1")

    assert cid == "C2"


def test_correction_keeps_the_old_value_in_the_log_and_the_new_one_in_complaints():
    case = new_case()
    add_complaint(case, 2)
    case.correct_complaint(
        "c1", {"incident_on": date(2026, 2, 1)}, reason("typo"), at=AT, by=BY
    )

    events = case.collect_events()

    corrected = events[-1]
    assert isinstance(corrected, Case.ComplaintCorrected)
    assert corrected.complaint_id == "C1"
    assert corrected.fields == {"incident_on": date(2026, 2, 1)}
    assert corrected.reason == reason("typo")
    assert corrected.recorded_by == BY
    assert case.complaints["C1"].incident_on == date(2026, 2, 1)
    assert case.corrections == [
        ("C1", {"incident_on": date(2026, 2, 1)}, reason("typo"))
    ]
    as_at_before = None
    for e in events[:-1]:
        as_at_before = e.mutate(as_at_before)
    assert as_at_before.complaints["C1"].incident_on == date(2026, 2, 2)


def test_correction_is_refused_when_it_would_put_the_report_before_the_incident():
    case = new_case()
    add_complaint(case, 2)

    with pytest.raises(InvalidInput):
        case.correct_complaint(
            "C1", {"incident_on": date(2026, 2, 10)}, reason("x"), at=AT, by=BY
        )


@pytest.mark.parametrize(
    "changes", [{"complainant": "p-x"}, {"agency": "police"}], ids=["unknown", "same"]
)
def test_correction_is_refused_when_it_names_no_correctable_change(changes):
    case = new_case()
    add_complaint(case, 2, agency="police")

    with pytest.raises(InvalidInput):
        case.correct_complaint("C1", changes, reason("x"), at=AT, by=BY)


# ----- appeals ------------------------------------------------------------------------------


def test_late_appeal_is_recorded_as_late_when_lodged_after_the_window():
    case = outcome_sent_case()
    case.collect_events()

    case.lodge_appeal(
        date(2026, 5, 30),
        reason("unfair"),
        in_time=False,
        window="10 working days from the outcome letter",
        at=AT,
        by=BY,
    )

    [lodged] = case.collect_events()
    assert isinstance(lodged, Case.AppealLodged)
    assert lodged.in_time is False
    assert lodged.lodged_on == date(2026, 5, 30)
    assert case.status == "appealed"
    assert case.appeals[-1].in_time is False


def test_upheld_appeal_reopens_at_the_threshold_and_allows_a_fresh_decision():
    case = appeal_decided_case(met=False, upheld=True)
    assert case.reopened_at == "threshold"
    assert case.decision is None

    case.decide_threshold(
        ONE_COMPLAINT, date(2026, 4, 11), decided_by="CSP chair", at=AT, by=BY
    )

    decisions = [
        e for e in case.collect_events() if isinstance(e, Case.ThresholdDecided)
    ]
    assert [d.met for d in decisions] == [False, True]
    assert [d.met for d in case.decisions] == [False, True]
    assert case.decision is case.decisions[-1]
    assert case.status == "threshold_met"
    assert case.reopened_at is None


def test_upheld_appeal_reopens_at_the_review_and_allows_a_new_meeting():
    case = appeal_decided_case(upheld=True)
    assert case.reopened_at == "review"

    case.schedule_meeting(date(2026, 4, 20), ["police", "icb"], "Chair", at=AT, by=BY)

    assert case.status == "meeting_scheduled"
    assert len(case.meetings) == 2
    assert case.meetings[0].held_on == date(2026, 3, 25)
    assert len(case.decisions) == 1


def test_upheld_appeal_at_the_review_still_refuses_a_fresh_threshold_decision():
    case = appeal_decided_case(upheld=True, reopens_at="review")

    with pytest.raises(DecisionAlreadyStands):
        case.decide_threshold(ACT_DEFAULT, date(2026, 4, 11), at=AT, by=BY)


def test_upheld_appeal_cannot_reopen_at_the_review_when_the_threshold_was_not_met():
    case = appealed_case(met=False)

    with pytest.raises(RuleViolation):
        case.decide_appeal(
            date(2026, 4, 10),
            upheld=True,
            reasons=reason("r"),
            decided_by="PCC office",
            reopens_at="review",
            at=AT,
            by=BY,
        )


def test_not_upheld_appeal_lets_the_case_close():
    case = appeal_decided_case(upheld=False, reopens_at="threshold")
    assert case.reopened_at is None
    case.collect_events()

    case.close(date(2026, 4, 11), reason("appeal not upheld"), at=AT, by=BY)

    [closed] = case.collect_events()
    assert isinstance(closed, Case.CaseClosed)
    assert closed.closed_on == date(2026, 4, 11)
    assert case.status == "closed"
    assert case.appeals[-1].upheld is False


@pytest.mark.parametrize("reopens_at", ["threshold", "review"])
def test_upheld_appeal_blocks_closing_when_the_reopened_step_is_not_done(reopens_at):
    case = appeal_decided_case(upheld=True, reopens_at=reopens_at)

    with pytest.raises(StepOutOfOrder) as refused:
        case.close(date(2026, 4, 11), None, at=AT, by=BY)

    assert refused.value.exit_code == 3
    assert f"reopened it at the {reopens_at}" in str(refused.value)


def test_upheld_appeal_lets_the_case_close_when_the_reopened_step_is_done():
    case = appeal_decided_case(met=False, upheld=True)
    case.decide_threshold(ACT_DEFAULT, date(2026, 4, 11), at=AT, by=BY)
    case.send_outcome(date(2026, 4, 12), "outcome/threshold-not-met", at=AT, by=BY)

    case.close(date(2026, 4, 13), None, at=AT, by=BY)

    assert case.status == "closed"
    assert len(case.decisions) == 2


# ----- withdrawal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        new_case,
        lambda: decided_case(met=False),
        lambda: decided_case(met=True),
        scheduled_case,
        reviewed_case,
        outcome_sent_case,
        appealed_case,
        lambda: appeal_decided_case(upheld=True),
    ],
    ids=[
        "received",
        "threshold_not_met",
        "threshold_met",
        "meeting_scheduled",
        "reviewed",
        "outcome_sent",
        "appealed",
        "appeal_decided",
    ],
)
def test_withdrawal_is_recorded_when_the_case_is_open(make):
    case = make()
    case.collect_events()

    case.withdraw(date(2026, 4, 15), reason("resolved"), at=AT, by=BY)

    [withdrawn] = case.collect_events()
    assert isinstance(withdrawn, Case.ApplicationWithdrawn)
    assert withdrawn.withdrawn_on == date(2026, 4, 15)
    assert withdrawn.reason == reason("resolved")
    assert withdrawn.recorded_by == BY
    assert withdrawn.timestamp == AT
    assert case.status == "withdrawn"
    assert case.withdrawn_on == date(2026, 4, 15)


def test_withdrawal_is_refused_when_dated_before_the_application():
    case = new_case()

    with pytest.raises(InvalidInput):
        case.withdraw(date(2026, 3, 9), reason("x"), at=AT, by=BY)


def test_action_can_be_completed_when_an_appeal_reopened_the_threshold():
    case = reviewed_case()
    recommendation = case.make_recommendation(
        "police", reason("patrol"), None, at=AT, by=BY
    )
    action = case.agree_action(
        recommendation, "police", reason("walk"), date(2026, 5, 1), at=AT, by=BY
    )
    case.send_outcome(date(2026, 3, 30), "outcome/review", at=AT, by=BY)
    case.lodge_appeal(
        date(2026, 4, 2), reason("g"), in_time=True, window=None, at=AT, by=BY
    )
    case.decide_appeal(
        date(2026, 4, 10),
        upheld=True,
        reasons=reason("r"),
        decided_by="PCC",
        reopens_at="threshold",
        at=AT,
        by=BY,
    )

    case.complete_action(action, date(2026, 4, 11), None, at=AT, by=BY)

    assert case.actions[action].completed_on == date(2026, 4, 11)
    assert case.decision is None and case.status == "appeal_decided"
