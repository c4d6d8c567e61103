"""Reading cases: one case as it stands (or as recorded at a past moment), its history, the
events between two moments, and the list of cases. Each answer is plain data in the shapes of
CONTRACT.md, which every entry point renders in its own way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casereview.adapters.eventstore import (
    CaseReviews,
    normalise_ref,
    translate_store_errors,
)
from casereview.adapters.ledger import stream_positions
from casereview.domain.case import Case, case_id
from casereview.domain.values import STATUSES
from casereview.errors import CaseNotFound, FieldError
from casereview.services.cases import CaseService
from casereview.services.followup import case_deadlines
from casereview.services.paging import DEFAULT_PAGE, cut, fetch_size
from casereview.services.read_models import ReadModels
from casereview.services.views import (
    case_view,
    deadline_view,
    history_view,
    threshold_view,
)

CaseView = dict[str, Any]
"""`case show --json`."""
HistoryRow = dict[str, Any]
"""One entry of `case history --json`."""
CaseRow = dict[str, Any]
"""One entry of `case list --json`."""


@dataclass(frozen=True)
class CasePage:
    """One page of `case list`: the cases, and the cursor of the next page (None: the last)."""

    cases: list[CaseRow]
    next: str | None

    def to_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "next": self.next}


OPEN = "open"
"""Every status that is not final: what a person means by "the open cases"."""
FINAL_STATUSES = ("closed", "withdrawn", "void")


class CaseQueries:
    """What can be read of cases, through the log (one case) or the read models (lists)."""

    def __init__(self, cases: CaseService, read_models: ReadModels) -> None:
        self.cases = cases
        self.app: CaseReviews = cases.app
        self.read_models = read_models

    def show(self, ref: str, *, as_at: datetime | None = None) -> CaseView:
        """The case from its events, with its deadlines; with `as_at`, exactly as the record
        stood at that moment (later events and corrections not applied)."""
        if as_at is None:
            case = self.app.get_case(ref)
        else:
            past = self.app.case_as_at(ref, as_at)
            if past is None:
                raise CaseNotFound(f"{normalise_ref(ref)} as at {as_at.isoformat()}")
            case = past
        found = case_deadlines(self.app, case, self.cases.procedure_for(case), as_at)
        return case_view(case, [deadline_view(d) for d in found])

    def threshold(self, ref: str) -> dict[str, Any] | None:
        """The standing threshold decision with its explanation, or None."""
        return threshold_view(self.app.get_case(ref))

    def history(self, ref: str) -> list[HistoryRow]:
        """Every event of the case, oldest first, each with its place in the whole log."""
        events = self.app.case_events(ref)
        positions = stream_positions(self.app, case_id(normalise_ref(ref)))
        return history_view(events, positions)

    def diff(self, ref: str, start: datetime, end: datetime) -> list[HistoryRow]:
        """The events recorded after `start` and up to `end`."""
        if end < start:
            raise FieldError("to", "is before the start of the range")
        return [
            row
            for row in self.history(ref)
            if start < datetime.fromisoformat(row["recorded_at"]) <= end
        ]

    def list_cases(
        self,
        *,
        area: str | None = None,
        status: str | None = None,
        received_from: date | None = None,
        received_to: date | None = None,
        after: str | None = None,
        limit: int | None = DEFAULT_PAGE,
    ) -> CasePage:
        """A page of cases from the read models, by reference: at most `limit` (None: all)
        after the reference `after`; `status` may be `open`; `next` is the cursor of the
        following page, or None on the last."""
        statuses: tuple[str, ...] | None = None
        if status == OPEN:
            statuses = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
        elif status is not None:
            if status not in STATUSES:
                raise FieldError(
                    "status",
                    f"{status!r} is not a status (expected open or one of "
                    f"{', '.join(STATUSES)})",
                )
            statuses = (status,)
        size = fetch_size(limit)
        if received_from and received_to and received_to < received_from:
            raise FieldError("to", "is before the start of the range (from)")
        cursor = normalise_ref(after) if after else None
        slug = self.cases.area_slug(area) if area else None
        projector = self.read_models.for_reading()
        rows, last = cut(
            projector.list_cases(
                area=slug,
                statuses=statuses,
                received_from=received_from,
                received_to=received_to,
                after=cursor,
                limit=size,
            ),
            limit,
        )
        return CasePage(rows, None if last is None else last["ref"])

    def received_by_others(self, user: str, *, limit: int) -> list[str]:
        """The references of up to `limit` cases whose application someone other than
        `user` recorded, read from the log (the demo's check that a store is its own)."""
        topic = Case.ApplicationReceived.TOPIC
        others: list[str] = []
        start, first = 1, True
        with translate_store_errors():
            while len(others) < limit:
                page = self.app.recorder.select_notifications(
                    start, 500, topics=[topic], inclusive_of_start=first
                )
                for notification in page:
                    received = self.app.mapper.to_domain_event(notification)
                    if getattr(received, "recorded_by", None) != user:
                        others.append(str(getattr(received, "ref", notification.id)))
                if len(page) < 500:
                    break
                start, first = page[-1].id, False
        return others[:limit]
