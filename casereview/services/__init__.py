"""The service layer: what every entry point calls (the CLI, the demo, the scheduler, the web
console and API to come), and the only thing they call.

`Services` bundles one store's commands and queries; `casereview.bootstrap.build_services`
makes it from settings, handing it the factories of the adapters it chose. Each service takes
and returns plain values (dates, strings, the dicts of CONTRACT.md's JSON shapes, small result
classes); entry points render them, in text, JSON or HTML. Input rules live here or in the
domain, and errors name fields in domain words (`incident_on`), which each entry point names
in its own (`--incident-on`). Keeping the read models up to date is done here too: after a
write, and before a read.

Each service is made on first use, so a command opens only what it needs: `log verify` never
opens the store for writing, `policy check` never opens it at all.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from casereview.services.notices import Notices

if TYPE_CHECKING:
    from casereview.projections.runner import Projector
    from casereview.services.casefile import CaseQueries
    from casereview.services.cases import CaseService
    from casereview.services.imports import ImportService
    from casereview.services.integrity import IntegrityService
    from casereview.services.letters import LetterService
    from casereview.services.procedures import ProcedureService
    from casereview.services.read_models import ReadModels
    from casereview.services.schedule import Tick
    from casereview.services.statistics import StatisticsService
    from casereview.services.timekeeping import DeadlineService
    from casereview.services.upkeep import Upkeep

__all__ = ["Notices", "Services"]


class Services:
    """One store's services. `cases` records every step; the rest read, check or send."""

    def __init__(
        self,
        *,
        make_cases: Callable[[], CaseService],
        make_projector: Callable[[CaseService], Projector],
        make_sender: Callable[[], Any],
        make_integrity: Callable[[], IntegrityService],
        make_lock: Callable[[Callable[[str], None]], AbstractContextManager[None]],
        clock: Callable[[], datetime],
        notices: Notices,
    ) -> None:
        self._make_lock = make_lock
        self._make_cases = make_cases
        self._make_projector = make_projector
        self._make_sender = make_sender
        self._make_integrity = make_integrity
        self.clock = clock
        self.notices = notices

    @cached_property
    def cases(self) -> CaseService:
        cases = self._make_cases()
        cases.read_models = self.read_models_of(cases)
        return cases

    def read_models_of(self, cases: CaseService) -> ReadModels:
        from casereview.services.read_models import ReadModels

        return ReadModels(lambda: self._make_projector(cases), self.notices)

    @property
    def read_models(self) -> ReadModels:
        read_models = self.cases.read_models
        assert read_models is not None  # noqa: S101 - set when `cases` is made
        return read_models

    @cached_property
    def casefile(self) -> CaseQueries:
        from casereview.services.casefile import CaseQueries

        return CaseQueries(self.cases, self.read_models)

    @cached_property
    def deadlines(self) -> DeadlineService:
        from casereview.services.timekeeping import DeadlineService

        return DeadlineService(self.cases, self.read_models)

    @cached_property
    def letters(self) -> LetterService:
        from casereview.services.letters import LetterService

        return LetterService(
            self.cases, self.read_models, self._make_sender, self.clock
        )

    @cached_property
    def procedures(self) -> ProcedureService:
        from casereview.services.procedures import ProcedureService

        return ProcedureService(self.cases)

    @cached_property
    def statistics(self) -> StatisticsService:
        from casereview.services.statistics import StatisticsService

        return StatisticsService(self.cases, self.read_models, self.clock)

    @cached_property
    def integrity(self) -> IntegrityService:
        return self._make_integrity()

    @cached_property
    def imports(self) -> ImportService:
        from casereview.services.imports import ImportService

        return ImportService(self.cases)

    @cached_property
    def upkeep(self) -> Upkeep:
        from casereview.services.upkeep import Upkeep

        return Upkeep(self.read_models)

    def scheduler_lock(
        self, on_wait: Callable[[str], None]
    ) -> AbstractContextManager[None]:
        """Held while a scheduler runs: one scheduler acts at a time per store; a second
        one says so through `on_wait` and waits."""
        return self._make_lock(on_wait)

    def tick(self, *, by: str) -> Tick:
        """The scheduler's work once: deadlines checked, letters sent."""
        from casereview.services.schedule import run_tick

        return run_tick(self.deadlines, self.letters, by=by)

    def today(self) -> date:
        """Today in the UK (business dates are UK dates, whatever the server's zone)."""
        return self.cases.today()

    def close(self) -> None:
        if "cases" in self.__dict__:
            self.read_models.close()
            self.cases.app.close()
