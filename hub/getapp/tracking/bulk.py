"""Bulk writes and reads for the TCGB projection, straight to the driver: thousands of rows a poll.

SQLAlchemy's executemany builds and converts every parameter of every row in Python: about a fifth of
the projection's CPU (PostgreSQL, 40,000 events: 8,200 events per CPU-second before, 10,300 after).
Here a poll's rows go to the driver as they are (hub/store/driver.py, which the claim uses too):

- PostgreSQL (asyncpg): one statement per table, `INSERT ... SELECT * FROM unnest($1::type[], ...)`,
  one array per column, `ON CONFLICT` doing the rest;
- SQLite: the driver's executemany of one `INSERT ... ON CONFLICT` (a C loop, in aiosqlite's thread);
  times written as SQLAlchemy writes a `UtcDateTime` there (UTC, no zone, microseconds), so reads
  through the tables see them as any other row.

The statements are built from the Table, so a column added to it is written too. Values are the
projection's own, passed as parameters (never spliced into the SQL).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.driver import SQLITE_PARAMETERS, pg_type, sqlite_value
from hub.store.tables import UtcDateTime

OnConflict = Literal["replace", "add"]  # set the new values, or add them to the stored ones


def _set_clause(table: Table, columns: Sequence[str], on_conflict: OnConflict) -> str:
    keys = {c.name for c in table.primary_key.columns}
    changed = [c for c in columns if c not in keys]
    if on_conflict == "add":
        return ", ".join(f'"{c}" = {table.name}."{c}" + excluded."{c}"' for c in changed)
    return ", ".join(f'"{c}" = excluded."{c}"' for c in changed)


async def upsert(
    conn: AsyncConnection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    on_conflict: OnConflict = "replace",
) -> None:
    """Insert `rows` (tuples in the order of `columns`); a row whose primary key is taken updates it."""
    if not rows:
        return
    keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    names = ", ".join(f'"{c}"' for c in columns)
    conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {_set_clause(table, columns, on_conflict)}"
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"${i}::{pg_type(table, c)}[]" for i, c in enumerate(columns, start=1))
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) {conflict}"
        await conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks}) {conflict}"
        await conn.exec_driver_sql(sql, [tuple(sqlite_value(v) for v in row) for row in rows])


@functools.cache
def _row_type(table: Table, columns: tuple[str, ...]) -> Any:
    return namedtuple(f"{table.name}_row", columns)  # its columns are known at run time only


def _from_sqlite(text: str | None) -> datetime | None:
    """A UtcDateTime as SQLite keeps it (UTC text without zone): what SQLAlchemy would read, in C."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


async def select_in(
    conn: AsyncConnection, table: Table, columns: tuple[str, ...], key: str, values: Iterable[str]
) -> list[Any]:
    """The rows whose `key` is one of `values`, as named tuples of `columns`, times as aware UTC datetimes."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    make = _row_type(table, columns)
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        sql = f'SELECT {names} FROM {table.name} WHERE "{key}" = ANY($1::text[])'
        return [make(*row) for row in (await conn.exec_driver_sql(sql, (wanted,))).all()]
    times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UtcDateTime)]
    rows: list[Any] = []
    for i in range(0, len(wanted), SQLITE_PARAMETERS):
        chunk = wanted[i : i + SQLITE_PARAMETERS]
        sql = f'SELECT {names} FROM {table.name} WHERE "{key}" IN ({", ".join(["?"] * len(chunk))})'
        for row in (await conn.exec_driver_sql(sql, tuple(chunk))).all():
            values_ = list(row)
            for t in times:
                values_[t] = _from_sqlite(values_[t])
            rows.append(make(*values_))
    return rows
