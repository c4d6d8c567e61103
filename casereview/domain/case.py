"""The Case aggregate: one application for an ASB Case Review (ABCPA 2014 s.104), one stream.

Each public method checks the step against the lifecycle of DOMAIN.md section 4 and the rules
of its fields, then triggers one event, naming its fields. The events, their fields (written
once) and what each changes in the case's state are in casereview/domain/case_events.py; the
state itself is CaseState (casereview/domain/records.py). The events are attributes of Case
too (`Case.ComplaintRecorded`), as the library expects of an aggregate's events: being named
here is what registers their stored TOPICs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from casereview.domain import case_events as events
from casereview.domain.case_events import CASE_EVENTS as CASE_EVENTS
from casereview.domain.identity import reference_identity
from casereview.domain.personal import Person, Personal
from casereview.domain.records import CaseState, StandingDecision
from casereview.domain.values import APPLICANT_KINDS, Complaint
from casereview.errors import (
    DecisionAlreadyStands,
    DiscretionRequired,
    FieldError,
    InvalidInput,
    ItemNotFound,
    RuleViolation,
    StepOutOfOrder,
)
from casereview.thresholds.policy import Procedure
from casereview.thresholds.rules import Decision, decide

OPEN_ACTION_STATES = ("reviewed", "outcome_sent", "appealed", "appeal_decided")
ENDED = ("closed", "withdrawn")
"""The statuses a case never leaves (DOMAIN.md section 4): no step follows, not even a
complaint. A later final status (void) joins by being named here."""
CORRECTABLE = ("incident_on", "reported_on", "agency", "agency_ref", "incident", "hate")


def case_id(ref: str) -> UUID:
    """The stream id is derived from the reference, which holds no personal data."""
    return uuid5(NAMESPACE_URL, f"/casereview/case/{ref}")


def _not_before(field: str, day: date, earlier_label: str, earlier: date) -> None:
    if day < earlier:
        raise FieldError(
            field,
            f"{day.isoformat()} is before {earlier_label} ({earlier.isoformat()})",
        )


def check_application(
    kind: str, on_behalf_of: str | None, consent_on: date | None, received_on: date
) -> None:
    """Who applies (DOMAIN.md section 1): a known kind; on someone's behalf only with their
    consent, given on or before the day the application arrived."""
    if kind not in APPLICANT_KINDS:
        raise FieldError("kind", f"{kind!r} is not one of {', '.join(APPLICANT_KINDS)}")
    if kind == "on-behalf" and (not on_behalf_of or consent_on is None):
        raise FieldError(
            "kind",
            "on-behalf needs the victim's name (on_behalf_of) and the date they consented "
            "(consent_on): an application on someone's behalf needs their consent",
        )
    if consent_on is not None and consent_on > received_on:
        raise FieldError(
            "consent_on",
            f"{consent_on.isoformat()} is after the application was received "
            f"({received_on.isoformat()})",
        )


def check_reported_after_incident(incident_on: date, reported_on: date) -> None:
    """A complaint cannot be reported before the incident it reports."""
    _not_before("reported_on", reported_on, "the incident it reports", incident_on)


def check_takes_complaints(ref: str, status: str) -> None:
    """Complaints are recorded until the case ends, after its decision too (for the record);
    once it is closed or withdrawn, what was reported since is for a new application
    (DOMAIN.md section 4)."""
    if status in ENDED:
        raise StepOutOfOrder(
            ref,
            "record a complaint",
            status,
            "a new application is the way (complaints are recorded on an open case)",
        )


class Case(Aggregate, CaseState):
    """One application for an ASB Case Review, from receipt to closure."""

    TOPIC = "casereview:Case"

    class Created(Aggregate.Created):
        TOPIC = "casereview:Case.Created"

    Event = events.CaseEvent

    # The events a Case records (case_events.py), in the order of its lifecycle.
    ApplicationReceived = events.ApplicationReceived
    ApplicationAcknowledged = events.ApplicationAcknowledged
    ComplaintRecorded = events.ComplaintRecorded
    ComplaintCorrected = events.ComplaintCorrected
    ThresholdDecided = events.ThresholdDecided
    ReviewMeetingScheduled = events.ReviewMeetingScheduled
    ReviewMeetingHeld = events.ReviewMeetingHeld
    RecommendationMade = events.RecommendationMade
    ActionPlanStepAgreed = events.ActionPlanStepAgreed
    ActionPlanStepCompleted = events.ActionPlanStepCompleted
    OutcomeCommunicated = events.OutcomeCommunicated
    AppealLodged = events.AppealLodged
    AppealDecided = events.AppealDecided
    ApplicationWithdrawn = events.ApplicationWithdrawn
    CaseClosed = events.CaseClosed

    @classmethod
    def receive(cls, *, at: datetime, by: str, **fields: Any) -> Case:
        case = cls._create(
            cls.ApplicationReceived,
            id=case_id(fields["ref"]),
            timestamp=at,
            recorded_by=by,
            **fields,
        )
        return case

    # ----- guards -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status not in ENDED

    def _require(self, step: str, allowed: tuple[str, ...], needs: str) -> None:
        if self.status not in allowed:
            raise StepOutOfOrder(self.ref, step, self.status, needs)

    def _require_open(self, step: str) -> None:
        if not self.is_open:
            raise StepOutOfOrder(
                self.ref, step, self.status, "the case is no longer open"
            )

    def _decided(self) -> StandingDecision:
        if self.decision is None:  # the status guards make this unreachable
            raise RuntimeError(
                f"{self.ref}: no standing decision in status {self.status}"
            )
        return self.decision

    def _outcome_sent_on(self) -> date:
        if self.outcome_sent_on is None:  # the status guards make this unreachable
            raise RuntimeError(f"{self.ref}: no outcome sent in status {self.status}")
        return self.outcome_sent_on

    def _reviewed_on(self) -> date:
        """The day the latest review meeting was held: what a due date follows."""
        held = [m.held_on for m in self.meetings if m.held_on is not None]
        return max(held) if held else self._decided().decided_on

    @property
    def victim_id(self) -> str:
        """Whose personal data free text about the case is filed under."""
        return (self.victim or self.applicant).id

    # ----- acknowledgement and complaints ---------------------------------------------------

    def acknowledge(self, on: date, *, at: datetime, by: str) -> None:
        self._require(
            "acknowledge",
            ("received",),
            "only a newly received application is acknowledged",
        )
        _not_before("on", on, "the application was received", self.received_on)
        self.trigger_event(
            self.ApplicationAcknowledged,
            timestamp=at,
            acknowledged_on=on,
            recorded_by=by,
        )

    def next_complaint_id(self) -> str:
        return f"C{len(self.complaints) + 1}"

    def record_complaint(
        self,
        *,
        agency: str,
        incident_on: date,
        reported_on: date,
        complainant: Person,
        agency_ref: str | None = None,
        incident: str | None = None,
        hate: bool = False,
        summary: Personal | None = None,
        at: datetime,
        by: str,
    ) -> str:
        """Record a complaint while the case is open: after a decision it is kept for the
        record only."""
        check_takes_complaints(self.ref, self.status)
        check_reported_after_incident(incident_on, reported_on)
        self._refuse_known_reference(agency, agency_ref)
        complaint_id = self.next_complaint_id()
        self.trigger_event(
            self.ComplaintRecorded,
            timestamp=at,
            complaint_id=complaint_id,
            agency=agency,
            agency_ref=agency_ref,
            incident=incident,
            incident_on=incident_on,
            reported_on=reported_on,
            complainant=complainant,
            hate=hate,
            summary=summary,
            recorded_by=by,
        )
        return complaint_id

    def _refuse_known_reference(
        self, agency: str, agency_ref: str | None, but: str | None = None
    ) -> None:
        identity = reference_identity(agency, agency_ref)
        existing = None if identity is None else self.agency_refs.get(identity)
        if existing is not None and existing != but:
            raise RuleViolation(
                f"{self.ref}: {agency} reference {agency_ref!r} is already recorded "
                f"as complaint {existing}"
            )

    def complaint(self, complaint_id: str) -> Complaint:
        found = self.complaints.get(complaint_id.upper())
        if found is None:
            raise ItemNotFound(
                self.ref, "complaint", complaint_id, list(self.complaints)
            )
        return found

    def correct_complaint(
        self,
        complaint_id: str,
        changes: dict[str, Any],
        reason: Personal,
        *,
        at: datetime,
        by: str,
    ) -> None:
        """A correction is a new event naming what it corrects; the old value stays in the log."""
        current = self.complaint(complaint_id)
        unknown = sorted(set(changes) - set(CORRECTABLE))
        if unknown:
            raise InvalidInput(
                f"cannot correct {', '.join(unknown)} (correctable: {', '.join(CORRECTABLE)})"
            )
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changed:
            raise InvalidInput(
                f"{self.ref} {current.id}: the correction changes nothing"
            )
        corrected = replace(current, **changed)
        self._refuse_known_reference(
            corrected.agency, corrected.agency_ref, but=current.id
        )
        _not_before(
            "reported_on",
            corrected.reported_on,
            "the incident",
            corrected.incident_on,
        )
        self.trigger_event(
            self.ComplaintCorrected,
            timestamp=at,
            complaint_id=current.id,
            fields=changed,
            reason=reason,
            recorded_by=by,
        )

    # ----- threshold ----------------------------------------------------------------------

    def decide_threshold(
        self,
        procedure: Procedure,
        decided_on: date,
        *,
        discretion_reason: Personal | None = None,
        discretion: str = "met",
        decided_by: str | None = None,
        at: datetime,
        by: str,
    ) -> Decision:
        """Decide, explain and record; the result is stored and never recomputed.

        With `discretion_reason`, the relevant bodies' s.104(5) decision (`discretion` "met"
        or "not-met") is recorded with its reasons. A case the procedure refers to a named
        role (a vulnerability route) is only decided with that role's recorded decision."""
        if self.decision is not None:
            raise DecisionAlreadyStands(self.ref, self.decision.decided_on)
        reopened = self.status == "appeal_decided" and self.reopened_at == "threshold"
        if not reopened:
            self._require(
                "decide the threshold",
                ("received", "acknowledged"),
                "the threshold is decided once, after the application is received",
            )
        _not_before("on", decided_on, "the application was received", self.received_on)
        decision = decide(
            self.complaints.values(),
            self.received_on,
            procedure,
            hate_application=self.hate,
            vulnerable=self.vulnerable,
            discretion=discretion if discretion_reason is not None else None,
        )
        if decision.referred_to and discretion_reason is None:
            raise DiscretionRequired(self.ref, procedure.area, decision.referred_to)
        self.trigger_event(
            self.ThresholdDecided,
            timestamp=at,
            decided_on=decided_on,
            met=decision.met,
            basis=decision.basis,
            route=decision.route,
            policy=decision.policy,
            qualifying=list(decision.qualifying),
            excluded=[{"id": e.id, "reason": e.reason} for e in decision.excluded],
            explanation=list(decision.explanation),
            nearest=decision.nearest,
            missing=decision.missing,
            discretion_reason=discretion_reason,
            decided_by=decided_by or by,
            recorded_by=by,
        )
        return decision

    # ----- review meeting -----------------------------------------------------------------

    def schedule_meeting(
        self,
        meeting_on: date,
        agencies: list[str],
        chair: str | None,
        *,
        at: datetime,
        by: str,
    ) -> None:
        """Schedule (or reschedule) the review meeting once the threshold is met."""
        reopened = self.status == "appeal_decided" and self.reopened_at == "review"
        if not reopened:
            self._require(
                "schedule a review meeting",
                ("threshold_met", "meeting_scheduled"),
                "a meeting is scheduled only after the threshold is met",
            )
        if not agencies:
            raise FieldError(
                "agencies", "name at least one agency invited to the review"
            )
        _not_before(
            "on", meeting_on, "the threshold decision", self._decided().decided_on
        )
        self.trigger_event(
            self.ReviewMeetingScheduled,
            timestamp=at,
            meeting_on=meeting_on,
            agencies=list(agencies),
            chair=chair,
            recorded_by=by,
        )

    def hold_meeting(
        self,
        held_on: date,
        attended: list[str],
        *,
        apologies: list[str] | None = None,
        victim_attended: bool = False,
        impact_statement: Personal | None = None,
        at: datetime,
        by: str,
    ) -> None:
        self._require(
            "record the meeting as held",
            ("meeting_scheduled",),
            "schedule the meeting first",
        )
        if not attended:
            raise FieldError("attended", "name at least one agency that attended")
        _not_before("on", held_on, "the threshold decision", self._decided().decided_on)
        invited = self.meetings[-1].agencies
        self.trigger_event(
            self.ReviewMeetingHeld,
            timestamp=at,
            held_on=held_on,
            attended=list(attended),
            apologies=list(apologies)
            if apologies is not None
            else [a for a in invited if a not in attended],
            victim_attended=victim_attended,
            impact_statement=impact_statement,
            recorded_by=by,
        )

    # ----- recommendations and the action plan --------------------------------------------

    def make_recommendation(
        self, agency: str, text: Personal, due_on: date | None, *, at: datetime, by: str
    ) -> str:
        self._require(
            "make a recommendation",
            ("reviewed",),
            "recommendations follow a held review meeting",
        )
        if due_on is not None:
            _not_before("due", due_on, "the review meeting", self._reviewed_on())
        recommendation_id = f"R{len(self.recommendations) + 1}"
        self.trigger_event(
            self.RecommendationMade,
            timestamp=at,
            recommendation_id=recommendation_id,
            agency=agency,
            text=text,
            due_on=due_on,
            recorded_by=by,
        )
        return recommendation_id

    def agree_action(
        self,
        recommendation_id: str,
        owner: str,
        text: Personal,
        due_on: date,
        *,
        at: datetime,
        by: str,
    ) -> str:
        self._require(
            "agree an action plan step",
            OPEN_ACTION_STATES,
            "action plans follow the review",
        )
        recommendation = self.recommendations.get(recommendation_id.upper())
        if recommendation is None:
            raise ItemNotFound(
                self.ref,
                "recommendation",
                recommendation_id,
                list(self.recommendations),
            )
        _not_before("due", due_on, "the review meeting", self._reviewed_on())
        action_id = f"A{len(self.actions) + 1}"
        self.trigger_event(
            self.ActionPlanStepAgreed,
            timestamp=at,
            action_id=action_id,
            recommendation_id=recommendation.id,
            owner=owner,
            text=text,
            due_on=due_on,
            recorded_by=by,
        )
        return action_id

    def complete_action(
        self,
        action_id: str,
        completed_on: date,
        note: Personal | None,
        *,
        at: datetime,
        by: str,
    ) -> None:
        self._require(
            "complete an action",
            OPEN_ACTION_STATES,
            "the case must be open and reviewed",
        )
        step = self.actions.get(action_id.upper())
        if step is None:
            raise ItemNotFound(self.ref, "action", action_id, list(self.actions))
        if step.completed_on is not None:
            raise RuleViolation(
                f"{self.ref}: action {step.id} was already completed on {step.completed_on.isoformat()}"
            )
        # An appeal reopened at the threshold clears the standing decision; the action plan
        # still dates from the decision that led to the review.
        _not_before(
            "on",
            completed_on,
            "the threshold decision",
            self.decisions[-1].decided_on,
        )
        self.trigger_event(
            self.ActionPlanStepCompleted,
            timestamp=at,
            action_id=step.id,
            completed_on=completed_on,
            note=note,
            recorded_by=by,
        )

    # ----- outcome, appeal, withdrawal, closure ---------------------------------------------

    def send_outcome(
        self, sent_on: date, letter: str, *, at: datetime, by: str
    ) -> None:
        self._require(
            "send the outcome",
            ("reviewed", "threshold_not_met"),
            "the outcome follows the review (or a decision that the threshold is not met)",
        )
        held_on = self.meetings[-1].held_on if self.status == "reviewed" else None
        earlier = held_on or self._decided().decided_on
        _not_before("on", sent_on, "the step it reports on", earlier)
        self.trigger_event(
            self.OutcomeCommunicated,
            timestamp=at,
            sent_on=sent_on,
            letter=letter,
            recorded_by=by,
        )

    def lodge_appeal(
        self,
        lodged_on: date,
        grounds: Personal,
        *,
        in_time: bool | None,
        window: str | None,
        at: datetime,
        by: str,
    ) -> None:
        """A late appeal is recorded as late for a person to accept or decline, never refused."""
        self._require(
            "lodge an appeal", ("outcome_sent",), "an appeal follows the outcome letter"
        )
        _not_before("on", lodged_on, "the outcome was sent", self._outcome_sent_on())
        self.trigger_event(
            self.AppealLodged,
            timestamp=at,
            lodged_on=lodged_on,
            grounds=grounds,
            in_time=in_time,
            window=window,
            recorded_by=by,
        )

    def decide_appeal(
        self,
        decided_on: date,
        *,
        upheld: bool,
        reasons: Personal,
        decided_by: str,
        reopens_at: str | None,
        at: datetime,
        by: str,
    ) -> None:
        """An upheld appeal reopens the case; the first decision stays in the log."""
        self._require("decide the appeal", ("appealed",), "lodge the appeal first")
        decision = self._decided()
        _not_before(
            "on", decided_on, "the appeal was lodged", self.appeals[-1].lodged_on
        )
        if not upheld:
            reopens_at = None
        elif reopens_at is None:
            reopens_at = "review" if decision.met else "threshold"
        elif reopens_at not in ("threshold", "review"):
            raise FieldError(
                "reopens_at",
                f"{reopens_at!r} is not a step (expected threshold or review)",
            )
        if reopens_at == "review" and not decision.met:
            raise RuleViolation(
                f"{self.ref}: the threshold was not met, so an upheld appeal reopens it at the "
                "threshold, not at the review"
            )
        self.trigger_event(
            self.AppealDecided,
            timestamp=at,
            decided_on=decided_on,
            upheld=upheld,
            reasons=reasons,
            decided_by=decided_by,
            reopens_at=reopens_at,
            recorded_by=by,
        )

    def withdraw(
        self, withdrawn_on: date, reason: Personal, *, at: datetime, by: str
    ) -> None:
        self._require_open("withdraw the application")
        _not_before(
            "on", withdrawn_on, "the application was received", self.received_on
        )
        self.trigger_event(
            self.ApplicationWithdrawn,
            timestamp=at,
            withdrawn_on=withdrawn_on,
            reason=reason,
            recorded_by=by,
        )

    def close(
        self, closed_on: date, reason: Personal | None, *, at: datetime, by: str
    ) -> None:
        self._require_open("close the case")
        if self.status == "appeal_decided" and self.reopened_at is not None:
            raise StepOutOfOrder(
                self.ref,
                "close the case",
                self.status,
                f"the upheld appeal reopened it at the {self.reopened_at}; complete that step first",
            )
        self._require(
            "close the case",
            ("outcome_sent", "appeal_decided"),
            "a case closes after the applicant has been sent the outcome",
        )
        _not_before("on", closed_on, "the outcome was sent", self._outcome_sent_on())
        self.trigger_event(
            self.CaseClosed,
            timestamp=at,
            closed_on=closed_on,
            reason=reason,
            recorded_by=by,
        )
