"""Deadlines on both stores: scheduled, met and cancelled with their steps; breaches and
reminders recorded exactly once, however often and however concurrently the check runs."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from casereview.adapters.store import parse_store_url
from casereview.domain.deadline import Deadline
from casereview.projections.runner import Projector
from casereview.services.followup import case_deadlines
from casereview.services.overdue import check_deadlines


@pytest.fixture
def projector(service, db_url):
    made = Projector(service.app, parse_store_url(db_url))
    yield made
    made.close()


def deadlines(service, ref):
    case = service.app.get_case(ref)
    return {
        d.kind: d
        for d in case_deadlines(service.app, case, service.procedure_for(case))
    }


def events_of(service, deadline):
    return [type(e).__name__ for e in service.app.events.get(deadline.id)]


def test_steps_schedule_meet_and_cancel_their_deadlines_when_a_case_runs(service):
    # gosport 2026-04-01: acknowledge 10 WD from receipt, decide 15 WD from acknowledgement,
    # meet 20 WD from the decision (only when met).
    ref = service.receive(
        area="gosport", received_on=date(2026, 6, 1), applicant_name="A", by="t"
    )
    service.acknowledge(ref, date(2026, 6, 3), by="t")
    service.decide_threshold(
        ref, date(2026, 6, 10), discretion="met", discretion_reason="risk", by="t"
    )
    service.withdraw(ref, date(2026, 6, 12), "moved", by="t")

    found = deadlines(service, ref)

    assert set(found) == {"acknowledge", "decide", "meet"}
    ack = found["acknowledge"]
    assert (ack.start_on, ack.due_on, ack.state, ack.ended_on) == (
        date(2026, 6, 1),
        date(2026, 6, 15),
        "met",
        date(2026, 6, 3),
    )
    assert ack.rule == "10 working days" and ack.calendar.startswith("holidays==")
    assert ack.explanation[-1].startswith(
        "Due Monday 15 June 2026: day 10 of 10 working days"
    )
    assert found["decide"].state == "met"
    assert (found["meet"].state, found["meet"].ended_on) == (
        "cancelled",
        date(2026, 6, 12),
    )
    assert events_of(service, found["meet"]) == [
        "DeadlineScheduled",
        "DeadlineCancelled",
    ]


def test_no_meeting_deadline_is_scheduled_when_the_threshold_is_not_met(service):
    ref = service.receive(
        area="gosport", received_on=date(2026, 6, 1), applicant_name="A", by="t"
    )
    service.acknowledge(ref, date(2026, 6, 2), by="t")
    service.decide_threshold(ref, date(2026, 6, 5), by="t")

    assert set(deadlines(service, ref)) == {"acknowledge", "decide"}


def test_a_step_after_the_due_date_meets_the_deadline_late(service):
    ref = service.receive(
        area="gosport", received_on=date(2026, 6, 1), applicant_name="A", by="t"
    )
    service.acknowledge(ref, date(2026, 6, 16), by="t")  # due 15 June

    ack = deadlines(service, ref)["acknowledge"]

    assert (ack.state, ack.ended_on) == ("breached", date(2026, 6, 16))


def test_breach_is_recorded_once_when_the_check_runs_again(service, projector):
    ref = service.receive(
        area="gosport", received_on=date(2026, 1, 5), applicant_name="A", by="t"
    )

    first = check_deadlines(service, projector, date(2026, 11, 20), by="scheduler")
    again = check_deadlines(service, projector, date(2026, 11, 20), by="scheduler")

    assert first.breached == [
        {"ref": ref, "kind": "acknowledge", "due_on": "2026-01-19"}
    ]
    assert again.breached == [] and again.reminded == []
    ack = deadlines(service, ref)["acknowledge"]
    # Long overdue: the breach is recorded; a reminder for a day long past is not.
    assert events_of(service, ack) == ["DeadlineScheduled", "DeadlineBreached"]


def test_breach_waits_until_the_day_after_the_due_date(service, projector):
    ref = service.receive(
        area="gosport", received_on=date(2026, 6, 1), applicant_name="A", by="t"
    )

    on_due_date = check_deadlines(service, projector, date(2026, 6, 15), by="s")
    day_after = check_deadlines(service, projector, date(2026, 6, 16), by="s")

    assert on_due_date.breached == []
    assert [b["ref"] for b in day_after.breached] == [ref]


def test_reminder_is_recorded_once_before_the_due_date(service, projector):
    # acknowledge: 10 WD with a 5 WD reminder lead: due Mon 15 June, remind Mon 8 June.
    ref = service.receive(
        area="gosport", received_on=date(2026, 6, 1), applicant_name="A", by="t"
    )

    early = check_deadlines(service, projector, date(2026, 6, 5), by="s")
    due = check_deadlines(service, projector, date(2026, 6, 8), by="s")
    again = check_deadlines(service, projector, date(2026, 6, 9), by="s")

    assert early.reminded == []
    assert due.reminded == [{"ref": ref, "kind": "acknowledge", "due_on": "2026-06-15"}]
    assert again.reminded == []
    assert deadlines(service, ref)["acknowledge"].reminded_on == date(2026, 6, 8)


def test_two_checks_at_once_record_each_breach_once(service, service_factory, db_url):
    refs = [
        service.receive(
            area="gosport", received_on=date(2026, 2, d), applicant_name="A", by="t"
        )
        for d in range(2, 12)
    ]
    others = [service_factory() for _ in range(3)]
    projectors = [Projector(s.app, parse_store_url(db_url)) for s in others]
    results, errors = [], []
    barrier = threading.Barrier(len(others))

    def run(s, p):
        try:
            barrier.wait()
            results.append(check_deadlines(s, p, date(2026, 11, 20), by="scheduler"))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair)
        for pair in zip(others, projectors, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for p in projectors:
        p.close()

    assert not errors, errors
    recorded = sorted(b["ref"] for r in results for b in r.breached)
    assert recorded == sorted(refs)
    for ref in refs:
        stream = [
            type(e).__name__
            for e in service.app.events.get(deadlines(service, ref)["acknowledge"].id)
        ]
        assert stream.count("DeadlineBreached") == 1


def test_deadline_refuses_a_second_breach_when_asked_directly(service):
    ref = service.receive(
        area="gosport", received_on=date(2026, 1, 5), applicant_name="A", by="t"
    )
    deadline = deadlines(service, ref)["acknowledge"]
    at = service.app.clock()

    assert deadline.check_breach(date(2026, 3, 1), at=at, by="s") is True
    assert deadline.check_breach(date(2026, 3, 2), at=at, by="s") is False
    assert [type(e) for e in deadline.collect_events()] == [Deadline.DeadlineBreached]
