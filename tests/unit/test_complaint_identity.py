"""An agency's reference identifies one complaint whatever its case and spaces (issue 11,
item 10): the Case compares pairs normalised, keeps them as typed, and says where a pair is."""

from __future__ import annotations

from datetime import date

import pytest

from casereview.domain.case import Case
from casereview.domain.identity import (
    KEY_WIDTH,
    RecordedOnAnotherCase,
    complaint_identity,
    identity_key,
    normalised,
)
from casereview.errors import RuleViolation
from tests.unit.test_case_aggregate import AT, BY, new_case, reason


def record(case: Case, agency: str, agency_ref: str | None) -> str:
    return case.record_complaint(
        agency=agency,
        agency_ref=agency_ref,
        incident_on=date(2026, 2, 20),
        reported_on=date(2026, 2, 21),
        complainant=case.applicant,
        at=AT,
        by=BY,
    )


@pytest.mark.parametrize(
    ("typed", "compared"),
    [
        ("Surrey Police", "surrey police"),
        ("  Surrey \t Police ", "surrey police"),
        ("SURREY\u00a0POLICE", "surrey police"),  # a no-break space is a space
        ("IMP-1", "imp-1"),
        ("Straße", "strasse"),  # case-folded, not just lower-cased
        ("", ""),
    ],
)
def test_text_is_compared_case_folded_with_spaces_collapsed(
    typed: str, compared: str
) -> None:
    assert normalised(typed) == compared


def test_three_spellings_of_one_report_are_one_complaint_on_a_case() -> None:
    case = new_case()
    first = record(case, "surrey police", "IMP-1")

    for agency, agency_ref in (
        ("Surrey  Police", "imp-1"),
        ("Surrey Police", " IMP-1 "),
    ):
        with pytest.raises(RuleViolation, match="already recorded as complaint C1"):
            record(case, agency, agency_ref)

    assert first == "C1"
    assert list(case.complaints) == ["C1"]
    # The event keeps the text as typed; only the comparison is normalised.
    assert case.complaints["C1"].agency == "surrey police"
    assert case.complaints["C1"].agency_ref == "IMP-1"
    assert case.agency_refs == {("surrey police", "imp-1"): "C1"}


def test_a_blank_reference_identifies_nothing() -> None:
    case = new_case()

    record(case, "Surrey Police", "   ")
    record(case, "Surrey Police", "   ")
    record(case, "Surrey Police", None)

    assert len(case.complaints) == 3
    assert case.agency_refs == {}


def test_a_correction_moves_the_identity_and_refuses_a_variant_of_another() -> None:
    case = new_case()
    record(case, "Surrey Police", "IMP-1")
    record(case, "Surrey Police", "IMP-2")

    with pytest.raises(RuleViolation, match="already recorded as complaint C1"):
        case.correct_complaint(
            "C2", {"agency_ref": "imp-1"}, reason("typo"), at=AT, by=BY
        )
    case.correct_complaint("C2", {"agency_ref": "IMP-3"}, reason("typo"), at=AT, by=BY)
    case.correct_complaint(
        "C1", {"agency": "SURREY POLICE"}, reason("case"), at=AT, by=BY
    )

    assert case.agency_refs == {
        ("surrey police", "imp-1"): "C1",
        ("surrey police", "imp-3"): "C2",
    }
    record(case, "Surrey Police", "imp-2")  # free again
    assert case.agency_refs[("surrey police", "imp-2")] == "C3"


def test_a_correction_of_one_of_two_old_duplicates_keeps_the_other_indexed() -> None:
    # Logs written before references were compared normalised may hold one reference
    # twice on a case; correcting one copy must not forget the other.
    case = new_case()
    record(case, "Surrey Police", "IMP-1")
    case.agency_refs.clear()  # as replaying an old log of two spellings leaves it
    record(case, "surrey police", "imp-1")

    case.correct_complaint("C1", {"agency_ref": "IMP-9"}, reason("typo"), at=AT, by=BY)

    assert case.agency_refs[("surrey police", "imp-1")] == "C2"


def test_the_read_model_key_is_equal_for_equal_pairs_and_bounded() -> None:
    assert identity_key("Surrey  Police", "imp-1") == identity_key(
        "surrey police", " IMP-1"
    )
    assert identity_key("Surrey Police", "IMP-1") != identity_key(
        "Surrey Police", "IMP-2"
    )
    assert identity_key("a b", "c") != identity_key("a", "b c")
    assert len(identity_key("x" * 300, "y" * 300)) == KEY_WIDTH
    assert complaint_identity(" A ", "B") == ("a", "b")


def test_recorded_on_another_case_names_the_case_and_complaint_only() -> None:
    error = RecordedOnAnotherCase(
        "GOSPORT-2026-0002", "Surrey Police", "IMP-1", "GOSPORT-2026-0001", "C3"
    )

    assert isinstance(error, RuleViolation) and error.exit_code == 3
    assert str(error).startswith(
        "GOSPORT-2026-0002: Surrey Police reference 'IMP-1' is already recorded on "
        "GOSPORT-2026-0001 as complaint C3"
    )
    assert "already recorded on A-2026-0002 (" in str(
        RecordedOnAnotherCase("A-2026-0001", "P", "R", "A-2026-0002", None)
    )
