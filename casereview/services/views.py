"""Plain-data views of a case and its history, in the shapes of CONTRACT.md."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any

from casereview.domain.case import Case
from casereview.domain.personal import Person, Personal


def plain(value: Any) -> Any:
    """JSON-ready: dates as ISO strings, people as their details, free text as text."""
    if isinstance(value, Personal):
        return str(value)
    if isinstance(value, Person):
        return {
            "person": value.id,
            "name": value.display_name,
            "email": value.email,
            "address": value.address,
        }
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    return value


def threshold_view(case: Case) -> dict[str, Any] | None:
    d = case.decision
    if d is None:
        return None
    return {
        "met": d.met,
        "basis": d.basis,
        "route": d.route,
        "decided_on": d.decided_on.isoformat(),
        "decided_by": d.decided_by,
        "policy": dict(d.policy),
        "qualifying": list(d.qualifying),
        "excluded": [{"id": i, "reason": r} for i, r in d.excluded],
        "nearest": d.nearest,
        "missing": d.missing,
        "discretion_reason": plain(d.discretion_reason),
        "explanation": list(d.explanation),
    }


def case_view(
    case: Case, deadlines: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`case show --json`."""
    appeal = case.appeals[-1] if case.appeals else None
    return {
        "ref": case.ref,
        "area": case.area,
        "status": case.status,
        "received_on": case.received_on.isoformat(),
        "applicant_kind": case.applicant_kind,
        "applicant": plain(case.applicant),
        "victim": plain(case.victim),
        "consent_on": plain(case.consent_on),
        "hate": case.hate,
        "vulnerable": case.vulnerable,
        "summary": plain(case.summary),
        "channel": case.channel,
        "version": case.version,
        "acknowledged_on": plain(case.acknowledged_on),
        "complaints": [
            {
                "id": c.id,
                "agency": c.agency,
                "agency_ref": c.agency_ref,
                "incident": c.incident,
                "incident_on": c.incident_on.isoformat(),
                "reported_on": c.reported_on.isoformat(),
                "hate": c.hate,
                "complainant": c.complainant,
                "summary": plain(c.summary),
            }
            for c in case.complaints.values()
        ],
        "corrections": [
            {"complaint": cid, "fields": plain(changed), "reason": str(reason)}
            for cid, changed, reason in case.corrections
        ],
        "threshold": threshold_view(case),
        "decisions": len(case.decisions),
        "meetings": [plain(m) for m in case.meetings],
        "recommendations": [
            {
                "id": r.id,
                "agency": r.agency,
                "text": str(r.text),
                "due_on": plain(r.due_on),
            }
            for r in case.recommendations.values()
        ],
        "actions": [
            {
                "id": a.id,
                "recommendation": a.recommendation,
                "owner": a.owner,
                "text": str(a.text),
                "due_on": a.due_on.isoformat(),
                "completed_on": plain(a.completed_on),
                "note": plain(a.note),
            }
            for a in case.actions.values()
        ],
        "outcome_sent_on": plain(case.outcome_sent_on),
        "appeal": None
        if appeal is None
        else {
            "lodged_on": appeal.lodged_on.isoformat(),
            "grounds": str(appeal.grounds),
            "in_time": appeal.in_time,
            "window": appeal.window,
            "decided_on": plain(appeal.decided_on),
            "upheld": appeal.upheld,
            "reasons": plain(appeal.reasons),
            "decided_by": appeal.decided_by,
            "reopens_at": appeal.reopens_at,
        },
        "appeals": len(case.appeals),
        "reopened_at": case.reopened_at,
        "withdrawn_on": plain(case.withdrawn_on),
        "closed_on": plain(case.closed_on),
        "deadlines": deadlines or [],
    }


BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")


def event_name(event: Any) -> str:
    topic = getattr(type(event), "TOPIC", type(event).__name__)
    return str(topic).split(":", 1)[-1]


def history_view(
    events: list[Any], positions: dict[int, int] | None = None
) -> list[dict[str, Any]]:
    """`case history --json`: oldest first; `position` is the event's place in the whole log
    (the position `log verify` names)."""
    positions = positions or {}
    return [
        {
            "position": positions.get(e.originator_version, ordinal),
            "version": e.originator_version,
            "event": event_name(e),
            "recorded_at": e.timestamp.isoformat(),
            "recorded_by": getattr(e, "recorded_by", None),
            "data": {
                k: plain(v)
                for k, v in e.__dict__.items()
                if k not in BASE_FIELDS and k != "recorded_by"
            },
        }
        for ordinal, e in enumerate(events, start=1)
    ]


def deadline_view(deadline: Any) -> dict[str, Any]:
    """One entry of `case show`'s `deadlines`, with how its due date was counted."""
    return {
        "kind": deadline.kind,
        "rule": deadline.rule,
        "from": deadline.from_step,
        "until": deadline.until_step,
        "start_on": deadline.start_on.isoformat(),
        "due_on": deadline.due_on.isoformat(),
        "remind_on": plain(deadline.remind_on),
        "state": deadline.state,
        "ended_on": plain(deadline.ended_on),
        "calendar": deadline.calendar,
        "explanation": list(deadline.explanation),
    }
