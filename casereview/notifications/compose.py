"""Letters rendered from the Jinja2 templates in `templates/`, one per recipient.

`Composer` implements the `LetterComposer` protocol of casereview.services.followup: after each case
command, `for_step` returns the letters the new step calls for, and they are saved in the same
transaction as the case. Each letter is rendered once, here, and stored with its template name,
`TEMPLATE_VERSION` and a hash of its content, so what someone was told can be shown years
later whatever the templates say by then. Change a template's wording: bump its version.

Letters to the applicant (ABCPA 2014 s.104(6): the applicant is told whether the threshold is
met, and then the outcome) go by email when the applicant gave one, and otherwise by post: the
letter is addressed to the postal address (or "by post" when none is recorded) and the outbox
hands it to the case team to print. Reminder and breach notices carry only the case reference
and dates, never anyone's name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from casereview.domain.case import Case
from casereview.domain.deadline import Deadline
from casereview.domain.letter import Letter
from casereview.domain.personal import Person, Personal
from casereview.errors import InvalidInput
from casereview.thresholds.calendar import Rule, WorkingDayCalendar, long_date
from casereview.thresholds.policy import Procedure, Timescale
from casereview.thresholds.rules import DISCRETION_REMINDER

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_VERSION = "2026-11-1"
TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        name: TEMPLATE_VERSION
        for name in (
            "acknowledgement",
            "threshold_decision",
            "meeting_invitation",
            "outcome",
            "appeal_decision",
            "deadline_reminder",
            "deadline_breach",
        )
    }
)
"""Each template's version, stored on every letter rendered from it."""

STEP_LETTERS: Mapping[str, str] = MappingProxyType(
    {
        "acknowledged": "acknowledgement",
        "threshold_decided": "threshold_decision",
        "outcome_sent": "outcome",
        "appeal_decided": "appeal_decision",
    }
)
"""The letter to the applicant that each step of the case calls for."""

STEP_PHRASES: Mapping[str, str] = MappingProxyType(
    {
        "received": "receipt of the application",
        "acknowledged": "the acknowledgement",
        "threshold_decided": "the threshold decision",
        "meeting_held": "the review meeting",
        "outcome_sent": "the outcome letter",
        "appeal_lodged": "the appeal",
        "appeal_decided": "the appeal decision",
    }
)
ACKNOWLEDGEMENT_FROM: Mapping[str, str] = MappingProxyType(
    {"received": "the day we received your application", "acknowledged": "this letter"}
)
SUBJECTS: Mapping[str, str] = MappingProxyType(
    {
        "acknowledgement": "{ref}: your ASB case review application",
        "threshold_decision": "{ref}: decision on your ASB case review application",
        "outcome": "{ref}: the outcome of your ASB case review",
        "appeal_decision": "{ref}: the decision on your appeal",
        "meeting_invitation": "{ref}: ASB case review meeting on {meeting_on}",
        "deadline_reminder": "{ref}: the {kind} step is due by {due_on}",
        "deadline_breach": "{ref}: the {kind} deadline was missed (due {due_on})",
    }
)
NOTICE_KINDS = ("reminder", "breach")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str

    @property
    def content_hash(self) -> str:
        data = "\x1e".join((self.subject, self.text, self.html)).encode("utf-8")
        return hashlib.sha256(data).hexdigest()


def _environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long"] = long_date
    return env


def _within(days: int, unit: str) -> str:
    return f"{days} working days" if unit == "working" else f"{days} days"


def _timescale(procedure: Procedure, until: str) -> Timescale | None:
    return next((t for t in procedure.timescales if t.until == until), None)


def _addressed(person: Person) -> tuple[str, str | None]:
    """Where a letter to this person goes: their email, else their postal address."""
    if person.email:
        return person.email, None
    return (person.address or "by post"), person.address


def _default_calendar(nation: str) -> WorkingDayCalendar:
    from casereview.adapters.holidays import calendar_for

    return calendar_for(nation)


class Composer:
    """Renders the letters of casereview; nothing required, so `Composer()` is enough."""

    def __init__(
        self,
        *,
        calendar_for: Callable[[str], WorkingDayCalendar] | None = None,
        template_dir: Path | None = None,
    ) -> None:
        self.calendar_for = calendar_for or _default_calendar
        self.env = _environment(template_dir or TEMPLATE_DIR)

    # ----- rendering --------------------------------------------------------------------

    def render(self, template: str, subject: str, **context: Any) -> Rendered:
        context = {"subject": subject, **context}
        text = self.env.get_template(f"{template}.txt").render(context)
        html = self.env.get_template(f"{template}.html").render(context)
        return Rendered(subject, text, html)

    def _queue(
        self,
        rendered: Rendered,
        *,
        ref: str,
        template: str,
        key: str,
        role: str,
        to: Personal,
        about: str,
        at: datetime,
        by: str,
    ) -> Letter:
        return Letter.queue(
            key=key,
            at=at,
            by=by,
            ref=ref,
            template=template,
            template_version=TEMPLATES[template],
            recipient_role=role,
            to=to,
            subject=rendered.subject,
            text=Personal(about, rendered.text),
            html=Personal(about, rendered.html),
            content_hash=rendered.content_hash,
        )

    # ----- letters to the applicant -------------------------------------------------------

    def for_step(
        self,
        case: Case,
        step: str,
        index: int,
        procedure: Procedure,
        *,
        at: datetime,
        by: str,
    ) -> list[Letter]:
        """The letter a step of the case calls for; keyed by the step's position."""
        template = STEP_LETTERS.get(step)
        if template is None:
            return []
        on = case.steps[index][1]
        context = self._case_context(case, procedure, on)
        context.update(getattr(self, f"_{template}")(case, procedure, on))
        rendered = self.render(
            template, SUBJECTS[template].format(ref=case.ref), **context
        )
        to, _ = _addressed(case.applicant)
        return [
            self._queue(
                rendered,
                ref=case.ref,
                template=template,
                key=str(index),
                role="applicant",
                to=Personal(case.applicant.id, to),
                about=case.victim_id,
                at=at,
                by=by,
            )
        ]

    def _case_context(
        self, case: Case, procedure: Procedure, on: date
    ) -> dict[str, Any]:
        _, postal = _addressed(case.applicant)
        victim = case.victim
        return {
            "ref": case.ref,
            "area": procedure.area,
            "letter_date": on,
            "applicant_name": case.applicant.display_name,
            "postal_address": postal,
            "by_post": not case.applicant.email,
            "victim_name": victim.display_name if victim is not None else None,
            "received_on": case.received_on,
            "case_team": procedure.contacts.get("case_team"),
            "sign_off": f"The {procedure.area} ASB Case Review team",
            "bodies": list(procedure.relevant_bodies),
            "appeal": self._appeal_route(case, procedure),
            "ombudsman": (
                "Public Services Ombudsman for Wales"
                if procedure.nation == "wales"
                else "Local Government and Social Care Ombudsman"
            ),
        }

    def _appeal_route(self, case: Case, procedure: Procedure) -> dict[str, Any] | None:
        """The area's appeal route (Sch. 4 para 3), with its last day once it is known."""
        appeal = procedure.appeal
        if appeal is None:
            return None
        last_day = None
        if appeal.from_ == "outcome_sent" and case.outcome_sent_on is not None:
            calendar = self.calendar_for(procedure.nation)
            rule = Rule(appeal.days, appeal.unit)
            last_day = calendar.due(case.outcome_sent_on, rule).due_on
        return {
            "body": appeal.body,
            "within": _within(appeal.days, appeal.unit),
            "from": STEP_PHRASES.get(appeal.from_, appeal.from_),
            "last_day": last_day,
        }

    def _acknowledgement(
        self, case: Case, procedure: Procedure, on: date
    ) -> dict[str, Any]:
        decide = _timescale(procedure, "threshold_decided")
        return {
            "decide_within": None
            if decide is None
            else _within(decide.days, decide.unit),
            "decide_from": None
            if decide is None
            else ACKNOWLEDGEMENT_FROM.get(decide.from_, decide.from_),
        }

    def _threshold_decision(
        self, case: Case, procedure: Procedure, on: date
    ) -> dict[str, Any]:
        decision = case.decision
        if decision is None:  # the step is only recorded with a decision
            raise RuntimeError(f"{case.ref}: threshold_decided without a decision")
        meet = _timescale(procedure, "meeting_held")
        return {
            "met": decision.met,
            "discretion": decision.basis == "discretion",
            # The reminder is addressed to the user of the CLI; the letter has its own note.
            "explanation": [
                line for line in decision.explanation if line != DISCRETION_REMINDER
            ],
            "meet_within": None if meet is None else _within(meet.days, meet.unit),
        }

    def _outcome(self, case: Case, procedure: Procedure, on: date) -> dict[str, Any]:
        decision = case.decision
        held = [m for m in case.meetings if m.held_on is not None]
        meeting = held[-1] if held else None
        return {
            "reviewed": decision is not None and decision.met and meeting is not None,
            "decided_on": decision.decided_on if decision is not None else None,
            "held_on": meeting.held_on if meeting is not None else None,
            "attended": list(meeting.attended) if meeting is not None else [],
            "recommendations": [
                {"agency": r.agency, "text": str(r.text), "due_on": r.due_on}
                for r in case.recommendations.values()
            ],
        }

    def _appeal_decision(
        self, case: Case, procedure: Procedure, on: date
    ) -> dict[str, Any]:
        appeal = case.appeals[-1]
        return {
            "upheld": bool(appeal.upheld),
            "reasons": str(appeal.reasons) if appeal.reasons is not None else "",
            "decided_by": appeal.decided_by or "The appeal body",
            "reopens_at": appeal.reopens_at,
        }

    # ----- letters to the agencies ----------------------------------------------------------

    def meeting_invitation(
        self, case: Case, procedure: Procedure, *, at: datetime, by: str
    ) -> list[Letter]:
        """The invitation for the agencies, sent to the case team to pass on.

        Call it after `case.schedule_meeting(...)` and save the letters with the case: the key
        is the case version of that event, so a reschedule gets a new invitation and a retried
        save the same one. It holds no free text about the victim.
        """
        address = procedure.contacts.get("case_team")
        if not address or not case.meetings:
            return []
        meeting = case.meetings[-1]
        subject = SUBJECTS["meeting_invitation"].format(
            ref=case.ref, meeting_on=long_date(meeting.meeting_on)
        )
        rendered = self.render(
            "meeting_invitation",
            subject,
            ref=case.ref,
            area=procedure.area,
            meeting_on=meeting.meeting_on,
            agencies=list(meeting.agencies),
            chair=meeting.chair,
            decided_on=case.decision.decided_on if case.decision else None,
            case_team=address,
            sign_off=f"The {procedure.area} ASB Case Review team",
        )
        return [
            self._queue(
                rendered,
                ref=case.ref,
                template="meeting_invitation",
                key=f"meeting-v{case.version}",
                role="case_team",
                to=Personal("contact:case_team", address),
                about=case.victim_id,
                at=at,
                by=by,
            )
        ]

    def for_deadline(
        self,
        deadline: Deadline,
        procedure: Procedure,
        kind: str,
        *,
        at: datetime,
        by: str,
    ) -> list[Letter]:
        """A reminder or breach notice to each role the deadline names that has an address.

        Breach notices also go to the PCC office when the area names one. The notices carry
        the reference and the dates only: no names, no free text.
        """
        if kind not in NOTICE_KINDS:
            raise InvalidInput(f"notice kind {kind!r}: expected reminder or breach")
        roles = list(deadline.notify)
        if kind == "breach":
            roles.append("pcc_office")
        recipients = {
            role: procedure.contacts[role]
            for role in dict.fromkeys(roles)
            if procedure.contacts.get(role)
        }
        if not recipients:
            return []
        template = f"deadline_{kind}"
        subject = SUBJECTS[template].format(
            ref=deadline.ref, kind=deadline.kind, due_on=long_date(deadline.due_on)
        )
        rendered = self.render(
            template,
            subject,
            ref=deadline.ref,
            area=procedure.area,
            kind=deadline.kind,
            rule=deadline.rule,
            start_on=deadline.start_on,
            due_on=deadline.due_on,
            from_step=STEP_PHRASES.get(deadline.from_step, deadline.from_step),
            until_step=STEP_PHRASES.get(deadline.until_step, deadline.until_step),
            explanation=list(deadline.explanation),
            calendar=deadline.calendar,
            detected_on=deadline.breached_on or at.date(),
        )
        # The key names the deadline: one case has several, each told once of each kind.
        key = f"{kind}:{deadline.id.hex}"
        return [
            self._queue(
                rendered,
                ref=deadline.ref,
                template=template,
                key=key,
                role=role,
                to=Personal(f"contact:{role}", address),
                about=f"deadline:{deadline.ref}",
                at=at,
                by=by,
            )
            for role, address in recipients.items()
        ]
