"""The threshold rules (ABCPA 2014 s.104 as read in DOMAIN.md section 2), one behaviour each.

Pure: no database, no clock. Complaints are built here; procedures are the Act's own
(`ACT_DEFAULT`), one built in the test, or a shipped file for the policy reference.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from casereview.adapters.policy_files import SHIPPED_POLICIES, load_policy_file
from casereview.domain.values import Complaint
from casereview.thresholds.policy import ACT_DEFAULT, Procedure, Route, Threshold
from casereview.thresholds.rules import (
    ACT_WINDOW,
    DISCRETION_REMINDER,
    Window,
    decide,
    exclusion_reason,
)

APPLIED_ON = date(2026, 3, 10)


def complaint(
    cid: str,
    incident_on: date,
    reported_on: date | None = None,
    *,
    agency: str = "police",
    complainant: str = "p-1",
    incident: str | None = None,
    hate: bool = False,
) -> Complaint:
    return Complaint(
        id=cid,
        agency=agency,
        incident_on=incident_on,
        reported_on=reported_on or incident_on,
        complainant=complainant,
        incident=incident,
        hate=hate,
    )


def procedure(
    threshold: Threshold | None = None, routes: tuple[Route, ...] = ()
) -> Procedure:
    return Procedure(
        slug="example-borough",
        area="Example Borough",
        nation="england",
        effective_from=date(2025, 4, 1),
        source="https://example.invalid/asb-case-review",
        threshold=threshold or Threshold(),
        routes=routes,
        file_hash="0" * 64,
    )


def three_in_february() -> list[Complaint]:
    return [
        complaint("C1", date(2026, 2, 2)),
        complaint("C2", date(2026, 2, 9), agency="council"),
        complaint("C3", date(2026, 2, 16), agency="housing"),
    ]


# ----- the Act's own test ---------------------------------------------------------------


def test_threshold_is_met_on_the_statutory_basis_when_three_complaints_qualify():
    decision = decide(three_in_february(), APPLIED_ON, ACT_DEFAULT)

    assert decision.met
    assert decision.basis == "statutory"
    assert decision.route is None
    assert decision.qualifying == ("C1", "C2", "C3")
    assert decision.excluded == ()
    assert decision.nearest is None
    assert decision.missing is None
    assert "Met: 3 qualifying complaints" in decision.explanation[-1]


def test_threshold_is_not_met_with_nearest_test_and_discretion_reminder_when_two_qualify():
    decision = decide(three_in_february()[:2], APPLIED_ON, ACT_DEFAULT)

    assert not decision.met
    assert decision.basis is None
    assert decision.route is None
    assert decision.nearest == "the Act's threshold"
    assert decision.missing == "2 qualifying complaints; 3 needed"
    assert (
        "Not met: the nearest test is the Act's threshold: "
        "2 qualifying complaints; 3 needed." in decision.explanation
    )
    assert decision.explanation[-1] == DISCRETION_REMINDER
    assert "s.104(5)" in DISCRETION_REMINDER


def test_threshold_is_not_met_when_a_complaint_is_older_than_window():
    complaints = [
        complaint("C1", date(2025, 7, 1)),  # reported 1 July 2025: window ended 31 Dec
        complaint("C2", date(2026, 2, 9), agency="council"),
        complaint("C3", date(2026, 2, 16), agency="housing"),
    ]

    decision = decide(complaints, APPLIED_ON, ACT_DEFAULT)

    assert not decision.met
    assert decision.qualifying == ("C2", "C3")
    assert [e.id for e in decision.excluded] == ["C1"]
    assert "more than six months before the application" in decision.excluded[0].reason


# ----- the month beginning with the incident ----------------------------------------------


def test_complaint_counts_when_reported_on_the_last_day_of_the_month_beginning_with_it():
    on_last_day = complaint("C1", date(2026, 1, 31), date(2026, 2, 28))

    assert exclusion_reason(on_last_day, APPLIED_ON, ACT_WINDOW) is None


def test_complaint_is_excluded_naming_lag_and_window_when_reported_a_day_too_late():
    a_day_late = complaint("C1", date(2026, 1, 31), date(2026, 3, 1))

    reason = exclusion_reason(a_day_late, APPLIED_ON, ACT_WINDOW)

    assert reason == (
        "reported 29 days after the incident on 31 January 2026; must be within "
        "one month (by 28 February 2026)"
    )


def test_decision_counts_the_last_day_and_excludes_the_next_when_incident_is_31_january():
    complaints = [
        complaint("C1", date(2026, 1, 31), date(2026, 2, 28)),
        complaint("C2", date(2026, 1, 31), date(2026, 3, 1), agency="council"),
    ]

    decision = decide(complaints, APPLIED_ON, ACT_DEFAULT)

    assert decision.qualifying == ("C1",)
    assert [e.id for e in decision.excluded] == ["C2"]
    assert "29 days after the incident" in decision.excluded[0].reason
    assert any("C2" in line and "not counted" in line for line in decision.explanation)


# ----- six months beginning with the complaint --------------------------------------------


def test_complaint_counts_when_the_application_comes_on_the_last_day_of_six_months():
    reported_15_january = complaint("C1", date(2026, 1, 10), date(2026, 1, 15))

    assert exclusion_reason(reported_15_january, date(2026, 7, 14), ACT_WINDOW) is None


def test_complaint_is_excluded_when_the_application_comes_the_day_after_six_months():
    reported_15_january = complaint("C1", date(2026, 1, 10), date(2026, 1, 15))

    reason = exclusion_reason(reported_15_january, date(2026, 7, 15), ACT_WINDOW)

    assert reason == (
        "reported on 15 January 2026, more than six months before the application on "
        "15 July 2026 (its window ended 14 July 2026)"
    )


def test_complaint_is_excluded_as_made_after_the_application_when_reported_later():
    later = complaint("C1", date(2026, 3, 15), date(2026, 3, 20))

    decision = decide([later], APPLIED_ON, ACT_DEFAULT)

    assert decision.qualifying == ()
    assert decision.excluded[0].id == "C1"
    assert decision.excluded[0].reason.startswith("made after the application")


def test_complaint_counts_when_reported_on_the_day_of_the_application():
    same_day = complaint("C1", APPLIED_ON, APPLIED_ON)

    assert exclusion_reason(same_day, APPLIED_ON, ACT_WINDOW) is None


# ----- counting complaints, not incidents -------------------------------------------------


def test_same_incident_reported_to_two_agencies_counts_twice_and_is_explained():
    complaints = [
        complaint("C1", date(2026, 2, 2), agency="police", incident="I-0202"),
        complaint("C2", date(2026, 2, 2), agency="council", incident="I-0202"),
        complaint("C3", date(2026, 2, 16), agency="housing"),
    ]

    decision = decide(complaints, APPLIED_ON, ACT_DEFAULT)

    assert decision.met
    assert decision.basis == "statutory"
    assert decision.qualifying == ("C1", "C2", "C3")
    notes = [line for line in decision.explanation if "same incident" in line]
    assert len(notes) == 1
    assert notes[0].startswith("C1, C2 report the same incident ('I-0202')")
    assert "different agencies" in notes[0]


def test_complaints_from_the_same_person_all_count_when_the_act_test_is_applied():
    complaints = [
        complaint(cid, date(2026, 2, day), complainant="p-1")
        for cid, day in (("C1", 2), ("C2", 9), ("C3", 16))
    ]

    decision = decide(complaints, APPLIED_ON, ACT_DEFAULT)

    assert decision.met
    assert decision.basis == "statutory"


# ----- local procedures only add --------------------------------------------------------


def test_threshold_is_met_on_the_local_count_when_the_procedure_asks_for_two():
    decision = decide(
        three_in_february()[:2], APPLIED_ON, procedure(Threshold(complaints=2))
    )

    assert decision.met
    assert decision.basis == "local_count"
    assert decision.route is None
    assert "its threshold is 2" in decision.explanation[-1]


def test_threshold_is_met_by_the_hate_route_when_one_complaint_is_hate_motivated():
    policy = procedure(routes=(Route(kind="hate", complaints=1),))

    decision = decide(
        [complaint("C1", date(2026, 2, 2), hate=True)], APPLIED_ON, policy
    )

    assert decision.met
    assert decision.basis == "route"
    assert decision.route == "hate"
    assert "hate incident route" in decision.explanation[-1]


def test_threshold_is_met_by_the_hate_route_when_the_application_is_flagged_as_hate():
    policy = procedure(routes=(Route(kind="hate", complaints=1),))

    decision = decide(
        [complaint("C1", date(2026, 2, 2))], APPLIED_ON, policy, hate_application=True
    )

    assert decision.met
    assert decision.basis == "route"
    assert decision.route == "hate"


def test_threshold_is_not_met_by_the_hate_route_when_nothing_is_hate_motivated():
    policy = procedure(routes=(Route(kind="hate", complaints=1),))

    decision = decide([complaint("C1", date(2026, 2, 2))], APPLIED_ON, policy)

    assert not decision.met
    assert decision.nearest == "the hate incident route"
    assert decision.missing == "0 hate-motivated complaints; 1 needed"


def community_route_complaints(people: int) -> list[Complaint]:
    # Reported 30 days after a 1 February incident: outside the month (28 February), inside
    # the route's 30 days, so only the community route can count them.
    return [
        complaint(
            f"C{i}",
            date(2026, 2, 1),
            date(2026, 3, 3),
            complainant=f"p-{i % people}",
            agency="council",
        )
        for i in range(1, 6)
    ]


def test_threshold_is_met_by_the_community_route_when_five_distinct_people_complain():
    policy = procedure(
        routes=(Route(kind="community", individuals=5, complain_within_days=30),)
    )

    decision = decide(community_route_complaints(5), APPLIED_ON, policy)

    assert decision.met
    assert decision.basis == "route"
    assert decision.route == "community"
    assert "5 individual complainants; 5 needed" in decision.explanation[-1]
    # What counted is what the route counted, within its own wider window.
    assert len(decision.qualifying) == 5 and decision.excluded == ()
    assert any(
        line.startswith(
            "Counted within the community route's own window: reported within one month or 30 days"
        )
        for line in decision.explanation
    )


def test_threshold_is_not_met_by_the_community_route_when_one_person_complains_twice():
    policy = procedure(
        routes=(Route(kind="community", individuals=5, complain_within_days=30),)
    )

    decision = decide(community_route_complaints(4), APPLIED_ON, policy)

    assert not decision.met
    assert decision.nearest == "the community route"
    assert decision.missing == "4 individual complainants; 5 needed"


def vulnerability_policy() -> Procedure:
    return procedure(
        routes=(Route(kind="vulnerability", decided_by="Head of Community Safety"),)
    )


def test_vulnerability_route_is_never_automatic_but_names_the_role_when_vulnerable():
    decision = decide(
        [complaint("C1", date(2026, 2, 2))],
        APPLIED_ON,
        vulnerability_policy(),
        vulnerable=True,
    )

    assert not decision.met
    assert decision.basis is None
    assert decision.route is None
    assert any("Head of Community Safety" in line for line in decision.explanation)
    assert decision.explanation[-1] == DISCRETION_REMINDER


def test_vulnerability_route_is_recorded_when_discretion_meets_a_vulnerable_case():
    decision = decide(
        [complaint("C1", date(2026, 2, 2))],
        APPLIED_ON,
        vulnerability_policy(),
        vulnerable=True,
        discretion="met",
    )

    assert decision.met
    assert decision.basis == "discretion"
    assert decision.route == "vulnerability"


def test_threshold_is_met_by_discretion_when_the_relevant_bodies_record_it():
    decision = decide(
        three_in_february()[:1], APPLIED_ON, ACT_DEFAULT, discretion="met"
    )

    assert decision.met
    assert decision.basis == "discretion"
    assert decision.route is None
    assert decision.nearest == "the Act's threshold"
    assert decision.missing == "1 qualifying complaint; 3 needed"
    assert "discretion (ABCPA 2014 s.104(5))" in decision.explanation[-1]


def test_discretion_is_not_the_basis_when_the_act_test_is_met_anyway():
    decision = decide(three_in_february(), APPLIED_ON, ACT_DEFAULT, discretion="met")

    assert decision.basis == "statutory"


# ----- a day window adds to the month, never takes from it --------------------------------


def test_day_window_admits_a_complaint_made_30_days_after_an_incident_in_february():
    late_for_the_month = complaint("C1", date(2026, 2, 1), date(2026, 3, 3))
    policy = procedure(Threshold(complaints=1, complain_within_days=30))

    decision = decide([late_for_the_month], APPLIED_ON, policy)

    assert exclusion_reason(late_for_the_month, APPLIED_ON, ACT_WINDOW) is not None
    assert decision.qualifying == ("C1",)
    assert decision.basis == "local_count"


def test_day_window_excludes_naming_both_windows_when_reported_31_days_after():
    too_late = complaint("C1", date(2026, 2, 1), date(2026, 3, 4))

    reason = exclusion_reason(too_late, APPLIED_ON, Window(complain_within_days=30))

    assert reason == (
        "reported 31 days after the incident on 1 February 2026; must be within one "
        "month or 30 days, whichever is later (by 3 March 2026)"
    )


@pytest.mark.parametrize(
    ("incident_on", "reported_on"),
    [
        (date(2026, 1, 1), date(2026, 1, 31)),  # 30 days: the whole of January
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 2, 29), date(2028, 3, 28)),
    ],
)
def test_day_window_never_excludes_a_complaint_the_month_admits(
    incident_on, reported_on
):
    within_month = complaint("C1", incident_on, reported_on)

    for days in (28, 30):
        window = Window(complain_within_days=days)
        assert exclusion_reason(within_month, reported_on, ACT_WINDOW) is None
        assert exclusion_reason(within_month, reported_on, window) is None


# ----- the decision records what it was decided under -------------------------------------


def test_decision_records_area_effective_date_and_file_hash_of_the_procedure():
    path = SHIPPED_POLICIES / "gosport" / "2026-04-01.toml"
    policy = load_policy_file(path)

    decision = decide(three_in_february(), APPLIED_ON, policy)

    assert decision.policy == {
        "area": "gosport",
        "name": "Gosport",
        "effective_from": "2026-04-01",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    assert decision.explanation[0].startswith("Procedure: Gosport (gosport/2026-04-01)")


def test_decision_records_the_statutory_default_when_no_local_procedure_applies():
    decision = decide([], APPLIED_ON, ACT_DEFAULT)

    assert decision.policy["area"] == "act"
    assert decision.policy["effective_from"] == "2014-10-20"
    assert not decision.met
    assert decision.missing == "0 qualifying complaints; 3 needed"
