"""Saving an import's batches: built against each case's intake, saved a transaction each,
the next one built while the writer saves this one.

Each batch's complaints are recorded against the compact intake of their case
(`casereview.domain.intake`), read from the log once and kept for up to INTAKE_CACHE cases, and
the batch's events are inserted in one transaction by the import's writer
(`casereview.bulk_import.writer`, a process of its own), so building batch N+1 overlaps saving batch
N. Batch N+1 is built on the intakes as they will be once N is saved; if N's save fails because
another writer changed one of its cases (its stream version is taken), N and N+1 are both built
again from the log and saved in turn, so nothing is recorded against a stale case. Only one
batch is ever in flight.

An agency's reference identifies one complaint (CONTRACT.md), compared normalised
(`casereview.domain.identity`). On the row's own case the intake decides (already recorded:
skipped). On another case a row is refused when the pair is recorded there: by this import
(`Recorded`, exact, whatever the batch), or before it, as the read model of complaints held it
when the import began (`Elsewhere`: one bulk look-up per batch, each match confirmed against
the stored case; none at all when the read model held no reference). What is not guaranteed: a complaint recorded on another case by another
writer while the import runs, or one the read model had not caught up with, is not seen;
both rows are then kept, and the read model lists the pair under both cases.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import NamedTuple

from casereview.adapters.eventstore import CaseReviews, translate_store_errors
from casereview.bulk_import.encoding import ComplaintEncoder
from casereview.bulk_import.writer import (
    EventRow,
    ProcessWriter,
    ThreadWriter,
    Writer,
    shareable,
    stored_events,
)
from casereview.domain.case import Case
from casereview.domain.case_events import ComplaintRecorded
from casereview.domain.identity import (
    Identity,
    RecordedOnAnotherCase,
    complaint_identity,
    key_of,
)
from casereview.domain.intake import ComplaintIntake
from casereview.errors import CaseNotFound, Conflict, InvalidInput, RuleViolation

INTAKE_CACHE = 50_000
"""Cases whose intake is kept between batches: a national year's applications all fit (a few
hundred bytes to a few kilobytes each), so each case is read from the log once."""
RETRIES = 5

Rejection = tuple[int, str, dict[str, str]]
References = dict[str, list[tuple[str, str, str]]]
"""Per case reference, the (agency, agency_ref, complaint id) a batch records."""
Elsewhere = Callable[[Sequence[str]], dict[str, list[tuple[str, str]]]]
"""Given `identity_key`s, the (case ref, complaint id) pairs the read model of complaints holds
under each key found (the cases a reference was recorded on before the import)."""


class Row(NamedTuple):
    """One good row of the file, as a complaint (a tuple: made a million times, and a frozen
    dataclass costs several times more to make)."""

    line: int
    case_ref: str
    agency: str
    agency_ref: str
    incident_on: date
    reported_on: date
    hate: bool
    summary: str | None
    identity: Identity
    """(agency, agency_ref) as compared (`complaint_identity`), worked out once."""

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


class Recorded:
    """The case each reference this import recorded went to, by the reference's hash
    (`hash(identity)`): an open-addressing table in two flat arrays (hash; case number),
    at most half full: 24 to 48 bytes a reference, where a dict would take ~100, so a
    national year's million complaints fit beside the intakes; a probe, mostly one step,
    finds it or where it goes. Sized from the rows the import expects, so it seldom grows."""

    EMPTY = 0

    def __init__(self, expected: int = 0) -> None:
        size = 1 << max(10, (2 * expected).bit_length())
        self.mask = size - 1
        self.keys = array("q", bytes(8 * size))
        self.cases = array("i", bytes(4 * size))
        """The case number of each slot's reference (-1: claimed, then released)."""
        self.size = 0
        self.refs: list[str] = []
        self.numbers: dict[str, int] = {}

    def claim(self, key: int, ref: str) -> tuple[str | None, int]:
        """Note that `ref` holds the reference of this hash, unless it is held already:
        (None, the slot to `release` if it is not recorded after all), (None, -1) if `ref`
        held it already, or (the other case holding it, its slot, to `take` if that case
        turns out not to hold it: a hash that collided, or a row not recorded after all)."""
        key = key or 1  # 0 marks an empty slot
        keys, mask = self.keys, self.mask
        at = key & mask
        while True:
            found = keys[at]
            if found == key:
                holder = self.cases[at]
                if holder >= 0:
                    other = self.refs[holder]
                    return (None, -1) if other == ref else (other, at)
                break  # released: take it
            if found == self.EMPTY:
                keys[at] = key
                self.size += 1
                break
            at = (at + 1) & mask
        self.take(at, ref)
        if 2 * self.size > mask:
            self._grow()
            return None, self._slot(key)
        return None, at

    def take(self, slot: int, ref: str) -> None:
        """`ref` holds the reference at this slot now."""
        number = self.numbers.get(ref)
        if number is None:
            number = self.numbers[ref] = len(self.refs)
            self.refs.append(ref)
        self.cases[slot] = number

    def release(self, slot: int) -> None:
        """The reference claimed at this slot was not recorded after all."""
        self.cases[slot] = -1

    def _slot(self, key: int) -> int:
        keys, mask = self.keys, self.mask
        at = key & mask
        while keys[at] != key:
            at = (at + 1) & mask
        return at

    def _grow(self) -> None:
        keys, cases = self.keys, self.cases
        size = 2 * len(keys)
        self.mask = mask = size - 1
        self.keys = new_keys = array("q", bytes(8 * size))
        self.cases = new_cases = array("i", bytes(4 * size))
        for at, key in enumerate(keys):
            if key != self.EMPTY:
                slot = key & mask
                while new_keys[slot] != self.EMPTY:
                    slot = (slot + 1) & mask
                new_keys[slot], new_cases[slot] = key, cases[at]


class Pipeline:
    def __init__(
        self,
        app: CaseReviews,
        by: str,
        elsewhere: Elsewhere | None = None,
        expected: int = 0,
    ) -> None:
        self.app, self.by, self.elsewhere = app, by, elsewhere
        self.recorded = Recorded(expected)
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
        batch = self._prepare(Prepared(rows, size, rejections), self.in_flight)
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
                batch = self._prepare(Prepared(rows, size, rejections), None)
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
            self._prepare(batch, None)
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

    def _prepare(self, batch: Prepared, earlier: Prepared | None) -> Prepared:
        """Record the batch's rows against their intakes (as they will be once `earlier`,
        the batch in flight, is saved) and encode the events."""
        intakes, at, by = self.intakes, self.app.clock(), self.by
        intakes.preload(row.case_ref for row in batch.rows)
        digests, before = self._recorded_before(batch.rows)
        refused: list[Rejection] = []
        touched: References = {}
        events: list[ComplaintRecorded] = []
        recorded = already = 0
        in_flight = earlier.touched if earlier is not None else {}
        claim = self.recorded.claim
        for row, digest in zip(batch.rows, digests, strict=True):
            identity = row.identity
            slot = -1
            try:
                intake = intakes.get(row.case_ref)
                if intake.may_hold(row.agency, row.agency_ref, identity):
                    if intake.holds(row.agency, row.agency_ref, identity) is None:
                        unsaved = [
                            (agency, agency_ref)
                            for agency, agency_ref, _ in (
                                *in_flight.get(row.case_ref, ()),
                                *touched.get(row.case_ref, ()),
                            )
                        ]
                        intake.confirm(intakes.stored(row.case_ref), unsaved)
                    if intake.holds(row.agency, row.agency_ref, identity):
                        already += 1
                        continue
                other, slot = claim(hash(identity), row.case_ref)
                if other is not None:
                    held, slot = slot, -1  # the other case's, until it proves not to be
                    self._refuse_recorded_here(row, other, touched, in_flight)
                    self.recorded.take(held, row.case_ref)
                    slot = held
                if digest in before:
                    self._refuse_recorded_before(row, before[digest])
                event = intake.record(
                    agency=row.agency,
                    agency_ref=row.agency_ref,
                    incident_on=row.incident_on,
                    reported_on=row.reported_on,
                    hate=row.hate,
                    summary=row.summary,
                    at=at,
                    by=by,
                    identity=identity,
                )
            except (CaseNotFound, InvalidInput, RuleViolation) as exc:
                if slot >= 0:
                    self.recorded.release(slot)
                refused.append((row.line, str(exc), row.raw()))
                continue
            events.append(event)
            touched.setdefault(row.case_ref, []).append(
                (row.agency, row.agency_ref, event.complaint_id)
            )
            recorded += 1
        encode = self.encode
        batch.events = [encode(e) for e in events]
        # Grouped by stream, so the store's (stream, version) index is written in runs.
        batch.events.sort()
        batch.touched, batch.recorded, batch.already = touched, recorded, already
        batch.refused = refused
        return batch

    def _recorded_before(
        self, rows: Sequence[Row]
    ) -> tuple[Sequence[str | None], dict[str, list[tuple[str, str]]]]:
        """Each row's `identity_key`, and the cases the read model held those keys on: one
        look-up a batch. (Keys recorded on the row's own case come back too, and are passed
        over: asking only for the others would cost a first import more than it saves a
        re-run.)"""
        if self.elsewhere is None:
            return [None] * len(rows), {}
        keys = [key_of(row.identity) for row in rows]
        return keys, self.elsewhere(list(set(keys))) if keys else {}

    def _refuse_recorded_here(
        self, row: Row, other: str, touched: References, in_flight: References
    ) -> None:
        """RecordedOnAnotherCase if this import recorded the row's reference on `other`
        (whose hash matched: confirmed in this batch, the one in flight, or as saved)."""
        identity = row.identity
        found = None
        for agency, agency_ref, complaint_id in (
            *touched.get(other, ()),
            *in_flight.get(other, ()),
        ):
            if complaint_identity(agency, agency_ref) == identity:
                found = complaint_id
                break
        else:
            found = self.intakes.stored(other).agency_refs.get(identity)
        if found is not None:
            raise RecordedOnAnotherCase(
                row.case_ref, row.agency, row.agency_ref, other, found
            )

    def _refuse_recorded_before(self, row: Row, held: list[tuple[str, str]]) -> None:
        """RecordedOnAnotherCase if the read model held the row's reference on another
        case (confirmed against that case as stored: the key only names where to look)."""
        for ref, _ in held:
            if ref == row.case_ref:
                continue
            found = self.intakes.stored(ref).agency_refs.get(row.identity)
            if found is not None:
                raise RecordedOnAnotherCase(
                    row.case_ref, row.agency, row.agency_ref, ref, found
                )
