"""The casereview Application: commands and queries over the event store.

One place turns library errors into the CaseReviewError groups: a version clash on save is a
`Conflict` (after a bounded retry that re-runs every rule on the fresh case), an unreachable
database is `ServiceUnavailable`, an unknown stream is `CaseNotFound`.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    OperationalError,
    PersistenceError,
    Transcoder,
    Transcoding,
)

from casereview.adapters.ledger import chained_recorder
from casereview.adapters.transcoder import FastJSONTranscoder
from casereview.domain.case import Case, case_id, check_application
from casereview.domain.case_events import CaseEvent
from casereview.domain.personal import Person, Personal
from casereview.domain.sequence import ReferenceSequence, sequence_id
from casereview.errors import (
    CaseNotFound,
    Conflict,
    InvalidInput,
    ServiceUnavailable,
)

T = TypeVar("T")
# Given a case just changed and how many steps it had before, the other aggregates to save.
FollowUpHook = Callable[[Case, int], Sequence[Aggregate]]
REF_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]*-\d{4}-\d{4,}$")
RETRIES = 8


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PersonAsDict(Transcoding):
    """Stored as its own value so a per-person cipher can later seal it alone."""

    type = Person
    name = "person"

    def encode(self, obj: Person) -> dict[str, str | None]:
        return {
            "id": obj.id,
            "name": obj.name,
            "email": obj.email,
            "address": obj.address,
        }

    def decode(self, data: dict[str, str | None]) -> Person:
        person_id = data["id"]
        assert person_id is not None  # noqa: S101 - written by encode above
        return Person(person_id, data["name"], data["email"], data["address"])


class PersonalAsDict(Transcoding):
    type = Personal
    name = "personal"

    def encode(self, obj: Personal) -> dict[str, str | None]:
        return {"subject": obj.subject, "text": obj.text}

    def decode(self, data: dict[str, str]) -> Personal:
        return Personal(data["subject"], data["text"])


def new_person_id() -> str:
    return f"p-{uuid4().hex[:16]}"


class CaseReviews(Application[UUID]):
    """The write side: every command loads one case, checks its rules, and saves its events."""

    name = "casereview"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        try:
            super().__init__(env=env)
        except (OperationalError, PersistenceError) as exc:
            raise ServiceUnavailable(f"event store unavailable: {exc}") from None
        if clock is None:
            raise ValueError(
                "CaseReviews needs a clock (bootstrap passes the real one)"
            )
        self.clock = clock

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(PersonAsDict())
        transcoder.register(PersonalAsDict())

    # ----- loading and saving ---------------------------------------------------------------

    def get_case(self, ref: str, version: int | None = None) -> Case:
        ref = normalise_ref(ref)
        try:
            with translate_store_errors():
                case: object = self.repository.get(case_id(ref), version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(ref) from None
        if not isinstance(case, Case):
            raise CaseNotFound(ref)
        return case

    def get_cases(self, refs: Iterable[str]) -> dict[str, Case]:
        """The latest of each of these cases that exists, read from the log in one query
        (a reference that is not well formed, or names no case, is left out)."""
        wanted = {case_id(ref): ref for ref in set(refs) if REF_PATTERN.match(ref)}
        found: dict[str, Case] = {}
        with translate_store_errors():
            stored = chained_recorder(self).select_streams(list(wanted))
            case: Any = None
            for record in stored:
                e: Any = self.mapper.to_domain_event(record)
                if e.originator_version == 1:
                    case = None
                case = e.mutate(case)
                if isinstance(case, Case):
                    found[wanted[cast(UUID, record.originator_id)]] = case
        return found

    def change(
        self,
        ref: str,
        command: Callable[[Case], T],
        follow_up: FollowUpHook | None = None,
    ) -> T:
        """Run `command` on the latest case and save it, with whatever its new steps start or
        end (deadlines, letters) in the same transaction; retry on a clash, re-checking every
        rule on the fresh case."""
        for attempt in range(RETRIES):
            case = self.get_case(ref)
            steps_before = len(case.steps)
            result = command(case)
            extra = follow_up(case, steps_before) if follow_up is not None else []
            try:
                with translate_store_errors():
                    self.save(case, *extra)
            except Conflict:
                _pause(attempt)
                continue
            return result
        raise Conflict(
            f"{ref}: someone else changed the case {RETRIES} times while this was being "
            "recorded; nothing was written; retry"
        )

    # ----- commands -------------------------------------------------------------------------

    def receive_application(
        self,
        *,
        area: str,
        received_on: date,
        applicant_name: str,
        kind: str = "victim",
        on_behalf_of: str | None = None,
        consent_on: date | None = None,
        email: str | None = None,
        address: str | None = None,
        hate: bool = False,
        vulnerable: bool = False,
        summary: str | None = None,
        channel: str = "not recorded",
        follow_up: FollowUpHook | None = None,
        by: str,
    ) -> str:
        check_application(kind, on_behalf_of, consent_on, received_on)
        applicant = Person(new_person_id(), applicant_name, email, address)
        victim = Person(new_person_id(), on_behalf_of) if on_behalf_of else None
        subject = (victim or applicant).id
        for attempt in range(RETRIES):
            at = self.clock()
            sequence = self._sequence(area, received_on.year, at)
            ref = sequence.issue(at=at)
            case = Case.receive(
                at=at,
                by=by,
                ref=ref,
                area=area,
                received_on=received_on,
                applicant_kind=kind,
                applicant=applicant,
                victim=victim,
                consent_on=consent_on,
                hate=hate,
                vulnerable=vulnerable,
                summary=Personal(subject, summary) if summary else None,
                channel=channel,
            )
            extra = follow_up(case, 0) if follow_up is not None else []
            try:
                with translate_store_errors():
                    self.save(sequence, case, *extra)
            except Conflict:
                _pause(attempt)
                continue
            return ref
        raise Conflict(
            f"{area}: could not issue a case reference after {RETRIES} tries; retry"
        )

    def _sequence(self, area: str, year: int, at: datetime) -> ReferenceSequence:
        try:
            with translate_store_errors():
                found: object = self.repository.get(sequence_id(area, year))
        except AggregateNotFoundError:
            return ReferenceSequence.start(area, year, at=at)
        assert isinstance(found, ReferenceSequence)  # noqa: S101 - the id is derived from its type
        return found

    # ----- queries ------------------------------------------------------------------------

    def case_events(self, ref: str) -> list[CaseEvent]:
        ref = normalise_ref(ref)
        with translate_store_errors():
            found = [
                e for e in self.events.get(case_id(ref)) if isinstance(e, Case.Event)
            ]
        if not found:
            raise CaseNotFound(ref)
        return found

    def case_as_at(self, ref: str, moment: datetime) -> Case | None:
        """The case exactly as recorded at `moment`: its events up to then, folded once
        (later corrections not applied); None if it was received after `moment`."""
        ref = normalise_ref(ref)
        case: Case | None = None
        seen = False
        with translate_store_errors():
            for e in self.events.get(case_id(ref)):
                seen = True
                if not isinstance(e, Case.Event) or e.timestamp > moment:
                    break
                case = e.mutate(case)
        if not seen:
            raise CaseNotFound(ref)
        return case

    def stream_version_at(self, stream: UUID, moment: datetime) -> int | None:
        """Any stream's version as recorded at `moment`; None if it had no event by then."""
        version = None
        with translate_store_errors():
            for e in self.events.get(stream):
                if getattr(e, "timestamp", moment) > moment:
                    break
                version = e.originator_version
        return version


def _pause(attempt: int) -> None:
    """Back off a little, with jitter, before retrying a clash, so racing writers spread out."""
    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not security


def normalise_ref(ref: str) -> str:
    ref = ref.strip().upper()
    if not REF_PATTERN.match(ref):
        raise InvalidInput(
            f"{ref!r} is not a case reference (expected AREA-YYYY-NNNN, like GOSPORT-2026-0001)"
        )
    return ref


@contextmanager
def translate_store_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError:
        raise Conflict(
            "someone else changed the case first; nothing was written; retry"
        ) from None
    except OperationalError as exc:
        raise ServiceUnavailable(f"event store unavailable: {exc}") from None
