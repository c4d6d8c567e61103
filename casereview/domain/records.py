"""What a Case holds about each step, rebuilt from its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from casereview.domain.identity import Identity
from casereview.domain.personal import Person, Personal
from casereview.domain.values import Complaint


@dataclass(frozen=True)
class StandingDecision:
    """A recorded threshold decision; stored, never recomputed."""

    decided_on: date
    met: bool
    basis: str | None
    route: str | None
    policy: dict[str, str]
    qualifying: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]
    explanation: tuple[str, ...]
    nearest: str | None
    missing: str | None
    discretion_reason: Personal | None
    decided_by: str


@dataclass(frozen=True)
class Meeting:
    meeting_on: date
    agencies: tuple[str, ...]
    chair: str | None
    held_on: date | None = None
    attended: tuple[str, ...] = ()
    apologies: tuple[str, ...] = ()
    victim_attended: bool = False
    impact_statement: Personal | None = None


@dataclass(frozen=True)
class Recommendation:
    id: str
    agency: str
    text: Personal
    due_on: date | None


@dataclass(frozen=True)
class ActionStep:
    id: str
    recommendation: str
    owner: str
    text: Personal
    due_on: date
    completed_on: date | None = None
    note: Personal | None = None


@dataclass(frozen=True)
class AppealRecord:
    lodged_on: date
    grounds: Personal
    in_time: bool | None
    window: str | None
    decided_on: date | None = None
    upheld: bool | None = None
    reasons: Personal | None = None
    decided_by: str | None = None
    reopens_at: str | None = None


class CaseState:
    """What a Case holds, as its events leave it (each event's `apply`,
    casereview/domain/case_events.py); the Case's rules read it (casereview/domain/case.py).
    Set by ApplicationReceived, then changed only by later events."""

    ref: str
    area: str
    received_on: date
    applicant_kind: str
    applicant: Person
    victim: Person | None
    consent_on: date | None
    hate: bool
    vulnerable: bool
    summary: Personal | None
    channel: str
    status: str
    """One of STATUSES (casereview/domain/values.py)."""
    people: dict[str, Person]
    """Everyone named on the case, by opaque id; names are personal data held per person."""
    acknowledged_on: date | None
    complaints: dict[str, Complaint]
    agency_refs: dict[Identity, str]
    """(agency, agency_ref) as compared (casereview/domain/identity.py) -> complaint id: an
    agency's reference names one complaint, however its case and spaces were typed."""
    corrections: list[tuple[str, dict[str, Any], Personal]]
    decisions: list[StandingDecision]
    decision: StandingDecision | None
    """The decision that stands; None before the first, and after an appeal upheld back to
    the threshold (the earlier ones stay in `decisions` and in the log)."""
    meetings: list[Meeting]
    recommendations: dict[str, Recommendation]
    actions: dict[str, ActionStep]
    outcome_sent_on: date | None
    appeals: list[AppealRecord]
    reopened_at: str | None
    withdrawn_on: date | None
    closed_on: date | None
    steps: list[tuple[str, date]]
    """The steps that start or meet timescales, in order, with their business dates;
    deadlines are keyed by a step's position here, so they can be found again."""
