"""The read models know their schema version: tables built by another version are rebuilt
from the log automatically (the log is the truth, read models are disposable)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, inspect, select

from casereview.adapters.store import parse_store_url
from casereview.projections import tables
from casereview.projections.runner import Projector
from casereview.services.cases import CaseService

BY = "tester"


def some_cases(service: CaseService) -> list[str]:
    refs = []
    for day in (1, 2):
        ref = service.receive(
            area="gosport",
            received_on=date(2026, 10, day),
            applicant_name="Pat Example",
            by=BY,
        )
        for i in range(3):
            service.add_complaint(
                ref,
                agency="police",
                incident_on=date(2026, 9, 1 + 5 * i),
                reported_on=date(2026, 9, 2 + 5 * i),
                by=BY,
            )
        refs.append(ref)
    first = refs[0]
    service.decide_threshold(first, date(2026, 10, 6), by=BY)
    service.schedule_meeting(first, date(2026, 10, 10), ["police"], by=BY)
    service.hold_meeting(first, date(2026, 10, 12), ["police"], by=BY)
    rec = service.add_recommendation(first, "council", "Text", date(2026, 12, 1), by=BY)
    action = service.agree_action(
        first, rec, "council", "Text", date(2026, 11, 1), by=BY
    )
    service.complete_action(first, action, date(2026, 10, 30), by=BY)
    return refs


def test_a_new_schema_version_rebuilds_the_read_models(
    service: CaseService, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = parse_store_url(db_url)
    refs = some_cases(service)
    old = Projector(service.app, store)
    try:
        old.create()
        assert old.stored_schema_version() == tables.SCHEMA_VERSION
        assert old.schema_reset is None
        applied = old.catch_up()
        before = old.digests()
        assert set(before) >= {"recommendations", "actions"}
        with old.engine.connect() as conn:
            recs = conn.execute(select(old.tables.recommendations)).all()
            acts = conn.execute(select(old.tables.actions)).all()
        assert [tuple(r) for r in recs] == [
            (refs[0], "R1", "council", date(2026, 12, 1), date(2026, 10, 12))
        ]
        assert [tuple(a) for a in acts] == [
            (refs[0], "A1", "R1", "council", date(2026, 11, 1), date(2026, 10, 30))
        ]
        # A row the new version would not write: it must not survive the rebuild.
        with old.engine.begin() as conn:
            conn.execute(delete(old.tables.complaints))
        assert old.digests() != before
    finally:
        old.close()

    monkeypatch.setattr(tables, "SCHEMA_VERSION", tables.SCHEMA_VERSION + 1)
    new = Projector(service.app, store)
    try:
        new.create()
        assert new.schema_reset == (tables.SCHEMA_VERSION - 1, tables.SCHEMA_VERSION)
        assert new.stored_schema_version() == tables.SCHEMA_VERSION
        assert new.position() == 0, "emptied, to be replayed"
        progress: list[tuple[int, int]] = []
        assert new.catch_up(progress=lambda a, b: progress.append((a, b))) == applied
        assert progress and progress[-1][0] == new.position()
        assert new.digests() == before
        assert new.verify()[0]
    finally:
        new.close()

    again = Projector(service.app, store)  # same version now: nothing to do
    try:
        again.create()
        assert again.schema_reset is None
        assert again.catch_up() == 0
        assert again.digests() == before
    finally:
        again.close()


def test_old_version_tables_stay_beside_the_new_until_a_rebuild_drops_them(
    service: CaseService, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = parse_store_url(db_url)
    some_cases(service)
    old = Projector(service.app, store)
    try:
        old.catch_up()
        before = old.digests()
        old_names = {t.name for t in old.tables.by_name().values()}
    finally:
        old.close()
    monkeypatch.setattr(tables, "SCHEMA_VERSION", tables.SCHEMA_VERSION + 1)
    new = Projector(service.app, store)
    try:
        new.catch_up()

        with new.engine.connect() as conn:
            present = set(inspect(conn).get_table_names(schema=store.schema or None))
        assert old_names <= present, "an older program can still read its own tables"
        assert new.digests() == before
        assert new.drop_other_versions() == [tables.SCHEMA_VERSION - 1]
        with new.engine.connect() as conn:
            present = set(inspect(conn).get_table_names(schema=store.schema or None))
        assert not old_names & present
        assert new.digests() == before
    finally:
        new.close()
