"""A committed event never turns into a failed command, and one event the read models cannot
hold never stops them (issue 11, item 1): lists, statistics, deadlines and letters go on, and
the reading command says so once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casereview.adapters.policy_files import SHIPPED_POLICIES
from casereview.bootstrap import build_service, parse_store_url
from casereview.domain.personal import Person
from casereview.projections.runner import Projector

AGENCY = "Gosport Borough Council"
COMPLAINT = ["--incident-on", "2026-02-01", "--reported-on", "2026-02-01"]


def record_unchecked(db_url: str, ref: str, agency: str) -> None:
    """What an older version, which checked no limits, let into the log: straight to the
    aggregate, past the service's checks."""
    service = build_service(parse_store_url(db_url), SHIPPED_POLICIES)
    try:
        service.app.change(
            ref,
            lambda case: case.record_complaint(
                agency=agency,
                incident_on=date(2026, 2, 1),
                reported_on=date(2026, 2, 1),
                complainant=Person(case.victim_id, None),
                agency_ref=None,
                incident=None,
                hate=False,
                summary=None,
                at=datetime(2026, 3, 3, tzinfo=UTC),
                by="older version",
            ),
        )
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
        "Sam Jones",
    ).stdout.strip()


@pytest.mark.parametrize(
    "agency", ["A" * 300, "Gosport\x00Council"], ids=["too-long", "nul"]
)
def test_an_event_the_tables_cannot_hold_stops_nothing_when_read(
    run, ref, db_url, agency
):
    run("case", "list")  # the read models have caught up before the bad event
    record_unchecked(db_url, ref, agency)

    added = run("complaint", "add", ref, "--agency", AGENCY, *COMPLAINT)
    later = run(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-04",
        "--applicant",
        "Pat",
    ).stdout.strip()
    listed = run("case", "list", "--json")
    checked = run("deadlines", "check", "--json")
    stats = run("stats", "--year", "2025", "--json")
    sent = run("notifications", "send", "--json")
    rebuilt = run("projections", "rebuild")

    assert added.stdout.strip() == "C2"
    assert f'"ref": "{later}"' in listed.stdout
    assert '"applications": 2' in stats.stdout
    assert checked.exit_code == sent.exit_code == rebuilt.exit_code == 0
    if "postgresql" in db_url:  # SQLite holds any text; PostgreSQL refuses both values
        assert listed.stderr.count("could not hold 1 event(s)") == 1
        assert agency not in listed.stderr
    else:
        assert listed.stderr == ""


def test_a_write_whose_read_models_fail_prints_its_id_and_exits_0(
    run, ref, monkeypatch
):
    def broken(self, *args, **kwargs):
        raise RuntimeError("read model down")

    monkeypatch.setattr(Projector, "catch_up", broken)

    result = run("complaint", "add", ref, "--agency", AGENCY, *COMPLAINT)

    assert result.stdout.strip() == "C1"
    assert "recorded, but the read models are not up to date yet" in result.stderr
