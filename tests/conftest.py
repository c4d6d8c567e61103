"""Shared fixtures: a fixed clock, and a store parametrised over SQLite and PostgreSQL.

PostgreSQL tests run against 127.0.0.1:5432 (or CASEREVIEW_TEST_PG), each test in its own
schema so runs never collide. Without a server they are skipped with the reason; under CI=true
a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from casereview.adapters.policy_files import SHIPPED_POLICIES

PG_BASE = os.environ.get(
    "CASEREVIEW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"
)
TODAY = date(2026, 11, 20)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_reachable() -> str | None:
    import psycopg

    from casereview.adapters.store import parse_store_url

    env = parse_store_url(PG_BASE).env
    try:
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=3,
        ):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL not reachable at {PG_BASE}: {str(exc).strip()}"


PG_PROBLEM = _postgres_reachable()
if PG_PROBLEM and IN_CI:
    raise RuntimeError(f"CI=true requires PostgreSQL: {PG_PROBLEM}")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(PG_PROBLEM is not None, reason=PG_PROBLEM or ""),
        ],
    ),
]


class FixedClock:
    """Recording time under test control: starts at 09:00 on TODAY, ticks a second per call."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(
        PG_BASE.replace("postgresql://", "postgresql://", 1), autocommit=True
    ) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casereview.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_BASE}?schema={schema}"
    drop_schema(schema)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service_factory(db_url: str, clock: FixedClock) -> Iterator[Callable[..., object]]:
    """Builds CaseServices on the test store; every one is closed at teardown."""
    from casereview.bootstrap import build_service, parse_store_url

    made = []

    def make(policies: Path = SHIPPED_POLICIES):  # type: ignore[no-untyped-def]
        service = build_service(parse_store_url(db_url), policies, clock=clock)
        made.append(service)
        return service

    yield make
    for service in made:
        service.app.close()


@pytest.fixture
def service(service_factory):  # type: ignore[no-untyped-def]
    return service_factory()
