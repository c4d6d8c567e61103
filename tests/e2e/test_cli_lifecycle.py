"""The whole lifecycle through the CLI (CliRunner), on SQLite and PostgreSQL."""

from __future__ import annotations

from casereview.domain.case import CASE_EVENTS


def event_name(cls: type) -> str:
    return cls.TOPIC.split(":", 1)[1]


def receive(run, area="gosport", on="2026-03-02", *extra):
    return run(
        "application",
        "receive",
        "--area",
        area,
        "--received-on",
        on,
        "--applicant",
        "Test Applicant",
        *extra,
    ).stdout.strip()


def add(run, ref, incident, reported, *extra):
    return run(
        "complaint",
        "add",
        ref,
        "--agency",
        "Hampshire Police",
        "--incident-on",
        incident,
        "--reported-on",
        reported,
        *extra,
    ).stdout.strip()


def test_every_case_event_is_produced_by_the_cli_when_two_cases_run_every_path(
    run, run_json
):
    ref = receive(run)
    run("application", "acknowledge", ref, "--on", "2026-03-03")
    c1 = add(run, ref, "2026-02-01", "2026-02-01", "--agency-ref", "P-1")
    add(run, ref, "2026-02-10", "2026-02-11", "--incident", "fire")
    add(run, ref, "2026-02-20", "2026-02-28")
    run(
        "complaint",
        "correct",
        ref,
        c1,
        "--reported-on",
        "2026-02-02",
        "--reason",
        "keyed wrongly",
    )
    run("threshold", "decide", ref, "--on", "2026-03-05")
    run(
        "meeting", "schedule", ref, "--on", "2026-03-20", "--agencies", "Council,Police"
    )
    run(
        "meeting",
        "held",
        ref,
        "--on",
        "2026-03-20",
        "--attended",
        "Council,Police",
        "--victim-attended",
    )
    rec = run(
        "recommendation",
        "add",
        ref,
        "--agency",
        "Council",
        "--text",
        "CCTV",
        "--due",
        "2026-05-01",
    ).stdout.strip()
    act = run(
        "action",
        "add",
        ref,
        "--recommendation",
        rec,
        "--owner",
        "Council",
        "--text",
        "Fit camera",
        "--due",
        "2026-04-30",
    ).stdout.strip()
    run("action", "complete", ref, act, "--on", "2026-04-01", "--note", "fitted")
    run("outcome", "send", ref, "--on", "2026-03-25")
    run("appeal", "lodge", ref, "--on", "2026-03-30", "--grounds", "not enough")
    run(
        "appeal",
        "decide",
        ref,
        "--on",
        "2026-04-10",
        "--not-upheld",
        "--reasons",
        "review was sound",
    )
    run("case", "close", ref, "--on", "2026-04-11", "--reason", "done")
    other = receive(run, "gosport", "2026-04-01")
    run("application", "withdraw", other, "--on", "2026-04-02", "--reason", "moved")

    seen = {
        row["event"] for r in (ref, other) for row in run_json("case", "history", r)
    }

    assert {event_name(cls) for cls in CASE_EVENTS} <= seen
    assert (rec, act) == ("R1", "A1")


def test_case_show_json_has_the_contract_keys_when_decided(run, run_json):
    ref = receive(run)
    for day in ("01", "05", "09"):
        add(run, ref, f"2026-02-{day}", f"2026-02-{day}")

    decision = run_json("threshold", "decide", ref, "--on", "2026-03-03")
    shown = run_json("case", "show", ref)

    assert (
        decision["met"] is True
        and decision["basis"] == "statutory"
        and decision["route"] is None
    )
    assert decision["qualifying"] == ["C1", "C2", "C3"] and decision["excluded"] == []
    assert decision["explanation"][-1].startswith("Met: 3 qualifying complaints")
    assert decision["policy"]["area"] == "gosport"
    for key in (
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
    ):
        assert key in shown
    assert shown["status"] == "threshold_met"
    assert set(shown["complaints"][0]) >= {
        "id",
        "agency",
        "agency_ref",
        "incident_on",
        "reported_on",
        "hate",
    }
    assert {k: shown["threshold"][k] for k in decision if k != "explanation"} == {
        k: v for k, v in decision.items() if k != "explanation"
    }


def test_threshold_not_met_explains_what_was_missing_when_a_complaint_is_late(
    run, run_json
):
    ref = receive(run)
    add(run, ref, "2026-02-01", "2026-02-02")
    add(run, ref, "2026-01-01", "2026-02-15")
    add(run, ref, "2026-02-10", "2026-03-04")

    decision = run_json("threshold", "decide", ref, "--on", "2026-03-05")

    assert decision["met"] is False and decision["basis"] is None
    assert decision["missing"] == "1 qualifying complaint; 3 needed"
    reasons = {e["id"]: e["reason"] for e in decision["excluded"]}
    assert reasons["C2"].startswith(
        "reported 45 days after the incident on 1 January 2026"
    )
    assert reasons["C3"].startswith("made after the application")
    assert any("s.104(5)" in line for line in decision["explanation"])


def test_discretion_records_met_with_reasons_when_bodies_decide(run, run_json):
    ref = receive(run)

    decision = run_json(
        "threshold",
        "decide",
        ref,
        "--discretion",
        "met",
        "--reason",
        "Victim at high risk",
    )

    assert decision["met"] is True and decision["basis"] == "discretion"
    assert decision["discretion_reason"] == "Victim at high risk"


def test_upheld_appeal_reopens_the_threshold_and_keeps_the_first_decision(
    run, run_json
):
    ref = receive(run)
    run("threshold", "decide", ref, "--on", "2026-03-05")
    run("outcome", "send", ref, "--on", "2026-03-06")
    run("appeal", "lodge", ref, "--on", "2026-03-10", "--grounds", "complaints missing")
    run("appeal", "decide", ref, "--on", "2026-03-20", "--upheld", "--reasons", "agree")
    for day in ("01", "05", "09"):
        add(run, ref, f"2026-02-{day}", f"2026-02-{day}")

    again = run_json("threshold", "decide", ref, "--on", "2026-03-21")
    shown = run_json("case", "show", ref)

    assert again["met"] is True
    assert shown["decisions"] == 2 and shown["status"] == "threshold_met"
    assert (
        shown["appeal"]["upheld"] is True
        and shown["appeal"]["reopens_at"] == "threshold"
    )


def test_case_list_reads_the_projection_when_filtered(run, run_json):
    first = receive(run)
    second = receive(run, "chelmsford", "2026-03-03")
    run("application", "withdraw", second, "--on", "2026-03-04", "--reason", "x")

    everything = run_json("case", "list")["cases"]
    withdrawn = run_json("case", "list", "--status", "withdrawn")["cases"]
    gosport = run_json("case", "list", "--area", "GOSPORT")["cases"]

    assert [r["ref"] for r in everything] == [second, first]
    assert [r["ref"] for r in withdrawn] == [second]
    assert [r["ref"] for r in gosport] == [first]


def test_case_list_pages_by_reference_with_a_cursor_when_limited(run, run_json):
    refs = [
        receive(run, "gosport", f"2026-03-0{day}") for day in (2, 3, 4, 5, 6)
    ]  # GOSPORT-2026-0001 .. 0005, received 2 to 6 March

    first = run_json("case", "list", "--limit", "2")
    second = run_json("case", "list", "--limit", "2", "--after", first["next"])
    last = run_json("case", "list", "--limit", "2", "--after", second["next"])
    every = run_json("case", "list", "--all")
    march_3_to_5 = run_json(
        "case", "list", "--from", "2026-03-03", "--to", "2026-03-05"
    )
    text = run("case", "list", "--limit", "2")
    refused = run("case", "list", "--limit", "0", ok=False)

    assert [r["ref"] for r in first["cases"]] == refs[:2]
    assert first["next"] == refs[1]
    assert [r["ref"] for r in second["cases"]] == refs[2:4]
    assert [r["ref"] for r in last["cases"]] == refs[4:]
    assert last["next"] is None
    assert [r["ref"] for r in every["cases"]] == refs and every["next"] is None
    assert [r["ref"] for r in march_3_to_5["cases"]] == refs[1:4]
    assert f"2 case(s); the next page: --after {refs[1]}" in text.stderr
    assert (
        refused.exit_code == 2
        and "--limit: 0 is not from 1 to 10,000" in refused.stderr
    )


def test_as_at_shows_the_old_value_when_corrected_later(run, run_json, db_url):
    ref = receive(run)
    add(run, ref, "2026-02-01", "2026-02-03")
    before = run_json("case", "show", ref)["version"]
    history = run_json("case", "history", ref)
    moment = history[-1]["recorded_at"]
    run(
        "complaint",
        "correct",
        ref,
        "C1",
        "--reported-on",
        "2026-02-02",
        "--reason",
        "typo",
    )

    old = run_json("case", "show", ref, "--as-at", moment)
    new = run_json("case", "show", ref)
    diff = run_json("case", "diff", ref, moment, "2999-01-01")

    assert (
        old["version"] == before and old["complaints"][0]["reported_on"] == "2026-02-03"
    )
    assert new["complaints"][0]["reported_on"] == "2026-02-02"
    assert [d["event"] for d in diff] == ["ComplaintCorrected"]


def test_projections_rebuild_verify_reports_equal_when_nothing_changed(run):
    ref = receive(run)
    add(run, ref, "2026-02-01", "2026-02-03")

    result = run("projections", "rebuild", "--verify")

    assert "DIFFERENT" not in result.stdout and "equal" in result.stdout
    assert "rebuilt from" in run("projections", "rebuild").stdout


def test_deadlines_list_pages_with_a_cursor_when_limited(run, run_json):
    refs = [receive(run, "gosport", f"2026-03-0{day}") for day in (2, 3, 4)]

    first = run_json("deadlines", "list", "--limit", "2")
    rest = run_json("deadlines", "list", "--limit", "2", "--after", first["next"])
    every = run_json("deadlines", "list", "--all")
    refused = run("deadlines", "list", "--after", "nonsense", ok=False)

    assert [d["ref"] for d in first["deadlines"]] == refs[:2]
    assert [d["ref"] for d in rest["deadlines"]] == refs[2:] and rest["next"] is None
    assert [d["ref"] for d in every["deadlines"]] == refs and every["next"] is None
    assert (
        refused.exit_code == 2
        and "--after: 'nonsense' is not a cursor" in refused.stderr
    )
