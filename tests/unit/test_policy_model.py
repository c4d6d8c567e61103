"""The policy model refuses what the Act does not allow (ABCPA 2014 s.104, DOMAIN.md 2-3)."""

from __future__ import annotations

import pytest
from hypothesis import given

from casereview.errors import InvalidInput, RuleViolation
from casereview.thresholds.policy import (
    ACT_DEFAULT,
    UNLAWFUL_CAVEATS,
    PolicyError,
    PolicyStricterThanAct,
    parse_procedure,
    stricter_than_act,
)
from tests.strategies import valid_procedures

HEAD = """\
schema = 1
area = "Example Borough"
nation = "england"
effective_from = 2026-04-01
source = "https://example.invalid/asb-case-review"
read_on = 2026-11-01
relevant_bodies = ["Example Borough Council", "Example Police", "NHS Example ICB"]
"""
THRESHOLD = """
[threshold]
complaints = 3
complain_within_months = 1
apply_within_months = 6
"""
CONTACTS = """
[contacts]
case_team = "asb-case-review@example.invalid"
csp_chair = "csp-chair@example.invalid"
"""


def policy_text(
    threshold: str = THRESHOLD, extra: str = "", contacts: str = CONTACTS
) -> bytes:
    return (HEAD + threshold + extra + contacts).encode()


def timescale(
    frm: str = "received",
    until: str = "acknowledged",
    unit: str = "working",
    extra: str = "",
) -> str:
    return f"""
[[timescales]]
name = "acknowledge"
from = "{frm}"
until = "{until}"
days = 5
unit = "{unit}"
{extra}
"""


def test_policy_is_accepted_when_it_follows_the_contract_example():
    routes = """
[[routes]]
kind = "hate"
complaints = 1
[[routes]]
kind = "community"
individuals = 5
[[routes]]
kind = "vulnerability"
decided_by = "Head of Community Safety"
"""
    appeal = """
[appeal]
body = "Office of the Police and Crime Commissioner for Example"
days = 20
"""
    text = policy_text(
        extra=routes + timescale(extra='notify = ["csp_chair"]') + appeal
    )

    procedure = parse_procedure(text, slug="example-borough")

    assert procedure.version == "example-borough/2026-04-01"
    assert procedure.route("hate") is not None
    assert procedure.route("hate").complaints == 1  # type: ignore[union-attr]
    assert procedure.timescales[0].rule == "5 working days"
    assert procedure.appeal is not None
    assert procedure.appeal.from_ == "outcome_sent"
    assert len(procedure.file_hash) == 64


def test_policy_is_refused_when_count_is_above_three():
    text = policy_text(threshold="[threshold]\ncomplaints = 4\n")

    with pytest.raises(PolicyStricterThanAct) as refused:
        parse_procedure(text, slug="example-borough")

    assert (
        "threshold.complaints: 4 complaints is stricter than the Act allows (at most 3)"
        in str(refused.value)
    )
    assert isinstance(refused.value, RuleViolation)
    assert refused.value.exit_code == 3


@pytest.mark.parametrize("caveat", sorted(UNLAWFUL_CAVEATS))
def test_policy_is_refused_when_it_sets_an_unlawful_caveat(caveat):
    text = policy_text(threshold=f"[threshold]\n{caveat} = true\n")

    with pytest.raises(PolicyStricterThanAct) as refused:
        parse_procedure(text, slug="example-borough")

    assert f"threshold.{caveat}:" in str(refused.value)
    assert UNLAWFUL_CAVEATS[caveat] in str(refused.value)


@pytest.mark.parametrize("caveat", sorted(UNLAWFUL_CAVEATS))
def test_policy_is_accepted_when_it_says_an_unlawful_caveat_does_not_apply(caveat):
    text = policy_text(threshold=f"[threshold]\n{caveat} = false\n")

    assert stricter_than_act(parse_procedure(text, slug="example-borough")) == []


def test_policy_is_refused_when_the_count_is_written_as_count_and_above_three():
    text = policy_text(threshold="[threshold]\ncount = 4\n")

    with pytest.raises(
        PolicyStricterThanAct, match=r"threshold\.complaints: 4 complaints"
    ):
        parse_procedure(text, slug="example-borough")


def test_policy_reads_count_as_the_number_of_complaints_when_lawful():
    text = policy_text(threshold="[threshold]\ncount = 2\n")

    assert parse_procedure(text, slug="example-borough").threshold.complaints == 2


def test_policy_is_refused_when_application_window_is_five_months():
    text = policy_text(threshold="[threshold]\napply_within_months = 5\n")

    with pytest.raises(
        PolicyStricterThanAct, match=r"threshold\.apply_within_months: 5 months"
    ):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_complaint_window_is_zero_months():
    text = policy_text(threshold="[threshold]\ncomplain_within_months = 0\n")

    with pytest.raises(
        PolicyStricterThanAct, match=r"threshold\.complain_within_months: 0"
    ):
        parse_procedure(text, slug="example-borough")


@pytest.mark.parametrize("days", [0, 14, 27])
def test_policy_is_refused_when_complaint_window_in_days_is_shorter_than_any_month(
    days,
):
    text = policy_text(threshold=f"[threshold]\ncomplain_within_days = {days}\n")

    with pytest.raises(PolicyStricterThanAct, match=r"threshold\.complain_within_days"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_a_route_window_in_days_is_shorter_than_any_month():
    route = '\n[[routes]]\nkind = "hate"\ncomplaints = 1\ncomplain_within_days = 20\n'

    with pytest.raises(
        PolicyStricterThanAct, match=r"routes\.hate\.complain_within_days: 20"
    ):
        parse_procedure(policy_text(extra=route), slug="example-borough")


def test_policy_is_refused_when_a_hate_route_needs_more_than_three_complaints():
    route = '\n[[routes]]\nkind = "hate"\ncomplaints = 4\n'

    with pytest.raises(
        PolicyStricterThanAct, match=r"routes\.hate\.complaints: 4 complaints"
    ):
        parse_procedure(policy_text(extra=route), slug="example-borough")


def test_policy_names_every_problem_when_several_are_stricter_than_the_act():
    text = policy_text(
        threshold="[threshold]\ncomplaints = 5\napply_within_months = 3\n"
    )

    with pytest.raises(PolicyStricterThanAct) as refused:
        parse_procedure(text, slug="example-borough")

    assert "threshold.complaints" in str(refused.value)
    assert "threshold.apply_within_months" in str(refused.value)


def test_policy_is_accepted_when_it_is_more_generous_than_the_act():
    threshold = """
[threshold]
complaints = 2
complain_within_months = 2
complain_within_days = 30
apply_within_months = 12
"""
    procedure = parse_procedure(
        policy_text(threshold=threshold), slug="example-borough"
    )

    assert procedure.threshold.complaints == 2
    assert procedure.threshold.complain_within_days == 30
    assert stricter_than_act(procedure) == []


def test_policy_takes_the_acts_test_when_it_has_no_threshold_table():
    procedure = parse_procedure(policy_text(threshold=""), slug="example-borough")

    assert procedure.threshold == ACT_DEFAULT.threshold


def test_policy_is_refused_as_malformed_when_toml_is_invalid():
    with pytest.raises(PolicyError, match="not valid TOML") as refused:
        parse_procedure(b"schema = = 1\n", slug="example-borough", name="bad.toml")

    assert str(refused.value).startswith("bad.toml: ")
    assert refused.value.exit_code == 2


def test_policy_is_refused_naming_the_key_when_a_key_is_unknown():
    text = policy_text(threshold="[threshold]\ncomplaint = 3\n")

    with pytest.raises(PolicyError, match=r"threshold\.complaint: unknown key"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_naming_the_key_when_a_required_key_is_missing():
    text = policy_text().replace(b'nation = "england"\n', b"")

    with pytest.raises(PolicyError, match="nation: required key is missing"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_count_is_zero():
    text = policy_text(threshold="[threshold]\ncomplaints = 0\n")

    with pytest.raises(PolicyError, match=r"threshold\.complaints"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_schema_version_is_unknown():
    text = policy_text().replace(b"schema = 1", b"schema = 2")

    with pytest.raises(PolicyError, match="schema: version 2 is not known"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_source_is_not_a_url():
    text = policy_text().replace(
        b'"https://example.invalid/asb-case-review"', b'"the council"'
    )

    with pytest.raises(PolicyError, match="source: 'the council' is not a URL"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_timescale_until_comes_before_from():
    text = policy_text(extra=timescale(frm="meeting_held", until="acknowledged"))

    with pytest.raises(
        PolicyError, match=r"`until` \(acknowledged\) comes before `from`"
    ):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_timescale_starts_and_ends_at_one_step():
    text = policy_text(extra=timescale(frm="received", until="received"))

    with pytest.raises(PolicyError, match="`from` and `until` are both 'received'"):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_when_working_day_timescale_rolls_forward():
    text = policy_text(extra=timescale(extra="roll_forward = true"))

    with pytest.raises(
        PolicyError, match="`roll_forward` applies to calendar days only"
    ):
        parse_procedure(text, slug="example-borough")


def test_policy_is_accepted_when_calendar_day_timescale_rolls_forward():
    text = policy_text(extra=timescale(unit="calendar", extra="roll_forward = true"))

    assert parse_procedure(text, slug="example-borough").timescales[0].roll_forward


def test_policy_is_refused_when_reminder_is_not_before_the_due_date():
    text = policy_text(extra=timescale(extra="remind_before = 5"))

    with pytest.raises(
        PolicyError, match=r"`remind_before` \(5\) must be less than `days` \(5\)"
    ):
        parse_procedure(text, slug="example-borough")


def test_policy_is_refused_naming_the_role_when_notify_role_is_missing_from_contacts():
    text = policy_text(extra=timescale(extra='notify = ["pcc_office"]'))

    with pytest.raises(PolicyError) as refused:
        parse_procedure(text, slug="example-borough")

    assert "notify role 'pcc_office' is not in [contacts]" in str(refused.value)
    assert "known: case_team, csp_chair" in str(refused.value)


def test_policy_is_refused_when_two_routes_have_one_kind():
    routes = '\n[[routes]]\nkind = "hate"\ncomplaints = 1\n' * 2

    with pytest.raises(PolicyError, match="more than one 'hate' route"):
        parse_procedure(policy_text(extra=routes), slug="example-borough")


def test_policy_is_refused_when_two_timescales_have_one_name():
    twice = timescale() + timescale(frm="acknowledged", until="threshold_decided")

    with pytest.raises(
        PolicyError, match="more than one timescale named 'acknowledge'"
    ):
        parse_procedure(policy_text(extra=twice), slug="example-borough")


def test_policy_is_refused_when_a_route_lacks_its_rule():
    route = '\n[[routes]]\nkind = "community"\n'

    with pytest.raises(PolicyError, match="a community route needs `individuals`"):
        parse_procedure(policy_text(extra=route), slug="example-borough")


def test_policy_errors_are_invalid_input_when_malformed_and_rule_violations_when_strict():
    assert issubclass(PolicyError, InvalidInput)
    assert issubclass(PolicyStricterThanAct, RuleViolation)


def test_act_default_is_no_stricter_than_the_act():
    assert stricter_than_act(ACT_DEFAULT) == []


@given(procedure=valid_procedures())
def test_any_generated_lawful_procedure_is_no_stricter_than_the_act(procedure):
    assert stricter_than_act(procedure) == []
    assert procedure.threshold.complaints <= 3
