"""`complaint import`: agency exports of complaints, streamed, batched and idempotent.

The file is read a row at a time (memory stays flat whatever its size). Rows are grouped into
batches of BATCH_SIZE, each saved in one transaction (`casereview.bulk_import.pipeline`: recorded
against a compact intake of each case, the next batch built while this one is saved), so the
rate approaches the database's own. `(agency, agency_ref)` identifies a complaint, compared
without regard to case or spaces: a row already recorded on its case is skipped, so a re-run,
or a run resumed after a crash, records nothing twice and loses nothing; a row whose reference
is recorded on another case is rejected. A bad row goes to the reject file with its line number
and the reason; the good rows are recorded.

What an agency's export can hold is bad input for its row alone, never the end of the import:
bytes that are not UTF-8 (they spoil only their own line, `Lines`), a cell longer than any
field takes (`CELL_LIMIT`, from casereview.domain.text; the rest of its row is skipped as the
csv module would have read it, `Scan`), control characters, and text over a field's limit
(`check_text`, as every other way in). A header naming a column twice is refused whole.
"""

from __future__ import annotations

import csv
import gc
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

from casereview.adapters.csv_safe import SafeWriter
from casereview.bulk_import.pipeline import (
    Elsewhere,
    Pipeline,
    Prepared,
    Rejection,
    Row,
)
from casereview.domain.identity import normalised
from casereview.domain.text import RULES, check_text
from casereview.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    from casereview.adapters.eventstore import CaseReviews

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
CELL_LIMIT = max(rule.limit for rule in RULES.values())
"""The longest cell read (csv's field_size_limit during an import): the most any text field
takes (casereview.domain.text). A longer cell rejects its row unread."""
LINE_LIMIT = 1 << 20
"""Characters of one line read at a time: far more than any row that could be accepted, so
a line without end costs no more memory than this."""
ROW_BYTES, MAX_EXPECTED = 130, 2_000_000
"""Rows expected of a file: its size over a typical row's, at most a national year's twice
(sizes the import's table of references recorded; it grows if there are more)."""


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
        for column in COLUMNS:
            if names.count(column) > 1:
                at = [str(i + 1) for i, name in enumerate(names) if name == column]
                raise InvalidInput(
                    f"{path}: the header names {column} more than once (columns "
                    f"{', '.join(at)}); name each column once"
                )
        absent = [c for c in REQUIRED if c not in names]
        if absent:
            raise InvalidInput(
                f"{path}: the header lacks {', '.join(absent)} "
                f"(expected {','.join(COLUMNS)})"
            )
        self.at = {c: names.index(c) for c in COLUMNS if c in names}
        self.hate, self.summary = "hate" in self.at, "summary" in self.at
        self.required = itemgetter(*(self.at[c] for c in REQUIRED))
        """The required cells of a row, in REQUIRED's order, in one call."""
        self.dates: dict[str, date] = {}
        """Date cells already read, as dates (a year's rows hold a few hundred)."""
        self.agencies: dict[str, str] = {}
        """Agencies already read, as compared (an export names a few dozen)."""

    def raw(self, cells: list[str]) -> dict[str, str]:
        """The row as the reject file shows it, by column name."""
        return dict(zip(self.names, cells, strict=False))


def _date(value: str, column: str, today: date, seen: dict[str, date]) -> date:
    day = seen.get(value)
    if day is not None:
        return day
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RowError(
            f"{column}: {value!r} is not a date (expected YYYY-MM-DD)"
        ) from None
    if day > today:
        raise RowError(f"{column}: {value} is in the future")
    if len(seen) >= DATES_SEEN:
        seen.clear()
    seen[value] = day
    return day


DATES_SEEN = 10_000


AGENCY_LIMIT, REFERENCE_LIMIT, SUMMARY_LIMIT = (
    RULES[f].limit for f in ("agency", "agency_ref", "summary")
)


def _text(field: str, cell: str) -> None:
    """RowError with the field's message if the cell (as found, spaces and all) is not
    acceptable text for the field (parse_row calls it only for a cell that is not
    printable text within the limit: the common case, decided in C)."""
    try:
        check_text(field, cell, required=False)
    except FieldError as exc:
        raise RowError(str(exc)) from None


def parse_row(line: int, cells: list[str], header: Header, today: date) -> Row:
    """One CSV row as a complaint, or RowError naming the column and what is wrong."""
    if len(cells) > len(header.names):
        raise RowError("more cells than the header has columns")
    if len(cells) < len(header.names):  # csv leaves out the trailing empty cells
        cells = cells + [""] * (len(header.names) - len(cells))
    at = header.at
    case_ref, agency_cell, agency_ref_cell, incident_text, reported_text = (
        header.required(cells)
    )
    case_ref, incident_text = case_ref.strip(), incident_text.strip()
    agency, agency_ref = agency_cell.strip(), agency_ref_cell.strip()
    reported_text = reported_text.strip()
    if not (case_ref and agency and agency_ref and incident_text and reported_text):
        missing = [c for c in REQUIRED if not cells[at[c]].strip()]
        raise RowError(f"missing {', '.join(missing)}")
    if not (agency_cell.isprintable() and len(agency_cell) <= AGENCY_LIMIT):
        _text("agency", agency_cell)
    if not (agency_ref_cell.isprintable() and len(agency_ref_cell) <= REFERENCE_LIMIT):
        _text("agency_ref", agency_ref_cell)
    incident_on = _date(incident_text, "incident_on", today, header.dates)
    reported_on = _date(reported_text, "reported_on", today, header.dates)
    if reported_on < incident_on:
        raise RowError(f"reported_on {reported_on} is before incident_on {incident_on}")
    hate_text = cells[at["hate"]].strip().lower() if header.hate else ""
    if hate_text not in TRUE and hate_text not in FALSE:
        raise RowError(
            f"hate: {hate_text!r} is not yes/no (expected true/false, yes/no or 1/0)"
        )
    summary_cell = cells[at["summary"]] if header.summary else ""
    if not (summary_cell.isprintable() and len(summary_cell) <= SUMMARY_LIMIT):
        _text("summary", summary_cell)
    summary = summary_cell.strip()
    return Row(
        line,
        case_ref.upper(),
        agency,
        agency_ref,
        incident_on,
        reported_on,
        hate_text in TRUE,
        summary or None,
        (
            header.agencies.get(agency) or _agency_seen(header.agencies, agency),
            normalised(agency_ref),
        ),
    )


def _agency_seen(seen: dict[str, str], agency: str) -> str:
    if len(seen) >= DATES_SEEN:
        seen.clear()
    found = seen[agency] = normalised(agency)
    return found


POISON = "x" * (CELL_LIMIT + 1)
"""Handed to csv.reader in place of a line over LINE_LIMIT: a cell too long in any state, so
csv gives up on the row there, as on any cell over CELL_LIMIT."""
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
"""What a byte that is not UTF-8 decodes to (errors="surrogateescape")."""


class Lines:
    """The file's lines for csv.reader, counted and kept until their row is read.

    The file is read as UTF-8 with each byte that is not UTF-8 decoded to a lone surrogate
    ("surrogateescape"), so a bad byte spoils only its own line: the line still parses, the
    rows after it are unaffected, and its row is marked unreadable (`bad`)."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.number = 0
        """Lines handed out so far."""
        self.bad: str | None = None
        """Why the row being read cannot be read as text, if it cannot."""
        self.record: list[str] = []
        """The lines of the row being read (to find its end if csv gives up on it)."""
        self.partial = False
        """The last line handed out is only the start of a line over LINE_LIMIT."""

    def __iter__(self) -> Iterator[str]:
        # A generator (cheaper per line than __next__); each csv.reader gets a new one,
        # reading on from where the file stands.
        readline, record = self.handle.readline, self.record
        while True:
            line = readline(LINE_LIMIT)
            if not line:
                return
            self.number += 1
            record.append(line)
            if len(line) == LINE_LIMIT and not line.endswith(("\n", "\r")):
                self.partial = True
                yield POISON
                continue
            if not line.isascii() and self.bad is None:
                self._check_utf8(line)
            yield line

    def _check_utf8(self, line: str) -> None:
        found = _NOT_UTF8.search(line)
        if found is not None:
            byte = ord(found.group()) - 0xDC00
            self.bad = (
                f"line {self.number}: not valid UTF-8 (byte 0x{byte:02X} at column "
                f"{found.start() + 1}); save the file as UTF-8"
            )

    def row_read(self) -> str | None:
        """The row just read is done: why it is unreadable (or None)."""
        bad, self.bad = self.bad, None
        self.record.clear()
        return bad

    def skip_row(self) -> int | None:
        """After csv gave up on a row (a cell over CELL_LIMIT, or a line over LINE_LIMIT):
        read on to where the row ends, as csv.reader would have read it, so the next row
        starts where it should. The index of its first cell over CELL_LIMIT (None if
        none is)."""
        scan = Scan()
        for line in self.record:
            scan.feed(line)
        while self.partial or scan.quoted:  # the row goes on
            line = self.handle.readline(LINE_LIMIT)
            if not line:
                break
            if not self.partial:
                self.number += 1
            self.partial = len(line) == LINE_LIMIT and not line.endswith(("\n", "\r"))
            scan.feed(line)
        self.partial = False
        self.row_read()
        return scan.overflow


START, FIELD, QUOTED, QUOTE = range(4)


class Scan:
    """Reads CSV text as csv.reader does (the excel dialect: `,` between cells, `"` around
    a cell that may hold commas and line breaks, `""` for a quote inside one), noting only
    whether a quoted cell is open and which cell first grows past CELL_LIMIT."""

    def __init__(self) -> None:
        self.state = START
        self.cell = self.length = 0
        self.overflow: int | None = None

    @property
    def quoted(self) -> bool:
        """Inside a quoted cell: a line break here does not end the row."""
        return self.state == QUOTED

    def feed(self, data: str) -> None:
        i, n = 0, len(data)
        while i < n:
            if self.state == QUOTED:
                j = data.find('"', i)
                if j < 0:
                    self._grow(n - i)
                    return
                self._grow(j - i)
                self.state, i = QUOTE, j + 1
            elif self.state == QUOTE and data[i] == '"':  # "" inside quotes
                self._grow(1)
                self.state, i = QUOTED, i + 1
            elif self.state == START and data[i] == '"':
                self.state, i = QUOTED, i + 1
            else:
                self.state = FIELD
                ends = [j for j in (data.find(c, i) for c in ",\n\r") if j >= 0]
                if not ends:
                    self._grow(n - i)
                    return
                j = min(ends)
                self._grow(j - i)
                if data[j] == ",":
                    self.cell += 1
                else:  # the row ends; a line break may follow (\\r\\n)
                    self.cell = 0
                self.length, self.state, i = 0, START, j + 1

    def _grow(self, by: int) -> None:
        self.length += by
        if self.overflow is None and self.length > CELL_LIMIT:
            self.overflow = self.cell


Record = tuple[int, list[str], str | None]
"""A row of the file: its first line, its cells, and why it cannot be read (or None)."""


def records(lines: Lines, header: Header) -> Iterator[Record]:
    """The rows after the header, each with its first line; a row csv gives up on, or that
    is not valid UTF-8, comes with the reason and the rows after it are read as usual."""
    start = lines.number + 1
    clear = lines.record.clear
    while True:
        try:
            for cells in csv.reader(lines):
                clear()
                line, start = start, lines.number + 1
                if lines.bad is not None:
                    yield line, cells, lines.row_read()
                elif cells:
                    yield line, cells, None
            return
        except csv.Error:
            overflow = lines.skip_row()
            line, start = start, lines.number + 1
            yield line, [], _too_long(header, overflow)


def _too_long(header: Header, cell: int | None) -> str:
    name = header.names[cell] if cell is not None and cell < len(header.names) else ""
    rule = RULES.get(name)
    if rule is None:
        return f"a cell is longer than {CELL_LIMIT:,} characters, more than any column takes"
    return (
        f"{name}: is longer than {CELL_LIMIT:,} characters; at most {rule.limit:,} "
        "are allowed"
    )


def read_header(lines: Lines, path: Path) -> Header:
    try:
        names = next(csv.reader(lines), [])
    except csv.Error:
        raise InvalidInput(
            f"{path}: line 1 is not a header (a cell longer than {CELL_LIMIT:,} "
            f"characters); expected {','.join(COLUMNS)}"
        ) from None
    bad = lines.row_read()
    if bad is not None:
        raise InvalidInput(f"{path}: {bad}")
    return Header(names, path)


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class ImportTarget(Protocol):
    """What the import needs of the case service: the store, and today's date."""

    app: CaseReviews

    def today(self) -> date: ...


def import_complaints(
    service: ImportTarget,
    path: Path,
    *,
    by: str,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    reject: Callable[[Rejection], None] | None = None,
    elsewhere: Elsewhere | None = None,
) -> ImportResult:
    """Record every good row; hand each bad one to `reject` once its batch is settled (memory
    stays flat: nothing is kept per row once its batch is saved). `elsewhere` finds the cases
    the read model holds references on (a reference recorded on another case rejects its
    row; the CLI passes the projector's look-up)."""
    result = ImportResult()
    today = service.today()
    try:
        handle = path.open(newline="", encoding="utf-8-sig", errors="surrogateescape")
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

    field_limit = csv.field_size_limit(CELL_LIMIT)
    # Everything made before the import (modules, the service, the read models' engine) lives
    # as long as it does: frozen, the collector's full passes, which a million rows set off
    # again and again, skip it.
    gc.freeze()
    try:
        with handle:
            lines = Lines(handle)
            header = read_header(lines, path)
            expected = min(path.stat().st_size // ROW_BYTES, MAX_EXPECTED)
            with Pipeline(service.app, by, elsewhere, expected) as pipeline:
                for chunk in batches(records(lines, header), batch_size):
                    rows: list[Row] = []
                    bad: list[Rejection] = []
                    for line, cells, unreadable in chunk:
                        if unreadable is not None:
                            bad.append((line, unreadable, header.raw(cells)))
                            continue
                        try:
                            rows.append(parse_row(line, cells, header, today))
                        except RowError as exc:
                            bad.append((line, str(exc), header.raw(cells)))
                    for batch in pipeline.push(rows, bad, len(chunk)):
                        settled(batch)
                for batch in pipeline.finish():
                    settled(batch)
    finally:
        csv.field_size_limit(field_limit)
        gc.unfreeze()
    return result


def check_reject_file(source: Path, target: Path) -> None:
    """InvalidInput unless the reject file can be written without harm, checked before
    anything is read or written: it must not be the file being imported (under any name),
    and its folder must take a new file."""
    if target.resolve() == source.resolve() or (
        target.exists() and os.path.samefile(target, source)
    ):
        raise InvalidInput(
            f"--reject-file: {target} is the file being imported; name another file "
            "(it would be overwritten)"
        )
    folder = target.resolve().parent
    try:
        if target.exists():
            with target.open("a", encoding="utf-8"):  # opened, not changed
                pass
        else:
            with tempfile.TemporaryFile(dir=folder):
                pass
    except OSError as exc:
        raise InvalidInput(
            f"--reject-file: cannot write {target} in {folder} ({exc.strerror}); name a "
            "file in a folder you can write to"
        ) from None


_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def shown(text: str) -> str:
    """Text as the reject file shows it: a control character or a byte that was not UTF-8
    as U+FFFD (the reason says which and where), so the file is plain UTF-8 text."""
    return _UNSHOWABLE.sub("\ufffd", text)


class RejectFile:
    """The reject file: each bad row with its line number and the reason, as found (cells
    neutralised for spreadsheets, casereview.adapters.csv_safe). Created at the first bad row, so a
    clean import leaves no file and touches none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None
        self.writer: SafeWriter | None = None

    def __call__(self, rejection: Rejection) -> None:
        if self.writer is None:
            try:
                self.handle = self.path.open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise InvalidInput(
                    f"--reject-file: cannot write {self.path}: {exc.strerror}"
                ) from None
            self.writer = SafeWriter(self.handle)
            self.writer.writerow(["line", "reason", *COLUMNS])
        line, reason, raw = rejection
        self.writer.writerow(
            [line, shown(reason), *(shown(raw.get(c) or "") for c in COLUMNS)]
        )

    @property
    def created(self) -> bool:
        return self.handle is not None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def __enter__(self) -> RejectFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
