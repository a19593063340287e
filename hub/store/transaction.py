"""The unit of work every writer of the store shares: one transaction per message batch or request.

Inside it a consumer claims the ids of the messages it applies (hub/store/claims.py), changes its
tables, and queues what goes out (outbox rows, mails to send) to be inserted with the rest: all of it
is committed together, or nothing is. Leaving the `async with` without `commit()` rolls back.

On SQLite it holds the writer's turn of its engine for the whole transaction (hub/store/engine.py
`writing`), so writers queue in the process instead of in SQLite's busy handler. So never open a
second `Transaction` on the same engine inside one: it would wait for itself.

The core's unit of work (hub/store/uow.py) is built on it; GET-APP's projections and account service
use it directly or through a subclass that names their statements (hub/getapp/accounts/store.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract.messages.envelope import Envelope
from hub.store.claims import ProcessedLog
from hub.store.engine import writing


class Transaction:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._queued: dict[Table, list[dict[str, Any]]] = {}

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "use the unit of work in `async with`"
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def __aenter__(self) -> Self:
        self._writing = writing(self._engine)
        await self._writing.__aenter__()
        try:
            self._conn = await self._engine.connect()
            await self._conn.begin()
        except BaseException as exc:
            await self._leave(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._leave(exc_type, exc, tb)

    async def _leave(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._conn is not None:
                if self._conn.in_transaction():
                    await self._conn.rollback()
                await self._conn.close()
        finally:
            self._conn = None
            self._queued.clear()
            await self._writing.__aexit__(exc_type, exc, tb)

    async def claim(self, log: ProcessedLog, messages: Iterable[Envelope[Any]], at: datetime) -> set[UUID]:
        """The ids among `messages` not applied before, claimed in this transaction (one statement)."""
        return await log.claim(self.conn, messages, at)

    def queue(self, table: Table, row: dict[str, Any]) -> None:
        """A row that goes out (an outbox row, a mail to send), inserted at commit with the rest."""
        self._queued.setdefault(table, []).append(row)

    async def commit(self) -> None:
        """Insert the queued rows, one statement per table, and commit."""
        for table, rows in self._queued.items():
            await self.conn.execute(insert(table), rows)
        self._queued.clear()
        await self.conn.commit()
