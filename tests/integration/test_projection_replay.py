"""A rebuild's replay (casereview/projections/replay.py) on both stores: in batches of any size
it leaves the rows a live catch-up leaves, changing rows written by earlier batches (corrected
complaints, completed actions, deadlines and letters); and when another runner writes to its
tables meanwhile it goes on as an ordinary catch-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from casereview.adapters.store import parse_store_url
from casereview.projections.runner import TOPICS, Projector
from casereview.services.cases import CaseService
from tests.integration.test_projection_decode import every_kind_of_event


@pytest.fixture
def live(service: CaseService, db_url: str) -> Iterator[Projector]:
    """The live read models of a store holding every kind of event, caught up."""
    every_kind_of_event(service)
    p = Projector(service.app, parse_store_url(db_url))
    p.catch_up(batch=1)
    yield p
    p.close()


def projected(service: CaseService) -> int:
    return len(
        service.app.recorder.select_notifications(start=1, limit=10_000, topics=TOPICS)
    )


@pytest.mark.parametrize("batch", [1, 2, 3, 7, 10_000])
def test_a_replay_in_batches_of_any_size_equals_live(
    service: CaseService, live: Projector, batch: int
) -> None:
    rebuilt = Projector(service.app, live.store, prefix="rb_")
    reached: list[int] = []
    try:
        applied = rebuilt.rebuild(lambda at, head: reached.append(at), batch=batch)
        assert applied == projected(service)
        assert rebuilt.digests() == live.digests()
        assert reached[-1] == rebuilt.position() == live.position()
        assert len(reached) == -(-applied // batch), "progress after every batch"
    finally:
        rebuilt.drop()
        rebuilt.close()


def test_a_replay_overtaken_goes_on_as_a_catch_up(
    service: CaseService, live: Projector
) -> None:
    rebuilt = Projector(service.app, live.store, prefix="rb_")
    other = Projector(service.app, live.store, prefix="rb_")
    applied_by_other: list[int] = []

    def meanwhile(at: int, head: int) -> None:
        if not applied_by_other:  # after the replay's first batch, another runner
            ahead = service.app.recorder.select_notifications(
                start=at, limit=3, topics=TOPICS, inclusive_of_start=False
            )
            applied_by_other.append(
                other._catch_up(None, 2, stop=ahead[-1].id)  # applies three events
            )

    try:
        applied = rebuilt.rebuild(meanwhile, batch=4)
        assert applied_by_other == [3]
        assert applied + 3 == projected(service)
        assert rebuilt.digests() == live.digests()
    finally:
        rebuilt.drop()
        rebuilt.close()
        other.close()
