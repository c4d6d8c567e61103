"""Human output reads as words, never as Python (issue 12): `case show`, `case history`,
`case diff` and `policy show` print no reprs (`None`, dict or list literals, `route None`),
no raw timestamps and no stored event names, on a case taken through every step; `--json`
keeps CONTRACT.md's shapes."""

from __future__ import annotations

import re

import pytest

from casereview.domain.case import CASE_EVENTS
from tests.e2e.test_cli_lifecycle import add, event_name, receive

REPR = re.compile(r"None|[{}\[\]]|'\w+':")
"""What a Python repr of None, a dict or a list leaves in text."""
MICROSECONDS = re.compile(r"\.\d{6}")
CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")
HISTORY_LINE = re.compile(
    r"\s*\d+  \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}  \S+\s+[a-z][a-z ]*[a-z]"
)
"""version, when (UK time to the minute), who, what happened in words."""
STORED_NAMES = {event_name(cls) for cls in CASE_EVENTS}


def full_path(run) -> str:
    """Chelmsford: on someone's behalf, met by the hate route, reviewed with a
    recommendation and an action done, the outcome sent, an appeal lodged and decided."""
    ref = receive(
        run,
        "chelmsford",
        "2026-03-02",
        "--on-behalf-of",
        "Vic Tim",
        "--consent-on",
        "2026-03-01",
    )
    run("application", "acknowledge", ref, "--on", "2026-03-03")
    add(run, ref, "2026-02-10", "2026-02-11", "--hate", "--agency-ref", "EP-1")
    add(run, ref, "2026-02-12", "2026-02-20", "--summary", "Shouting")
    run(
        "complaint",
        "correct",
        ref,
        "C2",
        "--reported-on",
        "2026-02-13",
        "--reason",
        "Typo",
    )
    run("threshold", "decide", ref, "--on", "2026-03-05")
    run(
        "meeting", "schedule", ref, "--on", "2026-03-20", "--agencies", "Police,Council"
    )
    run(
        "meeting",
        "held",
        ref,
        "--on",
        "2026-03-20",
        "--attended",
        "Police",
        "--impact-statement",
        "Cannot sleep",
    )
    run(
        "recommendation",
        "add",
        ref,
        "--agency",
        "Police",
        "--text",
        "Patrols",
        "--due",
        "2026-05-01",
    )
    run(
        "action",
        "add",
        ref,
        "--recommendation",
        "R1",
        "--owner",
        "Police",
        "--text",
        "Weekly patrol",
        "--due",
        "2026-04-30",
    )
    run("action", "complete", ref, "A1", "--on", "2026-03-24", "--note", "Started")
    run("outcome", "send", ref, "--on", "2026-03-25")
    run("appeal", "lodge", ref, "--on", "2026-03-30", "--grounds", "Not enough")
    run(
        "appeal",
        "decide",
        ref,
        "--on",
        "2026-04-10",
        "--not-upheld",
        "--reasons",
        "Sound review",
    )
    run("case", "close", ref, "--on", "2026-04-11")
    return ref


def statutory(run) -> str:
    """Gosport: the Act's test met (no route), then withdrawn."""
    ref = receive(run)
    for day in ("01", "05", "09"):
        add(run, ref, f"2026-02-{day}", f"2026-02-{day}")
    run("threshold", "decide", ref, "--on", "2026-03-04")
    run("application", "withdraw", ref, "--on", "2026-03-06", "--reason", "Moved")
    return ref


@pytest.fixture
def refs(run) -> list[str]:
    return [full_path(run), statutory(run)]


def test_case_show_reads_as_sentences_when_a_case_went_through_every_step(
    run, run_json, refs
):
    for ref in refs:
        text = run("case", "show", ref).stdout
        as_json = run_json("case", "show", ref)

        assert text.startswith(ref)
        assert REPR.findall(text) == [], text
        assert "route None" not in text and "_" not in text
        assert set(as_json) >= {
            "ref",
            "area",
            "status",
            "received_on",
            "applicant_kind",
            "version",
            "complaints",
            "threshold",
            "meetings",
            "recommendations",
            "actions",
            "outcome_sent_on",
            "appeal",
            "deadlines",
        }
    full, plain = (run_json("case", "show", ref)["threshold"] for ref in refs)
    assert (full["basis"], full["route"]) == ("route", "hate")
    assert (plain["basis"], plain["route"]) == ("statutory", None)
    assert "the hate route" in run("case", "show", refs[0]).stdout


def test_case_history_shows_times_to_the_minute_and_events_in_words(
    run, run_json, refs
):
    for ref in refs:
        text = run("case", "history", ref).stdout
        as_json = run_json("case", "history", ref)

        lines = text.splitlines()
        assert len(lines) == len(as_json)
        for line in lines:
            assert HISTORY_LINE.fullmatch(line), line
        assert MICROSECONDS.findall(text) == [] and "+00:00" not in text
        assert CAMEL.findall(text) == []
        assert as_json[0]["event"] == "ApplicationReceived"
        assert {row["event"] for row in as_json} <= STORED_NAMES
        assert set(as_json[0]) >= {
            "position",
            "version",
            "event",
            "recorded_at",
            "recorded_by",
            "data",
        }


def test_case_diff_shows_each_field_in_words_when_events_hold_dicts_and_lists(
    run, run_json, refs
):
    for ref in refs:
        text = run("case", "diff", ref, "2000-01-01", "2999-01-01").stdout
        as_json = run_json("case", "diff", ref, "2000-01-01", "2999-01-01")

        assert REPR.findall(text) == [], text
        assert MICROSECONDS.findall(text) == [] and CAMEL.findall(text) == []
        assert as_json == run_json("case", "history", ref)
    decided = next(
        row
        for row in run_json("case", "diff", refs[0], "2000-01-01", "2999-01-01")
        if row["event"] == "ThresholdDecided"
    )
    assert decided["data"]["policy"]["area"] == "chelmsford"
    assert decided["data"]["qualifying"] == ["C1", "C2"]


@pytest.mark.parametrize("area", ["chelmsford", "south-wales", "gosport"])
def test_policy_show_names_routes_and_steps_in_words(run, run_json, area):
    text = run("policy", "show", area, "--on", "2026-01-01").stdout
    as_json = run_json("policy", "show", area, "--on", "2026-01-01")

    assert REPR.findall(text) == [], text
    assert "{'kind'" not in text
    for route in as_json["routes"]:
        assert set(route) >= {"kind"}
        assert route["kind"] in text
    for timescale in as_json["timescales"]:
        words = timescale["from"].replace("_", " ")
        assert f"timescale {timescale['name']}: " in text.lower()
        assert f"from {words} " in text
