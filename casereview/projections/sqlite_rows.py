"""Writing read-model rows to SQLite through the driver's executemany, values bound once.

SQLAlchemy's executemany builds each row's parameters generically (a dict per row, the type
processors looked up per value); a rebuild writes a million rows, and that bookkeeping cost
more than SQLite's own inserting. Here each table's column processors (the very functions
SQLAlchemy would apply: dates as ISO text, booleans as 0/1) are fetched once, rows become
tuples in the compiled statement's parameter order, and the statements are compiled once
(updates once per set of columns changed), so the stored values are exactly SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, Date, Table, and_, bindparam
from sqlalchemy.engine import Dialect

Row = dict[str, Any]
Processor = Callable[[Any], Any] | None


class SQLiteRows:
    """Inserts and updates of one table's rows (dicts by column name)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table, self.dialect = table, dialect
        self.columns = [c.name for c in table.columns]
        self.keys = [c.name for c in table.primary_key.columns]
        self.processors: dict[str, Processor] = {
            c.name: _processor(c, dialect) for c in table.columns
        }
        compiled = table.insert().compile(dialect=dialect)
        self.insert_sql = str(compiled)
        self.insert_order: list[str] = list(compiled.positiontup or ())
        self._get = itemgetter(*self.insert_order)
        self._processed = [
            (i, p)
            for i, c in enumerate(self.insert_order)
            if (p := self.processors[c]) is not None
        ]
        self._updates: dict[tuple[str, ...], tuple[str, list[str]]] = {}

    def insert(self, conn: Connection, rows: Iterable[Row]) -> None:
        params = [self._values(row) for row in rows]
        if params:
            conn.exec_driver_sql(self.insert_sql, params)

    def _values(self, row: Row) -> tuple[Any, ...]:
        values = list(self._get(row))
        for i, p in self._processed:
            values[i] = p(values[i])
        return tuple(values)

    def update(self, conn: Connection, changes: Iterable[tuple[Row, Row]]) -> None:
        """Each (row, as stored) pair: only the columns whose values differ, one executemany
        per set of columns (mostly one: a case's count and version)."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row, stored in changes:
            changed = tuple(c for c in self.columns if row[c] != stored[c])
            if changed:
                order = self._update_for(changed)[1]
                groups.setdefault(changed, []).append(self._bound(row, order))
        for changed, params in groups.items():
            conn.exec_driver_sql(self._update_for(changed)[0], params)

    def _bound(self, row: Row, order: Sequence[str]) -> tuple[Any, ...]:
        processors = self.processors
        return tuple(
            [
                row[c] if processors[c] is None else processors[c](row[c])  # type: ignore[misc]
                for c in order
            ]
        )

    def _update_for(self, changed: tuple[str, ...]) -> tuple[str, list[str]]:
        """The UPDATE setting these columns by primary key, and the columns of its
        parameters in order."""
        found = self._updates.get(changed)
        if found is None:
            t = self.table
            where = and_(*(t.c[k] == bindparam(KEY + k) for k in self.keys))
            stmt = t.update().where(where).values({c: bindparam(c) for c in changed})
            compiled = stmt.compile(dialect=self.dialect)
            order = [p.removeprefix(KEY) for p in compiled.positiontup or ()]
            found = (str(compiled), order)
            self._updates[changed] = found
        return found


def _processor(column: Column[Any], dialect: Dialect) -> Processor:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None or not isinstance(column.type, Date):
        return process
    return _once_per_value(process)


def _once_per_value(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLAlchemy formats each date as text with a call costing more than inserting it; a
    year's rows hold a few hundred distinct dates, so each is formatted once."""
    seen: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        found = seen.get(value)
        if found is None:
            if len(seen) >= SEEN_LIMIT:
                seen.clear()
            found = seen[value] = process(value)
        return found

    return once


SEEN_LIMIT = 10_000
KEY = "pk__"
"""Prefix of the primary key's parameters in an UPDATE (distinct from the SET ones; no
column name starts with it)."""
