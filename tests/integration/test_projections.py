"""The read models (casereview/projections) on both stores: rows, catch-up, rebuild, verify,
concurrent runners, corrections, and no personal data in any row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select, update

from casereview.bootstrap import parse_store_url
from casereview.domain.identity import identity_key
from casereview.errors import ServiceUnavailable
from casereview.projections.runner import TOPICS, Projector
from casereview.projections.tables import DIGESTED
from casereview.services.cases import CaseService

BY = "tester"
NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.q@example.invalid"
ADDRESS = "12 Hidden Lane, Gosport"
SUMMARY = "Shouting from the flat above every night"
COMPLAINANT = "Ottoline Featherstonehaugh"
TEXTS = (
    "Complaint text about the neighbour",
    "Recommendation text naming people",
    "Action text naming people",
    "Grounds text for the appeal",
    "Reasons text for the decision",
    "Reason text for closing",
    "Withdrawal reason text",
    "Correction reason text",
    "Impact statement text",
)
PERSONAL = (NAME, EMAIL, ADDRESS, SUMMARY, COMPLAINANT, *TEXTS)
FRAGMENTS = ("Zebedee", "Quartermaine", "Ottoline", "Featherstonehaugh", "Hidden Lane")


@pytest.fixture
def projector(service: CaseService, db_url: str) -> Iterator[Projector]:
    p = Projector(service.app, parse_store_url(db_url))
    p.create()
    yield p
    p.close()


def receive(service: CaseService, on: date = date(2026, 10, 1)) -> str:
    return service.receive(
        area="gosport",
        received_on=on,
        applicant_name=NAME,
        email=EMAIL,
        address=ADDRESS,
        summary=SUMMARY,
        vulnerable=True,
        by=BY,
    )


def add_complaints(service: CaseService, ref: str, n: int = 3, tag: str = "P") -> None:
    for i in range(n):
        service.add_complaint(
            ref,
            agency="police" if i % 2 == 0 else "council",
            incident_on=date(2026, 9, 1 + 5 * i),
            reported_on=date(2026, 9, 2 + 5 * i),
            agency_ref=f"{tag}-{ref}-{i + 1}",
            complainant=COMPLAINANT if i == 1 else None,
            summary=TEXTS[0],
            by=BY,
        )


def full_lifecycle(service: CaseService, projector: Projector) -> tuple[str, list[str]]:
    """One case from receipt to closure, caught up after every step; statuses seen."""
    seen: list[str] = []

    def step() -> None:
        projector.catch_up()
        seen.append(projector.list_cases()[0]["status"])

    ref = receive(service)
    step()
    service.acknowledge(ref, date(2026, 10, 2), by=BY)
    step()
    add_complaints(service, ref)
    step()
    assert service.decide_threshold(ref, date(2026, 10, 6), by=BY).met
    step()
    service.schedule_meeting(ref, date(2026, 10, 10), ["police", "council"], by=BY)
    step()
    service.hold_meeting(
        ref, date(2026, 10, 12), ["police"], impact_statement=TEXTS[8], by=BY
    )
    step()
    rec = service.add_recommendation(ref, "council", TEXTS[1], by=BY)
    step()
    service.agree_action(ref, rec, "council", TEXTS[2], date(2026, 12, 1), by=BY)
    step()
    service.send_outcome(ref, date(2026, 10, 15), by=BY)
    step()
    service.lodge_appeal(ref, date(2026, 10, 20), TEXTS[3], by=BY)
    step()
    service.decide_appeal(
        ref, date(2026, 10, 25), upheld=False, reasons=TEXTS[4], by=BY
    )
    step()
    service.close(ref, date(2026, 10, 30), TEXTS[5], by=BY)
    step()
    return ref, seen


def test_live_catch_up_gives_the_expected_rows(
    service: CaseService, projector: Projector
) -> None:
    ref, seen = full_lifecycle(service, projector)
    assert seen == [
        "received",
        "acknowledged",
        "acknowledged",
        "threshold_met",
        "meeting_scheduled",
        "reviewed",
        "reviewed",
        "reviewed",
        "outcome_sent",
        "appealed",
        "appeal_decided",
        "closed",
    ]
    withdrawn = receive(service, date(2026, 10, 3))
    add_complaints(service, withdrawn, 1, tag="W")
    service.withdraw(withdrawn, date(2026, 10, 8), TEXTS[6], by=BY)
    # Three case events, plus the acknowledgement deadline scheduled and then cancelled.
    assert projector.catch_up() == 5

    rows = {row["ref"]: row for row in projector.list_cases()}
    closed = rows[ref]
    closed.pop("case_id")
    assert closed == {
        "ref": ref,
        "area": "gosport",
        "status": "closed",
        "received_on": date(2026, 10, 1),
        "applicant_kind": "victim",
        "hate": False,
        "vulnerable": True,
        "complaints": 3,
        "acknowledged_on": date(2026, 10, 2),
        "decided_on": date(2026, 10, 6),
        "threshold_met": True,
        "basis": "statutory",
        "route": None,
        "meeting_on": date(2026, 10, 10),
        "reviewed_on": date(2026, 10, 12),
        "recommendations": 1,
        "actions_open": 1,
        "outcome_sent_on": date(2026, 10, 15),
        "appeal_lodged_on": date(2026, 10, 20),
        "appeal_upheld": False,
        "closed_on": date(2026, 10, 30),
        "withdrawn_on": None,
        "version": 14,
    }
    gone = rows[withdrawn]
    assert (gone["status"], gone["withdrawn_on"], gone["complaints"]) == (
        "withdrawn",
        date(2026, 10, 8),
        1,
    )
    assert (gone["decided_on"], gone["threshold_met"], gone["closed_on"]) == (
        None,
        None,
        None,
    )
    assert gone["version"] == 3

    assert [r["ref"] for r in projector.list_cases(statuses=["withdrawn"])] == [
        withdrawn
    ]
    assert [
        r["ref"] for r in projector.list_cases(area="GOSPORT", statuses=["closed"])
    ] == [ref]
    assert projector.list_cases(area="suffolk") == []
    complaints = projector.complaint_rows(ref)
    assert [c["complaint_id"] for c in complaints] == ["C1", "C2", "C3"]
    assert complaints[1] == {
        "ref": ref,
        "complaint_id": "C2",
        "agency": "council",
        "agency_ref": f"P-{ref}-2",
        "incident": None,
        "incident_on": date(2026, 9, 6),
        "reported_on": date(2026, 9, 7),
        "hate": False,
        "identity": identity_key("council", f"P-{ref}-2"),
    }
    assert projector.find_complaint("council", f"P-{ref}-2") == (ref, "C2")
    # Compared as the domain compares references: case and spaces do not matter.
    assert projector.find_complaint(" Council ", f"p-{ref.lower()}-2") == (ref, "C2")
    assert projector.find_complaint("police", f"P-{ref}-2") is None


def test_catch_up_is_idempotent(service: CaseService, projector: Projector) -> None:
    ref = receive(service)
    add_complaints(service, ref)
    assert projector.catch_up() == 5  # 4 case events and the acknowledgement deadline
    assert projector.catch_up() == 0
    again = Projector(service.app, projector.store)
    try:
        assert again.catch_up() == 0, "the position is in the database, not the object"
    finally:
        again.close()
    assert projector.list_cases()[0]["complaints"] == 3


def test_rebuild_gives_equal_digests(
    service: CaseService, projector: Projector
) -> None:
    full_lifecycle(service, projector)
    add_complaints(service, receive(service), 2, tag="X")
    projector.catch_up()
    live = projector.digests()
    assert set(live) == set(DIGESTED)
    projected = service.app.recorder.select_notifications(
        start=1, limit=10_000, topics=TOPICS
    )
    # 17 case events, the rest their deadlines.
    assert len(projected) > 17
    beside = Projector(service.app, projector.store, prefix="rb_")
    try:
        assert beside.rebuild() == len(projected)
        assert beside.digests() == live
    finally:
        beside.drop()
        beside.close()
    progress: list[tuple[int, int]] = []
    assert projector.rebuild(progress=lambda a, b: progress.append((a, b))) == len(
        projected
    )
    assert projector.digests() == live
    assert progress and progress[-1][0] == projector.position()


def test_verify_reports_equal_and_spots_a_tampered_row(
    service: CaseService, projector: Projector
) -> None:
    ref, _ = full_lifecycle(service, projector)
    service.withdraw(
        receive(service), date(2026, 10, 5), TEXTS[6], by=BY
    )  # not caught up
    equal, report = projector.verify()
    assert equal, report
    assert set(report) == set(DIGESTED)
    assert len(projector.list_cases()) == 2, "verify catches the live tables up first"

    cases = projector.tables.cases
    with projector.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.ref == ref).values(complaints=9))
    equal, report = projector.verify()
    assert not equal
    assert report["cases"][0] != report["cases"][1]
    assert report["complaints"][0] == report["complaints"][1]
    # The fresh verify_ tables are dropped afterwards.
    with projector.engine.connect() as conn:
        names = set(conn.dialect.get_table_names(conn, schema=projector.store.schema))
    assert not {n for n in names if n.startswith("verify_")}


def test_concurrent_runners_apply_each_event_once(
    service: CaseService, projector: Projector
) -> None:
    refs = [receive(service, date(2026, 10, d)) for d in (1, 2, 3)]
    for i, ref in enumerate(refs):
        add_complaints(service, ref, 2 + i, tag=f"T{i}")
    total = 3 + 2 + 3 + 4 + 3  # receipts, complaints, and one deadline per receipt
    runners = [Projector(service.app, projector.store) for _ in range(3)]
    applied: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(runners))

    def run(p: Projector) -> None:
        try:
            barrier.wait()
            applied.append(p.catch_up(batch=2))
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        for round_ in range(2):
            threads = [threading.Thread(target=run, args=(p,)) for p in runners]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert not errors, errors
            assert sum(applied) == total, applied
            if round_ == 0:  # more events, then race again
                add_complaints(service, refs[0], 3, tag="R2")
                total += 3
    finally:
        for p in runners:
            p.close()
    rows = {r["ref"]: r for r in projector.list_cases()}
    assert [rows[ref]["complaints"] for ref in refs] == [5, 3, 4]
    assert [len(projector.complaint_rows(ref)) for ref in refs] == [5, 3, 4]
    assert projector.verify()[0]


def test_a_corrected_complaint_updates_its_row(
    service: CaseService, projector: Projector
) -> None:
    ref = receive(service)
    add_complaints(service, ref, 2)
    projector.catch_up()
    service.correct_complaint(
        ref,
        "C1",
        {"incident_on": date(2026, 8, 30), "agency": "housing", "hate": True},
        TEXTS[7],
        by=BY,
    )
    service.correct_complaint(ref, "C2", {"agency_ref": "H-9"}, TEXTS[7], by=BY)
    assert projector.catch_up() == 2
    c1, c2 = projector.complaint_rows(ref)
    assert (c1["incident_on"], c1["reported_on"], c1["agency"], c1["hate"]) == (
        date(2026, 8, 30),
        date(2026, 9, 2),
        "housing",
        True,
    )
    assert (c2["agency"], c2["agency_ref"]) == ("council", "H-9")
    assert projector.find_complaint("council", "H-9") == (ref, "C2")
    assert projector.find_complaint("COUNCIL", "h-9") == (ref, "C2")
    assert projector.find_complaint("council", f"P-{ref}-2") is None  # corrected away
    assert projector.find_complaint("housing", f"P-{ref}-1") == (ref, "C1")
    assert projector.list_cases()[0]["version"] == 5


def dump(projector: Projector) -> str:
    lines: list[str] = []
    with projector.engine.connect() as conn:
        for table in projector.tables.by_name().values():
            for row in conn.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def test_no_personal_data_in_the_projection(
    service: CaseService, projector: Projector
) -> None:
    full_lifecycle(service, projector)
    ref = receive(service)
    add_complaints(service, ref, 2, tag="N")
    service.correct_complaint(ref, "C1", {"hate": True}, TEXTS[7], by=BY)
    service.withdraw(ref, date(2026, 10, 5), TEXTS[6], by=BY)
    projector.catch_up()
    text = dump(projector)
    assert ref in text and "GOSPORT" in text, "the dump holds the rows"
    lowered = text.casefold()
    for part in (*PERSONAL, *FRAGMENTS):
        assert part.casefold() not in lowered, part
    # ...while the events do hold them (so the test would see a leak).
    events = service.app.case_events(ref)
    assert any(
        getattr(getattr(e, "applicant", None), "name", None) == NAME for e in events
    )


def test_an_unreachable_database_is_service_unavailable(service: CaseService) -> None:
    store = parse_store_url("postgresql://postgres@127.0.0.1:1/test")
    p = Projector(service.app, store)
    try:
        with pytest.raises(ServiceUnavailable, match="unavailable"):
            p.create()
    finally:
        p.close()


def test_a_stale_runner_is_refused_and_changes_nothing(
    service: CaseService, projector: Projector
) -> None:
    from casereview.projections.replay import Overtaken

    ref = receive(service)
    add_complaints(service, ref, 2)
    stale = Projector(service.app, projector.store)
    try:
        start = stale.position()
        batch = stale._select(start, 100, None)
        assert projector.catch_up() == len(batch) == 4  # someone else gets there first
        before = projector.digests()
        with pytest.raises(Overtaken):
            stale._apply_batch(start, batch)
        assert projector.digests() == before
        assert projector.list_cases()[0]["complaints"] == 2
    finally:
        stale.close()
