"""`stats --csv` neutralises any cell a spreadsheet would run as a formula (issue 11, item 6)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from casereview.reporting.figures import Figures, Stats, period_for

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_stats_csv_prefixes_a_cell_that_starts_like_a_formula(cell):
    stats = Stats(
        area=None,
        year=2025,
        period=period_for(2025),
        today=date(2026, 11, 20),
        total=Figures(),
        areas={cell: Figures(applications=3)},
    )

    rows = list(csv.reader(io.StringIO(stats.to_csv(), newline="")))

    assert rows[1][0] == "'" + cell
    assert rows[1][3] == "3"
    assert rows[2][0] == "all areas"


def test_stats_csv_leaves_numbers_and_plain_names_as_they_are():
    stats = Stats(
        area="gosport",
        year=2025,
        period=period_for(2025),
        today=date(2026, 11, 20),
        total=Figures(applications=2),
        areas={"gosport": Figures(applications=2)},
    )

    rows = list(csv.reader(io.StringIO(stats.to_csv())))

    assert rows[1][:4] == ["gosport", "2025-04-01", "2026-03-31", "2"]
    assert len(rows) == 2


def test_stats_csv_keeps_a_cell_holding_a_line_break_in_one_row():
    stats = Stats(
        area=None,
        year=2025,
        period=period_for(2025),
        today=date(2026, 11, 20),
        total=Figures(),
        areas={"x\r=1+1": Figures(), "y\n@SUM(A1)": Figures()},
    )

    rows = list(csv.reader(io.StringIO(stats.to_csv(), newline="")))

    assert [r[0] for r in rows] == ["area", "x\r=1+1", "y\n@SUM(A1)", "all areas"]
    assert stats.to_csv().endswith("\n") and "\r\n" not in stats.to_csv()
