"""What a Case holds about each step, rebuilt from its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from casereview.domain.personal import Personal


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
