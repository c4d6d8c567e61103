"""`complaint import`: agency exports of complaints, streamed, batched and idempotent.

The file is read a row at a time (memory stays flat whatever its size). Rows are grouped into
batches of BATCH_SIZE, each saved in one transaction (`casereview.import_pipeline`: recorded
against a compact intake of each case, the next batch built while this one is saved), so the
rate approaches the database's own. `(agency, agency_ref)` identifies a complaint: a row already
recorded is skipped, so a re-run, or a run resumed after a crash, records nothing twice and
loses nothing. A bad row goes to the reject file with its line number and the reason; the good
rows are recorded.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from casereview.errors import InvalidInput
from casereview.import_pipeline import Pipeline, Prepared, Rejection, Row
from casereview.services.cases import CaseService

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
BATCH_SIZE = 5000
"""Rows per transaction: a commit's flush is paid per batch, not per row."""


@dataclass
class ImportResult:
    recorded: int = 0
    already: int = 0
    rejected: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "already_recorded": self.already,
            "rejected": self.rejected,
        }


class RowError(Exception):
    pass


class Header:
    """Where each column is in the file's rows (the header may order them any way)."""

    def __init__(self, names: list[str], path: Path) -> None:
        self.names = names
        absent = [c for c in REQUIRED if c not in names]
        if absent:
            raise InvalidInput(
                f"{path}: the header lacks {', '.join(absent)} "
                f"(expected {','.join(COLUMNS)})"
            )
        self.at = {c: names.index(c) for c in COLUMNS if c in names}
        self.hate, self.summary = "hate" in self.at, "summary" in self.at

    def raw(self, cells: list[str]) -> dict[str, str]:
        """The row as the reject file shows it, by column name."""
        return dict(zip(self.names, cells, strict=False))


def _date(value: str, column: str, today: date) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RowError(
            f"{column}: {value!r} is not a date (expected YYYY-MM-DD)"
        ) from None
    if day > today:
        raise RowError(f"{column}: {value} is in the future")
    return day


def parse_row(line: int, cells: list[str], header: Header, today: date) -> Row:
    """One CSV row as a complaint, or RowError naming the column and what is wrong."""
    if len(cells) > len(header.names):
        raise RowError("more cells than the header has columns")
    if len(cells) < len(header.names):  # csv leaves out the trailing empty cells
        cells = cells + [""] * (len(header.names) - len(cells))
    at = header.at
    case_ref = cells[at["case_ref"]].strip()
    agency = cells[at["agency"]].strip()
    agency_ref = cells[at["agency_ref"]].strip()
    incident_text = cells[at["incident_on"]].strip()
    reported_text = cells[at["reported_on"]].strip()
    if not (case_ref and agency and agency_ref and incident_text and reported_text):
        missing = [c for c in REQUIRED if not cells[at[c]].strip()]
        raise RowError(f"missing {', '.join(missing)}")
    incident_on = _date(incident_text, "incident_on", today)
    reported_on = _date(reported_text, "reported_on", today)
    if reported_on < incident_on:
        raise RowError(f"reported_on {reported_on} is before incident_on {incident_on}")
    hate_text = cells[at["hate"]].strip().lower() if header.hate else ""
    if hate_text not in TRUE and hate_text not in FALSE:
        raise RowError(
            f"hate: {hate_text!r} is not yes/no (expected true/false, yes/no or 1/0)"
        )
    summary = cells[at["summary"]].strip() if header.summary else ""
    return Row(
        line,
        case_ref.upper(),
        agency,
        agency_ref,
        incident_on,
        reported_on,
        hate_text in TRUE,
        summary or None,
    )


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_complaints(
    service: CaseService,
    path: Path,
    *,
    by: str,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    reject: Callable[[Rejection], None] | None = None,
) -> ImportResult:
    """Record every good row; hand each bad one to `reject` once its batch is settled (memory
    stays flat: nothing is kept per row once its batch is saved)."""
    result = ImportResult()
    today = service.today()
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None

    def settled(batch: Prepared) -> None:
        result.recorded += batch.recorded
        result.already += batch.already
        result.rejected += len(batch.rejections)
        if reject is not None:
            for rejection in sorted(batch.rejections, key=lambda r: r[0]):
                reject(rejection)
        if progress is not None:
            progress(batch.size)

    with handle, Pipeline(service.app, by) as pipeline:
        reader = csv.reader(handle)
        header = Header(next(reader, []), path)
        numbered = ((reader.line_num, cells) for cells in reader if cells)
        for chunk in batches(numbered, batch_size):
            rows: list[Row] = []
            bad: list[Rejection] = []
            for line, cells in chunk:
                try:
                    rows.append(parse_row(line, cells, header, today))
                except RowError as exc:
                    bad.append((line, str(exc), header.raw(cells)))
            for batch in pipeline.push(rows, bad, len(chunk)):
                settled(batch)
        for batch in pipeline.finish():
            settled(batch)
    return result


class RejectFile:
    """The reject file: each bad row with its line number and the reason, as found."""

    def __init__(self, handle: TextIO) -> None:
        self.writer = csv.writer(handle)
        self.writer.writerow(["line", "reason", *COLUMNS])

    def __call__(self, rejection: Rejection) -> None:
        line, reason, raw = rejection
        self.writer.writerow([line, reason, *(raw.get(c) or "" for c in COLUMNS)])
