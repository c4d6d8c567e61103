"""How each Case event changes the read-model rows.

The status follows exactly the aggregate's own transitions (casereview/domain/case.py); the
decision columns mirror the case's standing decision, so an appeal upheld back to the threshold
clears them as it clears `case.decision`. Only ids, dates, flags, counts and the agencies' own
references are copied: never a name, an address or free text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from casereview.domain.case import Case
from casereview.projections.tables import ProjectionTables
from casereview.projections.tracking import TRACKING_HANDLERS

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

Changes = dict[str, Any]
Handler = Callable[[Connection, ProjectionTables, str, Any], Changes]


def _as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def apply_event(conn: Connection, t: ProjectionTables, e: Any) -> bool:
    """Apply one Case event in the caller's transaction; False if it is not a Case event."""
    if isinstance(e, Case.ApplicationReceived):
        conn.execute(
            t.cases.insert().values(
                ref=e.ref,
                case_id=e.originator_id.hex,
                area=e.area,
                status="received",
                received_on=e.received_on,
                applicant_kind=e.applicant_kind,
                hate=bool(e.hate),
                vulnerable=bool(e.vulnerable),
                complaints=0,
                recommendations=0,
                actions_open=0,
                version=e.originator_version,
            )
        )
        return True
    tracked = TRACKING_HANDLERS.get(type(e))
    if tracked is not None:
        tracked(conn, t, e)
        return True
    handler = HANDLERS.get(type(e))
    if handler is None:
        return False
    ref = conn.execute(
        select(t.cases.c.ref).where(t.cases.c.case_id == e.originator_id.hex)
    ).scalar_one()
    values = handler(conn, t, ref, e)
    status = STATUS_AFTER.get(type(e))
    if status is not None:
        values["status"] = status
    values["version"] = e.originator_version
    conn.execute(t.cases.update().where(t.cases.c.ref == ref).values(**values))
    return True


def _acknowledged(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"acknowledged_on": e.acknowledged_on}


def _complaint_recorded(
    conn: Connection, t: ProjectionTables, ref: str, e: Any
) -> Changes:
    conn.execute(
        t.complaints.insert().values(
            ref=ref,
            complaint_id=e.complaint_id,
            agency=e.agency,
            agency_ref=e.agency_ref,
            incident=e.incident,
            incident_on=e.incident_on,
            reported_on=e.reported_on,
            hate=bool(e.hate),
        )
    )
    return {"complaints": t.cases.c.complaints + 1}


def _complaint_corrected(
    conn: Connection, t: ProjectionTables, ref: str, e: Any
) -> Changes:
    fields = {
        k: (_as_date(v) if k in DATE_FIELDS else v)
        for k, v in dict(e.fields).items()
        if k in COMPLAINT_FIELDS
    }
    if "hate" in fields:
        fields["hate"] = bool(fields["hate"])
    if fields:
        c = t.complaints.c
        conn.execute(
            t.complaints.update()
            .where(c.ref == ref, c.complaint_id == e.complaint_id)
            .values(**fields)
        )
    return {}


def _threshold_decided(
    conn: Connection, t: ProjectionTables, ref: str, e: Any
) -> Changes:
    return {
        "decided_on": e.decided_on,
        "threshold_met": bool(e.met),
        "basis": e.basis,
        "route": e.route,
        "status": "threshold_met" if e.met else "threshold_not_met",
    }


def _meeting_scheduled(
    conn: Connection, t: ProjectionTables, ref: str, e: Any
) -> Changes:
    return {"meeting_on": e.meeting_on}


def _meeting_held(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"reviewed_on": e.held_on}


def _recommendation(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    # The event has no business date: the recommendation is made at the review meeting the
    # case last held (a recommendation is only accepted while the case stands at "reviewed").
    reviewed_on = conn.execute(
        select(t.cases.c.reviewed_on).where(t.cases.c.ref == ref)
    ).scalar_one()
    conn.execute(
        t.recommendations.insert().values(
            ref=ref,
            recommendation_id=e.recommendation_id,
            agency=e.agency,
            due_on=e.due_on,
            made_on=reviewed_on or e.timestamp.astimezone(UK).date(),
        )
    )
    return {"recommendations": t.cases.c.recommendations + 1}


def _action_agreed(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    conn.execute(
        t.actions.insert().values(
            ref=ref,
            action_id=e.action_id,
            recommendation_id=e.recommendation_id,
            owner=e.owner,
            due_on=e.due_on,
            completed_on=None,
        )
    )
    return {"actions_open": t.cases.c.actions_open + 1}


def _action_completed(
    conn: Connection, t: ProjectionTables, ref: str, e: Any
) -> Changes:
    a = t.actions.c
    conn.execute(
        t.actions.update()
        .where(a.ref == ref, a.action_id == e.action_id)
        .values(completed_on=e.completed_on)
    )
    return {"actions_open": t.cases.c.actions_open - 1}


def _outcome(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"outcome_sent_on": e.sent_on}


def _appeal_lodged(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"appeal_lodged_on": e.lodged_on, "appeal_upheld": None}


def _appeal_decided(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    values: Changes = {"appeal_upheld": bool(e.upheld)}
    if e.reopens_at == "threshold":
        # The case no longer has a standing decision; the old one stays in the log.
        values.update(decided_on=None, threshold_met=None, basis=None, route=None)
    return values


def _withdrawn(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"withdrawn_on": e.withdrawn_on}


def _closed(conn: Connection, t: ProjectionTables, ref: str, e: Any) -> Changes:
    return {"closed_on": e.closed_on}


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
