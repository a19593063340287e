"""Statements straight to the driver, for the store's writes of thousands of rows.

SQLAlchemy's executemany builds and converts every parameter of every row in Python: for the TCGB
projection about a fifth of its CPU. Rows go to the driver as they are instead (PostgreSQL: one array per
column, `unnest`; SQLite: the driver's own loop, or one statement of many VALUES), with times written as
SQLAlchemy writes a `UtcDateTime` to SQLite, so reads through the tables see them as any other row.
Statements are built from a Table, so a column added to it is written too; values are always passed as
parameters, never spliced into the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

SQLITE_PARAMETERS = 30000  # SQLite's bound is 32,766 parameters a statement (since 3.32)


def sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy writes it to SQLite: a datetime as UTC text without zone, in microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def pg_type(table: Table, name: str) -> str:
    """The PostgreSQL type of a column, for the casts of its array (`$1::varchar(36)[]`)."""
    return table.c[name].type.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]


async def insert_new(
    conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], returning: str
) -> set[Any]:
    """Insert the rows whose primary key is not taken yet (`INSERT ... ON CONFLICT DO NOTHING RETURNING`), in
    one statement; answers the `returning` column of the rows inserted. A concurrent insert of the same key
    waits for the other transaction, then skips (PostgreSQL; SQLite has one writer at a time)."""
    if not rows:
        return set()
    names = ", ".join(f'"{c}"' for c in columns)
    tail = f'ON CONFLICT DO NOTHING RETURNING "{returning}"'
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"${i}::{pg_type(table, c)}[]" for i, c in enumerate(columns, start=1))
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) {tail}"
        result = await conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return set(result.scalars().all())
    inserted: set[Any] = set()
    width = len(columns)
    step = max(1, SQLITE_PARAMETERS // width)
    for i in range(0, len(rows), step):  # one statement of many VALUES: executemany returns no rows
        chunk = rows[i : i + step]
        marks = ", ".join("(" + ", ".join(["?"] * width) + ")" for _ in chunk)
        sql = f"INSERT INTO {table.name} ({names}) VALUES {marks} {tail}"
        flat = tuple(sqlite_value(v) for row in chunk for v in row)
        inserted |= set((await conn.exec_driver_sql(sql, flat)).scalars().all())
    return inserted
