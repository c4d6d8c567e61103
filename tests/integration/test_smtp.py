"""The outbox against a real SMTP server (aiosmtpd, in-process on 127.0.0.1), on both stores:
each letter arrives once, however often and however concurrently the outbox is flushed, and
a server that goes away leaves the letters queued until it is back."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest

from casereview.adapters.eventstore import translate_store_errors
from casereview.adapters.mail import (
    FolderSender,
    SmtpSender,
    sender_from_env,
)
from casereview.adapters.store import parse_store_url
from casereview.errors import InvalidInput, ServiceUnavailable
from casereview.notifications.compose import Composer
from casereview.notifications.outbox import STALE_CLAIM, flush
from casereview.projections.runner import Projector
from tests.smtp_server import ECHOED, REFUSED, Server, free_port

BY = "tester"
CASE_TEAM = "asb-case-review@birmingham.invalid"


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def letters_service(service):
    if service.keeper.composer is None:
        service.keeper.composer = Composer()
    return service


@pytest.fixture
def projector(letters_service, db_url):
    made = Projector(letters_service.app, parse_store_url(db_url))
    made.create()
    yield made
    made.close()


def acknowledged_cases(service, n: int, email: str = "applicant{i}@example.invalid"):
    """n applications acknowledged: one acknowledgement letter each."""
    refs = []
    for i in range(n):
        ref = service.receive(
            area="birmingham",
            received_on=date(2026, 10, 1),
            applicant_name=f"Applicant {i}",
            email=email.format(i=i),
            by=BY,
        )
        service.acknowledge(ref, date(2026, 10, 2), by=BY)
        refs.append(ref)
    return refs


def letter(service, hex_id):
    return service.app.repository.get(UUID(hex_id))


def test_letters_arrive_with_the_right_recipient_subject_and_body(
    letters_service, projector, smtp
):
    (ref,) = acknowledged_cases(letters_service, 1)
    now = letters_service.app.clock()

    result = flush(letters_service, projector, SmtpSender(smtp.url), now=now, by=BY)

    assert len(result.sent) == 1
    assert result.failed == [] and result.remaining == 0 and result.unavailable is None
    ((mail_from, rcpt_tos, _),) = smtp.handler.messages
    assert mail_from == CASE_TEAM
    assert rcpt_tos == ["applicant0@example.invalid"]
    (message,) = smtp.handler.parsed()
    assert str(message["Subject"]).strip() == f"{ref}: your ASB case review application"
    assert "Dear Applicant 0" in message.get_body(("plain",)).get_content()
    assert ref in message.get_body(("html",)).get_content()
    sent = letter(letters_service, result.sent[0])
    assert sent.state == "sent"
    assert str(message["Message-ID"]).strip() == sent.message_id
    projector.catch_up()
    assert [row["state"] for row in projector.letter_rows(ref)] == ["sent"]


def test_flushing_twice_sends_each_letter_once(letters_service, projector, smtp):
    acknowledged_cases(letters_service, 3)
    now = letters_service.app.clock()
    sender = SmtpSender(smtp.url)

    first = flush(letters_service, projector, sender, now=now, by=BY)
    second = flush(
        letters_service, projector, sender, now=now + timedelta(hours=1), by=BY
    )

    assert len(first.sent) == 3
    assert second.sent == [] and second.remaining == 0
    assert len(smtp.handler.messages) == 3
    assert set(smtp.handler.message_ids().values()) == {1}


def test_concurrent_flushes_deliver_each_letter_exactly_once(
    letters_service, service_factory, db_url, smtp
):
    acknowledged_cases(letters_service, 6)
    now = letters_service.app.clock()
    services = [letters_service, service_factory()]
    projectors = [Projector(s.app, parse_store_url(db_url)) for s in services]
    for p in projectors:
        p.create()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(service, projector):
        barrier.wait()
        try:
            results.append(
                flush(service, projector, SmtpSender(smtp.url), now=now, by=BY)
            )
        except Exception as exc:  # reported below with the thread's failure
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair)
        for pair in zip(services, projectors, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for p in projectors:
        p.close()

    assert errors == []
    sent = [hex_id for r in results for hex_id in r.sent]
    assert len(sent) == len(set(sent)) == 6
    ids = smtp.handler.message_ids()
    assert len(ids) == 6 and set(ids.values()) == {1}


class StopsServerAfterFirst:
    """Sends through SMTP, then takes the server down after the first message."""

    def __init__(self, server: Server) -> None:
        self.server, self.inner, self.count = server, SmtpSender(server.url), 0

    @property
    def via(self) -> str:
        return self.inner.via

    def send(self, message) -> None:
        self.inner.send(message)
        self.count += 1
        if self.count == 1:
            self.server.stop()


def test_letters_stay_queued_while_the_server_is_down_then_arrive_once(
    letters_service, projector, smtp
):
    acknowledged_cases(letters_service, 3)
    now = letters_service.app.clock()

    down = flush(
        letters_service, projector, StopsServerAfterFirst(smtp), now=now, by=BY
    )

    assert len(down.sent) == 1 and len(down.failed) == 1
    assert down.unavailable is not None and f"127.0.0.1:{smtp.port}" in down.unavailable
    assert down.remaining == 2
    failed = letter(letters_service, down.failed[0])
    assert failed.state == "queued" and failed.attempts == 1
    assert failed.retry_after == now + timedelta(minutes=1)
    events = [type(e).__name__ for e in letters_service.app.events.get(failed.id)]
    assert events == ["LetterQueued", "LetterDispatched", "LetterDeliveryFailed"]
    projector.catch_up()
    rows = {row["letter_id"]: row for row in projector.letter_rows()}
    assert sorted(row["state"] for row in rows.values()) == ["queued", "queued", "sent"]
    untouched = next(h for h, row in rows.items() if h not in down.sent + down.failed)
    assert rows[untouched]["attempts"] == 0

    smtp.start()
    early = flush(
        letters_service,
        projector,
        SmtpSender(smtp.url),
        now=now + timedelta(seconds=30),
        by=BY,
    )
    later = flush(
        letters_service,
        projector,
        SmtpSender(smtp.url),
        now=now + timedelta(minutes=2),
        by=BY,
    )

    assert early.sent == [untouched]  # the failed one waits for its retry time
    assert later.sent == down.failed and later.remaining == 0
    ids = smtp.handler.message_ids()
    assert len(ids) == 3 and set(ids.values()) == {1}


def test_refused_recipient_is_recorded_and_the_batch_goes_on(
    letters_service, projector, smtp
):
    acknowledged_cases(letters_service, 1, email=REFUSED)
    acknowledged_cases(letters_service, 2)
    now = letters_service.app.clock()

    result = flush(letters_service, projector, SmtpSender(smtp.url), now=now, by=BY)

    assert len(result.failed) == 1 and len(result.sent) == 2
    assert result.unavailable is None
    refused = letter(letters_service, result.failed[0])
    assert refused.to.text == REFUSED
    assert refused.state == "queued"
    assert refused.retry_after == now + timedelta(days=1)
    assert len(smtp.handler.messages) == 2


def stored_failures(service, hex_id):
    """The LetterDeliveryFailed events of one letter, as stored, and their stored bytes."""
    stored = service.app.recorder.select_events(UUID(hex_id))
    failed = [s for s in stored if s.topic == "casereview:LetterDeliveryFailed"]
    return [service.app.mapper.to_domain_event(s) for s in failed], [
        bytes(s.state) for s in failed
    ]


@pytest.mark.parametrize("address", [REFUSED, ECHOED])
def test_a_refused_recipient_is_recorded_with_the_reply_code_and_not_the_address(
    letters_service, projector, smtp, address
):
    acknowledged_cases(letters_service, 1, email=address)
    now = letters_service.app.clock()

    result = flush(letters_service, projector, SmtpSender(smtp.url), now=now, by=BY)

    (event,), (state,) = stored_failures(letters_service, result.failed[0])
    assert "550 5.1.1" in event.error and "refused the recipient" in event.error
    assert address not in event.error and "@" not in event.error
    assert address.encode() not in state and address.split("@")[0].encode() not in state


def test_an_error_that_names_the_recipient_is_stored_without_them(
    letters_service, projector
):
    from casereview.adapters.mail import DeliveryRefused

    class Refusing:
        via = "fake:"

        def send(self, message):
            raise DeliveryRefused(f"cannot deliver to {message['To']}", permanent=True)

    acknowledged_cases(letters_service, 1)
    now = letters_service.app.clock()

    result = flush(letters_service, projector, Refusing(), now=now, by=BY)

    (event,), (state,) = stored_failures(letters_service, result.failed[0])
    assert "applicant0@example.invalid" not in event.error
    assert b"applicant0@example.invalid" not in state
    assert event.error.startswith("cannot deliver to ")


def test_a_claim_left_by_a_crash_is_retried_only_once_it_is_stale(
    letters_service, projector, smtp
):
    acknowledged_cases(letters_service, 1)
    projector.catch_up()
    (row,) = projector.letter_rows()
    crashed = letter(letters_service, row["letter_id"])
    now = letters_service.app.clock()
    crashed.dispatch(at=now, by=BY)  # claimed, then the sender died before sending
    with translate_store_errors():
        letters_service.app.save(crashed)
    sender = SmtpSender(smtp.url)

    soon = flush(
        letters_service, projector, sender, now=now + timedelta(minutes=5), by=BY
    )
    stale = flush(letters_service, projector, sender, now=now + STALE_CLAIM, by=BY)

    assert soon.sent == [] and soon.remaining == 1
    assert stale.sent == [row["letter_id"]]
    assert letter(letters_service, row["letter_id"]).attempts == 2
    assert len(smtp.handler.messages) == 1


def test_smtp_sender_reports_a_closed_port_as_unavailable():
    sender = SmtpSender(f"smtp://user:secret@127.0.0.1:{free_port()}", timeout=2)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "a@x.invalid",
        "b@x.invalid",
        "s",
    )
    message.set_content("x")

    with pytest.raises(ServiceUnavailable) as caught:
        sender.send(message)

    assert "127.0.0.1" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_sender_from_env_uses_smtp_when_configured_and_a_folder_otherwise(tmp_path):
    smtp = sender_from_env(
        {"CASEREVIEW_SMTP_URL": "smtp+starttls://u:p%40ss@mail.example:2525"}, tmp_path
    )
    folder = sender_from_env({}, tmp_path)

    assert isinstance(smtp, SmtpSender)
    assert (smtp.host, smtp.port, smtp.user, smtp.password) == (
        "mail.example",
        2525,
        "u",
        "p@ss",
    )
    assert smtp.via == "smtp+starttls://mail.example:2525"
    assert isinstance(folder, FolderSender) and folder.path == Path(tmp_path)
    assert SmtpSender("smtps://mail.example").port == 465
    with pytest.raises(InvalidInput, match="not an SMTP URL") as caught:
        sender_from_env(
            {"CASEREVIEW_SMTP_URL": "http://u:hunter2@mail.example"}, tmp_path
        )
    assert "hunter2" not in str(caught.value)
