"""Cells that a spreadsheet would run as a formula, neutralised the way OWASP recommends.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (CSV injection); every CSV casereview writes passes its cells
through `safe_cell`, which prefixes such a cell with a single quote so it shows as text.
(OWASP, "CSV Injection": prepend `'` and quote the cell; the csv module quotes as needed.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` if it is text a spreadsheet would treat as a formula.
    Numbers stay numbers (a negative count is data, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class SafeWriter:
    """csv.writer whose every cell goes through `safe_cell`."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(values))
