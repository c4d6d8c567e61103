"""Saving an import's batches: built against each case's intake, saved a transaction each,
the next one built while the writer saves this one.

Each batch's complaints are recorded against the compact intake of their case
(`casereview.domain.intake`), read from the log once and kept for up to INTAKE_CACHE cases, and
the batch's events are inserted in one transaction by the import's writer
(`casereview.import_writer`, a process of its own), so building batch N+1 overlaps saving batch
N. Batch N+1 is built on the intakes as they will be once N is saved; if N's save fails because
another writer changed one of its cases (its stream version is taken), N and N+1 are both built
again from the log and saved in turn, so nothing is recorded against a stale case. Only one
batch is ever in flight.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType

from casereview.adapters.eventstore import CaseReviews, translate_store_errors
from casereview.complaint_encoding import ComplaintEncoder
from casereview.domain.case import Case
from casereview.domain.intake import ComplaintIntake
from casereview.errors import CaseNotFound, Conflict, InvalidInput, RuleViolation
from casereview.import_writer import (
    EventRow,
    ProcessWriter,
    ThreadWriter,
    Writer,
    shareable,
    stored_events,
)

INTAKE_CACHE = 50_000
"""Cases whose intake is kept between batches: a national year's applications all fit (a few
hundred bytes to a few kilobytes each), so each case is read from the log once."""
RETRIES = 5

Rejection = tuple[int, str, dict[str, str]]
References = dict[str, list[tuple[str, str]]]
"""Per case reference, the (agency, agency_ref) pairs a batch records."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    case_ref: str
    agency: str
    agency_ref: str
    incident_on: date
    reported_on: date
    hate: bool
    summary: str | None

    def raw(self) -> dict[str, str]:
        """The row as the reject file shows it."""
        return {
            "case_ref": self.case_ref,
            "agency": self.agency,
            "agency_ref": self.agency_ref,
            "incident_on": self.incident_on.isoformat(),
            "reported_on": self.reported_on.isoformat(),
            "hate": "true" if self.hate else "false",
            "summary": self.summary or "",
        }


@dataclass
class Prepared:
    """One batch: its rows, what became of each, and the events to save."""

    rows: list[Row]
    size: int
    """Lines of the file it covers (good and bad rows)."""
    unreadable: list[Rejection]
    """The rows that could not be read, rejected before any case was looked at."""
    refused: list[Rejection] = field(default_factory=list)
    recorded: int = 0
    already: int = 0
    touched: References = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)

    @property
    def rejections(self) -> list[Rejection]:
        return [*self.unreadable, *self.refused]


class Intakes:
    """The intake of each case touched (most recently used kept), read from the log once."""

    def __init__(self, app: CaseReviews, size: int = INTAKE_CACHE) -> None:
        self.app, self.size = app, size
        self.cases: OrderedDict[str, ComplaintIntake] = OrderedDict()

    def get(self, ref: str) -> ComplaintIntake:
        found = self.cases.get(ref)
        if found is None:
            found = self.cases[ref] = ComplaintIntake.of(self.app.get_case(ref))
            if len(self.cases) > self.size:
                self.cases.popitem(last=False)
        else:
            self.cases.move_to_end(ref)
        return found

    def preload(self, refs: Iterable[str]) -> None:
        """Read the cases not yet held in one query (one round trip each would cost more
        than the rest of the import)."""
        missing = {ref for ref in refs if ref not in self.cases}
        for ref, case in self.app.get_cases(missing).items():
            self.cases[ref] = ComplaintIntake.of(case)
        while len(self.cases) > self.size:
            self.cases.popitem(last=False)

    def stored(self, ref: str) -> Case:
        return self.app.get_case(ref)

    def forget(self, refs: Iterable[str]) -> None:
        """These cases changed elsewhere, or their intakes count events never saved."""
        for ref in refs:
            self.cases.pop(ref, None)


class Pipeline:
    def __init__(self, app: CaseReviews, by: str) -> None:
        self.app, self.by = app, by
        self.intakes = Intakes(app)
        self.encode = ComplaintEncoder(app.mapper)
        self.writer: Writer | None = None
        self.first_saved = False
        self.in_flight: Prepared | None = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On an error the batch in flight is left to finish or fail on its own: either way
        # nothing half-done is kept, and a re-run skips what was saved.
        if self.writer is not None:
            self.writer.close()

    def push(
        self, rows: list[Row], rejections: list[Rejection], size: int
    ) -> Iterator[Prepared]:
        """Build this batch, then yield the batches that are now saved (in file order) and
        start saving this one. The first batch is saved here: a file of one batch needs
        no writer."""
        earlier = self.in_flight.touched if self.in_flight is not None else {}
        batch = self._prepare(Prepared(rows, size, rejections), earlier)
        if not self.first_saved:
            self._save(batch)
            self.first_saved = True
            yield batch
            return
        if self.writer is None:
            self.writer = self._start_writer()
        writer = self.writer
        if self.in_flight is not None:
            previous, self.in_flight = self.in_flight, None
            try:
                writer.result()
            except Conflict:
                self.intakes.forget([*previous.touched, *batch.touched])
                self._save_now(previous)
                batch = self._prepare(Prepared(rows, size, rejections), {})
            yield previous
        writer.submit(batch.events)
        self.in_flight = batch

    def finish(self) -> Iterator[Prepared]:
        batch, self.in_flight = self.in_flight, None
        if batch is None or self.writer is None:
            return
        try:
            self.writer.result()
        except Conflict:
            self.intakes.forget(batch.touched)
            self._save_now(batch)
        yield batch

    def _start_writer(self) -> Writer:
        env = dict(self.app.env)
        if shareable(env):
            return ProcessWriter(env)
        return ThreadWriter(self._insert)

    def _save(self, batch: Prepared) -> None:
        try:
            self._insert(batch.events)
        except Conflict:
            self.intakes.forget(batch.touched)
            self._save_now(batch)

    def _save_now(self, batch: Prepared) -> None:
        """Build the batch again from the log and save it here, retried on a clash."""
        for _ in range(RETRIES):
            self._prepare(batch, {})
            try:
                self._insert(batch.events)
            except Conflict:
                self.intakes.forget(batch.touched)
                continue
            return
        raise Conflict(
            "the cases in this file kept changing while it was imported; nothing more was "
            "written; re-run the import (recorded rows are skipped)"
        )

    def _insert(self, events: Sequence[EventRow]) -> None:
        with translate_store_errors():
            self.app.recorder.insert_events(stored_events(events))

    def _prepare(self, batch: Prepared, earlier: References) -> Prepared:
        """Record the batch's rows against their intakes (as they will be once `earlier`,
        the batch in flight, is saved) and encode the events."""
        intakes, at, by = self.intakes, self.app.clock(), self.by
        intakes.preload(row.case_ref for row in batch.rows)
        refused: list[Rejection] = []
        touched: References = {}
        events: list[Case.ComplaintRecorded] = []
        recorded = already = 0
        for row in batch.rows:
            try:
                intake = intakes.get(row.case_ref)
                if intake.may_hold(row.agency, row.agency_ref):
                    if intake.holds(row.agency, row.agency_ref) is None:
                        unsaved = [
                            *earlier.get(row.case_ref, ()),
                            *touched.get(row.case_ref, ()),
                        ]
                        intake.confirm(intakes.stored(row.case_ref), unsaved)
                    if intake.holds(row.agency, row.agency_ref):
                        already += 1
                        continue
                event = intake.record(
                    agency=row.agency,
                    agency_ref=row.agency_ref,
                    incident_on=row.incident_on,
                    reported_on=row.reported_on,
                    hate=row.hate,
                    summary=row.summary,
                    at=at,
                    by=by,
                )
            except (CaseNotFound, InvalidInput, RuleViolation) as exc:
                refused.append((row.line, str(exc), row.raw()))
                continue
            events.append(event)
            touched.setdefault(row.case_ref, []).append((row.agency, row.agency_ref))
            recorded += 1
        encode = self.encode
        batch.events = [encode(e) for e in events]
        # Grouped by stream, so the store's (stream, version) index is written in runs.
        batch.events.sort()
        batch.touched, batch.recorded, batch.already = touched, recorded, already
        batch.refused = refused
        return batch
