"""A rebuild's replay: the whole log into fresh, empty tables, the rows held between batches.

A catch-up batch loads the rows its events change, applies the events and writes the rows
back. Replaying a whole log that way reads and rewrites every case row once per batch, and
costs more per batch as the tables grow. A replay starts from empty tables that no other runner
writes, so it holds the rows itself instead: the cases, deadlines and letters (a row per
stream, every event changes one) whole, from the first batch to the last; the complaints,
recommendations and actions (a row per event, seldom changed again) only until their batch is
written, and fetched back by key in the rare event that changes one later. Each batch is still
written in one transaction with the position (new rows inserted, held rows updated where they
changed), so a crash leaves tables and position agreeing, as a catch-up would.

Should another runner claim a batch after all (a catch-up of the same tables meanwhile), the
held rows no longer describe the tables: the replay stops there and the caller goes on as an
ordinary catch-up, from the position that runner left.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from casereview.projections.batch import Batch, BatchWriter, Key, Row
from casereview.projections.db import UNHOLDABLE
from casereview.projections.decode import Decoder

if TYPE_CHECKING:
    from casereview.projections.log import Stored

HELD = ("cases", "deadlines", "letters")
"""Tables whose rows a replay holds from start to end (a few per case)."""

Select = Callable[[int, int, int | None], "Sequence[Stored]"]
"""(after notification id, at most, up to id) -> the next notifications the models follow."""
Claim = Callable[[Connection, int, int], None]
"""In the transaction: advance the position from one id to another, or raise Overtaken."""
Progress = Callable[[int], None]
"""Called after each batch with the notification id reached."""


class Overtaken(Exception):
    """Another runner advanced the position first; this batch is rolled back."""


class Replay:
    """Replays notifications after position 0 into empty tables, `batch` per transaction."""

    def __init__(
        self,
        engine: Engine,
        writer: BatchWriter,
        decode: Decoder,
        select: Select,
        claim: Claim,
    ) -> None:
        self.engine, self.writer, self.decode = engine, writer, decode
        self.select, self.claim = select, claim
        self.rows = Batch(fetch=self._fetch)

    def run(
        self, conn: Connection, batch: int, stop: int | None, progress: Progress
    ) -> tuple[int, bool]:
        """(events applied, whether the replay reached the end rather than being
        overtaken). `conn` begins each transaction and writes the rows."""
        with _collector_relaxed():
            return self._run(conn, batch, stop, progress)

    def _run(
        self, conn: Connection, batch: int, stop: int | None, progress: Progress
    ) -> tuple[int, bool]:
        applied = old = 0
        while notifications := self.select(old, batch, stop):
            new = notifications[-1].id
            try:
                for n in notifications:
                    self.rows.apply(self.decode(n, n.stream))
                with conn.begin():
                    self.claim(conn, old, new)
                    self.writer.write(conn, self.rows)
            except (Overtaken, *UNHOLDABLE):
                # Overtaken: another runner claimed the batch. Unholdable: an event of
                # this batch cannot be stored; the held rows no longer match the tables
                # either way, so the caller goes on as a catch-up from `old`.
                return applied, False
            self.rows.settle(HELD)
            applied += len(notifications)
            old = new
            progress(new)
        return applied, True

    def _fetch(self, table: str, key: Key) -> Row | None:
        """A row an earlier batch wrote and let go (rows of held tables are all here)."""
        if table in HELD:
            return None
        with self.engine.connect() as conn:
            return self.writer.fetch(conn, table, key)


@contextmanager
def _collector_relaxed() -> Iterator[None]:
    """Python's cyclic collector runs every 700 new container objects, and its full passes
    walk every row held: a sixth of a national rebuild's time, for millions of short-lived
    objects that form no cycles. A larger first threshold while replaying makes the passes
    rare (the collector still runs); the thresholds are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


GC_THRESHOLD = 50_000
