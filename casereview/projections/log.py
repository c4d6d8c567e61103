"""Reading the application's log for the read models: the next events of the topics they follow.

The library's `select_notifications` returns each event as a Notification whose stream id is a
UUID made from the stored text; the read models only want that id in hex, which is what the
SQLite recorder stores. On SQLite the same query is run on the recorder's own connection and
each row kept as it is (a million UUIDs made and unmade were a tenth of a rebuild); elsewhere
the library's notifications are read and their ids turned into hex once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder


class Stored:
    """One stored event as the decoder reads it: notification id, stream id in hex, version,
    topic and state (and, for the mapper, the stream id as the recorder would give it)."""

    __slots__ = ("id", "originator_version", "state", "stream", "topic")

    def __init__(
        self, id_: int, stream: str, version: int, topic: str, state: bytes
    ) -> None:
        self.id, self.stream, self.originator_version = id_, stream, version
        self.topic, self.state = topic, state

    @property
    def originator_id(self) -> UUID:
        return UUID(self.stream)


def select(
    recorder: ApplicationRecorder,
    start: int,
    limit: int,
    stop: int | None,
    topics: Sequence[str],
) -> list[Stored]:
    """Up to `limit` events of `topics` after notification `start` (up to `stop`), in order."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite(recorder, start, limit, stop, topics)
    found = recorder.select_notifications(
        start=start, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
    )
    return [
        Stored(n.id, _hex(n.originator_id), n.originator_version, n.topic, n.state)
        for n in found
    ]


def _sqlite(
    recorder: SQLiteApplicationRecorder,
    start: int,
    limit: int,
    stop: int | None,
    topics: Sequence[str],
) -> list[Stored]:
    """The library's query (the notification id is the rowid), its rows kept as stored."""
    marks = ",".join("?" * len(topics))
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
        f"FROM {recorder.events_table_name} WHERE rowid>? AND rowid<=? "
        f"AND topic IN ({marks}) ORDER BY rowid LIMIT ?"
    )
    last = stop if stop is not None else (1 << 63) - 1
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, [start, last, *topics, limit])
        return [
            Stored(row[0], _stream(row[1]), row[2], row[3], row[4])
            for row in c.fetchall()
        ]


def _stream(stored: str) -> str:
    """The hex of a stored stream id: the text itself when it is already lowercase hex, as
    the recorder writes a UUID's (`UUID(...).hex` otherwise, as the recorder reads it)."""
    if len(stored) == 32 and stored.islower():
        return stored
    return UUID(stored).hex


def _hex(originator_id: Any) -> str:
    hex_: str = originator_id.hex
    return hex_
