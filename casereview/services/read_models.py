"""The read models as the services use them: brought up to date before each read and after each
write, so that no entry point ever has to think about them.

The log is the truth and the read models follow it. After a write the event is committed, so
no trouble with the read models may turn the write into a failure (a person retrying would
record it twice): it becomes a warning and the next read catches up. Before a read, an event
the read models could not hold (one an older version let into the log) is reported once, and
every other event is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from casereview.errors import CaseReviewError
from casereview.services.notices import Notices

if TYPE_CHECKING:
    from casereview.projections.runner import Projector


class ReadModels:
    """A projector made on first use, and the rules for keeping it up to date."""

    def __init__(self, make: Callable[[], Projector], notices: Notices) -> None:
        self._make = make
        self._projector: Projector | None = None
        self.notices = notices

    @property
    def projector(self) -> Projector:
        if self._projector is None:
            projector = self._make()
            projector.create()
            self._projector = projector
        return self._projector

    def for_reading(self) -> Projector:
        """Up to date with the log, any skipped event said once."""
        projector = self.projector
        self._catch_up(projector)
        self.report_skipped()
        return projector

    def after_write(self) -> None:
        """Catch up after a committed write; a failure is a warning, never an error."""
        try:
            self._catch_up(self.projector)
        except Exception as exc:  # whatever it is, the write stands
            self.notices.say(
                "recorded, but the read models are not up to date yet "
                f"({_kind(exc)}); the next command brings them up to date"
            )

    def report_skipped(self) -> None:
        """One warning if the read models skipped events of the log."""
        skipped = self.projector.skipped()
        if not skipped:
            return
        first = skipped[0]
        self.notices.say(
            f"the read models could not hold {len(skipped)} event(s) of the log (the first "
            f"at log position {first['position']}: {first['problem']}); lists, deadlines "
            "and statistics leave them out, the log keeps them, and every other event is "
            "applied. `casereview log verify` checks the log itself."
        )

    def _catch_up(self, projector: Projector) -> None:
        """After an upgrade that changed the read models' shape, this version's tables are
        built beside the old ones first (with progress); older programs keep reading theirs."""
        if projector.schema_reset is None:
            projector.catch_up()
            return
        old, new = projector.schema_reset
        self.notices.say(
            f"read models: building version {new} beside version {old} from the log"
        )
        applied = projector.catch_up(progress=self.notices.progress)
        self.notices.say(f"read models: built from {applied:,} events")
        projector.schema_reset = None

    def close(self) -> None:
        if self._projector is not None:
            self._projector.close()


def _kind(exc: BaseException) -> str:
    """An error in a few words that carry no stored value (a database's message can quote
    the row it refused)."""
    if isinstance(exc, CaseReviewError):
        return str(exc)
    return type(exc).__name__
