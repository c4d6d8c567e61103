"""The read models' lean decoding (casereview/projections/decode.py) reads every field of every
event the projections follow exactly as the application's mapper decodes it, on both stores;
an older stored version goes through the mapper's upcasters."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from casereview.domain.case import CASE_EVENTS
from casereview.domain.deadline import DEADLINE_EVENTS, Deadline
from casereview.domain.letter import LETTER_EVENTS, Letter
from casereview.domain.personal import Personal
from casereview.projections import log
from casereview.projections.apply import READS as CASE_READS
from casereview.projections.decode import OWN, Change, Decoder
from casereview.projections.runner import TOPICS
from casereview.projections.tracking import READS as TRACKING_READS
from casereview.services.cases import CaseService
from tests.integration.test_projections import (
    BY,
    TEXTS,
    add_complaints,
    receive,
)

AT = datetime(2026, 11, 20, 9, tzinfo=UTC)


def every_kind_of_event(service: CaseService) -> None:
    """A case through its whole life (complaints corrected, an action completed), a deadline
    reminded, breached and met, a letter failed and then sent."""
    ref = receive(service)
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    add_complaints(service, ref)
    service.correct_complaint(
        ref, "C1", {"incident_on": date(2026, 8, 30), "hate": True}, TEXTS[7], by=BY
    )
    assert service.decide_threshold(ref, date(2026, 10, 6), by=BY).met
    service.schedule_meeting(ref, date(2026, 10, 10), ["police"], by=BY)
    service.hold_meeting(ref, date(2026, 10, 12), ["police"], by=BY)
    rec = service.add_recommendation(ref, "council", TEXTS[1], by=BY)
    action = service.agree_action(
        ref, rec, "council", TEXTS[2], date(2026, 12, 1), by=BY
    )
    service.complete_action(ref, action, date(2026, 11, 1), by=BY)
    service.send_outcome(ref, date(2026, 10, 15), by=BY)
    service.lodge_appeal(ref, date(2026, 10, 20), TEXTS[3], by=BY)
    service.decide_appeal(
        ref, date(2026, 10, 25), upheld=False, reasons=TEXTS[4], by=BY
    )
    service.withdraw(receive(service), date(2026, 10, 5), TEXTS[6], by=BY)
    service.close(ref, date(2026, 10, 30), TEXTS[5], by=BY)
    service.app.save(a_deadline(ref), a_letter(ref))


def a_deadline(ref: str) -> Deadline:
    deadline = Deadline.schedule(
        ref=ref,
        kind="decoding",
        step_index=0,
        at=AT,
        by=BY,
        from_step="received",
        until_step="acknowledged",
        start_on=date(2026, 10, 1),
        rule="10 working days",
        due_on=date(2026, 10, 15),
        remind_on=date(2026, 10, 10),
        calendar="england-and-wales",
        explanation=["a line", "another"],
        notify=["case team"],
        policy="v1",
    )
    deadline.remind(date(2026, 10, 12), at=AT, by=BY)
    deadline.check_breach(date(2026, 10, 20), at=AT, by=BY)
    deadline.meet(date(2026, 10, 21), at=AT, by=BY)
    return deadline


def a_letter(ref: str) -> Letter:
    letter = Letter.queue(
        key="decoding",
        at=AT,
        by=BY,
        ref=ref,
        template="decoding",
        template_version="1",
        recipient_role="applicant",
        to=Personal("p-1", "someone@example.invalid"),
        subject="Your case",
        text=Personal("p-1", "Dear someone"),
        html=Personal("p-1", "<p>Dear someone</p>"),
        content_hash="0" * 64,
    )
    letter.dispatch(at=AT, by=BY)
    letter.failed("refused", AT + timedelta(hours=1), at=AT, by=BY)
    letter.dispatch(at=AT, by=BY)
    letter.sent("smtp", "<id@example.invalid>", at=AT, by=BY)
    return letter


def assert_same(change: Change, event: Any) -> None:
    assert change.event_type is type(event)
    assert change.stream == event.originator_id.hex
    assert change.originator_version == event.originator_version
    for name, value in vars(event).items():
        if name in ("originator_id", "originator_version"):
            continue
        read = getattr(change, name)
        assert read == value, name
        assert type(read) is type(value), name


def test_every_field_reads_as_the_mapper_decodes_it(service: CaseService) -> None:
    every_kind_of_event(service)
    app = service.app
    stored = app.recorder.select_notifications(start=1, limit=1000, topics=TOPICS)
    kinds = {n.topic for n in stored}
    assert kinds == set(TOPICS), set(TOPICS) - kinds
    lazy = Decoder(app.mapper, {})
    eager = Decoder(app.mapper, {**CASE_READS, **TRACKING_READS})
    for n in stored:
        event = app.mapper.to_domain_event(n)
        assert_same(lazy(n), event)
        assert_same(eager(n), event)
        assert_same(eager(n, str(event.originator_id.hex)), event)


def test_no_event_has_a_field_named_like_a_change_attribute() -> None:
    for cls in (*CASE_EVENTS, *DEADLINE_EVENTS, *LETTER_EVENTS):
        assert not OWN & set(getattr(cls, "__annotations__", {})), cls


def test_an_older_stored_version_is_upcast_by_the_mapper(
    service: CaseService,
) -> None:
    add_complaints(service, receive(service), 1)
    app = service.app
    (stored,) = app.recorder.select_notifications(
        start=1, limit=1, topics=("casereview:ComplaintRecorded",)
    )
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["incident"]  # version 1 had no incident key
    older = replace(stored, state=json.dumps(state).encode())
    change = Decoder(app.mapper, CASE_READS)(older)
    assert change.incident is None
    assert_same(change, app.mapper.to_domain_event(older))


def test_the_log_is_read_as_the_recorder_selects_it(service: CaseService) -> None:
    every_kind_of_event(service)
    recorder = service.app.recorder
    everything = recorder.select_notifications(start=1, limit=1000, topics=TOPICS)
    middle = everything[len(everything) // 2].id
    for start, limit, stop in ((0, 1000, None), (3, 5, None), (0, 1000, middle)):
        expected = recorder.select_notifications(
            start=start,
            limit=limit,
            stop=stop,
            topics=TOPICS,
            inclusive_of_start=False,
        )
        found = log.select(recorder, start, limit, stop, TOPICS)
        assert [(s.id, s.originator_id, s.stream) for s in found] == [
            (n.id, n.originator_id, UUID(str(n.originator_id)).hex) for n in expected
        ]
        assert [(s.originator_version, s.topic, s.state) for s in found] == [
            (n.originator_version, n.topic, n.state) for n in expected
        ]
