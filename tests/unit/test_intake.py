"""The import's compact intake records exactly what the Case would: the same events, which
replay into the same case, under the same rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.domain.case import Case
from casereview.domain.intake import ComplaintIntake
from casereview.domain.personal import Person, Personal
from casereview.errors import InvalidInput, RuleViolation, StepOutOfOrder
from tests.unit.test_case_aggregate import (
    AT,
    BY,
    closed_case,
    new_case,
    withdrawn_case,
)

AGENCIES = ("Hampshire Police", "Gosport Borough Council", "Vivid Homes")
SPELLINGS = (str.lower, str.upper, str.title, lambda s: f" {s} ", lambda s: s)
"""How one agency or reference gets typed: the same complaint whatever the case and spaces."""
spelled = st.sampled_from(SPELLINGS)
complaints = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES),
        # A small alphabet, so references (and their spellings) repeat; never blank (the
        # import requires one).
        st.text(alphabet="aB-1 \u00a0", min_size=1, max_size=4).filter(str.strip)
        | st.text(min_size=1, max_size=8).filter(str.strip),
        st.dates(date(2025, 1, 1), date(2026, 3, 1)),
        st.integers(0, 40),
        st.booleans(),
        st.none() | st.text(min_size=1, max_size=30),
        spelled,
        spelled,
    ),
    max_size=12,
)


def fields(event: Case.Event) -> dict[str, object]:
    return dict(vars(event))


OPEN_OR_ENDED = {
    "open": new_case,
    "on-behalf": lambda: new_case(victim=Person("p-victim", "Vic Tim")),
    "closed": closed_case,
    "withdrawn": withdrawn_case,
}
"""Cases as the intake may find them: open (applied for oneself or on behalf of a victim),
or no longer open (a complaint is then refused: a new application is the way)."""


@settings(max_examples=300)
@given(complaints, st.sampled_from(sorted(OPEN_OR_ENDED)))
def test_the_intake_records_the_events_the_case_would_record(
    rows: list[tuple[str, str, date, int, bool, str | None, Any, Any]], kind: str
) -> None:
    make = OPEN_OR_ENDED[kind]
    by_case = make()
    intake = ComplaintIntake.of(by_case)
    replayed = make()
    for name, reference, incident_on, days, hate, summary, spell, spell_ref in rows:
        agency, agency_ref = spell(name), spell_ref(reference)
        reported_on = incident_on + timedelta(days=days)
        try:
            by_case.record_complaint(
                agency=agency,
                agency_ref=agency_ref,
                incident_on=incident_on,
                reported_on=reported_on,
                complainant=by_case.applicant,
                hate=hate,
                summary=Personal(by_case.victim_id, summary) if summary else None,
                at=AT,
                by=BY,
            )
        except StepOutOfOrder as refused:
            # No longer open: the intake refuses it too, in the same words.
            assert kind in ("closed", "withdrawn")
            with pytest.raises(StepOutOfOrder) as by_intake:
                intake.record(
                    agency=agency,
                    agency_ref=agency_ref,
                    incident_on=incident_on,
                    reported_on=reported_on,
                    hate=hate,
                    summary=summary,
                    at=AT,
                    by=BY,
                )
            assert str(by_intake.value) == str(refused)
            continue
        except RuleViolation:
            # Another spelling of a reference the case holds: the intake, confirmed
            # against the case as the import confirms it, holds it too.
            assert intake.may_hold(agency, agency_ref)
            intake.confirm(by_case, [])
            assert intake.holds(agency, agency_ref) is True
            continue
        assert kind not in ("closed", "withdrawn"), "recorded on a case no longer open"
        assert not intake.holds(agency, agency_ref)
        event = intake.record(
            agency=agency,
            agency_ref=agency_ref,
            incident_on=incident_on,
            reported_on=reported_on,
            hate=hate,
            summary=summary,
            at=AT,
            by=BY,
        )
        assert fields(event) == fields(by_case.pending_events[-1])
        event.mutate(replayed)
    assert intake.version == by_case.version == replayed.version
    assert intake.complaints == len(by_case.complaints)
    assert replayed.complaints == by_case.complaints
    assert replayed.agency_refs == by_case.agency_refs
    assert sorted(intake.hashes) == sorted(hash(k) for k in by_case.agency_refs)


def test_another_spelling_of_a_recorded_reference_is_held_by_the_intake() -> None:
    case = new_case()
    case.record_complaint(
        agency="surrey police",
        agency_ref="IMP-1",
        incident_on=date(2026, 2, 20),
        reported_on=date(2026, 2, 21),
        complainant=case.applicant,
        at=AT,
        by=BY,
    )
    intake = ComplaintIntake.of(case)

    assert intake.may_hold("Surrey  Police", "imp-1")
    intake.confirm(case, [("Vivid Homes", "v-9")])
    assert intake.holds("SURREY POLICE", " Imp-1 ") is True
    assert intake.holds("vivid  homes", "V-9") is True
    with pytest.raises(RuleViolation, match="already recorded"):
        intake.record(
            agency="Surrey Police",
            agency_ref="IMP-1",
            incident_on=date(2026, 2, 20),
            reported_on=date(2026, 2, 21),
            hate=False,
            summary=None,
            at=AT,
            by=BY,
        )


def test_a_report_before_its_incident_is_refused_as_the_case_refuses_it() -> None:
    intake = ComplaintIntake.of(new_case())
    with pytest.raises(InvalidInput, match="before the incident it reports"):
        intake.record(
            agency="Hampshire Police",
            agency_ref="P-1",
            incident_on=date(2026, 2, 2),
            reported_on=date(2026, 2, 1),
            hate=False,
            summary=None,
            at=AT,
            by=BY,
        )
    assert intake.version == 1 and intake.complaints == 0


@pytest.mark.parametrize(
    "make", [closed_case, withdrawn_case], ids=["closed", "withdrawn"]
)
def test_a_complaint_is_refused_as_the_case_refuses_it_when_the_case_is_no_longer_open(
    make,
) -> None:
    case = make()
    intake = ComplaintIntake.of(case)
    version = intake.version

    with pytest.raises(StepOutOfOrder, match="a new application is the way") as refused:
        intake.record(
            agency="Hampshire Police",
            agency_ref="P-9",
            incident_on=date(2026, 2, 2),
            reported_on=date(2026, 2, 3),
            hate=False,
            summary=None,
            at=AT,
            by=BY,
        )

    assert refused.value.exit_code == 3
    assert f"while the case is {case.status}" in str(refused.value)
    assert (intake.version, intake.complaints) == (version, len(case.complaints))
    assert not intake.may_hold("Hampshire Police", "P-9")


def test_a_hash_match_is_only_a_maybe_until_the_case_confirms_it() -> None:
    case = new_case()
    case.record_complaint(
        agency="Hampshire Police",
        agency_ref="P-1",
        incident_on=date(2026, 2, 1),
        reported_on=date(2026, 2, 1),
        complainant=case.applicant,
        at=AT,
        by=BY,
    )
    intake = ComplaintIntake.of(case)
    assert intake.may_hold("Hampshire Police", "P-1")
    assert not intake.may_hold("Hampshire Police", "P-2")
    assert intake.holds("Hampshire Police", "P-1") is None  # not yet confirmed
    intake.confirm(case, [("Vivid Homes", "V-9")])
    assert intake.holds("Hampshire Police", "P-1") is True
    assert intake.holds("Vivid Homes", "V-9") is True
    assert intake.holds("Hampshire Police", "P-2") is False
    with pytest.raises(RuleViolation, match="already recorded"):
        intake.record(
            agency="Hampshire Police",
            agency_ref="P-1",
            incident_on=date(2026, 2, 1),
            reported_on=date(2026, 2, 1),
            hate=False,
            summary=None,
            at=AT,
            by=BY,
        )
