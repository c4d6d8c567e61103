"""`case list --status open` (issue 12): every case whose status is not final, whatever
stage it has reached; an unknown status is bad input naming `--status`."""

from __future__ import annotations

FINAL = {"closed", "withdrawn", "void"}
"""CONTRACT.md: the statuses a case ends in (`void` where the store has it)."""


def rows_of(listing, key="cases"):
    """A list command's rows, whether it prints a list or a page `{key: [...], "next"}`."""
    return listing[key] if isinstance(listing, dict) else listing


def case_in_every_status(run) -> dict[str, str]:
    """One case at each status of CONTRACT.md a command can reach: status -> ref."""

    def receive() -> str:
        return run(
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-02",
            "--applicant",
            "Status Person",
        ).stdout.strip()

    def decide(ref: str, met: bool) -> None:
        extra = ("--discretion", "met", "--reason", "High harm") if met else ()
        run("threshold", "decide", ref, "--on", "2026-03-04", *extra)

    def meeting(ref: str, held: bool) -> None:
        run("meeting", "schedule", ref, "--on", "2026-03-10", "--agencies", "Council")
        if held:
            run("meeting", "held", ref, "--on", "2026-03-10", "--attended", "Council")

    def outcome(ref: str) -> None:
        decide(ref, met=False)
        run("outcome", "send", ref, "--on", "2026-03-05")

    def appeal(ref: str, decided: bool) -> None:
        outcome(ref)
        run("appeal", "lodge", ref, "--on", "2026-03-06", "--grounds", "Unfair")
        if decided:
            run(
                "appeal",
                "decide",
                ref,
                "--on",
                "2026-03-09",
                "--not-upheld",
                "--reasons",
                "Fair",
            )

    steps = {
        "received": lambda ref: None,
        "acknowledged": lambda ref: run(
            "application", "acknowledge", ref, "--on", "2026-03-03"
        ),
        "threshold_not_met": lambda ref: decide(ref, met=False),
        "threshold_met": lambda ref: decide(ref, met=True),
        "meeting_scheduled": lambda ref: (
            decide(ref, met=True),
            meeting(ref, held=False),
        ),
        "reviewed": lambda ref: (decide(ref, met=True), meeting(ref, held=True)),
        "outcome_sent": outcome,
        "appealed": lambda ref: appeal(ref, decided=False),
        "appeal_decided": lambda ref: appeal(ref, decided=True),
        "closed": lambda ref: (
            outcome(ref),
            run("case", "close", ref, "--on", "2026-03-06"),
        ),
        "withdrawn": lambda ref: run(
            "application", "withdraw", ref, "--on", "2026-03-03", "--reason", "Moved"
        ),
    }
    refs = {}
    for status, step in steps.items():
        refs[status] = ref = receive()
        step(ref)
    return refs


def test_open_lists_every_case_not_closed_or_withdrawn_when_cases_are_at_every_status(
    run, run_json
):
    refs = case_in_every_status(run)

    every = rows_of(run_json("case", "list"))
    open_ = rows_of(run_json("case", "list", "--status", "open"))
    text = run("case", "list", "--status", "open").stdout

    status_of = {row["ref"]: row["status"] for row in every}
    assert {status_of[ref] for ref in refs.values()} == set(refs)  # each one reached
    expected = sorted(ref for ref, status in status_of.items() if status not in FINAL)
    assert sorted(row["ref"] for row in open_) == expected
    assert len(expected) == len(refs) - 2
    assert sorted(line.split()[0] for line in text.splitlines() if line) == expected


def test_an_unknown_status_is_bad_input_naming_the_option_when_listing(run):
    run(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "Status Person",
    )

    result = run("case", "list", "--status", "opened", ok=False)

    assert result.exit_code == 2
    assert "--status" in result.stderr and "'opened'" in result.stderr
    assert result.stdout == ""
