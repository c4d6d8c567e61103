"""How each Case event changes the read-model rows.

The status follows exactly the aggregate's own transitions (casereview/domain/case.py); the
decision columns mirror the case's standing decision, so an appeal upheld back to the threshold
clears them as it clears `case.decision`. Only ids, dates, flags, counts and the agencies' own
references are copied (and a digest of each reference as compared, to find it across cases):
never a name, an address or free text.

The handlers work on plain dicts, one per row, held by the batch being applied
(casereview/projections/batch.py), which loads the rows a batch touches and writes them back
in a few statements. Each handler gets the batch, the case's row and the event; after it, the
case's status (for the events in STATUS_AFTER) and version are set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from casereview.domain.case import Case
from casereview.domain.identity import identity_key


class Batch(Protocol):
    """What a handler uses of the rows a batch holds (casereview.projections.batch.Batch)."""

    def row(self, table: str, key: Any) -> Row | None: ...

    def add(self, table: str, key: Any, row: Row) -> None: ...


STATUS_AFTER: dict[type[Any], str] = {
    Case.ApplicationReceived: "received",
    Case.ApplicationAcknowledged: "acknowledged",
    Case.ReviewMeetingScheduled: "meeting_scheduled",
    Case.ReviewMeetingHeld: "reviewed",
    Case.OutcomeCommunicated: "outcome_sent",
    Case.AppealLodged: "appealed",
    Case.AppealDecided: "appeal_decided",
    Case.ApplicationWithdrawn: "withdrawn",
    Case.CaseClosed: "closed",
}
"""Events that set a fixed status; ThresholdDecided sets one of two; the rest keep it."""

COMPLAINT_FIELDS = (
    "agency",
    "agency_ref",
    "incident",
    "incident_on",
    "reported_on",
    "hate",
)
DATE_FIELDS = ("incident_on", "reported_on")

UK = ZoneInfo("Europe/London")

Row = dict[str, Any]
Handler = Callable[["Batch", Row, Any], None]


def _as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def case_received(e: Any) -> Row:
    """The row of a new case."""
    return {
        "ref": e.ref,
        "case_id": e.stream,
        "area": e.area,
        "status": STATUS_AFTER[Case.ApplicationReceived],
        "received_on": e.received_on,
        "applicant_kind": e.applicant_kind,
        "hate": bool(e.hate),
        "vulnerable": bool(e.vulnerable),
        "complaints": 0,
        "acknowledged_on": None,
        "decided_on": None,
        "threshold_met": None,
        "basis": None,
        "route": None,
        "meeting_on": None,
        "reviewed_on": None,
        "recommendations": 0,
        "actions_open": 0,
        "outcome_sent_on": None,
        "appeal_lodged_on": None,
        "appeal_upheld": None,
        "closed_on": None,
        "withdrawn_on": None,
        "version": e.originator_version,
    }


def apply_case_event(b: Batch, case: Row, e: Any) -> bool:
    """Apply one later Case event to its case's row (and the rows beside it); False if it is
    not one this module knows."""
    handler = HANDLERS.get(e.event_type)
    if handler is None:
        return False
    handler(b, case, e)
    status = STATUS_AFTER.get(e.event_type)
    if status is not None:
        case["status"] = status
    case["version"] = e.originator_version
    return True


def _acknowledged(b: Batch, case: Row, e: Any) -> None:
    case["acknowledged_on"] = e.acknowledged_on


def _complaint_recorded(b: Batch, case: Row, e: Any) -> None:
    ref = case["ref"]
    b.add(
        "complaints",
        (ref, e.complaint_id),
        {
            "ref": ref,
            "complaint_id": e.complaint_id,
            "agency": e.agency,
            "agency_ref": e.agency_ref,
            "incident": e.incident,
            "incident_on": e.incident_on,
            "reported_on": e.reported_on,
            "hate": bool(e.hate),
            "identity": _identity(e.agency, e.agency_ref),
        },
    )
    case["complaints"] += 1


def _identity(agency: str, agency_ref: str | None) -> str | None:
    return identity_key(agency, agency_ref) if agency_ref else None


def _complaint_corrected(b: Batch, case: Row, e: Any) -> None:
    complaint = b.row("complaints", (case["ref"], e.complaint_id))
    if complaint is None:
        return
    fields = {
        k: (_as_date(v) if k in DATE_FIELDS else v)
        for k, v in dict(e.fields).items()
        if k in COMPLAINT_FIELDS
    }
    if "hate" in fields:
        fields["hate"] = bool(fields["hate"])
    complaint.update(fields)
    if "agency" in fields or "agency_ref" in fields:
        complaint["identity"] = _identity(complaint["agency"], complaint["agency_ref"])


def _threshold_decided(b: Batch, case: Row, e: Any) -> None:
    case.update(
        decided_on=e.decided_on,
        threshold_met=bool(e.met),
        basis=e.basis,
        route=e.route,
        status="threshold_met" if e.met else "threshold_not_met",
    )


def _meeting_scheduled(b: Batch, case: Row, e: Any) -> None:
    case["meeting_on"] = e.meeting_on


def _meeting_held(b: Batch, case: Row, e: Any) -> None:
    case["reviewed_on"] = e.held_on


def _recommendation(b: Batch, case: Row, e: Any) -> None:
    # The event has no business date: the recommendation is made at the review meeting the
    # case last held (a recommendation is only accepted while the case stands at "reviewed").
    ref = case["ref"]
    b.add(
        "recommendations",
        (ref, e.recommendation_id),
        {
            "ref": ref,
            "recommendation_id": e.recommendation_id,
            "agency": e.agency,
            "due_on": e.due_on,
            "made_on": case["reviewed_on"] or e.timestamp.astimezone(UK).date(),
        },
    )
    case["recommendations"] += 1


def _action_agreed(b: Batch, case: Row, e: Any) -> None:
    ref = case["ref"]
    b.add(
        "actions",
        (ref, e.action_id),
        {
            "ref": ref,
            "action_id": e.action_id,
            "recommendation_id": e.recommendation_id,
            "owner": e.owner,
            "due_on": e.due_on,
            "completed_on": None,
        },
    )
    case["actions_open"] += 1


def _action_completed(b: Batch, case: Row, e: Any) -> None:
    action = b.row("actions", (case["ref"], e.action_id))
    if action is not None:
        action["completed_on"] = e.completed_on
    case["actions_open"] -= 1


def _outcome(b: Batch, case: Row, e: Any) -> None:
    case["outcome_sent_on"] = e.sent_on


def _appeal_lodged(b: Batch, case: Row, e: Any) -> None:
    case["appeal_lodged_on"] = e.lodged_on
    case["appeal_upheld"] = None


def _appeal_decided(b: Batch, case: Row, e: Any) -> None:
    case["appeal_upheld"] = bool(e.upheld)
    if e.reopens_at == "threshold":
        # The case no longer has a standing decision; the old one stays in the log.
        case.update(decided_on=None, threshold_met=None, basis=None, route=None)


def _withdrawn(b: Batch, case: Row, e: Any) -> None:
    case["withdrawn_on"] = e.withdrawn_on


def _closed(b: Batch, case: Row, e: Any) -> None:
    case["closed_on"] = e.closed_on


HANDLERS: dict[type[Any], Handler] = {
    Case.ApplicationAcknowledged: _acknowledged,
    Case.ComplaintRecorded: _complaint_recorded,
    Case.ComplaintCorrected: _complaint_corrected,
    Case.ThresholdDecided: _threshold_decided,
    Case.ReviewMeetingScheduled: _meeting_scheduled,
    Case.ReviewMeetingHeld: _meeting_held,
    Case.RecommendationMade: _recommendation,
    Case.ActionPlanStepAgreed: _action_agreed,
    Case.ActionPlanStepCompleted: _action_completed,
    Case.OutcomeCommunicated: _outcome,
    Case.AppealLodged: _appeal_lodged,
    Case.AppealDecided: _appeal_decided,
    Case.ApplicationWithdrawn: _withdrawn,
    Case.CaseClosed: _closed,
}
"""Events after the receipt, each changing its case's row."""

READS: dict[type[Any], tuple[str, ...]] = {
    Case.ApplicationReceived: (
        "ref",
        "area",
        "received_on",
        "applicant_kind",
        "hate",
        "vulnerable",
    ),
    Case.ComplaintRecorded: (
        "complaint_id",
        "agency",
        "agency_ref",
        "incident",
        "incident_on",
        "reported_on",
        "hate",
    ),
}
"""The fields the handlers of the commonest events read, decoded with the event (any other
field is decoded when first read: this only saves the time of reading them one by one)."""
