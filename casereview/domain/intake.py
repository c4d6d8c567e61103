"""Recording complaints in bulk: what an import needs of a case, and nothing more.

A whole `Case` holds every person, complaint, step and decision; an import of a national year's
agency exports touches tens of thousands of cases, most of them many times over months of
reports. `ComplaintIntake` keeps, per case, only what recording one more complaint needs: the
stream's version, its status (a case that has ended takes no complaint), how many complaints
it holds (complaint ids are C1, C2, ...), the applicant (the complainant of an imported
report), whose personal data a summary is, and the agencies' references already recorded. The references are kept as 64-bit hashes in a sorted array (eight
bytes each; a set of Python ints costs about ninety), so a case with years of reports costs a
few hundred bytes; a hash alone can only say "possibly recorded", so the import
confirms a match against the case itself (`confirm`) before it skips a row. References are
compared as the Case compares them (`casereview.domain.identity`: case and spaces do not
matter), and recorded as typed.

`record` checks the same rules as `Case.record_complaint` and returns the same
`ComplaintRecorded` event, which replays into the same Case
(tests/unit/test_intake.py compares the two over generated sequences).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from casereview.domain.case import (
    Case,
    check_reported_after_incident,
    check_takes_complaints,
)
from casereview.domain.case_events import ComplaintRecorded
from casereview.domain.identity import Identity, complaint_identity
from casereview.domain.personal import Person, Personal
from casereview.errors import RuleViolation


def reference_key(agency: str, agency_ref: str) -> int:
    """The hash of the pair as compared (this process's `hash`: never stored)."""
    return hash(complaint_identity(agency, agency_ref))


@dataclass(slots=True)
class ComplaintIntake:
    case_id: UUID
    ref: str
    version: int
    status: str
    complaints: int
    complainant: Person
    subject: str
    hashes: array[int]
    """The references' hashes (`reference_key`), sorted."""
    references: set[Identity] | None = field(default=None)
    """The exact references (as compared), once a hash matched and the case was read to
    confirm it."""

    @classmethod
    def of(cls, case: Case) -> ComplaintIntake:
        return cls(
            case_id=case.id,
            ref=case.ref,
            version=case.version,
            status=case.status,
            complaints=len(case.complaints),
            complainant=case.applicant,
            subject=case.victim_id,
            hashes=array(
                "q", sorted({reference_key(*key) for key in case.agency_refs})
            ),
        )

    def may_hold(
        self, agency: str, agency_ref: str, identity: Identity | None = None
    ) -> bool:
        """False: certainly not recorded. True: recorded, unless a hash collided (`holds`).
        (`identity`, if given, is the pair as compared, worked out already.)"""
        key = hash(identity or complaint_identity(agency, agency_ref))
        at = bisect_left(self.hashes, key)
        return at < len(self.hashes) and self.hashes[at] == key

    def holds(
        self, agency: str, agency_ref: str, identity: Identity | None = None
    ) -> bool | None:
        """Whether the reference is recorded; None until the exact references are known."""
        if self.references is None:
            return None
        return (identity or complaint_identity(agency, agency_ref)) in self.references

    def confirm(self, stored: Case, pending: Iterable[tuple[str, str]]) -> None:
        """Learn the exact references: those of the case as stored (already as compared),
        and those recorded here since but not yet saved (as typed)."""
        self.references = {
            *stored.agency_refs,
            *(complaint_identity(*pair) for pair in pending),
        }

    def record(
        self,
        *,
        agency: str,
        agency_ref: str,
        incident_on: date,
        reported_on: date,
        hate: bool,
        summary: str | None,
        at: datetime,
        by: str,
        identity: Identity | None = None,
    ) -> ComplaintRecorded:
        """The ComplaintRecorded event `Case.record_complaint` would record, for the caller
        to save; this intake now counts it."""
        check_takes_complaints(self.ref, self.status)
        if reported_on < incident_on:
            check_reported_after_incident(incident_on, reported_on)
        identity = identity or complaint_identity(agency, agency_ref)
        if self.references is not None and identity in self.references:
            raise RuleViolation(
                f"{self.ref}: {agency} reference {agency_ref!r} is already recorded"
            )
        event = Case.ComplaintRecorded.__new__(Case.ComplaintRecorded)
        # Filled as the library fills an event it reads back from the store, in the order of
        # the event's fields, so it is stored exactly as a recorded one (no per-field setattr
        # of the frozen dataclass: this runs a million times in an import).
        object.__setattr__(
            event,
            "__dict__",
            {
                "originator_id": self.case_id,
                "originator_version": self.version + 1,
                "timestamp": at,
                "complaint_id": f"C{self.complaints + 1}",
                "agency": agency,
                "agency_ref": agency_ref,
                "incident": None,
                "incident_on": incident_on,
                "reported_on": reported_on,
                "complainant": self.complainant,
                "hate": hate,
                "summary": Personal(self.subject, summary) if summary else None,
                "recorded_by": by,
            },
        )
        self.version += 1
        self.complaints += 1
        insort(self.hashes, hash(identity))
        if self.references is not None:
            self.references.add(identity)
        return event
