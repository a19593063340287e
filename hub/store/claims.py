"""The claim: every consumer that must apply a message once records its id in the transaction that applies it.

A consumer's processed-messages table (the core's `processed_messages`, GET-APP's
`getapp_tracking_processed` for both tracking projections, `getapp_processed` for the accounts' YKTS
answers) holds the ids it has applied. Claiming a batch is one statement, `INSERT ... ON CONFLICT DO
NOTHING RETURNING` the ids inserted: an id applied before (a redelivery) is not returned, and a
concurrent claim of the same id (a rebalance, two replicas) waits for the other transaction and then
skips. Since the claim commits or rolls back with what the messages changed, a message's effect is
stored exactly once: a crash before the commit leaves neither, and the message is delivered again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.contract.messages.envelope import Envelope
from hub.store.driver import insert_new


@dataclass(frozen=True)
class ProcessedLog:
    """A processed-messages table; `consumer` names the consumer in a table several share (its key column).

    The table's columns are filled by name: `message_id`, `processed_at`, and where it has them
    `consumer` and `message_type`."""

    table: Table
    consumer: str | None = None

    def __post_init__(self) -> None:
        names = set(self.table.c.keys())
        if not {"message_id", "processed_at"} <= names <= {"message_id", "processed_at", "consumer", "message_type"}:
            raise ValueError(f"{self.table.name} is not a processed-messages table")
        if ("consumer" in names) != (self.consumer is not None):
            raise ValueError(f"{self.table.name}: a consumer is named exactly when the table is shared")

    async def claim(self, conn: AsyncConnection, messages: Iterable[Envelope[Any]], at: datetime) -> set[UUID]:
        """Record the messages as processed at `at`, in one statement that skips the ids applied before;
        answers the ids the caller may apply now. Call it inside the transaction that applies them."""
        ids = {str(m.message_id): m for m in messages}  # a message twice in a batch is claimed once
        if not ids:
            return set()
        columns = [c.name for c in self.table.c]
        values: dict[str, Any] = {"consumer": self.consumer, "processed_at": at}
        rows = [
            tuple(mid if c == "message_id" else m.type if c == "message_type" else values[c] for c in columns)
            for mid, m in ids.items()
        ]
        fresh = await insert_new(conn, self.table, columns, rows, returning="message_id")
        return {ids[mid].message_id for mid in fresh}

    async def release(self, conn: AsyncConnection, message_ids: Iterable[str]) -> None:
        """Give claims back: those messages were not applied, and are handled when delivered again."""
        wanted = sorted(set(message_ids))
        if not wanted:
            return
        c = self.table.c
        statement = delete(self.table).where(c.message_id.in_(wanted))
        if self.consumer is not None:
            statement = statement.where(c.consumer == self.consumer)
        await conn.execute(statement)
