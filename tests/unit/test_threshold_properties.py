"""Properties of the threshold decision that state the Act (DOMAIN.md section 2).

The Act is the floor: more qualifying complaints, or a looser lawful procedure, can only add
ways of meeting the threshold; the order complaints are given in never matters; every
complaint is either counted or excluded with a reason. These run on every CI run.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from casereview.domain.values import Complaint
from casereview.thresholds.policy import (
    ACT_DEFAULT,
    ACT_SHORTEST_MONTH_DAYS,
    Procedure,
    Route,
    Threshold,
)
from casereview.thresholds.rules import ACT_WINDOW, Window, decide, exclusion_reason
from tests.strategies import valid_procedures

AGENCIES = ("police", "council", "housing", "icb")
PEOPLE = tuple(f"p-{n}" for n in range(1, 7))
INCIDENTS = ("I-1", "I-2", "I-3")
FIRST_INCIDENT = date(2025, 1, 1)
LAST_INCIDENT = date(2026, 12, 31)
flags = st.booleans()


@st.composite
def complaints_from(
    draw: st.DrawFn, cid: str, earliest: date, latest: date
) -> Complaint:
    incident_on = draw(st.dates(earliest, latest))
    return Complaint(
        id=cid,
        agency=draw(st.sampled_from(AGENCIES)),
        incident_on=incident_on,
        reported_on=incident_on + timedelta(days=draw(st.integers(0, 60))),
        complainant=draw(st.sampled_from(PEOPLE)),
        incident=draw(st.none() | st.sampled_from(INCIDENTS)),
        hate=draw(flags),
    )


@st.composite
def applications(
    draw: st.DrawFn, max_complaints: int = 8
) -> tuple[list[Complaint], date]:
    """Complaints C1..Cn with incidents in 2025-2026, and the date of the application.

    Incidents are drawn from the eight months before the application (and a few days after,
    so some complaints are made after it), so that every outcome is common.
    """
    applied_on = draw(st.dates(date(2025, 1, 15), date(2027, 1, 31)))
    earliest = max(FIRST_INCIDENT, applied_on - timedelta(days=240))
    latest = min(LAST_INCIDENT, applied_on + timedelta(days=10))
    n = draw(st.integers(0, max_complaints))
    complaints = [
        draw(complaints_from(f"C{i}", earliest, latest)) for i in range(1, n + 1)
    ]
    return complaints, applied_on


@st.composite
def qualifying_complaint(draw: st.DrawFn, cid: str, applied_on: date) -> Complaint:
    """A complaint that qualifies under the Act, and so under any lawful procedure."""
    reported_on = applied_on - timedelta(days=draw(st.integers(0, 150)))
    lag = draw(st.integers(0, ACT_SHORTEST_MONTH_DAYS - 1))  # inside every month
    return Complaint(
        id=cid,
        agency=draw(st.sampled_from(AGENCIES)),
        incident_on=reported_on - timedelta(days=lag),
        reported_on=reported_on,
        complainant=draw(st.sampled_from(PEOPLE)),
        incident=draw(st.none() | st.sampled_from(INCIDENTS)),
        hate=draw(flags),
    )


def _looser_days(draw: st.DrawFn, days: int | None) -> int | None:
    if days is None:
        return draw(st.none() | st.integers(ACT_SHORTEST_MONTH_DAYS, 62))
    return days + draw(st.integers(0, 20))


@st.composite
def loosened(draw: st.DrawFn, policy: Procedure) -> Procedure:
    """The same procedure with a lower count, wider windows, and routes added or eased."""
    t = policy.threshold
    threshold = Threshold(
        complaints=draw(st.integers(1, t.complaints)),
        complain_within_months=t.complain_within_months + draw(st.integers(0, 3)),
        complain_within_days=_looser_days(draw, t.complain_within_days),
        apply_within_months=t.apply_within_months + draw(st.integers(0, 6)),
    )
    routes = []
    for kind in ("hate", "community", "vulnerability"):
        route = policy.route(kind)
        if route is None and not draw(flags):
            continue
        if kind == "hate":
            most = route.complaints if route and route.complaints else 3
            routes.append(
                Route(
                    kind="hate",
                    complaints=draw(st.integers(1, most)),
                    complain_within_days=_looser_days(
                        draw, route.complain_within_days if route else None
                    ),
                )
            )
        elif kind == "community":
            most = route.individuals if route and route.individuals else 10
            routes.append(
                Route(
                    kind="community",
                    individuals=draw(st.integers(2, most)),
                    complain_within_days=_looser_days(
                        draw, route.complain_within_days if route else None
                    ),
                )
            )
        else:
            routes.append(route or Route(kind="vulnerability", decided_by="CSP chair"))
    return policy.model_copy(update={"threshold": threshold, "routes": tuple(routes)})


def outcome(decision):
    return (
        decision.met,
        decision.basis,
        decision.route,
        decision.qualifying,
        decision.excluded,
    )


@given(
    policy=valid_procedures(),
    application=applications(),
    data=st.data(),
    hate_application=flags,
    vulnerable=flags,
)
def test_adding_a_qualifying_complaint_never_turns_met_into_not_met(
    policy, application, data, hate_application, vulnerable
):
    complaints, applied_on = application
    extra = data.draw(qualifying_complaint(f"C{len(complaints) + 1}", applied_on))
    flagged = {"hate_application": hate_application, "vulnerable": vulnerable}

    before = decide(complaints, applied_on, policy, **flagged)
    after = decide([*complaints, extra], applied_on, policy, **flagged)

    assert exclusion_reason(extra, applied_on, ACT_WINDOW) is None
    assert extra.id in after.qualifying
    assert not before.met or after.met


@given(
    policy=valid_procedures(),
    application=applications(),
    data=st.data(),
    hate_application=flags,
    vulnerable=flags,
)
def test_loosening_a_policy_never_turns_met_into_not_met(
    policy, application, data, hate_application, vulnerable
):
    complaints, applied_on = application
    looser = data.draw(loosened(policy))
    flagged = {"hate_application": hate_application, "vulnerable": vulnerable}

    strict = decide(complaints, applied_on, policy, **flagged)
    loose = decide(complaints, applied_on, looser, **flagged)

    assert not strict.met or loose.met
    assert set(strict.qualifying) <= set(loose.qualifying)


@given(
    policy=valid_procedures(),
    application=applications(),
    hate_application=flags,
    vulnerable=flags,
)
def test_any_lawful_policy_meets_whenever_the_act_would(
    policy, application, hate_application, vulnerable
):
    complaints, applied_on = application
    flagged = {"hate_application": hate_application, "vulnerable": vulnerable}

    act = decide(complaints, applied_on, ACT_DEFAULT, **flagged)
    local = decide(complaints, applied_on, policy, **flagged)

    assert not act.met or local.met
    assert set(act.qualifying) <= set(local.qualifying)


@given(
    policy=valid_procedures(),
    application=applications(),
    data=st.data(),
    hate_application=flags,
    vulnerable=flags,
    discretion=st.sampled_from([None, "met"]),
)
def test_decision_is_the_same_whatever_order_complaints_are_given_in(
    policy, application, data, hate_application, vulnerable, discretion
):
    complaints, applied_on = application
    shuffled = data.draw(st.permutations(complaints))
    flagged = {
        "hate_application": hate_application,
        "vulnerable": vulnerable,
        "discretion": discretion,
    }

    given_order = decide(complaints, applied_on, policy, **flagged)
    other_order = decide(shuffled, applied_on, policy, **flagged)

    assert outcome(other_order) == outcome(given_order)
    assert other_order == given_order


@given(policy=valid_procedures(), application=applications(max_complaints=12))
def test_qualifying_and_excluded_ids_partition_the_complaints_given(
    policy, application
):
    complaints, applied_on = application

    decision = decide(complaints, applied_on, policy)

    counted = list(decision.qualifying)
    excluded = [e.id for e in decision.excluded]
    assert sorted(counted + excluded) == sorted(c.id for c in complaints)
    assert not set(counted) & set(excluded)
    assert all(e.reason for e in decision.excluded)


@given(application=applications(), days=st.integers(ACT_SHORTEST_MONTH_DAYS, 62))
def test_a_day_window_never_excludes_a_complaint_the_act_counts(application, days):
    complaints, applied_on = application
    window = Window(complain_within_days=days)

    for c in complaints:
        if exclusion_reason(c, applied_on, ACT_WINDOW) is None:
            assert exclusion_reason(c, applied_on, window) is None
