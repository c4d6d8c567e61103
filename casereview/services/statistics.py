"""The published statistics (ABCPA 2014 s.104) and what scrutiny panels ask next, for an area
or all areas and a financial or calendar year; and the HTML report, pinned to the log by its
head hash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from casereview.adapters.ledger import log_head
from casereview.errors import FieldError
from casereview.reporting.figures import Stats, compute_stats
from casereview.reporting.html_report import render_html
from casereview.services.cases import CaseService
from casereview.services.read_models import ReadModels

# The years a statistic can be asked for (ASB case reviews began in October 2014).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class StatisticsService:
    """Counts from the read models; never any personal data."""

    def __init__(
        self,
        cases: CaseService,
        read_models: ReadModels,
        now: Callable[[], datetime],
    ) -> None:
        self.cases = cases
        self.read_models = read_models
        self.now = now

    def figures(
        self, *, area: str | None, year: int, calendar_year: bool = False
    ) -> Stats:
        """The figures of the applications received in the year (financial by default:
        `year` 2025 is 1 April 2025 to 31 March 2026)."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise FieldError(
                "year",
                f"{year} is not a year casereview counts "
                f"(expected {FIRST_YEAR} to {LAST_YEAR}, like 2025)",
            )
        slug = self.cases.area_slug(area) if area is not None else None
        projector = self.read_models.for_reading()
        return compute_stats(
            projector,
            slug,
            year,
            calendar_year=calendar_year,
            today=self.cases.today(),
            areas=() if slug else self.cases.policies.areas(),
        )

    def html(self, stats: Stats) -> str:
        """The self-contained HTML report of these figures, printing the log's head."""
        return render_html(
            stats, head_hash=log_head(self.cases.app), produced_at=self.now()
        )
