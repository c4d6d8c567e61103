"""Looking after a store: create its tables, and rebuild (or check) the read models from the
log, which stays the truth."""

from __future__ import annotations

from dataclasses import dataclass

from casereview.services.notices import Progress
from casereview.services.read_models import ReadModels


@dataclass(frozen=True)
class Rebuilt:
    """A rebuild: the events replayed, and the older read-model versions dropped."""

    events: int
    dropped_versions: list[int]


@dataclass(frozen=True)
class ReadModelCheck:
    """Each read-model table's digest, live and rebuilt from the log."""

    equal: bool
    digests: dict[str, tuple[str, str]]


class Upkeep:
    """Tables and read models."""

    def __init__(self, read_models: ReadModels) -> None:
        self.read_models = read_models

    def init(self) -> None:
        """Create the event store and read-model tables (idempotent)."""
        self.read_models.for_reading()

    def rebuild(self, progress: Progress | None = None) -> Rebuilt:
        """Replay the whole log into the read models, then drop other schema versions'."""
        projector = self.read_models.projector
        applied = projector.rebuild(progress=progress)
        self.read_models.report_skipped()
        return Rebuilt(applied, projector.drop_other_versions())

    def verify(self) -> ReadModelCheck:
        """Rebuild into fresh tables and compare with the live ones, table by table."""
        equal, digests = self.read_models.projector.verify()
        return ReadModelCheck(equal, digests)
