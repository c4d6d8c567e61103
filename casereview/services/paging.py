"""Pages of a list, as every list query returns them: at most `limit` rows after a cursor,
fetched with one row more so that the query itself says whether a next page exists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from casereview.errors import FieldError

DEFAULT_PAGE = 50
"""Rows a page holds unless asked otherwise."""
MAX_PAGE = 10_000
"""The most a page may hold (all of them: `limit=None`)."""

Row = dict[str, Any]


def fetch_size(limit: int | None) -> int | None:
    """How many rows to ask the read models for: one more than the page, to see past it."""
    if limit is None:
        return None
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"{limit} is not from 1 to {MAX_PAGE:,}")
    return limit + 1


def cut(rows: Sequence[Row], limit: int | None) -> tuple[list[Row], Row | None]:
    """The page's rows as JSON-ready data (dates as ISO text), and its last row when a
    next page follows (None on the last page)."""
    more = limit is not None and len(rows) > limit
    kept = list(rows[:limit]) if limit is not None else list(rows)
    last = kept[-1] if more else None
    return [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        for r in kept
    ], last
