"""The outbox: send the queued letters, each claimed first so that no letter goes twice.

A letter is queued (`LetterQueued`) in the same save as the case step it reports, so a step can
never be recorded without its letter. `flush` then sends what is due, one letter at a time:

1. claim it: record `LetterDispatched` and save. Two flushes racing on one letter collide on
   its version; the loser gets a `Conflict` and skips the letter, so concurrent flushes (two
   schedulers, a scheduler and `casereview notifications send`) are safe;
2. hand it to the sender (SMTP, or a folder of .eml files);
3. record the result: `LetterSent`, or `LetterDeliveryFailed` with the time to try again.

When the mail server is down (`ServiceUnavailable`) the letter records the failure with a
backoff (1 minute, doubling with each attempt, at most an hour) and the batch stops: the rest
stay queued untouched. When the server refuses one message for good (a 5xx reply: an address
that does not exist) the failure is recorded with a long retry (a day) and the batch goes on.

At-most-once or at-least-once? A crash (or a lost database) between steps 2 and 3 leaves a
letter "dispatched" although the mail server may already have it. Trusting the claim for ever
would give at-most-once delivery, but such a letter would never be sent and nobody would know.
casereview chooses at-least-once: a claim older than `STALE_CLAIM` (10 minutes, far longer
than one SMTP exchange may take with its 30 s timeout) is treated as queued, so the letter is
sent again. The Message-ID is derived from the letter id, so a duplicate carries the same id
and mail clients that deduplicate show it once. Without a crash, no letter is sent twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from casereview.adapters.eventstore import translate_store_errors
from casereview.adapters.mail import LETTER_HEADER, DeliveryRefused, Sender
from casereview.domain.letter import Letter
from casereview.errors import (
    CaseReviewError,
    Conflict,
    RuleViolation,
    ServiceUnavailable,
)

if TYPE_CHECKING:
    from casereview.adapters.eventstore import CaseReviews
    from casereview.domain.case import Case
    from casereview.projections.runner import Projector
    from casereview.thresholds.policy import Procedure


class CaseService(Protocol):
    """What the outbox needs of the case service: the store, and the procedure a case
    follows (for its sender address)."""

    app: CaseReviews

    def procedure_for(self, case: Case) -> Procedure: ...


STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
REFUSED_RETRY = timedelta(days=1)
FALLBACK_FROM = "casereview@localhost"


@dataclass
class FlushResult:
    """What one flush did: letter ids (hex) sent and failed, and what is left to send."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    remaining: int = 0
    unavailable: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": list(self.sent),
            "failed": list(self.failed),
            "remaining": self.remaining,
            "unavailable": self.unavailable,
        }


def backoff(attempt: int) -> timedelta:
    """1 minute after the first failed attempt, doubling each time, at most an hour."""
    doublings: int = 2 ** max(attempt - 1, 0)
    return min(FIRST_RETRY * doublings, MAX_RETRY)


def message_id(letter: Letter) -> str:
    """Stable per letter, so a letter sent again after a crash is recognisably the same."""
    return f"<{letter.id}@casereview>"


def is_due(letter: Letter, now: datetime) -> bool:
    """Queued and past its retry time, or claimed by a sender that has not reported back."""
    if letter.state == "queued":
        return letter.retry_after is None or letter.retry_after <= now
    if letter.state == "dispatched":
        return letter.modified_on + STALE_CLAIM <= now
    return False


def flush(
    service: CaseService,
    projector: Projector,
    sender: Sender,
    *,
    now: datetime,
    by: str,
    limit: int = 500,
) -> FlushResult:
    """Send the letters that are due at `now`; stop at the first sign the server is down."""
    if now.tzinfo is None:
        raise ValueError("flush needs an aware `now` (the letters' times are in UTC)")
    outbox = _Outbox(service, sender, now, by)
    projector.catch_up()
    for hex_id in _candidates(projector, now, limit):
        outbox.deliver(hex_id)
        if outbox.result.unavailable is not None:
            break
    projector.catch_up()
    outbox.result.remaining = sum(
        1 for row in projector.letter_rows() if row["state"] != "sent"
    )
    return outbox.result


def _candidates(projector: Projector, now: datetime, limit: int) -> list[str]:
    """Queued letters due now, then claims that may have been left by a crash."""
    due = projector.sendable_letters(now, limit)
    # The letters table has no claim time; the aggregate's is checked in `is_due`.
    claimed = [
        str(row["letter_id"])
        for row in projector.letter_rows()
        if row["state"] == "dispatched"
    ]
    return list(dict.fromkeys(due + claimed))[:limit]


class _Outbox:
    def __init__(
        self, service: CaseService, sender: Sender, now: datetime, by: str
    ) -> None:
        self.service, self.sender, self.now, self.by = service, sender, now, by
        self.result = FlushResult()
        self._from: dict[str, str] = {}

    def _load(self, hex_id: str) -> Letter | None:
        try:
            with translate_store_errors():
                found: object = self.service.app.repository.get(UUID(hex_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Letter) else None

    def _save(self, letter: Letter) -> bool:
        """False when someone else wrote to the letter first."""
        try:
            with translate_store_errors():
                self.service.app.save(letter)
        except Conflict:
            return False
        return True

    def deliver(self, hex_id: str) -> None:
        letter = self._load(hex_id)
        if letter is None or not is_due(letter, self.now):
            return  # sent meanwhile, claimed by another sender, or not yet due
        try:
            letter.dispatch(at=self.now, by=self.by)
        except RuleViolation:
            return
        if not self._save(letter):
            return  # another flush claimed it first and sends it
        try:
            self.sender.send(self.build(letter))
        except ServiceUnavailable as exc:
            self._failed(letter, str(exc), self.now + backoff(letter.attempts))
            self.result.unavailable = str(exc)
        except DeliveryRefused as exc:
            wait = REFUSED_RETRY if exc.permanent else backoff(letter.attempts)
            self._failed(letter, str(exc), self.now + wait)
        else:
            letter.sent(self.sender.via, message_id(letter), at=self.now, by=self.by)
            # A clash here means a claim judged stale was taken over: it is sent either way.
            self._save(letter)
            self.result.sent.append(hex_id)

    def _failed(self, letter: Letter, error: str, retry_after: datetime) -> None:
        letter.failed(impersonal(error, letter), retry_after, at=self.now, by=self.by)
        self._save(letter)
        self.result.failed.append(letter.id.hex)

    def sender_address(self, ref: str) -> str:
        """The area's case team (its single point of contact), if the case can be found."""
        if ref not in self._from:
            address = FALLBACK_FROM
            try:
                case = self.service.app.get_case(ref)
                procedure = self.service.procedure_for(case)
            except CaseReviewError:
                pass
            else:
                team = procedure.contacts.get("case_team")
                if team:
                    address = formataddr((f"{procedure.area} ASB Case Review", team))
            self._from[ref] = address
        return self._from[ref]

    def build(self, letter: Letter) -> EmailMessage:
        """The email for a letter; a letter by post goes to the case team to print."""
        to, text, html = letter.to.text, letter.text.text, letter.html.text
        if to is None or text is None or html is None:
            raise DeliveryRefused(
                f"letter {letter.id} for {letter.ref}: its recipient or content was erased",
                permanent=True,
            )
        sender_address = self.sender_address(letter.ref)
        by_email = _is_email(to)
        message = EmailMessage()
        try:
            message["From"] = sender_address
            message["To"] = to if by_email else sender_address
            message["Subject"] = (
                letter.subject if by_email else f"To print and post: {letter.subject}"
            )
            message["Message-ID"] = message_id(letter)
            message["Date"] = format_datetime(self.now)
            message[LETTER_HEADER] = letter.id.hex
            message["X-Casereview-Ref"] = letter.ref
            if by_email:
                message.set_content(text)
                message.add_alternative(html, subtype="html")
            else:
                _for_printing(message, letter, to, text, html)
        except (ValueError, TypeError) as exc:
            raise DeliveryRefused(
                f"letter {letter.id} for {letter.ref}: its recipient is not an address "
                f"a message can be sent to ({type(exc).__name__})",
                permanent=True,
            ) from None
        return message


# Anything that looks like an email address, with its angle brackets.
_ADDRESS = re.compile(r"<?[^\s<>@'\"(),;:]+@[^\s<>@'\"(),;:]+>?")


def impersonal(error: str, letter: Letter) -> str:
    """A delivery error as it may be stored for ever, in an event no erasure reaches: the
    recipient's own value (their email or postal address) and any email address taken out.
    The person's address stays only in the letter's personal `to`, which can be erased."""
    to = letter.to.text
    if to and to != "by post":
        error = error.replace(to, "<recipient>")
    return _ADDRESS.sub("<address>", error)


def _is_email(to: str) -> bool:
    if "@" not in to:
        return False
    try:
        Address(addr_spec=to)
    except (ValueError, IndexError):
        return False
    return True


def _for_printing(
    message: EmailMessage, letter: Letter, to: str, text: str, html: str
) -> None:
    """A cover note to the case team, with the letter attached to print and post."""
    where = (
        f"to this address:\n\n    {to}"
        if to != "by post"
        else "by post: no postal address is recorded, so please take it from the case file."
    )
    message.set_content(
        f"The applicant for {letter.ref} has no email address. Please print the attached "
        f"letter and post it {where}\n"
    )
    name = f"{letter.ref}-{letter.template}"
    message.add_attachment(text, filename=f"{name}.txt")
    message.add_attachment(html, subtype="html", filename=f"{name}.html")
