"""Bad input: the exit codes of CONTRACT.md, one line naming what is wrong, nothing written."""

from __future__ import annotations

import pytest

from casereview.adapters.policy_files import SHIPPED_POLICIES
from casereview.bootstrap import build_service, parse_store_url


def log_size(db_url: str) -> int:
    service = build_service(parse_store_url(db_url), SHIPPED_POLICIES)
    try:
        return service.app.recorder.max_notification_id() or 0
    finally:
        service.app.close()


@pytest.fixture
def ref(run):
    return run(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "A",
    ).stdout.strip()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            [
                "complaint",
                "add",
                "{ref}",
                "--agency",
                "P",
                "--incident-on",
                "2026-02-30",
                "--reported-on",
                "2026-03-01",
            ],
            2,
            "--incident-on: '2026-02-30' is not a date (expected YYYY-MM-DD)",
        ),
        (
            [
                "application",
                "receive",
                "--area",
                "atlantis",
                "--received-on",
                "2026-03-02",
                "--applicant",
                "A",
            ],
            2,
            "unknown area 'atlantis' (known: ",
        ),
        (
            [
                "complaint",
                "add",
                "{ref}",
                "--agency",
                "P",
                "--incident-on",
                "2026-02-10",
                "--reported-on",
                "2026-02-09",
            ],
            2,
            "--reported-on: 2026-02-09 is before the incident it reports",
        ),
        (
            [
                "complaint",
                "add",
                "{ref}",
                "--agency",
                "P",
                "--incident-on",
                "2026-02-10",
                "--reported-on",
                "2999-01-01",
            ],
            2,
            "--reported-on: 2999-01-01 is in the future",
        ),
        (
            ["meeting", "schedule", "{ref}", "--on", "2026-03-20", "--agencies", "A"],
            3,
            "cannot schedule a review meeting while the case is received",
        ),
        (
            ["outcome", "send", "{ref}", "--on", "2026-03-20"],
            3,
            "cannot send the outcome",
        ),
        (
            ["appeal", "lodge", "{ref}", "--on", "2026-03-20", "--grounds", "x"],
            3,
            "cannot lodge an appeal",
        ),
        (["case", "show", "GOSPORT-2026-0999"], 4, "no case 'GOSPORT-2026-0999'"),
        (
            ["action", "complete", "{ref}", "A9", "--on", "2026-03-20"],
            3,
            "cannot complete an action",
        ),
    ],
)
def test_bad_input_exits_with_the_contract_code_and_writes_nothing(
    run, ref, db_url, args, code, message
):
    before = log_size(db_url)

    result = run(*[a.format(ref=ref) for a in args], ok=False)

    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert log_size(db_url) == before


def test_second_decision_is_refused_when_one_stands(run, ref, db_url):
    run("threshold", "decide", ref, "--on", "2026-03-05")
    before = log_size(db_url)

    result = run("threshold", "decide", ref, "--on", "2026-03-06", ok=False)

    assert result.exit_code == 3
    assert "already decided on 2026-03-05" in result.stderr
    assert log_size(db_url) == before


def test_unknown_recommendation_is_not_found_when_adding_an_action(run, ref):
    run(
        "threshold",
        "decide",
        ref,
        "--on",
        "2026-03-05",
        "--discretion",
        "met",
        "--reason",
        "r",
    )
    run("meeting", "schedule", ref, "--on", "2026-03-20", "--agencies", "A")
    run("meeting", "held", ref, "--on", "2026-03-20", "--attended", "A")

    result = run(
        "action",
        "add",
        ref,
        "--recommendation",
        "R7",
        "--owner",
        "A",
        "--text",
        "t",
        "--due",
        "2026-04-01",
        ok=False,
    )

    assert result.exit_code == 4
    assert "no recommendation 'R7' (known: none recorded)" in result.stderr


def close(run, ref):
    run("threshold", "decide", ref, "--on", "2026-03-05")
    run("outcome", "send", ref, "--on", "2026-03-06")
    run("case", "close", ref, "--on", "2026-03-07", "--reason", "done")


def withdraw(run, ref):
    run("application", "withdraw", ref, "--on", "2026-03-03", "--reason", "moved")


@pytest.mark.parametrize(
    ("end", "status"),
    [(close, "closed"), (withdraw, "withdrawn")],
    ids=["closed", "withdrawn"],
)
def test_complaint_is_refused_with_exit_3_for_a_new_application_when_the_case_has_ended(
    run, ref, db_url, end, status
):
    end(run, ref)
    before = log_size(db_url)

    result = run(
        "complaint",
        "add",
        ref,
        "--agency",
        "Hampshire Police",
        "--incident-on",
        "2026-03-01",
        "--reported-on",
        "2026-03-02",
        ok=False,
    )

    assert result.exit_code == 3, result.output
    assert (
        f"{ref}: cannot record a complaint while the case is {status}" in result.stderr
    )
    assert "a new application is the way" in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert log_size(db_url) == before
