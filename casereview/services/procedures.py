"""Local procedures and the calendar as people ask about them: the areas, one area's procedure
on a date, checking files, simulating a draft, and working-day arithmetic explained.

`calendar_due` counts on the same calendars as the deadlines (the nation's bank holidays plus
the overrides beside the policies), so both always give the same date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from casereview.adapters.policy_files import load_policy_file
from casereview.errors import CaseReviewError, FieldError
from casereview.services.cases import CaseService
from casereview.services.simulation import Simulation, simulate
from casereview.thresholds.calendar import Due, Rule
from casereview.thresholds.policy import PolicyError, Procedure, parse_procedure

AreaRow = dict[str, Any]
"""One entry of `policy list --json`."""


@dataclass(frozen=True)
class FileCheck:
    """One policy file checked: the procedure, or the error that refuses it."""

    path: Path
    procedure: Procedure | None
    error: CaseReviewError | None


class ProcedureService:
    """Reads the policy book the services were built with; writes nothing."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def areas(self) -> list[AreaRow]:
        """One row per area: the procedure in force today."""
        today = self.cases.today()
        rows = []
        for slug in self.cases.policies.areas():
            p = self.cases.policies.in_force(slug, today)
            rows.append(
                {
                    "slug": slug,
                    "area": p.area,
                    "nation": p.nation,
                    "effective_from": p.effective_from.isoformat(),
                    "threshold": p.threshold.complaints,
                    "routes": [r.kind for r in p.routes],
                }
            )
        return rows

    def in_force(self, area: str, on: date | None = None) -> Procedure:
        """The area's procedure in force on `on` (today by default)."""
        return self.cases.policies.in_force(
            self.cases.area_slug(area), on or self.cases.today()
        )

    @staticmethod
    def check_files(paths: list[Path]) -> list[FileCheck]:
        """Each file validated on its own (one bad file does not hide the others)."""
        checked = []
        for path in paths:
            try:
                checked.append(FileCheck(path, load_policy_file(path), None))
            except CaseReviewError as exc:
                checked.append(FileCheck(path, None, exc))
        return checked

    def simulate(
        self,
        area: str,
        proposed: Path,
        start: date | None = None,
        end: date | None = None,
    ) -> Simulation:
        """Every past application of the area decided again under the proposed file; a
        proposal stricter than the Act is refused (exit 3) before anything is simulated."""
        slug = self.cases.area_slug(area)
        try:
            data = proposed.read_bytes()
        except OSError as exc:
            raise PolicyError(f"{proposed}: cannot read: {exc.strerror}") from None
        procedure = parse_procedure(data, slug=slug, name=str(proposed))
        return simulate(self.cases, slug, procedure, start, end)

    def calendar_due(
        self,
        start: date,
        rule: str,
        *,
        area: str | None = None,
        division: str | None = None,
    ) -> Due:
        """When a timescale from `start` ends, on the calendar of the area's nation (or the
        division given; England by default), with the days skipped and why."""
        if area and division:
            raise FieldError("division", "give an area or a division, not both")
        if area:
            division = self.in_force(area, start).nation
        return self.cases.calendar(division or "england").due(start, Rule.parse(rule))
