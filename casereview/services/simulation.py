"""What-if: every past application of an area decided again under a proposed procedure.

Reads the cases from the event log (not the read model's summary) and writes nothing. Each case
is compared as it stands: its recorded decision if it has one (a discretionary "met" is a human
decision and stands under any procedure), otherwise what the procedure in force would decide now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from casereview.domain.case import Case
from casereview.errors import RuleViolation
from casereview.services.cases import CaseService
from casereview.thresholds.policy import Procedure
from casereview.thresholds.rules import decide


@dataclass(frozen=True)
class Flip:
    ref: str
    received_on: date
    was_met: bool
    now_met: bool
    was: str
    now: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "received_on": self.received_on.isoformat(),
            "was_met": self.was_met,
            "now_met": self.now_met,
            "was": self.was,
            "now": self.now,
        }


@dataclass(frozen=True)
class Simulation:
    area: str
    proposed: str
    cases: int
    unchanged: int
    flips: tuple[Flip, ...]

    @property
    def to_met(self) -> list[Flip]:
        return [f for f in self.flips if f.now_met]

    @property
    def to_not_met(self) -> list[Flip]:
        return [f for f in self.flips if not f.now_met]

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "proposed": self.proposed,
            "cases": self.cases,
            "unchanged": self.unchanged,
            "not_met_to_met": len(self.to_met),
            "met_to_not_met": len(self.to_not_met),
            "flips": [f.to_json() for f in self.flips],
        }


def area_cases(service: CaseService, area: str) -> Iterator[Case]:
    """Every case of the area, found by reading ApplicationReceived events from the log."""
    app = service.app
    topic = Case.ApplicationReceived.TOPIC
    last = 0
    while True:
        batch = app.recorder.select_notifications(
            start=last + 1, limit=500, topics=[topic]
        )
        if not batch:
            return
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, Case.ApplicationReceived) and event.area == area:
                yield app.get_case(event.ref)
        last = batch[-1].id


def verdict_line(explanation: tuple[str, ...]) -> str:
    """The sentence of an explanation that says met or not met, and by which test."""
    return next(
        (line for line in reversed(explanation) if line.startswith(("Met", "Not met"))),
        "",
    )


def simulate(
    service: CaseService,
    area: str,
    proposed: Procedure,
    received_from: date | None = None,
    received_to: date | None = None,
) -> Simulation:
    flips = []
    cases = 0
    for case in area_cases(service, area):
        if received_from and case.received_on < received_from:
            continue
        if received_to and case.received_on > received_to:
            continue
        cases += 1
        recorded = case.decision or (case.decisions[-1] if case.decisions else None)
        # A recorded discretionary decision is a human decision: it stands under any
        # procedure, except that no discretion can refuse a review the proposal's tests require.
        discretion = None
        if recorded is not None and recorded.discretion_reason is not None:
            discretion = "met" if recorded.met else "not-met"
        if recorded is not None:
            was_met, was = recorded.met, verdict_line(recorded.explanation)
        else:
            current = decide(
                case.complaints.values(),
                case.received_on,
                service.procedure_for(case),
                hate_application=case.hate,
                vulnerable=case.vulnerable,
            )
            was_met, was = (
                current.met,
                f"(undecided) {verdict_line(current.explanation)}",
            )
        try:
            new = decide(
                case.complaints.values(),
                case.received_on,
                proposed,
                hate_application=case.hate,
                vulnerable=case.vulnerable,
                discretion=discretion,
            )
        except (
            RuleViolation
        ):  # "not-met" by discretion, but the proposal's tests are met
            new = decide(
                case.complaints.values(),
                case.received_on,
                proposed,
                hate_application=case.hate,
                vulnerable=case.vulnerable,
            )
        if new.met != was_met:
            flips.append(
                Flip(
                    case.ref,
                    case.received_on,
                    was_met,
                    new.met,
                    was,
                    verdict_line(new.explanation),
                )
            )
    return Simulation(area, proposed.version, cases, cases - len(flips), tuple(flips))
