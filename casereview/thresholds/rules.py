"""The threshold for an ASB case review, decided and explained complaint by complaint.

ABCPA 2014 s.104(3)-(9) as read in DOMAIN.md section 2. The Act is the floor: a decision is met
when the Act's own test is met, or the local count, or a local route. A local procedure can only
add ways of meeting the threshold. Pure: the dates it needs are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from casereview.errors import FieldError, RuleViolation
from casereview.thresholds.periods import last_day_of_period, months_text
from casereview.thresholds.policy import (
    ACT_APPLY_WITHIN_MONTHS,
    ACT_COMPLAIN_WITHIN_MONTHS,
    ACT_MAX_COMPLAINTS,
    Procedure,
)

DISCRETION_REMINDER = (
    "The relevant bodies may still decide that the threshold is met, weighing the persistence "
    "of the behaviour, the harm or potential harm, and the adequacy of the response "
    "(ABCPA 2014 s.104(5)); that is recorded as a discretionary decision, with their reasons."
)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def natural_key(text: str) -> tuple[int | str, ...]:
    """Sort C2 before C10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Complaint(Protocol):
    """What the rules read of a complaint (the domain's `Complaint` value is one): its id,
    the body it was made to, the dates, who made it, the incident it reports, the hate flag."""

    @property
    def id(self) -> str: ...

    @property
    def agency(self) -> str: ...

    @property
    def incident_on(self) -> date: ...

    @property
    def reported_on(self) -> date: ...

    @property
    def complainant(self) -> str: ...

    @property
    def incident(self) -> str | None: ...

    @property
    def hate(self) -> bool: ...


@dataclass(frozen=True)
class Window:
    """How late a complaint may be made, and how old it may be when the application comes."""

    complain_within_months: int = ACT_COMPLAIN_WITHIN_MONTHS
    complain_within_days: int | None = None
    apply_within_months: int = ACT_APPLY_WITHIN_MONTHS

    def last_day_to_complain(self, incident_on: date) -> date:
        end = last_day_of_period(incident_on, self.complain_within_months)
        if self.complain_within_days is not None:
            # "Reported within 30 days" applies only where it admits more than the month.
            end = max(end, incident_on + timedelta(days=self.complain_within_days))
        return end

    def describe_complaint_window(self) -> str:
        text = months_text(self.complain_within_months)
        if self.complain_within_days is not None:
            text += f" or {self.complain_within_days} days, whichever is later"
        return text


ACT_WINDOW = Window()


def exclusion_reason(
    complaint: Complaint, applied_on: date, window: Window
) -> str | None:
    """Why this complaint does not count towards this application, or None if it counts."""
    if complaint.reported_on > applied_on:
        return (
            f"made after the application: reported on {long_date(complaint.reported_on)}, "
            f"application received on {long_date(applied_on)}"
        )
    last_to_complain = window.last_day_to_complain(complaint.incident_on)
    if complaint.reported_on > last_to_complain:
        lag = (complaint.reported_on - complaint.incident_on).days
        return (
            f"reported {plural(lag, 'day')} after the incident on "
            f"{long_date(complaint.incident_on)}; must be within "
            f"{window.describe_complaint_window()} (by {long_date(last_to_complain)})"
        )
    last_to_apply = last_day_of_period(
        complaint.reported_on, window.apply_within_months
    )
    if applied_on > last_to_apply:
        return (
            f"reported on {long_date(complaint.reported_on)}, more than "
            f"{months_text(window.apply_within_months)} before the application on "
            f"{long_date(applied_on)} (its window ended {long_date(last_to_apply)})"
        )
    return None


@dataclass(frozen=True)
class Excluded:
    id: str
    reason: str


@dataclass(frozen=True)
class Shortfall:
    """How far one test is from being met."""

    test: str
    have: int
    need: int
    unit: str
    # A route whose procedure is more generous counts complaints within its own window.
    window: Window | None = None

    @property
    def met(self) -> bool:
        return self.have >= self.need

    def describe(self) -> str:
        return f"{plural(self.have, self.unit)}; {self.need} needed"


@dataclass(frozen=True)
class Decision:
    """The outcome of the threshold test with everything needed to explain it later."""

    met: bool
    basis: str | None
    route: str | None
    qualifying: tuple[str, ...]
    excluded: tuple[Excluded, ...]
    explanation: tuple[str, ...]
    policy: dict[str, str]
    nearest: str | None = None
    missing: str | None = None
    # A route that sends the case to a named role for a recorded discretionary decision.
    referred_to: str | None = None


def policy_reference(procedure: Procedure) -> dict[str, str]:
    return {
        "area": procedure.slug,
        "name": procedure.area,
        "effective_from": procedure.effective_from.isoformat(),
        "sha256": procedure.file_hash,
    }


def decide(
    complaints: Iterable[Complaint],
    applied_on: date,
    procedure: Procedure,
    *,
    hate_application: bool = False,
    vulnerable: bool = False,
    discretion: str | None = None,
) -> Decision:
    """Apply the Act and the local procedure in force to the complaints on this application.

    `discretion` is the relevant bodies' recorded decision under s.104(5): "met" (the
    threshold is treated as met although no test is), or "not-met" (a referral, such as a
    vulnerability route's, decided against); neither can turn a test that is met into not met.
    """
    if discretion not in (None, "met", "not-met"):
        raise FieldError("discretion", f"{discretion!r} is not met or not-met")
    ordered = sorted(complaints, key=lambda c: natural_key(c.id))
    t = procedure.threshold
    local = Window(
        t.complain_within_months, t.complain_within_days, t.apply_within_months
    )
    reasons = {c.id: exclusion_reason(c, applied_on, local) for c in ordered}
    qualifying = [c for c in ordered if reasons[c.id] is None]
    act_count = sum(
        1 for c in ordered if exclusion_reason(c, applied_on, ACT_WINDOW) is None
    )
    tests = [
        Shortfall("statutory", act_count, ACT_MAX_COMPLAINTS, "qualifying complaint"),
        Shortfall("local_count", len(qualifying), t.complaints, "qualifying complaint"),
    ]
    tests.extend(
        _route_tests(
            ordered, applied_on, procedure, local, hate_application=hate_application
        )
    )
    met_test = next((s for s in tests if s.met), None)
    # A route that is met within its own wider window counts what it counted too.
    wider = [(s.test, s.window) for s in tests if s.met and s.window is not None]
    for _, window in wider:
        for c in ordered:
            if reasons[c.id] is not None and not exclusion_reason(
                c, applied_on, window
            ):
                reasons[c.id] = None
    qualifying = [c for c in ordered if reasons[c.id] is None]

    explanation = [
        f"Procedure: {procedure.area} ({procedure.version}); the Act's test "
        f"({ACT_MAX_COMPLAINTS} qualifying complaints) always applies as well."
    ]
    for c in ordered:
        reason = reasons[c.id]
        head = (
            f"{c.id} ({c.agency}, incident {long_date(c.incident_on)}, "
            f"reported {long_date(c.reported_on)})"
        )
        explanation.append(
            f"{head}: counted" if reason is None else f"{head}: not counted, {reason}"
        )
    for name, window in wider:
        explanation.append(
            f"Counted within {_test_name(name)}'s own window: reported within "
            f"{window.describe_complaint_window()}."
        )
    explanation.extend(_same_incident_notes(ordered))

    nearest = missing = referred_to = None
    if met_test is not None:
        if discretion == "not-met":
            raise RuleViolation(
                f"{_test_name(met_test.test)} is met, so the threshold is met: discretion "
                "under s.104(5) can only add a review, never refuse one the tests require"
            )
        met, basis = (
            True,
            met_test.test if met_test.test in ("statutory", "local_count") else "route",
        )
        route = None if basis != "route" else met_test.test
        explanation.append(_met_sentence(met_test, procedure))
    else:
        gap = min(tests, key=lambda s: (s.need - s.have, s.need))
        nearest, missing = _test_name(gap.test), gap.describe()
        explanation.append(f"Not met: the nearest test is {nearest}: {missing}.")
        met, basis, route = False, None, None
        vulnerability = procedure.route("vulnerability")
        if vulnerable and vulnerability is not None:
            referred_to = vulnerability.decided_by
            explanation.append(
                "The applicant is recorded as vulnerable: this procedure refers the case to "
                f"the {referred_to} for a recorded discretionary decision."
            )
        if discretion == "met":
            met, basis = True, "discretion"
            route = "vulnerability" if referred_to else None
            explanation.append(
                "Met by the relevant bodies' discretion (ABCPA 2014 s.104(5)); their reasons "
                "are recorded with this decision."
            )
        elif discretion == "not-met":
            explanation.append(
                f"The {referred_to or 'relevant bodies'} decided not to treat the threshold as "
                "met (ABCPA 2014 s.104(5)); their reasons are recorded with this decision."
            )
        else:
            explanation.append(DISCRETION_REMINDER)
    return Decision(
        met=met,
        basis=basis,
        route=route,
        qualifying=tuple(c.id for c in qualifying),
        excluded=tuple(
            Excluded(c.id, r) for c in ordered if (r := reasons[c.id]) is not None
        ),
        explanation=tuple(explanation),
        policy=policy_reference(procedure),
        nearest=nearest,
        missing=missing,
        referred_to=referred_to,
    )


def _route_tests(
    complaints: list[Complaint],
    applied_on: date,
    procedure: Procedure,
    local: Window,
    *,
    hate_application: bool,
) -> list[Shortfall]:
    tests = []
    for route in procedure.routes:
        window, own = local, None
        if route.complain_within_days is not None:
            window = own = Window(
                local.complain_within_months,
                max(route.complain_within_days, local.complain_within_days or 0),
                local.apply_within_months,
            )
        counted = [
            c for c in complaints if exclusion_reason(c, applied_on, window) is None
        ]
        if route.kind == "hate" and route.complaints is not None:
            hate = [c for c in counted if c.hate or hate_application]
            tests.append(
                Shortfall(
                    "hate", len(hate), route.complaints, "hate-motivated complaint", own
                )
            )
        elif route.kind == "community" and route.individuals is not None:
            people = {c.complainant for c in counted}
            tests.append(
                Shortfall(
                    "community",
                    len(people),
                    route.individuals,
                    "individual complainant",
                    own,
                )
            )
    return tests


def _test_name(test: str) -> str:
    return {
        "statutory": "the Act's threshold",
        "local_count": "the local threshold",
        "hate": "the hate incident route",
        "community": "the community route",
    }[test]


def _met_sentence(test: Shortfall, procedure: Procedure) -> str:
    if test.test == "statutory":
        return (
            f"Met: {plural(test.have, 'qualifying complaint')}; the Act's threshold is "
            f"{test.need} (ABCPA 2014 s.104)."
        )
    if test.test == "local_count":
        return (
            f"Met under {procedure.area}'s procedure: {plural(test.have, 'qualifying complaint')}; "
            f"its threshold is {test.need}."
        )
    return f"Met by {_test_name(test.test)} of {procedure.area}'s procedure: {test.describe()}."


def _same_incident_notes(complaints: list[Complaint]) -> list[str]:
    groups: dict[str, list[Complaint]] = {}
    for c in complaints:
        if c.incident:
            groups.setdefault(c.incident, []).append(c)
    notes = []
    for key, group in groups.items():
        if len(group) > 1:
            ids = ", ".join(c.id for c in group)
            agencies = sorted({c.agency for c in group})
            notes.append(
                f"{ids} report the same incident ({key!r}) to "
                f"{'different agencies' if len(agencies) > 1 else agencies[0]}; the Act counts "
                "complaints, not incidents, so each is assessed on its own."
            )
    return notes
