"""Text and dates a clumsy user or an attacker types: refused with exit 2 naming the field and
the limit, before anything is written (issue 11, items 1, 2, 14, 15)."""

from __future__ import annotations

import pytest

from casereview.domain.text import RULES
from tests.e2e.test_cli_errors import log_size

RECEIVE = ["application", "receive", "--area", "gosport", "--received-on", "2026-03-02"]
COMPLAINT = ["--incident-on", "2026-02-01", "--reported-on", "2026-02-01"]
AGENCY = "Gosport Borough Council"


@pytest.fixture
def ref(run):
    return run(*RECEIVE, "--applicant", "Sam Jones").stdout.strip()


def refused(run, db_url, args, message):
    before = log_size(db_url)

    result = run(*args, ok=False)

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert log_size(db_url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["complaint", "add", "{ref}", "--agency", "A" * 300, *COMPLAINT],
            "--agency: is 300 characters long; at most 200 are allowed",
        ),
        (
            [*RECEIVE, "--applicant", "N" * 201],
            "--applicant: is 201 characters long; at most 200 are allowed",
        ),
        (
            [*RECEIVE, "--applicant", "Sam", "--summary", "s" * 5001],
            "--summary: is 5,001 characters long; at most 5,000 are allowed",
        ),
        (
            ["complaint", "add", "{ref}", "--agency", "Gosport\x00Council", *COMPLAINT],
            "--agency: contains a control character (U+0000)",
        ),
        (
            [*RECEIVE, "--applicant", "Sam\x1b]0;pwned\x07"],
            "--applicant: contains a control character (U+001B)",
        ),
        (
            [*RECEIVE, "--applicant", "Sam\nJones"],
            "--applicant: contains a line break",
        ),
        (
            [*RECEIVE, "--applicant", "Sam", "--summary", "tab\tok but \x7f not"],
            "--summary: contains a control character (U+007F) at character 12",
        ),
        (
            [*RECEIVE, "--applicant", "Sam\ud800"],
            "--applicant: contains a lone surrogate (U+D800)",
        ),
        ([*RECEIVE, "--applicant", ""], "--applicant: must not be empty"),
        ([*RECEIVE, "--applicant", "   "], "--applicant: must not be empty"),
        (
            ["complaint", "add", "{ref}", "--agency", "", *COMPLAINT],
            "--agency: must not be empty",
        ),
        (
            ["application", "withdraw", "{ref}", "--on", "2026-03-03", "--reason", " "],
            "--reason: must not be empty",
        ),
        (
            ["appeal", "lodge", "{ref}", "--on", "2026-03-20", "--grounds", ""],
            "--grounds: must not be empty",
        ),
        (
            [
                "threshold",
                "decide",
                "{ref}",
                "--discretion",
                "met",
                "--reason",
                "",
            ],
            "--reason",
        ),
        (
            [*RECEIVE[:-1], "2026-W10-1", "--applicant", "Sam"],
            "--received-on: '2026-W10-1' is not a date (expected YYYY-MM-DD)",
        ),
        (
            [*RECEIVE[:-1], "20260302", "--applicant", "Sam"],
            "--received-on: '20260302' is not a date (expected YYYY-MM-DD)",
        ),
        (
            [
                "complaint",
                "add",
                "{ref}",
                "--agency",
                AGENCY,
                "--incident-on",
                "0001-01-01",
                "--reported-on",
                "2026-02-01",
            ],
            "--incident-on: 0001-01-01 is before 2000-01-01",
        ),
        (
            ["case", "show", "{ref}", "--as-at", "2026-W10-1"],
            "--as-at: '2026-W10-1' is not a date or timestamp",
        ),
    ],
)
def test_bad_text_or_date_is_refused_naming_the_field_when_given(
    run, ref, db_url, args, message
):
    refused(run, db_url, [a.format(ref=ref) for a in args], message)


def test_user_with_control_characters_is_refused(run, ref, db_url):
    before = log_size(db_url)

    result = run(
        "application",
        "acknowledge",
        ref,
        "--on",
        "2026-03-03",
        user="bob\x1b[2J",
        ok=False,
    )

    assert result.exit_code == 2
    assert "--user: contains a control character (U+001B)" in result.stderr
    assert log_size(db_url) == before


def test_limits_are_exactly_the_documented_ones_when_at_the_edge(run, ref):
    name = "N" * RULES["applicant"].limit
    agency = "A" * RULES["agency"].limit

    run(*RECEIVE, "--applicant", name)
    run("complaint", "add", ref, "--agency", agency, *COMPLAINT)
    shown = run("case", "show", ref, "--json").stdout

    assert agency in shown


def test_free_text_keeps_newlines_and_tabs_when_given(run, ref, run_json):
    run("application", "withdraw", ref, "--on", "2026-03-03", "--reason", "a\n\tb")

    assert run_json("case", "show", ref)["status"] == "withdrawn"


@pytest.fixture
def held(run, ref):
    run(
        "threshold",
        "decide",
        ref,
        "--on",
        "2026-03-05",
        "--discretion",
        "met",
        "--reason",
        "persistent",
    )
    run("meeting", "schedule", ref, "--on", "2026-03-20", "--agencies", AGENCY)
    run("meeting", "held", ref, "--on", "2026-03-20", "--attended", AGENCY)
    return ref


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "recommendation",
                "add",
                "{ref}",
                "--agency",
                AGENCY,
                "--text",
                "t",
                "--due",
                "2026-03-19",
            ],
            "--due: 2026-03-19 is before the review meeting (2026-03-20)",
        ),
        (
            [
                "recommendation",
                "add",
                "{ref}",
                "--agency",
                AGENCY,
                "--text",
                "t",
                "--due",
                "9999-01-01",
            ],
            "--due: 9999-01-01 is more than 3 years ahead",
        ),
        (
            [
                "action",
                "add",
                "{ref}",
                "--recommendation",
                "R1",
                "--owner",
                AGENCY,
                "--text",
                "t",
                "--due",
                "2026-01-01",
            ],
            "--due: 2026-01-01 is before the review meeting (2026-03-20)",
        ),
        (
            [
                "action",
                "add",
                "{ref}",
                "--recommendation",
                "R1",
                "--owner",
                "",
                "--text",
                "t",
                "--due",
                "2026-04-01",
            ],
            "--owner: must not be empty",
        ),
        (
            ["recommendation", "add", "{ref}", "--agency", AGENCY, "--text", ""],
            "--text: must not be empty",
        ),
    ],
)
def test_due_dates_and_texts_of_the_review_are_refused_when_wrong(
    run, held, db_url, args, message
):
    run("recommendation", "add", held, "--agency", AGENCY, "--text", "first")

    refused(run, db_url, [a.format(ref=held) for a in args], message)


def test_a_meeting_years_ahead_is_refused(run, ref, db_url):
    run("threshold", "decide", ref, "--discretion", "met", "--reason", "r")

    refused(
        run,
        db_url,
        ["meeting", "schedule", ref, "--on", "9999-01-01", "--agencies", AGENCY],
        "--on: 9999-01-01 is more than 3 years ahead",
    )
