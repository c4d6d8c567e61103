"""The published statistics of the ASB Case Review (ABCPA 2014 s.104), from the read models.

What is counted, and how (DOMAIN.md section 6):

* **Period.** `year=2025` means the financial year 2025/26: 1 April 2025 to 31 March 2026, both
  included. With `calendar_year=True` it means 1 January to 31 December 2025. Every case is
  placed in a period by its date of receipt (`received_on`), never by the date of a later step:
  a case received on 30 March 2026 and decided in April belongs wholly to 2025/26.
* **Applications:** cases received in the period, withdrawn ones included.
* **Threshold not met:** cases whose *standing* decision is "not met". The figures are what the
  read model says now: an upheld appeal that reopens a case at the threshold clears its decision
  (the first one stays in the log), so that case counts as undecided until it is decided again.
* **Reviews carried out:** cases whose threshold was met and whose review meeting was held.
* **Reviews with recommendations:** those reviews with at least one `RecommendationMade`.
* **Days to decision / to outcome:** calendar days from receipt to the standing decision, and to
  the outcome letter, over the cases that have one. The median is `statistics.median` (the mean
  of the two middle values when the count is even); the 90th percentile is the nearest-rank
  value: sort the n values and take the ceil(0.9 * n)-th (1-based), so it is always a value
  that occurred.
* **Timescales:** the deadlines of the period's cases, per timescale, by state (met, breached,
  open, cancelled); a step taken late is "breached".
* **Appeals:** cases with an appeal lodged, and those whose appeal was upheld (the read model
  keeps the latest appeal of a case).
* **Open recommendations past due** (as at `today`): recommendations of the period's cases with
  a due date before today whose agreed actions are not all completed, or that have no action.
* **By route:** met decisions by how they were met: `statutory` (the Act's test), `local_count`,
  the local routes `hate` and `community`, `vulnerability` (met by the relevant bodies'
  discretion on the vulnerability route) and `discretion` (any other discretionary "met").
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from casereview.adapters.csv_safe import safe_row
from casereview.domain.values import APPLICANT_KINDS
from casereview.projections.db import unavailable_as_error

if TYPE_CHECKING:
    from casereview.projections.runner import Projector

ROUTES = (
    "statutory",
    "local_count",
    "hate",
    "community",
    "vulnerability",
    "discretion",
)
DEADLINE_STATES = ("met", "breached", "open", "cancelled")
STEP_ORDER = ("acknowledge", "decide", "meet", "outcome", "appeal_decision")
ALL_AREAS = "all areas"
CSV_COLUMNS = (
    "area",
    "period_from",
    "period_to",
    "applications",
    "threshold_not_met",
    "reviews_carried_out",
    "reviews_with_recommendations",
    "withdrawn",
    "appeals_lodged",
    "appeals_upheld",
    "median_days_to_decision",
    "median_days_to_outcome",
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    basis: str  # "financial" | "calendar"

    @property
    def label(self) -> str:
        if self.basis == "calendar":
            return str(self.start.year)
        return f"{self.start.year}/{str(self.end.year)[-2:]}"

    def to_json(self) -> dict[str, str]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "basis": self.basis,
        }


def period_for(year: int, *, calendar_year: bool = False) -> Period:
    """Financial year YYYY = 1 April YYYY to 31 March YYYY+1; or the calendar year."""
    if calendar_year:
        return Period(date(year, 1, 1), date(year, 12, 31), "calendar")
    return Period(date(year, 4, 1), date(year + 1, 3, 31), "financial")


Number = int | float


@dataclass(frozen=True)
class Spread:
    """How many values, their median and nearest-rank 90th percentile (None when empty)."""

    count: int
    median: Number | None
    p90: int | None

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "median": self.median, "p90": self.p90}


def spread(values: Iterable[int]) -> Spread:
    ordered = sorted(values)
    if not ordered:
        return Spread(0, None, None)
    middle = statistics.median(ordered)
    median: Number = int(middle) if float(middle).is_integer() else float(middle)
    rank = math.ceil(0.9 * len(ordered))  # nearest-rank, 1-based
    return Spread(len(ordered), median, ordered[rank - 1])


@dataclass
class Figures:
    """Every figure for one set of cases (one area, or all areas)."""

    applications: int = 0
    threshold_not_met: int = 0
    reviews_carried_out: int = 0
    reviews_with_recommendations: int = 0
    threshold_met: int = 0
    awaiting_decision: int = 0
    withdrawn: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    by_applicant_kind: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)
    days_to_decision: Spread = field(default_factory=lambda: Spread(0, None, None))
    days_to_outcome: Spread = field(default_factory=lambda: Spread(0, None, None))
    timescales: dict[str, dict[str, int]] = field(default_factory=dict)
    appeals_lodged: int = 0
    appeals_upheld: int = 0
    recommendations_made: int = 0
    open_recommendations_past_due: int = 0


@dataclass
class Stats:
    area: str | None
    year: int
    period: Period
    today: date
    total: Figures
    areas: dict[str, Figures]
    """Per area slug (with --area: that one area), for the open-data rows."""

    # The four statutory figures, by the names of CONTRACT.md.
    @property
    def applications(self) -> int:
        return self.total.applications

    @property
    def threshold_not_met(self) -> int:
        return self.total.threshold_not_met

    @property
    def reviews_carried_out(self) -> int:
        return self.total.reviews_carried_out

    @property
    def reviews_with_recommendations(self) -> int:
        return self.total.reviews_with_recommendations

    def to_json(self) -> dict[str, Any]:
        f = self.total
        return {
            "area": self.area,
            "year": self.year,
            "applications": f.applications,
            "threshold_not_met": f.threshold_not_met,
            "reviews_carried_out": f.reviews_carried_out,
            "reviews_with_recommendations": f.reviews_with_recommendations,
            "period": self.period.to_json(),
            "today": self.today.isoformat(),
            "threshold_met": f.threshold_met,
            "awaiting_decision": f.awaiting_decision,
            "withdrawn": f.withdrawn,
            "by_route": dict(f.by_route),
            "by_applicant_kind": dict(f.by_applicant_kind),
            "by_agency": dict(f.by_agency),
            "days_to_decision": f.days_to_decision.to_json(),
            "days_to_outcome": f.days_to_outcome.to_json(),
            "timescales": {k: dict(v) for k, v in f.timescales.items()},
            "appeals": {"lodged": f.appeals_lodged, "upheld": f.appeals_upheld},
            "recommendations_made": f.recommendations_made,
            "open_recommendations_past_due": f.open_recommendations_past_due,
            "by_area": [self._row(a, fig) for a, fig in self.areas.items()],
        }

    def _row(self, area: str, f: Figures) -> dict[str, Any]:
        return {
            "area": area,
            "period_from": self.period.start.isoformat(),
            "period_to": self.period.end.isoformat(),
            "applications": f.applications,
            "threshold_not_met": f.threshold_not_met,
            "reviews_carried_out": f.reviews_carried_out,
            "reviews_with_recommendations": f.reviews_with_recommendations,
            "withdrawn": f.withdrawn,
            "appeals_lodged": f.appeals_lodged,
            "appeals_upheld": f.appeals_upheld,
            "median_days_to_decision": f.days_to_decision.median,
            "median_days_to_outcome": f.days_to_outcome.median,
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per area, then (for all areas) a total row named "all areas"."""
        rows = [self._row(a, fig) for a, fig in self.areas.items()]
        if self.area is None:
            rows.append(self._row(ALL_AREAS, self.total))
        return rows

    def to_csv(self) -> str:
        """The open-data shape a council publishes: a header row, then the rows above."""
        lines = [_csv_line(CSV_COLUMNS)]
        for row in self.csv_rows():
            lines.append(
                _csv_line("" if row[k] is None else row[k] for k in CSV_COLUMNS)
            )
        return "".join(lines)


def _csv_line(values: Iterable[Any]) -> str:
    """One CSV row ending in "\n", no cell of which a spreadsheet would run as a formula.

    Written with the csv module's own CRLF ending, which quotes any cell holding a CR or LF
    (with "\n" as the ending a lone CR would go unquoted and start a new row), then ended
    in "\n" as this file always was."""
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(values))
    return out.getvalue().removesuffix("\r\n") + "\n"


# ----- computing --------------------------------------------------------------------------


def compute_stats(
    projector: Projector,
    area: str | None,
    year: int,
    *,
    calendar_year: bool = False,
    today: date,
    areas: Sequence[str] = (),
) -> Stats:
    """The statistics of the cases received in the period, from the projector's tables as
    they stand (catch up first). `areas` names areas to list even with no application."""
    period = period_for(year, calendar_year=calendar_year)
    slug = None if area is None else area.strip().lower()
    projector.position()  # the tables exist
    t = projector.tables
    c = t.cases.c

    def scoped(query: Select[Any]) -> Select[Any]:
        query = query.where(c.received_on >= period.start, c.received_on <= period.end)
        return query if slug is None else query.where(c.area == slug)

    with unavailable_as_error(), projector.engine.connect() as conn:
        cases = [
            dict(r._mapping)
            for r in conn.execute(scoped(select(t.cases)).order_by(c.ref))
        ]
        complaints = list(
            conn.execute(
                scoped(
                    select(c.area, t.complaints.c.agency).join(
                        t.cases, t.cases.c.ref == t.complaints.c.ref
                    )
                )
            )
        )
        deadlines = list(
            conn.execute(
                scoped(
                    select(c.area, t.deadlines.c.kind, t.deadlines.c.state).join(
                        t.cases, t.cases.c.ref == t.deadlines.c.ref
                    )
                )
            )
        )
        r = t.recommendations.c
        recommendations = list(
            conn.execute(
                scoped(
                    select(c.area, r.ref, r.recommendation_id, r.due_on).join(
                        t.cases, t.cases.c.ref == r.ref
                    )
                )
            )
        )
        a = t.actions.c
        actions = list(
            conn.execute(
                scoped(
                    select(a.ref, a.recommendation_id, a.completed_on).join(
                        t.cases, t.cases.c.ref == a.ref
                    )
                )
            )
        )

    # Per recommendation: (agreed actions, completed actions).
    progress: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for ref, rec_id, completed_on in actions:
        counts = progress[(ref, rec_id)]
        counts[0] += 1
        counts[1] += completed_on is not None
    overdue = [
        (rec_area, ref, rec_id)
        for rec_area, ref, rec_id, due_on in recommendations
        if due_on is not None
        and due_on < today
        and (
            progress[(ref, rec_id)][0] == 0
            or progress[(ref, rec_id)][1] < progress[(ref, rec_id)][0]
        )
    ]

    def figures(keep: str | None) -> Figures:
        def mine(row_area: str) -> bool:
            return keep is None or row_area == keep

        return _figures(
            [row for row in cases if mine(row["area"])],
            [agency for row_area, agency in complaints if mine(row_area)],
            [(kind, state) for row_area, kind, state in deadlines if mine(row_area)],
            sum(1 for row in recommendations if mine(row[0])),
            sum(1 for row in overdue if mine(row[0])),
        )

    if slug is not None:
        names = [slug]
    else:
        names = sorted(
            {row["area"] for row in cases} | {n.strip().lower() for n in areas}
        )
    return Stats(
        area=slug,
        year=year,
        period=period,
        today=today,
        total=figures(slug),
        areas={name: figures(name) for name in names},
    )


def _figures(
    cases: list[dict[str, Any]],
    agencies: list[str],
    deadlines: list[tuple[str, str]],
    recommendations_made: int,
    overdue: int,
) -> Figures:
    met = [row for row in cases if row["threshold_met"] is True]
    reviewed = [row for row in met if row["reviewed_on"] is not None]
    routes = Counter(_route_of(row) for row in met)
    kinds = Counter(row["applicant_kind"] for row in cases)
    timescales: dict[str, dict[str, int]] = {}
    for kind, state in sorted(deadlines, key=lambda ks: _step_key(ks[0])):
        states = timescales.setdefault(kind, dict.fromkeys(DEADLINE_STATES, 0))
        states[state] = states.get(state, 0) + 1
    return Figures(
        applications=len(cases),
        threshold_not_met=sum(1 for row in cases if row["threshold_met"] is False),
        reviews_carried_out=len(reviewed),
        reviews_with_recommendations=sum(
            1 for row in reviewed if row["recommendations"] >= 1
        ),
        threshold_met=len(met),
        awaiting_decision=sum(
            1
            for row in cases
            if row["threshold_met"] is None and row["withdrawn_on"] is None
        ),
        withdrawn=sum(1 for row in cases if row["withdrawn_on"] is not None),
        by_route={name: routes.get(name, 0) for name in ROUTES},
        by_applicant_kind={
            **{kind: kinds.get(kind, 0) for kind in APPLICANT_KINDS},
            **{k: n for k, n in sorted(kinds.items()) if k not in APPLICANT_KINDS},
        },
        by_agency=dict(
            sorted(Counter(agencies).items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        days_to_decision=spread(
            (row["decided_on"] - row["received_on"]).days
            for row in cases
            if row["decided_on"] is not None
        ),
        days_to_outcome=spread(
            (row["outcome_sent_on"] - row["received_on"]).days
            for row in cases
            if row["outcome_sent_on"] is not None
        ),
        timescales=timescales,
        appeals_lodged=sum(1 for row in cases if row["appeal_lodged_on"] is not None),
        appeals_upheld=sum(1 for row in cases if row["appeal_upheld"] is True),
        recommendations_made=recommendations_made,
        open_recommendations_past_due=overdue,
    )


def _route_of(row: dict[str, Any]) -> str:
    if row["basis"] == "route" and row["route"]:
        return str(row["route"])
    if row["basis"] == "discretion" and row["route"] == "vulnerability":
        return "vulnerability"
    return str(row["basis"] or "discretion")


def _step_key(kind: str) -> tuple[int, str]:
    return (STEP_ORDER.index(kind) if kind in STEP_ORDER else len(STEP_ORDER), kind)
