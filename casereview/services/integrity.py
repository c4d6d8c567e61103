"""The record cannot be quietly changed: verify the chained log (against signed checkpoints
kept outside the database, when given) and sign a checkpoint of its head.

Both open the store to read only: they never create a table, backfill a chain or write a row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from casereview.adapters.checkpoint import (
    Checkpoint,
    load_key,
    parse_expect_head,
    read_checkpoints,
    sign,
    signed_expectations,
)
from casereview.adapters.eventstore import CaseReviews
from casereview.adapters.ledger import Expectation, LogReport, reading_log, verify_log

__all__ = ["IntegrityService", "LogReport"]
from casereview.errors import FieldError, RuleViolation


class IntegrityService:
    """`log verify` and `log checkpoint` over one store's settings."""

    def __init__(
        self,
        store_env: Mapping[str, str],
        environ: Mapping[str, str],
        now: Callable[[], datetime],
    ) -> None:
        self.store_env = dict(store_env)
        self.environ = environ
        self.now = now

    def verify(
        self, *, checkpoint_file: Path | None = None, expect_head: str | None = None
    ) -> LogReport:
        """Recompute the chain over every stored event; also check a file of signed
        checkpoints or one expected head (what the database alone cannot show)."""
        if checkpoint_file is not None and expect_head is not None:
            raise FieldError(
                "checkpoint",
                "a checkpoint file and an expected head cannot be used together",
            )
        # What the person gives is checked before the store is opened.
        expected: list[Expectation] = []
        if expect_head is not None:
            expected = [parse_expect_head(expect_head)]
        checkpoints = read_checkpoints(checkpoint_file) if checkpoint_file else []
        with reading_log(self.store_env, CaseReviews.name) as recorder:
            if checkpoints:
                key = load_key(self.store_env, self.environ, create=False)
                expected = signed_expectations(checkpoints, key)
            return verify_log(recorder, expected=expected)

    def checkpoint(self, *, append_to: Path | None = None) -> Checkpoint:
        """Verify the log, then sign (position, head, time) with the checkpoint key; refuse
        (exit 3) to sign a log that fails. With `append_to`, also append it as one line."""
        with reading_log(self.store_env, CaseReviews.name) as recorder:
            key = load_key(self.store_env, self.environ, create=True)
            report = verify_log(recorder)
        if not report.ok:
            raise RuleViolation(
                "refusing to sign a checkpoint: the event log fails verification at "
                f"position {report.first_bad}: {report.reason}"
            )
        at = self.now().isoformat(timespec="seconds")
        checkpoint = sign(key, report.position, report.head, at)
        if append_to is not None:
            _append_line(append_to, checkpoint.line())
        return checkpoint


def _append_line(path: Path, line: str) -> None:
    try:
        with path.open("ab+") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() > 0:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":
                    line = "\n" + line
            file.write((line + "\n").encode("utf-8"))
    except OSError as exc:
        raise FieldError("append", f"cannot write to {path} ({exc})") from None
