"""`casereview stats` on both stores: a year of cases with counts known by hand, and every
figure checked against them (JSON, CSV, the HTML report and the command)."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from casereview.adapters.store import parse_store_url
from casereview.projections.runner import Projector
from casereview.reporting.figures import compute_stats, period_for, spread
from casereview.reporting.html_report import render_html
from casereview.services.cases import CaseService

BY = "tester"
TODAY = date(2026, 11, 20)  # the FixedClock's day
POLICE, COUNCIL = "Essex Police", "Chelmsford City Council"


@pytest.fixture
def projector(service: CaseService, db_url: str) -> Iterator[Projector]:
    p = Projector(service.app, parse_store_url(db_url))
    p.create()
    yield p
    p.close()


def d(text: str) -> date:
    return date.fromisoformat(text)


def receive(
    s: CaseService, on: str, area: str = "chelmsford", **details: object
) -> str:
    return s.receive(
        area=area, received_on=d(on), applicant_name="Pat Example", by=BY, **details
    )


def complaints(
    s: CaseService, ref: str, received: str, agencies: list[str], hate: bool = False
) -> None:
    """Qualifying complaints: each reported the day after its incident, all in the month
    before the application."""
    start = d(received) - timedelta(days=28)
    for i, agency in enumerate(agencies):
        incident = start + timedelta(days=5 * i)
        s.add_complaint(
            ref,
            agency=agency,
            incident_on=incident,
            reported_on=incident + timedelta(days=1),
            hate=hate,
            by=BY,
        )


def review(s: CaseService, ref: str, held: str) -> None:
    s.schedule_meeting(ref, d(held), [POLICE, COUNCIL], by=BY)
    s.hold_meeting(ref, d(held), [POLICE, COUNCIL], by=BY)


def build_year(s: CaseService) -> dict[str, str]:
    """Chelmsford, financial year 2025/26, nine applications (A to I), plus one Gosport
    application in the year and two applications after it (J, L)."""
    refs: dict[str, str] = {}
    # A: met (the Act's test) in 10 days; reviewed; three recommendations; outcome in time
    # after 26 days; appeal upheld, reopened at the review.
    a = refs["A"] = receive(s, "2025-05-01")
    s.acknowledge(a, d("2025-05-02"), by=BY)  # due 4 May: met
    complaints(s, a, "2025-05-01", [POLICE, COUNCIL, POLICE])
    assert s.decide_threshold(a, d("2025-05-11"), by=BY).basis == "statutory"
    review(s, a, "2025-05-20")
    r1 = s.add_recommendation(a, COUNCIL, "Noise monitoring", d("2025-09-01"), by=BY)
    s.add_recommendation(a, POLICE, "Patrols", d("2026-12-31"), by=BY)  # not yet due
    r3 = s.add_recommendation(a, COUNCIL, "Mediation", d("2026-01-31"), by=BY)
    a1 = s.agree_action(a, r1, COUNCIL, "Fit recorder", d("2025-08-01"), by=BY)
    s.complete_action(a, a1, d("2025-07-30"), by=BY)  # R1: every action done
    done = s.agree_action(a, r3, COUNCIL, "Book mediator", d("2025-12-01"), by=BY)
    s.agree_action(a, r3, COUNCIL, "Hold mediation", d("2026-01-15"), by=BY)
    s.complete_action(a, done, d("2025-11-20"), by=BY)  # R3: one of two done
    s.send_outcome(a, d("2025-05-27"), by=BY)  # 10 working days from 20 May: 4 June
    s.lodge_appeal(a, d("2025-06-05"), "Grounds", by=BY)
    s.decide_appeal(
        a, d("2025-06-20"), upheld=True, reasons="Reasons", reopens_at="review", by=BY
    )
    # B: on behalf of a victim; acknowledged late; met in 20 days; reviewed; one
    # recommendation with no action; outcome late, after 53 days.
    b = refs["B"] = receive(
        s,
        "2025-06-02",
        kind="on-behalf",
        on_behalf_of="Sam Victim",
        consent_on=d("2025-06-01"),
    )
    s.acknowledge(b, d("2025-06-10"), by=BY)  # due 5 June: breached
    complaints(s, b, "2025-06-02", [POLICE, POLICE, POLICE])
    s.decide_threshold(b, d("2025-06-22"), by=BY)
    review(s, b, "2025-07-01")
    s.add_recommendation(b, POLICE, "Warning letters", d("2025-10-01"), by=BY)
    s.send_outcome(b, d("2025-07-25"), by=BY)  # due 15 July: breached
    # C: a community group; met in 5 days; reviewed, no recommendation; outcome after 25.
    c = refs["C"] = receive(s, "2025-07-01", kind="community")
    s.acknowledge(c, d("2025-07-02"), by=BY)
    complaints(s, c, "2025-07-01", [COUNCIL, COUNCIL, COUNCIL])
    s.decide_threshold(c, d("2025-07-06"), by=BY)
    review(s, c, "2025-07-20")
    s.send_outcome(c, d("2025-07-26"), by=BY)  # due 1 August: met
    # D: hate incident route, met in 14 days; the meeting not yet held.
    dd = refs["D"] = receive(s, "2025-08-01", hate=True)
    s.acknowledge(dd, d("2025-08-02"), by=BY)
    complaints(s, dd, "2025-08-01", [POLICE], hate=True)
    decision = s.decide_threshold(dd, d("2025-08-15"), by=BY)
    assert (decision.basis, decision.route) == ("route", "hate")
    # E: one complaint, met by discretion in 9 days.
    e = refs["E"] = receive(s, "2025-09-01")
    s.acknowledge(e, d("2025-09-02"), by=BY)
    complaints(s, e, "2025-09-01", [COUNCIL])
    decision = s.decide_threshold(
        e, d("2025-09-10"), discretion="met", discretion_reason="High harm", by=BY
    )
    assert (decision.met, decision.basis) == (True, "discretion")
    # F: not met in 7 days; outcome after 9; appeal lodged, not upheld.
    f = refs["F"] = receive(s, "2025-10-01")
    s.acknowledge(f, d("2025-10-02"), by=BY)
    complaints(s, f, "2025-10-01", [POLICE, COUNCIL])
    assert not s.decide_threshold(f, d("2025-10-08"), by=BY).met
    s.send_outcome(f, d("2025-10-10"), by=BY)
    s.lodge_appeal(f, d("2025-10-20"), "Grounds", by=BY)
    s.decide_appeal(f, d("2025-11-01"), upheld=False, reasons="Reasons", by=BY)
    # G: not met in 10 days, no outcome yet.
    g = refs["G"] = receive(s, "2025-11-03")
    s.acknowledge(g, d("2025-11-04"), by=BY)
    complaints(s, g, "2025-11-03", [POLICE])
    assert not s.decide_threshold(g, d("2025-11-13"), by=BY).met
    # H: withdrawn before acknowledgement (its deadline cancelled).
    h = refs["H"] = receive(s, "2025-12-01")
    s.withdraw(h, d("2025-12-02"), "Moved away", by=BY)
    # I: received on the last day of the year, not acknowledged, not decided.
    i = refs["I"] = receive(s, "2026-03-31")
    complaints(s, i, "2026-03-31", [COUNCIL])
    # M: Gosport, a business, in the year, undecided.
    refs["M"] = receive(s, "2025-05-15", area="gosport", kind="business")
    # Outside the year: J (the day after it, decided not met) and L (Gosport, withdrawn).
    j = refs["J"] = receive(s, "2026-04-01")
    complaints(s, j, "2026-04-01", [POLICE, POLICE])
    s.decide_threshold(j, d("2026-04-10"), by=BY)
    refs["L"] = receive(s, "2026-05-01", area="gosport")
    s.withdraw(refs["L"], d("2026-05-02"), "Resolved", by=BY)
    return refs


def nearest_rank(values: list[int], pct: int) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(pct / 100 * len(ordered)) - 1]


# Counted by hand from build_year.
DECISION_DAYS = [10, 20, 5, 14, 9, 7, 10]  # A B C D E F G
OUTCOME_DAYS = [26, 53, 25, 9]  # A B C F


def test_every_figure_is_what_a_person_counts_by_hand(
    service: CaseService, projector: Projector
) -> None:
    build_year(service)
    projector.catch_up()
    stats = compute_stats(projector, "Chelmsford", 2025, today=TODAY)
    got = stats.to_json()
    # The by-hand medians and percentiles, worked out again with the stdlib.
    assert statistics.median(DECISION_DAYS) == 10
    assert nearest_rank(DECISION_DAYS, 90) == 20
    assert statistics.median(OUTCOME_DAYS) == 25.5
    assert nearest_rank(OUTCOME_DAYS, 90) == 53
    by_area = got.pop("by_area")
    assert got == {
        "area": "chelmsford",
        "year": 2025,
        "applications": 9,  # A-I: H withdrawn, I on 31 March; not J (1 April)
        "threshold_not_met": 2,  # F, G
        "reviews_carried_out": 3,  # A, B, C
        "reviews_with_recommendations": 2,  # A, B
        "period": {"from": "2025-04-01", "to": "2026-03-31", "basis": "financial"},
        "today": "2026-11-20",
        "threshold_met": 5,  # A, B, C, D, E
        "awaiting_decision": 1,  # I (H is withdrawn)
        "withdrawn": 1,
        "by_route": {
            "statutory": 3,
            "local_count": 0,
            "hate": 1,
            "community": 0,
            "vulnerability": 0,
            "discretion": 1,
        },
        "by_applicant_kind": {
            "victim": 7,
            "on-behalf": 1,
            "community": 1,
            "business": 0,
        },
        "by_agency": {POLICE: 8, COUNCIL: 7},
        "days_to_decision": {"count": 7, "median": 10, "p90": 20},
        "days_to_outcome": {"count": 4, "median": 25.5, "p90": 53},
        "timescales": {
            # Acknowledge: A C D E F G in time, B late, H cancelled, I still open.
            "acknowledge": {"met": 6, "breached": 1, "open": 1, "cancelled": 1},
            # Outcome (10 working days from the meeting): A and C in time, B late.
            "outcome": {"met": 2, "breached": 1, "open": 0, "cancelled": 0},
        },
        "appeals": {"lodged": 2, "upheld": 1},  # A upheld, F not
        "recommendations_made": 4,  # A: R1-R3, B: R1
        # A-R3 (one action still open) and B-R1 (no action); A-R1 is done, A-R2 not due.
        "open_recommendations_past_due": 2,
    }
    assert [row["area"] for row in by_area] == ["chelmsford"]
    assert by_area[0]["median_days_to_outcome"] == 25.5
    json.dumps(got)  # plain JSON

    # All areas: Gosport's M joins; the years after stay out.
    everyone = compute_stats(projector, None, 2025, today=TODAY)
    assert everyone.area is None
    assert (
        everyone.applications,
        everyone.threshold_not_met,
        everyone.reviews_carried_out,
        everyone.reviews_with_recommendations,
    ) == (10, 2, 3, 2)
    assert everyone.total.by_applicant_kind["business"] == 1
    assert everyone.total.awaiting_decision == 2
    assert list(everyone.areas) == ["chelmsford", "gosport"]
    assert everyone.areas["gosport"].applications == 1
    # The next financial year holds J and L only.
    later = compute_stats(projector, None, 2026, today=TODAY)
    assert (later.applications, later.threshold_not_met, later.total.withdrawn) == (
        2,
        1,
        1,
    )
    # The calendar year 2025 leaves out I (31 March 2026).
    cal = compute_stats(projector, "chelmsford", 2025, calendar_year=True, today=TODAY)
    assert cal.period.to_json() == {
        "from": "2025-01-01",
        "to": "2025-12-31",
        "basis": "calendar",
    }
    assert (cal.applications, cal.total.awaiting_decision, cal.total.withdrawn) == (
        8,
        0,
        1,
    )
    # An area with no application still gets its row of zeros when named.
    none = compute_stats(projector, "gosport", 2024, today=TODAY)
    assert none.applications == 0
    assert none.total.days_to_decision.median is None


def test_csv_and_html_report(service: CaseService, projector: Projector) -> None:
    build_year(service)
    projector.catch_up()
    stats = compute_stats(
        projector, None, 2025, today=TODAY, areas=["chelmsford", "gosport", "suffolk"]
    )
    rows = list(csv.reader(io.StringIO(stats.to_csv())))
    assert rows[0] == [
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
    ]
    fy = ["2025-04-01", "2026-03-31"]
    assert rows[1:] == [
        ["chelmsford", *fy, "9", "2", "3", "2", "1", "2", "1", "10", "25.5"],
        ["gosport", *fy, "1", "0", "0", "0", "0", "0", "0", "", ""],
        ["suffolk", *fy, "0", "0", "0", "0", "0", "0", "0", "", ""],
        ["all areas", *fy, "10", "2", "3", "2", "1", "2", "1", "10", "25.5"],
    ]
    one = compute_stats(projector, "chelmsford", 2025, today=TODAY)
    assert [r[0] for r in csv.reader(io.StringIO(one.to_csv()))] == [
        "area",
        "chelmsford",
    ]

    head = "ab" * 32
    page = render_html(
        one, head_hash=head, produced_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    )
    assert page.startswith("<!DOCTYPE html>")
    first = page.index('id="fig-applications"')
    assert first < page.index('id="timeliness"') < page.index(head)
    for key, value in (
        ("applications", 9),
        ("threshold_not_met", 2),
        ("reviews_carried_out", 3),
        ("reviews_with_recommendations", 2),
    ):
        card = page[page.index(f'id="fig-{key}"') :]
        assert card.split('<div class="n">', 1)[1].startswith(f"{value}</div>")
    assert "The number of ASB case reviews that resulted in recommendations" in page
    assert page.count("<svg") >= 4 and page.count("<title id=") >= 4
    assert "2026-11-20T09:30:00+00:00" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing to fetch, anywhere
    assert 'src="http' not in page and 'href="http' not in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    missing = render_html(one, head_hash=None, produced_at=datetime.now(UTC))
    assert "not available" in missing


def test_the_stats_command(db_url: str, service: CaseService) -> None:

    from casereview.cli import cli

    build_year(service)
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(cli, ["--db", db_url, "--user", BY, "stats", *args])

    result = run("--area", "chelmsford", "--year", "2025", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [data[k] for k in ("area", "year", "applications", "threshold_not_met")] == [
        "chelmsford",
        2025,
        9,
        2,
    ]
    assert (data["reviews_carried_out"], data["reviews_with_recommendations"]) == (3, 2)
    text = run("--area", "chelmsford", "--year", "2025")
    assert text.exit_code == 0  # type: ignore[attr-defined]
    assert "reviews with recommendations" in text.output  # type: ignore[attr-defined]
    both = run("--year", "2025", "--json", "--csv")
    assert both.exit_code == 2  # type: ignore[attr-defined]
    assert "not --json and --csv" in both.output  # type: ignore[attr-defined]
    unknown = run("--area", "atlantis", "--year", "2025")
    assert unknown.exit_code != 0  # type: ignore[attr-defined]
    assert run("--json").exit_code == 2  # type: ignore[attr-defined]  # --year required


def test_spread_and_period_conventions() -> None:
    assert period_for(2025).to_json() == {
        "from": "2025-04-01",
        "to": "2026-03-31",
        "basis": "financial",
    }
    assert period_for(2025).label == "2025/26"
    assert spread([]).to_json() == {"count": 0, "median": None, "p90": None}
    assert spread([4]).to_json() == {"count": 1, "median": 4, "p90": 4}
    ten = list(range(1, 11))
    assert spread(ten).to_json() == {"count": 10, "median": 5.5, "p90": 9}
    assert spread([*ten, 11]).p90 == 10  # ceil(9.9) = 10th value
