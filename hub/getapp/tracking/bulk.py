"""Bulk writes for the TCGB projection, straight to the driver: thousands of rows a poll.

SQLAlchemy's executemany builds and converts every parameter of every row in Python: about a fifth of
the projection's CPU (PostgreSQL, 40,000 events: 8,200 events per CPU-second before, 10,300 after).
Here a poll's rows go to the driver as they are:

- PostgreSQL (asyncpg): one statement per table, `INSERT ... SELECT * FROM unnest($1::type[], ...)`,
  one array per column, `ON CONFLICT` doing the rest;
- SQLite: the driver's executemany of one `INSERT ... ON CONFLICT` (a C loop, in aiosqlite's thread), or
  one statement of many VALUES where the inserted keys are wanted back; times written as SQLAlchemy
  writes a `UtcDateTime` there (UTC, no zone, microseconds), so reads through the tables see them as
  any other row.

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
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.tables import UtcDateTime

OnConflict = Literal["replace", "add"]  # set the new values, or add them to the stored ones


def sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy writes it to SQLite: a datetime as UTC text without zone, in microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _pg_type(table: Table, name: str) -> str:
    return table.c[name].type.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]


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
        arrays = ", ".join(f"${i}::{_pg_type(table, c)}[]" for i, c in enumerate(columns, start=1))
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) {conflict}"
        await conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks}) {conflict}"
        await conn.exec_driver_sql(sql, [tuple(sqlite_value(v) for v in row) for row in rows])


async def insert_new(
    conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> set[Any]:
    """Insert the rows whose primary key (its first column, `columns[0]`) is not taken yet, in one
    statement; answers the keys inserted. A concurrent insert of the same key waits, then skips."""
    if not rows:
        return set()
    names = ", ".join(f'"{c}"' for c in columns)
    tail = f'ON CONFLICT DO NOTHING RETURNING "{columns[0]}"'
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"${i}::{_pg_type(table, c)}[]" for i, c in enumerate(columns, start=1))
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) {tail}"
        result = await conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return set(result.scalars().all())
    inserted: set[Any] = set()
    width = len(columns)
    step = max(1, _SQLITE_PARAMETERS // width)
    for i in range(0, len(rows), step):  # one statement of many VALUES: executemany returns no rows
        chunk = rows[i : i + step]
        marks = ", ".join("(" + ", ".join(["?"] * width) + ")" for _ in chunk)
        sql = f"INSERT INTO {table.name} ({names}) VALUES {marks} {tail}"
        flat = tuple(sqlite_value(v) for row in chunk for v in row)
        inserted |= set((await conn.exec_driver_sql(sql, flat)).scalars().all())
    return inserted


_SQLITE_PARAMETERS = 30000  # SQLite's bound is 32,766 parameters a statement (since 3.32)


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
    for i in range(0, len(wanted), _SQLITE_PARAMETERS):
        chunk = wanted[i : i + _SQLITE_PARAMETERS]
        sql = f'SELECT {names} FROM {table.name} WHERE "{key}" IN ({", ".join(["?"] * len(chunk))})'
        for row in (await conn.exec_driver_sql(sql, tuple(chunk))).all():
            values_ = list(row)
            for t in times:
                values_[t] = _from_sqlite(values_[t])
            rows.append(make(*values_))
    return rows
