"""Letters on both stores: what the composer renders for each step and deadline, to whom, and
the .eml files the folder sender writes."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from uuid import UUID

import pytest

from casereview.adapters.eventstore import translate_store_errors
from casereview.adapters.mail import FolderSender
from casereview.adapters.store import parse_store_url
from casereview.domain.letter import Letter
from casereview.errors import Conflict
from casereview.notifications.compose import TEMPLATE_VERSION, Composer
from casereview.notifications.outbox import flush
from casereview.projections.runner import Projector
from casereview.services.followup import case_deadlines
from casereview.thresholds.rules import DISCRETION_REMINDER

BY = "tester"
NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.q@example.invalid"
ADDRESS = "12 Hidden Lane, Birmingham"
CASE_TEAM = "asb-case-review@birmingham.invalid"


@pytest.fixture
def letters_service(service):
    """The service with the composer wired in (a no-op once bootstrap wires it)."""
    if service.keeper.composer is None:
        service.keeper.composer = Composer()
    return service


@pytest.fixture
def projector(letters_service, db_url):
    made = Projector(letters_service.app, parse_store_url(db_url))
    made.create()
    yield made
    made.close()


def receive(service, *, area="birmingham", email=EMAIL, address=ADDRESS):
    return service.receive(
        area=area,
        received_on=date(2026, 10, 1),
        applicant_name=NAME,
        email=email,
        address=address,
        summary="Shouting from the flat above every night",
        by=BY,
    )


def decide(service, ref, complaints=3):
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    for i in range(complaints):
        service.add_complaint(
            ref,
            agency="police",
            incident_on=date(2026, 9, 1 + 5 * i),
            reported_on=date(2026, 9, 2 + 5 * i),
            by=BY,
        )
    return service.decide_threshold(ref, date(2026, 10, 6), by=BY)


def letters_of(service, projector, ref):
    projector.catch_up()
    return [
        service.app.repository.get(UUID(row["letter_id"]))
        for row in projector.letter_rows(ref)
    ]


def test_lifecycle_letters_have_template_recipient_subject_and_explanation(
    letters_service, projector
):
    service = letters_service
    ref = receive(service)
    assert decide(service, ref).met
    service.schedule_meeting(ref, date(2026, 10, 10), ["police", "council"], by=BY)
    service.hold_meeting(ref, date(2026, 10, 12), ["police"], by=BY)
    service.add_recommendation(
        ref, "council", "Fit a <door> entry system", date(2026, 12, 1), by=BY
    )
    service.send_outcome(ref, date(2026, 10, 15), by=BY)
    service.lodge_appeal(ref, date(2026, 10, 20), "Not enough was done", by=BY)
    service.decide_appeal(
        ref, date(2026, 10, 23), upheld=False, reasons="The review was thorough", by=BY
    )

    every = letters_of(service, projector, ref)
    letters = [x for x in every if x.recipient_role == "applicant"]

    assert [(x.template, x.recipient_role) for x in every] == [
        ("acknowledgement", "applicant"),
        ("threshold_decision", "applicant"),
        ("meeting_invitation", "case_team"),
        ("outcome", "applicant"),
        ("appeal_decision", "applicant"),
    ]
    ack, decision, outcome, appeal = letters
    case = service.app.get_case(ref)
    for letter in letters:
        assert letter.to.text == EMAIL
        assert letter.to.subject == case.applicant.id
        assert letter.text.subject == letter.html.subject == case.victim_id
        assert letter.template_version == TEMPLATE_VERSION
        assert letter.state == "queued"
        content = "\x1e".join((letter.subject, letter.text.text, letter.html.text))
        assert letter.content_hash == hashlib.sha256(content.encode()).hexdigest()
        assert f"Dear {NAME}" in letter.text.text
        assert "Birmingham ASB Case Review team" in letter.text.text
    assert ack.subject == f"{ref}: your ASB case review application"
    assert CASE_TEAM in ack.text.text
    assert "single point of contact" in ack.text.text
    assert decision.subject == f"{ref}: decision on your ASB case review application"
    assert "meets the threshold" in decision.text.text
    for line in case.decision.explanation:
        assert line in decision.text.text
    assert outcome.subject == f"{ref}: the outcome of your ASB case review"
    assert "Fit a <door> entry system (by Tuesday 1 December 2026)" in outcome.text.text
    assert "Fit a &lt;door&gt; entry system" in outcome.html.text
    # Birmingham: appeal panel, 20 working days from the outcome letter of 15 October.
    assert "appeal panel" in outcome.text.text
    assert "by Thursday 12 November 2026" in outcome.text.text
    assert appeal.subject == f"{ref}: the decision on your appeal"
    assert "has not upheld it" in appeal.text.text
    assert "The review was thorough" in appeal.text.text


def test_threshold_letter_gives_discretion_note_and_appeal_route_when_not_met(
    letters_service, projector
):
    service = letters_service
    ref = receive(service)

    assert not decide(service, ref, complaints=1).met

    (letter,) = [
        x
        for x in letters_of(service, projector, ref)
        if x.template == "threshold_decision"
    ]
    text = letter.text.text
    assert "does not meet" in text
    assert "104(5)" in text
    assert "appeal to Birmingham Community Safety Partnership" in text
    assert DISCRETION_REMINDER not in text
    assert "--discretion" not in text + letter.html.text
    case = service.app.get_case(ref)
    for line in case.decision.explanation:
        assert line == DISCRETION_REMINDER or line in text


def test_step_letters_keep_their_ids_when_composed_again(letters_service):
    service = letters_service
    ref = receive(service)
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    case = service.app.get_case(ref)
    at = service.app.clock()

    again = Composer().for_step(
        case, "acknowledged", 1, service.procedure_for(case), at=at, by=BY
    )

    stored = service.app.repository.get(again[0].id)
    assert stored.template == "acknowledgement"
    with pytest.raises(Conflict), translate_store_errors():
        service.app.save(*again)


def test_letter_is_addressed_by_post_when_the_applicant_has_no_email(
    letters_service, projector, tmp_path
):
    service = letters_service
    ref = receive(service, email=None)
    service.acknowledge(ref, date(2026, 10, 2), by=BY)

    (letter,) = letters_of(service, projector, ref)
    result = flush(
        service, projector, FolderSender(tmp_path), now=service.app.clock(), by=BY
    )

    assert letter.to.text == ADDRESS
    assert ADDRESS in letter.text.text
    assert result.sent == [letter.id.hex]
    message = BytesParser(policy=policy.default).parsebytes(
        (tmp_path / f"{letter.id.hex}.eml").read_bytes()
    )
    assert CASE_TEAM in message["To"]
    assert message["Subject"].strip().startswith("To print and post: ")
    assert ADDRESS in message.get_body(("plain",)).get_content()
    attached = {part.get_filename() for part in message.iter_attachments()}
    assert attached == {f"{ref}-acknowledgement.txt", f"{ref}-acknowledgement.html"}


def test_for_deadline_skips_roles_without_an_address_and_names_no_one(
    letters_service,
):
    service = letters_service
    ref = receive(service, area="gosport")
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    case = service.app.get_case(ref)
    procedure = service.procedure_for(case)
    decide_deadline = next(
        d for d in case_deadlines(service.app, case, procedure) if d.kind == "decide"
    )
    assert set(decide_deadline.notify) == {"case_team", "csp_chair"}
    no_chair = procedure.model_copy(
        update={
            "contacts": {
                k: v for k, v in procedure.contacts.items() if k != "csp_chair"
            }
        }
    )
    at = service.app.clock()

    reminders = Composer().for_deadline(
        decide_deadline, no_chair, "reminder", at=at, by=BY
    )
    breaches = Composer().for_deadline(
        decide_deadline, no_chair, "breach", at=at, by=BY
    )

    assert [x.recipient_role for x in reminders] == ["case_team"]
    assert [x.recipient_role for x in breaches] == ["case_team", "pcc_office"]
    assert breaches[1].to.text == procedure.contacts["pcc_office"]
    for letter in reminders + breaches:
        assert letter.text.subject == f"deadline:{ref}"
        assert letter.ref == ref
        body = " ".join((letter.subject, letter.text.text, letter.html.text))
        assert ref in body
        assert decide_deadline.due_on.strftime("%-d %B %Y") in body
        for line in decide_deadline.explanation:
            assert line in letter.text.text
        for personal in ("Zebedee", "Quartermaine", EMAIL, "Hidden Lane", "Shouting"):
            assert personal not in body
    assert breaches[0].subject.startswith(f"{ref}: the decide deadline was missed")
    assert len({x.id for x in reminders + breaches}) == 3
    service.app.save(*reminders, *breaches)


def test_meeting_invitation_goes_to_the_case_team_without_victim_text(
    letters_service,
):
    service = letters_service
    ref = receive(service)
    decide(service, ref)
    service.schedule_meeting(
        ref, date(2026, 10, 10), ["police", "council"], chair="J. Chair", by=BY
    )
    case = service.app.get_case(ref)

    (letter,) = Composer().meeting_invitation(
        case, service.procedure_for(case), at=service.app.clock(), by=BY
    )

    assert letter.template == "meeting_invitation"
    assert letter.recipient_role == "case_team"
    assert letter.to.text == CASE_TEAM
    assert (
        letter.subject == f"{ref}: ASB case review meeting on Saturday 10 October 2026"
    )
    assert "- police\n- council" in letter.text.text
    assert "Chair: J. Chair" in letter.text.text
    for personal in ("Zebedee", "Quartermaine", EMAIL, "Hidden Lane", "Shouting"):
        assert personal not in letter.text.text + letter.html.text


def test_folder_sender_writes_parseable_eml_files(letters_service, projector, tmp_path):
    service = letters_service
    refs = [receive(service) for _ in range(2)]
    for ref in refs:
        service.acknowledge(ref, date(2026, 10, 2), by=BY)
    now = service.app.clock()

    result = flush(service, projector, FolderSender(tmp_path / "out"), now=now, by=BY)

    assert len(result.sent) == 2
    assert result.failed == [] and result.remaining == 0 and result.unavailable is None
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert [f.stem for f in files] == sorted(result.sent)
    for file in files:
        message = BytesParser(policy=policy.default).parsebytes(file.read_bytes())
        assert message["To"] == EMAIL
        assert CASE_TEAM in message["From"]
        assert message["Subject"].strip().endswith(": your ASB case review application")
        assert message["Message-ID"].startswith("<")
        assert "single point of contact" in message.get_body(("plain",)).get_content()
        assert "<html" in message.get_body(("html",)).get_content()
    assert not list((tmp_path / "out").glob("*.tmp"))
    letter = service.app.repository.get(UUID(result.sent[0]))
    assert isinstance(letter, Letter)
    assert letter.state == "sent"
    assert letter.message_id is not None

    again = flush(
        service,
        projector,
        FolderSender(tmp_path / "out"),
        now=now + timedelta(hours=2),
        by=BY,
    )
    assert again.sent == []
