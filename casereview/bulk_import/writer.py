"""The import's writer: saves the batches an import builds, in a process of its own.

Building a batch (reading rows, recording complaints, encoding events) and saving one (binding
rows, hashing the chain, waiting on the database) each take about half of an import's time, and
both hold Python's GIL: on a thread they mostly take turns; in a second process they overlap.
The process is a fresh interpreter running this module (not a fork: the parent holds database
connections and pool threads); it opens the same store and takes one pickled batch at a time on
its standard input, replying on its standard output. If the import dies, its input closes and
the writer exits after the transaction in hand, which commits whole or not at all, so a re-run
resumes cleanly. An in-memory SQLite store
cannot be opened by another process; it is saved on a thread instead (`ThreadWriter`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

import casereview
from casereview.errors import CaseReviewError, Conflict, ServiceUnavailable

Reply = tuple[str, str] | None
"""None when the batch was saved; else (kind, message): kind "conflict" or "failed"."""
EventRow = tuple[bytes, int, str, bytes]
"""An event as the import hands it to be saved: its stream's UUID bytes, version, topic, and
stored state (what travels to the writer process, cheaper to make and to pickle than a
StoredEvent)."""


def stored_events(rows: Sequence[EventRow]) -> list[StoredEvent]:
    return [
        StoredEvent(UUID(bytes=i), version, topic, state)
        for i, version, topic, state in rows
    ]


class Writer(Protocol):
    def submit(self, events: Sequence[EventRow]) -> None:
        """Start saving a batch; only one is ever in flight."""

    def result(self) -> None:
        """Wait for the batch in flight: return once saved, or raise why not."""

    def close(self) -> None: ...


def shareable(env: dict[str, str]) -> bool:
    """Whether another process can open this store (not an in-memory SQLite database)."""
    name = env.get("SQLITE_DBNAME", "")
    return not (name == ":memory:" or "mode=memory" in name)


class ThreadWriter:
    def __init__(self, insert: Callable[[Sequence[EventRow]], None]) -> None:
        self.insert = insert
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="casereview-import")
        self.pending: Future[None] | None = None

    def submit(self, events: Sequence[EventRow]) -> None:
        self.pending = self.pool.submit(self.insert, events)

    def result(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class ProcessWriter:
    def __init__(self, env: dict[str, str]) -> None:
        package_root = str(Path(casereview.__file__).resolve().parent.parent)
        child_env = dict(os.environ)
        # The writer runs the same casereview as this process, wherever that was imported from.
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH")) if p
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casereview.bulk_import.writer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env,
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:  # set by PIPE above
            raise RuntimeError("the import's writer has no pipes")
        self.batches: IO[bytes] = stdin
        self.replies: IO[bytes] = stdout
        self._send(env)
        self.in_flight = False

    def _send(self, message: object) -> None:
        try:
            pickle.dump(message, self.batches, protocol=pickle.HIGHEST_PROTOCOL)
            self.batches.flush()
        except BrokenPipeError:
            raise self._stopped() from None

    def submit(self, events: Sequence[EventRow]) -> None:
        self._send(events)
        self.in_flight = True

    def result(self) -> None:
        if not self.in_flight:
            return
        self.in_flight = False
        try:
            reply: Reply = pickle.load(self.replies)  # noqa: S301 - our own child's reply
        except EOFError:
            raise self._stopped() from None
        if reply is None:
            return
        kind, message = reply
        if kind == "conflict":
            raise Conflict(message)
        raise ServiceUnavailable(message)

    def _stopped(self) -> ServiceUnavailable:
        return ServiceUnavailable(
            "the import's writer process stopped; nothing of its last batch was kept; "
            "re-run the import (recorded rows are skipped)"
        )

    def close(self) -> None:
        if not self.batches.closed:
            with contextlib.suppress(BrokenPipeError):
                self.batches.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.replies.close()


def _now() -> datetime:
    """The writer's clock. It records nothing of its own: each event already carries the
    time the import gave it; the library's clock here only stamps what it must."""
    return datetime.now(UTC)


def serve(batches: BinaryIO, replies: BinaryIO) -> None:
    """The writer process: save each batch received, reply how it went, until the import
    closes the pipe (or dies, which closes it too)."""
    from casereview.adapters.eventstore import CaseReviews, translate_store_errors

    env = pickle.load(batches)  # noqa: S301 - sent by the import that started us
    app = CaseReviews(env=env, clock=_now)
    try:
        while True:
            try:
                rows = pickle.load(batches)  # noqa: S301 - as above
            except (
                EOFError,
                pickle.UnpicklingError,
            ):  # the import closed, or died mid-send
                return
            events = stored_events(rows)
            reply: Reply = None
            try:
                with translate_store_errors():
                    app.recorder.insert_events(events)
            except Conflict as exc:
                reply = ("conflict", str(exc))
            except CaseReviewError as exc:
                reply = ("failed", str(exc))
            except Exception as exc:  # every failure goes back to the import
                reply = ("failed", f"the import's writer failed: {exc!r}")
            pickle.dump(reply, replies)
            replies.flush()
    finally:
        app.close()


def main() -> None:
    # Replies go on the real standard output alone; anything printed goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Ctrl-C reaches the whole process group: the import decides when to stop, and this
    # process then finishes the transaction in hand and sees its input close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
