"""Value objects shared by the Case aggregate and the threshold rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from casereview.domain.personal import Personal

APPLICANT_KINDS: tuple[str, ...] = ("victim", "on-behalf", "community", "business")

# The lifecycle of DOMAIN.md section 4, in order; `case show` and `case list` use these names.
STATUSES: tuple[str, ...] = (
    "received",
    "acknowledged",
    "threshold_not_met",
    "threshold_met",
    "meeting_scheduled",
    "reviewed",
    "outcome_sent",
    "appealed",
    "appeal_decided",
    "closed",
    "withdrawn",
)


@dataclass(frozen=True)
class Complaint:
    """A report of the behaviour to a relevant body (ABCPA 2014 s.104(6))."""

    id: str
    agency: str
    incident_on: date
    reported_on: date
    complainant: str
    agency_ref: str | None = None
    incident: str | None = None
    hate: bool = False
    summary: Personal | None = None
