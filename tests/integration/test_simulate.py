"""`policy simulate`: past applications decided again under a proposal; nothing written."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from casereview.cli import cli
from casereview.services.simulation import simulate
from casereview.thresholds.policy import parse_procedure

PROPOSAL = """schema = 1
area = "Chelmsford (draft)"
nation = "england"
effective_from = 2027-04-01
source = "https://example.invalid/draft"
[threshold]
complaints = {count}
{routes}
"""


def proposal(count: int = 3, routes: str = "") -> bytes:
    return PROPOSAL.format(count=count, routes=routes).encode()


def three_cases(service):
    """A hate-route case (1 complaint), a two-complaint case, a three-complaint case."""
    hate = service.receive(
        area="chelmsford",
        received_on=date(2026, 3, 2),
        applicant_name="H",
        hate=True,
        by="t",
    )
    service.add_complaint(
        hate,
        agency="Essex Police",
        incident_on=date(2026, 2, 1),
        reported_on=date(2026, 2, 1),
        hate=True,
        by="t",
    )
    two = service.receive(
        area="chelmsford", received_on=date(2026, 3, 3), applicant_name="T", by="t"
    )
    three = service.receive(
        area="chelmsford", received_on=date(2026, 3, 4), applicant_name="R", by="t"
    )
    for ref, n in ((two, 2), (three, 3)):
        for i in range(n):
            service.add_complaint(
                ref,
                agency="Essex Police",
                incident_on=date(2026, 2, 1 + i),
                reported_on=date(2026, 2, 1 + i),
                by="t",
            )
    for ref in (hate, two):
        service.decide_threshold(ref, date(2026, 3, 10), by="t")
    return hate, two, three


def test_a_lower_count_flips_not_met_to_met_when_simulated(service):
    hate, two, _ = three_cases(service)

    result = simulate(
        service, "chelmsford", parse_procedure(proposal(count=2), "chelmsford")
    )

    assert result.cases == 3
    assert [f.ref for f in result.to_met] == [two]
    assert result.to_met[0].now.startswith(
        "Met under Chelmsford (draft)'s procedure: 2 qualifying"
    )
    assert [f.ref for f in result.to_not_met] == [hate]  # the draft has no hate route


def test_dropping_the_hate_route_flips_met_to_not_met_when_simulated(service):
    hate, _, _ = three_cases(service)

    result = simulate(service, "chelmsford", parse_procedure(proposal(), "chelmsford"))

    assert [f.ref for f in result.to_not_met] == [hate]
    assert result.to_not_met[0].was.startswith("Met by the hate incident route")
    assert result.to_not_met[0].now.startswith(
        "Not met: the nearest test is the Act's threshold"
    )


def test_received_dates_limit_the_cases_when_given(service):
    three_cases(service)

    result = simulate(
        service,
        "chelmsford",
        parse_procedure(proposal(count=2), "chelmsford"),
        received_from=date(2026, 3, 4),
    )

    assert result.cases == 1


def test_simulate_cli_refuses_a_proposal_stricter_than_the_act(db_url, tmp_path: Path):
    draft = tmp_path / "draft.toml"
    draft.write_bytes(proposal(count=4))

    result = CliRunner().invoke(
        cli,
        ["--db", db_url, "policy", "simulate", "chelmsford", "--proposed", str(draft)],
    )

    assert result.exit_code == 3
    assert (
        "threshold.complaints: 4 complaints is stricter than the Act allows"
        in result.stderr
    )


def test_simulate_cli_leaves_the_log_byte_for_byte_unchanged(
    service, db_url, tmp_path: Path
):
    three_cases(service)
    draft = tmp_path / "draft.toml"
    draft.write_bytes(proposal(count=2))
    head = service.app.recorder.max_notification_id()
    db_file = (
        Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    )
    before = hashlib.sha256(db_file.read_bytes()).hexdigest() if db_file else None

    result = CliRunner().invoke(
        cli,
        [
            "--db",
            db_url,
            "policy",
            "simulate",
            "chelmsford",
            "--proposed",
            str(draft),
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    assert '"not_met_to_met": 1' in result.stdout
    assert service.app.recorder.max_notification_id() == head
    if db_file:
        assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
