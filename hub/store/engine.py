"""Engine creation: the same code for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # The consumer and the outbox relay write concurrently: wait for the lock instead of failing.
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        # FULL: a commit is on disk (the WAL fsynced) before it returns, so before the consumer commits
        # the Kafka offsets of what it wrote. NORMAL fsyncs only at checkpoints: a power cut could drop
        # the last transactions whose offsets were already committed, and those commands would be lost.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


_WRITERS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def writing(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[object]:
    """Held around a write transaction. SQLite takes one writer at a time, and a writer that finds it
    taken waits in SQLite's busy handler, which sleeps in steps of up to 100 ms: the core's batch and
    the outbox relay, writing side by side, then each added tens of milliseconds to the other's
    latency. Writers of one engine queue here instead and are woken at once. PostgreSQL locks rows,
    not the database: nothing to queue for."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    lock = _WRITERS.get(engine.sync_engine)
    if lock is None:
        lock = _WRITERS[engine.sync_engine] = asyncio.Lock()
    return lock


async def create_schema(engine: AsyncEngine) -> None:
    """Every table of the hub, at the head revision of its migrations: for tests, benchmarks and tools.

    Processes never create tables: they refuse a store whose schema is not their code's
    (hub.store.schema.require_current) and `hub db upgrade` migrates it (docs/decisions.md).
    """
    from hub.store.schema import create_head_schema

    await create_head_schema(engine)
