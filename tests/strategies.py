"""Hypothesis strategies shared by the test suites.

`valid_procedures()` builds random local procedures that the Act allows: a count of 1 to 3,
windows at least the Act's, and any mix of hate, community and vulnerability routes. Threshold
property tests use it to state that a lawful local procedure only ever adds to the Act.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from casereview.thresholds.policy import (
    ACT_APPLY_WITHIN_MONTHS,
    ACT_COMPLAIN_WITHIN_MONTHS,
    ACT_MAX_COMPLAINTS,
    ACT_SHORTEST_MONTH_DAYS,
    STEP_ORDER,
    Procedure,
    Route,
    Threshold,
)

ROLES = ("case_team", "csp_chair", "pcc_office")

slugs = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
day_windows = st.none() | st.integers(ACT_SHORTEST_MONTH_DAYS, 62)


def valid_thresholds() -> st.SearchStrategy[Threshold]:
    """A standard threshold no stricter than the Act: count 1-3, windows at least the Act's."""
    return st.builds(
        Threshold,
        complaints=st.integers(1, ACT_MAX_COMPLAINTS),
        complain_within_months=st.integers(ACT_COMPLAIN_WITHIN_MONTHS, 3),
        complain_within_days=day_windows,
        apply_within_months=st.integers(ACT_APPLY_WITHIN_MONTHS, 24),
    )


def valid_routes() -> st.SearchStrategy[tuple[Route, ...]]:
    """Any subset of the three route kinds, at most one of each, each lawful."""
    hate = st.builds(
        Route,
        kind=st.just("hate"),
        complaints=st.integers(1, ACT_MAX_COMPLAINTS),
        complain_within_days=day_windows,
    )
    community = st.builds(
        Route,
        kind=st.just("community"),
        individuals=st.integers(2, 10),
        complain_within_days=day_windows,
    )
    vulnerability = st.builds(
        Route,
        kind=st.just("vulnerability"),
        decided_by=st.sampled_from(["Head of Community Safety", "CSP chair"]),
    )
    return st.tuples(
        st.none() | hate, st.none() | community, st.none() | vulnerability
    ).map(lambda routes: tuple(r for r in routes if r is not None))


@st.composite
def _timescale(draw: st.DrawFn, name: str) -> dict[str, Any]:
    start, end = sorted(
        draw(
            st.lists(st.sampled_from(STEP_ORDER), min_size=2, max_size=2, unique=True)
        ),
        key=STEP_ORDER.index,
    )
    days = draw(st.integers(1, 40))
    unit = draw(st.sampled_from(["working", "calendar"]))
    return {
        "name": name,
        "from": start,
        "until": end,
        "days": days,
        "unit": unit,
        "remind_before": draw(st.integers(0, days - 1)),
        "roll_forward": unit == "calendar" and draw(st.booleans()),
        "notify": draw(st.lists(st.sampled_from(ROLES), unique=True, max_size=3)),
    }


@st.composite
def valid_procedures(draw: st.DrawFn) -> Procedure:
    """A random local procedure that the Act allows, built through the model's validation."""
    names = draw(
        st.lists(
            st.sampled_from(
                ["acknowledge", "decide", "meet", "outcome", "appeal_decision"]
            ),
            unique=True,
            max_size=5,
        )
    )
    appeal = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "body": st.just(
                    "Office of the Police and Crime Commissioner for Example"
                ),
                "days": st.integers(1, 30),
                "unit": st.sampled_from(["working", "calendar"]),
            }
        )
    )
    raw: dict[str, Any] = {
        "schema": 1,
        "slug": draw(slugs),
        "area": "Example Borough",
        "nation": draw(st.sampled_from(["england", "wales"])),
        "effective_from": draw(st.dates(date(2014, 10, 20), date(2035, 12, 31))),
        "source": "https://example.invalid/asb-case-review",
        "threshold": draw(valid_thresholds()),
        "routes": draw(valid_routes()),
        "timescales": [draw(_timescale(name)) for name in names],
        "appeal": appeal,
        "contacts": {
            role: f"{role.replace('_', '-')}@example.invalid" for role in ROLES
        },
    }
    return Procedure.model_validate(raw)
