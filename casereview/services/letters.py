"""Letters: the outbox sent now, through the mail server or into the outbox folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from casereview.notifications.outbox import FlushResult, flush
from casereview.services.cases import CaseService
from casereview.services.read_models import ReadModels


class LetterService:
    """Sends what is queued; the sender (SMTP or a folder) is chosen by bootstrap."""

    def __init__(
        self,
        cases: CaseService,
        read_models: ReadModels,
        sender: Callable[[], Any],
        now: Callable[[], datetime],
    ) -> None:
        self.cases = cases
        self.read_models = read_models
        self._sender = sender
        self.now = now

    def send(self, *, by: str) -> FlushResult:
        """Send every letter that is due. With the mail server down the rest stay queued for
        a retry with backoff, and `unavailable` says why (the entry point reports it: exit 6
        on the command line)."""
        projector = self.read_models.for_reading()
        return flush(self.cases, projector, self._sender(), now=self.now(), by=by)
