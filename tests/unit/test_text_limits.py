"""The documented limits of text fields (README, "Input limits") and the read-model columns
that hold them: a value the domain accepts always fits its column on PostgreSQL."""

from __future__ import annotations

import pytest

from casereview.domain.text import RULES, check_text
from casereview.errors import FieldError
from casereview.projections.tables import make_tables

# read-model column -> the domain field whose values it holds
COLUMNS = {
    ("complaints", "agency"): "agency",
    ("complaints", "agency_ref"): "agency_ref",
    ("complaints", "incident"): "incident",
    ("recommendations", "agency"): "agency",
    ("actions", "owner"): "owner",
}


@pytest.mark.parametrize(("column", "field"), sorted(COLUMNS.items()))
def test_read_model_columns_hold_the_longest_value_the_domain_allows(column, field):
    table, name = column
    length = make_tables().by_name()[table].c[name].type.length

    assert length is None or length >= RULES[field].limit


def test_check_text_names_the_field_and_the_limit_when_too_long():
    with pytest.raises(FieldError) as refused:
        check_text("agency", "A" * 201)

    assert refused.value.field == "agency"
    assert (
        str(refused.value) == "agency: is 201 characters long; at most 200 are allowed"
    )


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("summary", "line one\n\tline two", True),
        ("applicant", "Siân Ó'Brien-Łukasz 日本", True),
        ("applicant", "a\nb", False),
        ("applicant", "a\u2028b", False),
        ("summary", "a\rb", False),
        ("summary", "a\x85b", False),  # NEL, a C1 control
        ("agency", "\x00", False),
        ("agency", "   ", False),
    ],
)
def test_check_text_allows_only_what_the_field_kind_allows(field, value, ok):
    if ok:
        assert check_text(field, value) == value
    else:
        with pytest.raises(FieldError):
            check_text(field, value)
