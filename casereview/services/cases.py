"""The lifecycle commands (the writes): every input rule, then one change to one case saved with
its deadlines and letters, then the read models brought up to date.

Every entry point records a step through here: the CLI, the demo, the scheduler, the tests, and
the web console and API to come. Rules that need today's date or the area's procedure live
here; rules of the lifecycle live in the Case aggregate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from casereview.adapters.eventstore import CaseReviews, new_person_id, normalise_ref
from casereview.adapters.holidays import calendar_for
from casereview.domain.case import Case
from casereview.domain.dates import check_ahead, check_past
from casereview.domain.identity import RecordedOnAnotherCase, identity_key
from casereview.domain.personal import Person, Personal
from casereview.domain.text import check_optional, check_text
from casereview.errors import FieldError, InvalidInput
from casereview.services.followup import FollowUp, LetterComposer
from casereview.services.read_models import ReadModels
from casereview.thresholds.calendar import Rule, WorkingDayCalendar
from casereview.thresholds.policy import Procedure
from casereview.thresholds.rules import Decision

UK = ZoneInfo("Europe/London")


class Policies(Protocol):
    def in_force(self, slug: str, on: date) -> Procedure: ...

    def areas(self) -> list[str]: ...


class CaseService:
    """What the CLI, the demo and the tests call; the clock and policies are injected."""

    def __init__(
        self,
        app: CaseReviews,
        policies: Policies,
        *,
        composer: LetterComposer | None = None,
        overrides: Mapping[str, Mapping[date, str]] | None = None,
        read_models: ReadModels | None = None,
    ) -> None:
        self.app = app
        self.policies = policies
        self.overrides = overrides or {}
        self.read_models = read_models
        self.keeper = FollowUp(
            app.repository, self.procedure_for, self.calendar, composer
        )

    @property
    def composer(self) -> LetterComposer | None:
        return self.keeper.composer

    def calendar(self, nation: str) -> WorkingDayCalendar:
        """The nation's bank holidays, plus any announced after the pinned `holidays` release."""
        return calendar_for(nation, self.overrides.get(nation) or None)

    def follow_up(self, by: str) -> Callable[[Case, int], list[Aggregate]]:
        return lambda case, since: self.keeper(case, since, at=self.app.clock(), by=by)

    def today(self) -> date:
        """Business dates are UK dates, whatever the server's zone."""
        return self.app.clock().astimezone(UK).date()

    def not_future(self, field: str, day: date | None) -> None:
        """A date something happened on: not before 2000, not after today."""
        check_past(field, day, self.today())

    def not_far_ahead(self, field: str, day: date | None) -> None:
        """A date that may lie ahead (a meeting, a due date), but not years on."""
        check_ahead(field, day, self.today())

    def _do(self, ref: str, by: str, step: Callable[[Case, datetime], Any]) -> Any:
        result = self.app.change(
            ref, lambda case: step(case, self.app.clock()), self.follow_up(by)
        )
        self._written()
        return result

    def _written(self) -> None:
        """The event is committed: bring the read models up to date (never a failure)."""
        if self.read_models is not None:
            self.read_models.after_write()

    def area_slug(self, area: str) -> str:
        slug = area.strip().lower()
        # in_force raises UnknownArea naming the known areas; the date is checked later.
        self.policies.in_force(slug, date.max)
        return slug

    # ----- receipt and complaints ---------------------------------------------------------

    def receive(self, *, area: str, received_on: date, by: str, **details: Any) -> str:
        check_text("user", by)
        # Naming the victim is applying on their behalf, whatever kind was left as default.
        if details.get("on_behalf_of") and details.get("kind", "victim") == "victim":
            details["kind"] = "on-behalf"
        self.not_future("received_on", received_on)
        self.not_future("consent_on", details.get("consent_on"))
        check_text("applicant", details.get("applicant_name") or "")
        for name in ("on_behalf_of", "email", "address", "summary"):
            check_optional(name, details.get(name))
        if "channel" in details:
            check_text("channel", details["channel"])
        slug = self.area_slug(area)
        # A procedure must be in force on the day received: it decides the threshold.
        self.policies.in_force(slug, received_on)
        ref = self.app.receive_application(
            area=slug,
            received_on=received_on,
            follow_up=self.follow_up(by),
            by=by,
            **details,
        )
        self._written()
        return ref

    def acknowledge(self, ref: str, on: date | None = None, *, by: str) -> date:
        """Acknowledge on `on` (today by default); the date recorded."""
        check_text("user", by)
        on = on or self.today()
        self.not_future("on", on)
        self._do(ref, by, lambda c, at: c.acknowledge(on, at=at, by=by))
        return on

    def add_complaint(
        self,
        ref: str,
        *,
        agency: str,
        incident_on: date,
        reported_on: date,
        complainant: str | None = None,
        agency_ref: str | None = None,
        incident: str | None = None,
        hate: bool = False,
        summary: str | None = None,
        by: str,
    ) -> str:
        check_text("user", by)
        self.not_future("incident_on", incident_on)
        self.not_future("reported_on", reported_on)
        check_text("agency", agency)
        check_optional("complainant", complainant)
        check_optional("agency_ref", agency_ref)
        check_optional("incident", incident)
        check_optional("summary", summary)

        if agency_ref:
            self.refuse_recorded_elsewhere(ref, agency, agency_ref)

        def step(case: Case, at: datetime) -> str:
            person = self.person_named(case, complainant)
            return case.record_complaint(
                agency=agency,
                incident_on=incident_on,
                reported_on=reported_on,
                complainant=person,
                agency_ref=agency_ref or None,
                incident=incident or None,
                hate=hate,
                # Free text about the case is filed under the victim, as every other free
                # text is (Case.victim_id) and as the import files it.
                summary=Personal(case.victim_id, summary) if summary else None,
                at=at,
                by=by,
            )

        result: str = self._do(ref, by, step)
        return result

    def refuse_recorded_elsewhere(self, ref: str, agency: str, agency_ref: str) -> None:
        """RecordedOnAnotherCase if the read models (caught up first) hold this agency
        reference on a case other than `ref` (on `ref` itself the case refuses it, naming the
        complaint). Two writers recording one reference on two cases at the same moment can
        both pass: the read model then lists it under both (see the bulk import's pipeline)."""
        if self.read_models is None:
            return
        ref = normalise_ref(ref)
        key = identity_key(agency, agency_ref)
        holders = self.read_models.for_reading().recorded_under([key]).get(key, [])
        if any(holder == ref for holder, _ in holders):
            return
        for other, complaint_id in holders:
            raise RecordedOnAnotherCase(ref, agency, agency_ref, other, complaint_id)

    @staticmethod
    def person_named(case: Case, name: str | None) -> Person:
        """The applicant by default; a name already on the case is the same person."""
        if not name:
            return case.applicant
        known = {p.name.casefold(): p for p in case.people.values() if p.name}
        return known.get(name.strip().casefold(), Person(new_person_id(), name.strip()))

    def correct_complaint(
        self,
        ref: str,
        complaint_id: str,
        changes: dict[str, Any],
        reason: str,
        *,
        by: str,
    ) -> list[str]:
        """Correct the complaint's fields given (None: not given); the fields corrected."""
        check_text("user", by)
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            raise InvalidInput(
                "name at least one field to correct (incident_on, reported_on, agency, "
                "agency_ref)"
            )
        check_text("reason", reason)
        for key in ("incident_on", "reported_on"):
            self.not_future(key, changes.get(key))
        for key in ("agency", "agency_ref", "incident"):
            if isinstance(changes.get(key), str):
                check_text(key, changes[key], required=key == "agency")
        self._do(
            ref,
            by,
            lambda c, at: c.correct_complaint(
                complaint_id, changes, Personal(c.victim_id, reason), at=at, by=by
            ),
        )
        return sorted(changes)

    # ----- threshold ------------------------------------------------------------------------

    def procedure_for(self, case: Case) -> Procedure:
        """The procedure in force on the day the application was received."""
        return self.policies.in_force(case.area, case.received_on)

    def decide_threshold(
        self,
        ref: str,
        on: date | None = None,
        *,
        discretion_reason: str | None = None,
        discretion: str | None = None,
        by: str,
    ) -> Decision:
        """Decide on `on` (today by default). A discretionary decision (s.104(5)) says
        `discretion` "met" or "not-met" and is recorded with the relevant bodies' reasons."""
        check_text("user", by)
        on = on or self.today()
        self.not_future("on", on)
        if discretion is not None:
            if discretion not in ("met", "not-met"):
                raise FieldError(
                    "discretion", f"{discretion!r}: expected met or not-met"
                )
            if discretion_reason is None:
                raise FieldError(
                    "reason",
                    f"a discretionary decision ({discretion}) is recorded with the "
                    "relevant bodies' reasons",
                )
        elif discretion_reason is not None:
            raise FieldError(
                "discretion",
                "reasons are recorded with a discretionary decision: say met or not-met",
            )
        check_optional("reason", discretion_reason)
        chosen = discretion or "met"

        def step(case: Case, at: datetime) -> Decision:
            return case.decide_threshold(
                self.procedure_for(case),
                on,
                discretion_reason=Personal(case.victim_id, discretion_reason)
                if discretion_reason
                else None,
                discretion=chosen,
                at=at,
                by=by,
            )

        result: Decision = self._do(ref, by, step)
        return result

    # ----- review ----------------------------------------------------------------------------

    def schedule_meeting(
        self,
        ref: str,
        on: date,
        agencies: list[str],
        chair: str | None = None,
        *,
        by: str,
    ) -> None:
        check_text("user", by)
        # The meeting date may be ahead: it is when the panel will sit.
        self.not_far_ahead("on", on)
        for agency in agencies:
            check_text("agencies", agency)
        check_optional("chair", chair)

        def follow_up(case: Case, since: int) -> list[Aggregate]:
            extra = self.keeper(case, since, at=self.app.clock(), by=by)
            if self.composer is not None:
                extra += self.composer.meeting_invitation(
                    case, self.procedure_for(case), at=self.app.clock(), by=by
                )
            return extra

        self.app.change(
            ref,
            lambda c: c.schedule_meeting(
                on, agencies, chair, at=self.app.clock(), by=by
            ),
            follow_up,
        )
        self._written()

    def hold_meeting(
        self,
        ref: str,
        on: date,
        attended: list[str],
        *,
        victim_attended: bool = False,
        impact_statement: str | None = None,
        by: str,
    ) -> None:
        check_text("user", by)
        self.not_future("on", on)
        for agency in attended:
            check_text("attended", agency)
        check_optional("impact_statement", impact_statement)
        self._do(
            ref,
            by,
            lambda c, at: c.hold_meeting(
                on,
                attended,
                victim_attended=victim_attended,
                impact_statement=Personal(c.victim_id, impact_statement)
                if impact_statement
                else None,
                at=at,
                by=by,
            ),
        )

    def add_recommendation(
        self, ref: str, agency: str, text: str, due_on: date | None = None, *, by: str
    ) -> str:
        check_text("user", by)
        check_text("agency", agency)
        check_text("text", text)
        self.not_far_ahead("due", due_on)
        result: str = self._do(
            ref,
            by,
            lambda c, at: c.make_recommendation(
                agency, Personal(c.victim_id, text), due_on, at=at, by=by
            ),
        )
        return result

    def agree_action(
        self,
        ref: str,
        recommendation: str,
        owner: str,
        text: str,
        due_on: date,
        *,
        by: str,
    ) -> str:
        check_text("user", by)
        check_text("owner", owner)
        check_text("text", text)
        self.not_far_ahead("due", due_on)
        result: str = self._do(
            ref,
            by,
            lambda c, at: c.agree_action(
                recommendation, owner, Personal(c.victim_id, text), due_on, at=at, by=by
            ),
        )
        return result

    def complete_action(
        self, ref: str, action_id: str, on: date, note: str | None = None, *, by: str
    ) -> None:
        check_text("user", by)
        self.not_future("on", on)
        check_optional("note", note)
        self._do(
            ref,
            by,
            lambda c, at: c.complete_action(
                action_id,
                on,
                Personal(c.victim_id, note) if note else None,
                at=at,
                by=by,
            ),
        )

    def send_outcome(self, ref: str, on: date, *, by: str) -> None:
        check_text("user", by)
        self.not_future("on", on)

        def step(case: Case, at: datetime) -> None:
            met = case.decision is not None and case.decision.met
            letter = "outcome/review" if met else "outcome/threshold-not-met"
            case.send_outcome(on, letter, at=at, by=by)

        self._do(ref, by, step)

    # ----- appeal, withdrawal, closure --------------------------------------------------------

    def appeal_window(self, case: Case) -> tuple[str | None, date | None]:
        """The area's appeal window from the outcome letter, and its last day."""
        procedure = self.procedure_for(case)
        appeal = procedure.appeal
        if appeal is None or case.outcome_sent_on is None:
            return None, None
        due = self.calendar(procedure.nation).due(
            case.outcome_sent_on, Rule(appeal.days, appeal.unit)
        )
        window = (
            f"{appeal.rule} from the outcome letter, to {appeal.body} (by {due.due_on})"
        )
        return window, due.due_on

    def lodge_appeal(self, ref: str, on: date, grounds: str, *, by: str) -> bool | None:
        check_text("user", by)
        self.not_future("on", on)
        check_text("grounds", grounds)

        def step(case: Case, at: datetime) -> bool | None:
            window, due_on = self.appeal_window(case)
            in_time = None if due_on is None else on <= due_on
            case.lodge_appeal(
                on,
                Personal(case.victim_id, grounds),
                in_time=in_time,
                window=window,
                at=at,
                by=by,
            )
            return in_time

        result: bool | None = self._do(ref, by, step)
        return result

    def decide_appeal(
        self,
        ref: str,
        on: date,
        *,
        upheld: bool,
        reasons: str,
        reopens_at: str | None = None,
        decided_by: str | None = None,
        by: str,
    ) -> str | None:
        """Record the appeal body's decision; where an upheld appeal reopens the case
        (`threshold` or `review`), or None."""
        check_text("user", by)
        self.not_future("on", on)
        check_text("reasons", reasons)
        check_optional("decided_by", decided_by)

        def step(case: Case, at: datetime) -> str | None:
            body = self.procedure_for(case).appeal
            case.decide_appeal(
                on,
                upheld=upheld,
                reasons=Personal(case.victim_id, reasons),
                decided_by=decided_by or (body.body if body else by),
                reopens_at=reopens_at,
                at=at,
                by=by,
            )
            return case.reopened_at

        reopened: str | None = self._do(ref, by, step)
        return reopened

    def withdraw(self, ref: str, on: date, reason: str, *, by: str) -> None:
        check_text("user", by)
        self.not_future("on", on)
        check_text("reason", reason)
        self._do(
            ref,
            by,
            lambda c, at: c.withdraw(on, Personal(c.victim_id, reason), at=at, by=by),
        )

    def close(self, ref: str, on: date, reason: str | None = None, *, by: str) -> None:
        check_text("user", by)
        self.not_future("on", on)
        check_optional("reason", reason)
        self._do(
            ref,
            by,
            lambda c, at: c.close(
                on, Personal(c.victim_id, reason) if reason else None, at=at, by=by
            ),
        )
