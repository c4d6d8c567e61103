"""Properties over random valid command sequences (tests/scenarios.py), on both stores:

(a) replay equals live: the case as the commands left it in memory, the case a fresh application
    loads from the store, and the case folded by hand from its events are the same; and every
    past version has the status the live run saw right after the command that made it;
(b) the read models kept live (caught up after every command) equal a rebuild from the log.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from casereview.adapters.eventstore import CaseReviews
from casereview.adapters.policy_files import SHIPPED_POLICIES
from casereview.bootstrap import Store, build_service, parse_store_url
from casereview.domain.case import Case
from casereview.projections.runner import Projector
from casereview.services.cases import CaseService
from tests.conftest import BACKENDS, PG_BASE, FixedClock, drop_schema
from tests.scenarios import Step, intended_steps, run_steps

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def fresh_store(backend: str) -> Iterator[Store]:
    """An empty store for one example: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="casereview-prop-")
        try:
            yield parse_store_url(f"sqlite:///{folder}/casereview.db")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    schema = f"p_{uuid.uuid4().hex[:12]}"
    try:
        yield parse_store_url(f"{PG_BASE}?schema={schema}")
    finally:
        drop_schema(schema)


@contextmanager
def service_on(store: Store) -> Iterator[CaseService]:
    service = build_service(store, SHIPPED_POLICIES, clock=FixedClock())
    try:
        yield service
    finally:
        service.app.close()


def keep_live_cases(app: CaseReviews) -> dict[str, dict[str, Any]]:
    """Copies of each Case object's state as it stood when the commands saved it."""
    live: dict[str, dict[str, Any]] = {}
    save = app.save

    def saving(*objects: Any, **kwargs: Any) -> Any:
        result = save(*objects, **kwargs)
        for obj in objects:
            if isinstance(obj, Case):
                live[obj.ref] = copy.deepcopy(obj.__dict__)
        return result

    app.save = saving  # type: ignore[method-assign]
    return live


def fold(events: list[Any]) -> Case:
    case: Any = None
    for e in events:
        case = e.mutate(case)
    assert isinstance(case, Case)
    return case


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(intended=intended_steps())
def test_replay_equals_live(backend: str, intended: list[Step]) -> None:
    with fresh_store(backend) as store, service_on(store) as service:
        live = keep_live_cases(service.app)
        run = run_steps(service, intended)
        assert run.refs, "every sequence starts with a receipt"
        other = CaseReviews(env=dict(store.env), clock=FixedClock())
        try:
            for ref in run.refs:
                loaded = other.get_case(ref)
                assert loaded.__dict__ == live[ref], ref
                assert service.app.get_case(ref).__dict__ == live[ref], ref
                assert fold(other.case_events(ref)).__dict__ == live[ref], ref
                seen = {d.version: d.status for d in run.done if d.ref == ref}
                assert sorted(seen) == list(range(1, loaded.version + 1)), (
                    "one event per command"
                )
                for version, status in seen.items():
                    past = other.get_case(ref, version=version)
                    assert past.version == version
                    assert past.status == status, (ref, version)
        finally:
            other.close()


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(intended=intended_steps())
def test_rebuilt_projection_equals_live(backend: str, intended: list[Step]) -> None:
    with fresh_store(backend) as store, service_on(store) as service:
        projector = Projector(service.app, store)
        rebuilt = Projector(service.app, store, prefix="rb_")
        try:
            projector.create()
            run = run_steps(service, intended, after=projector.catch_up)
            assert projector.catch_up() == 0, "live catch-up after every command"
            rows = {row["ref"]: row for row in projector.list_cases()}
            assert sorted(rows) == sorted(run.refs)
            for ref in run.refs:
                case = service.app.get_case(ref)
                row = rows[ref]
                assert row["status"] == case.status
                assert row["version"] == case.version
                assert row["complaints"] == len(case.complaints)
                assert row["recommendations"] == len(case.recommendations)
                assert row["actions_open"] == sum(
                    1 for a in case.actions.values() if a.completed_on is None
                )
                met = None if case.decision is None else case.decision.met
                assert row["threshold_met"] == met
                complaints = {
                    c["complaint_id"]: c for c in projector.complaint_rows(ref)
                }
                assert sorted(complaints) == sorted(case.complaints)
                for cid, c in case.complaints.items():
                    got = complaints[cid]
                    assert (got["agency"], got["agency_ref"], got["incident"]) == (
                        c.agency,
                        c.agency_ref,
                        c.incident,
                    )
                    assert (got["incident_on"], got["reported_on"], got["hate"]) == (
                        c.incident_on,
                        c.reported_on,
                        c.hate,
                    )
            equal, report = projector.verify()
            assert equal, report
            rebuilt.rebuild()
            assert rebuilt.digests() == projector.digests()
        finally:
            rebuilt.drop()
            rebuilt.close()
            projector.close()
