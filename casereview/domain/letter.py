"""A letter or email: rendered once, queued in the same save as the step it reports, then sent.

The rendered content is part of the record (its hash, template and version), so what the
applicant was told can be shown years later. The id is derived from what the letter is about
(case, template, the step's key), so the same letter is never queued twice, and the sender
claims a letter (`LetterDispatched`) before handing it to the mail server, so two senders
racing on one letter collide on its version and only one sends it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from casereview.domain.personal import Personal
from casereview.errors import RuleViolation


def letter_id(ref: str, template: str, key: str, recipient_role: str) -> UUID:
    return uuid5(
        NAMESPACE_URL, f"/casereview/letter/{ref}/{template}/{key}/{recipient_role}"
    )


class Letter(Aggregate):
    TOPIC = "casereview:Letter"

    class Created(Aggregate.Created):
        TOPIC = "casereview:Letter.Created"

    class LetterQueued(Aggregate.Created):
        TOPIC = "casereview:LetterQueued"
        ref: str
        template: str
        template_version: str
        recipient_role: str
        to: Personal
        subject: str
        text: Personal
        html: Personal
        content_hash: str
        recorded_by: str

    class LetterDispatched(Aggregate.Event):
        """Claimed by one sender for one attempt."""

        TOPIC = "casereview:LetterDispatched"
        attempt: int
        recorded_by: str

    class LetterSent(Aggregate.Event):
        TOPIC = "casereview:LetterSent"
        via: str
        message_id: str
        recorded_by: str

    class LetterDeliveryFailed(Aggregate.Event):
        TOPIC = "casereview:LetterDeliveryFailed"
        attempt: int
        error: str
        retry_after: datetime
        recorded_by: str

    @classmethod
    def queue(cls, *, key: str, at: datetime, by: str, **fields: object) -> Letter:
        ref, template, role = (
            str(fields["ref"]),
            str(fields["template"]),
            str(fields["recipient_role"]),
        )
        return cls._create(
            cls.LetterQueued,
            id=letter_id(ref, template, key, role),
            timestamp=at,
            recorded_by=by,
            **fields,
        )

    @event(LetterQueued)
    def __init__(
        self,
        ref: str,
        template: str,
        template_version: str,
        recipient_role: str,
        to: Personal,
        subject: str,
        text: Personal,
        html: Personal,
        content_hash: str,
        recorded_by: str,
    ) -> None:
        self.ref, self.template, self.template_version = ref, template, template_version
        self.recipient_role, self.to, self.subject = recipient_role, to, subject
        self.text, self.html, self.content_hash = text, html, content_hash
        self.state = "queued"
        self.attempts = 0
        self.retry_after: datetime | None = None
        self.message_id: str | None = None

    def dispatch(self, *, at: datetime, by: str) -> int:
        """Claim the letter for one delivery attempt; refused once it has been sent."""
        if self.state == "sent":
            raise RuleViolation(f"letter {self.id} for {self.ref} was already sent")
        self.trigger_event(
            self.LetterDispatched,
            timestamp=at,
            attempt=self.attempts + 1,
            recorded_by=by,
        )
        return self.attempts

    @event(LetterDispatched)
    def _dispatched(self, attempt: int, recorded_by: str) -> None:
        self.attempts = attempt
        self.state = "dispatched"

    def sent(self, via: str, message_id: str, *, at: datetime, by: str) -> None:
        self.trigger_event(
            self.LetterSent,
            timestamp=at,
            via=via,
            message_id=message_id,
            recorded_by=by,
        )

    @event(LetterSent)
    def _sent(self, via: str, message_id: str, recorded_by: str) -> None:
        self.state = "sent"
        self.message_id = message_id

    def failed(
        self, error: str, retry_after: datetime, *, at: datetime, by: str
    ) -> None:
        self.trigger_event(
            self.LetterDeliveryFailed,
            timestamp=at,
            attempt=self.attempts,
            error=error,
            retry_after=retry_after,
            recorded_by=by,
        )

    @event(LetterDeliveryFailed)
    def _failed(
        self, attempt: int, error: str, retry_after: datetime, recorded_by: str
    ) -> None:
        self.state = "queued"
        self.retry_after = retry_after


LETTER_EVENTS: tuple[type[Aggregate.Event], ...] = (
    Letter.LetterQueued,
    Letter.LetterDispatched,
    Letter.LetterSent,
    Letter.LetterDeliveryFailed,
)
