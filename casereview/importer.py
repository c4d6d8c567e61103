"""`complaint import`: agency exports of complaints, streamed, batched and idempotent.

The file is read a row at a time (memory stays flat whatever its size). Rows are grouped into
batches; each batch loads each case it touches once, records its complaints, and saves all
those cases in one transaction, so the rate approaches the database's own. `(agency,
agency_ref)` identifies a complaint: a row already recorded is skipped, so a re-run, or a run
resumed after a crash, records nothing twice and loses nothing. A bad row goes to the reject
file with its line number and the reason; the good rows are recorded.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from casereview.application import translate_store_errors
from casereview.commands import CaseService
from casereview.domain.case import Case
from casereview.domain.errors import CaseNotFound, Conflict, InvalidInput, RuleViolation
from casereview.domain.personal import Personal

COLUMNS = (
    "case_ref",
    "agency",
    "agency_ref",
    "incident_on",
    "reported_on",
    "hate",
    "summary",
)
REQUIRED = ("case_ref", "agency", "agency_ref", "incident_on", "reported_on")
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"", "0", "false", "no", "n", "f"}


@dataclass(frozen=True)
class Row:
    line: int
    case_ref: str
    agency: str
    agency_ref: str
    incident_on: date
    reported_on: date
    hate: bool
    summary: str | None


Rejection = tuple[int, str, dict[str, str]]


@dataclass
class ImportResult:
    recorded: int = 0
    already: int = 0
    rejected: int = 0
    pending: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "already_recorded": self.already,
            "rejected": self.rejected,
        }


class RowError(Exception):
    pass


def _date(raw: dict[str, str], column: str, today: date) -> date:
    value = (raw.get(column) or "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RowError(
            f"{column}: {value!r} is not a date (expected YYYY-MM-DD)"
        ) from None
    if day > today:
        raise RowError(f"{column}: {value} is in the future")
    return day


def parse_row(line: int, raw: dict[str, str], today: date) -> Row:
    """One CSV row as a complaint, or RowError naming the column and what is wrong."""
    missing = [c for c in REQUIRED if not (raw.get(c) or "").strip()]
    if missing:
        raise RowError(f"missing {', '.join(missing)}")
    if None in raw:  # csv puts surplus cells under the key None
        raise RowError("more cells than the header has columns")
    incident_on = _date(raw, "incident_on", today)
    reported_on = _date(raw, "reported_on", today)
    if reported_on < incident_on:
        raise RowError(f"reported_on {reported_on} is before incident_on {incident_on}")
    hate_text = (raw.get("hate") or "").strip().lower()
    if hate_text not in TRUE | FALSE:
        raise RowError(
            f"hate: {hate_text!r} is not yes/no (expected true/false, yes/no or 1/0)"
        )
    return Row(
        line=line,
        case_ref=raw["case_ref"].strip().upper(),
        agency=raw["agency"].strip(),
        agency_ref=raw["agency_ref"].strip(),
        incident_on=incident_on,
        reported_on=reported_on,
        hate=hate_text in TRUE,
        summary=(raw.get("summary") or "").strip() or None,
    )


def read_rows(handle: TextIO, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    absent = [c for c in REQUIRED if c not in header]
    if absent:
        raise InvalidInput(
            f"{path}: the header lacks {', '.join(absent)} "
            f"(expected {','.join(COLUMNS)})"
        )
    for raw in reader:
        yield reader.line_num, raw


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class CaseCache:
    """Cases kept between batches (most recently used), with the (agency, agency_ref) pairs
    each already holds, so a case touched by many batches is read from the log once."""

    def __init__(self, service: CaseService, size: int = 2000) -> None:
        self.service, self.size = service, size
        self.cases: OrderedDict[str, tuple[Case, set[tuple[str, str | None]]]] = (
            OrderedDict()
        )

    def get(self, ref: str) -> tuple[Case, set[tuple[str, str | None]]]:
        found = self.cases.get(ref)
        if found is None:
            case = self.service.app.get_case(ref)
            found = (case, {(c.agency, c.agency_ref) for c in case.complaints.values()})
            self.cases[ref] = found
            if len(self.cases) > self.size:
                self.cases.popitem(last=False)
        self.cases.move_to_end(ref)
        return found

    def forget(self, refs: Iterable[str]) -> None:
        """After a clash: these cases changed elsewhere (or hold unsaved events)."""
        for ref in refs:
            self.cases.pop(ref, None)


def import_complaints(
    service: CaseService,
    path: Path,
    *,
    by: str,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    reject: Callable[[Rejection], None] | None = None,
) -> ImportResult:
    """Record every good row; hand each bad one to `reject` as it is found (memory stays
    flat: nothing is kept per row once its batch is saved)."""
    result = ImportResult()
    today = service.today()
    cache = CaseCache(service)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for chunk in batches(read_rows(handle, path), batch_size):
            rows: list[Row] = []
            for line, raw in chunk:
                try:
                    rows.append(parse_row(line, raw, today))
                except RowError as exc:
                    result.pending.append((line, str(exc), raw))
            _record_batch(service, cache, rows, result, by)
            result.rejected += len(result.pending)
            if reject is not None:
                for rejection in sorted(result.pending, key=lambda r: r[0]):
                    reject(rejection)
            result.pending.clear()
            if progress is not None:
                progress(len(chunk))
    return result


def _record_batch(
    service: CaseService,
    cache: CaseCache,
    rows: list[Row],
    result: ImportResult,
    by: str,
) -> None:
    """Record a batch in one transaction, retried on a clash (each retry re-reads the cases)."""
    for _ in range(5):
        touched: dict[str, Case] = {}
        outcome = ImportResult()
        at = service.app.clock()
        for row in rows:
            try:
                case, known = cache.get(row.case_ref)
            except (CaseNotFound, InvalidInput) as exc:
                outcome.pending.append((row.line, str(exc), _raw(row)))
                continue
            if (row.agency, row.agency_ref) in known:
                outcome.already += 1
                continue
            try:
                case.record_complaint(
                    agency=row.agency,
                    incident_on=row.incident_on,
                    reported_on=row.reported_on,
                    complainant=case.applicant,
                    agency_ref=row.agency_ref,
                    hate=row.hate,
                    summary=Personal(case.victim_id, row.summary)
                    if row.summary
                    else None,
                    at=at,
                    by=by,
                )
            except (InvalidInput, RuleViolation) as exc:
                outcome.pending.append((row.line, str(exc), _raw(row)))
                continue
            touched[row.case_ref] = case
            known.add((row.agency, row.agency_ref))
            outcome.recorded += 1
        try:
            with translate_store_errors():
                service.app.save(*touched.values())
        except Conflict:
            cache.forget(touched)
            continue
        result.recorded += outcome.recorded
        result.already += outcome.already
        result.pending.extend(outcome.pending)
        return
    raise Conflict(
        "the cases in this file kept changing while it was imported; nothing more was "
        "written; re-run the import (recorded rows are skipped)"
    )


def _raw(row: Row) -> dict[str, str]:
    return {
        "case_ref": row.case_ref,
        "agency": row.agency,
        "agency_ref": row.agency_ref,
        "incident_on": row.incident_on.isoformat(),
        "reported_on": row.reported_on.isoformat(),
        "hate": "true" if row.hate else "false",
        "summary": row.summary or "",
    }


class RejectFile:
    """The reject file: each bad row with its line number and the reason, as found."""

    def __init__(self, handle: TextIO) -> None:
        self.writer = csv.writer(handle)
        self.writer.writerow(["line", "reason", *COLUMNS])

    def __call__(self, rejection: Rejection) -> None:
        line, reason, raw = rejection
        self.writer.writerow([line, reason, *(raw.get(c) or "" for c in COLUMNS)])
