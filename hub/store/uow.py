"""The core's unit of work: handling a batch of messages is one transaction (hub/store/transaction.py).

It claims the batch's message ids in one statement (skipping what was applied before), holds the
carnets the batch touches, queues the outgoing messages for the outbox, and writes all of it with
bulk statements and one commit, or nothing. The Kafka offsets are committed only after that.

A message whose handling fails is set apart (`begin_message` / `forget_message`): what it changed in
memory is undone and its claim released, so the rest of the batch is applied without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract.messages.envelope import Envelope
from hub.contract.topics import TopicCatalog
from hub.operations import tracing
from hub.store.carnets import CarnetRepository
from hub.store.claims import ProcessedLog
from hub.store.tables import outbox, pending_lookups, processed_messages
from hub.store.transaction import Transaction


class AlreadyProcessed(Exception):
    """The message was applied before: a redelivery changes nothing."""


Outgoing = tuple[str, Envelope[Any], dict[str, str]]


class UnitOfWork:
    """The shared transaction, with the core's carnets, parked look-ups and outbox."""

    def __init__(self, engine: AsyncEngine, catalog: TopicCatalog, consumer: str) -> None:
        self._work = Transaction(engine)
        self._catalog = catalog
        self._claims = ProcessedLog(processed_messages, consumer)
        self.outgoing: list[Outgoing] = []
        # Parked look-ups: as read from the store, and what this batch did to them (a new row, or
        # None once taken); written at commit as one delete and one insert.
        self._stored_lookups: dict[str, dict[str, Any]] = {}
        self._lookups: dict[str, dict[str, Any] | None] = {}
        self._claimed: set[str] = set()
        self._released: set[str] = set()
        self._mark: tuple[int, int, dict[str, dict[str, Any] | None]] = (0, 0, {})

    @property
    def conn(self) -> AsyncConnection:
        return self._work.conn

    async def __aenter__(self) -> UnitOfWork:
        await self._work.__aenter__()
        self.carnets = CarnetRepository(self.conn, lock_rows=self._work.dialect == "postgresql")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._work.__aexit__(exc_type, exc, tb)

    # --- claims: a message id is applied once per consumer ---------------------------------------

    async def claim_all(self, messages: Iterable[Envelope[Any]], at: datetime) -> set[UUID]:
        """Record the messages as processed in one insert that skips ids applied before; returns the
        ids this batch may apply. A concurrent claim of the same id (a rebalance) waits, then skips."""
        fresh = await self._work.claim(self._claims, messages, at)
        self._claimed |= {str(i) for i in fresh}
        return fresh

    # --- what one message does, kept apart until it has succeeded --------------------------------

    def begin_message(self) -> None:
        self._mark = (len(self.outgoing), self.carnets.mark(), dict(self._lookups))

    def forget_message(self, message: Envelope[Any]) -> None:
        """Undo what the current message did in memory, and release its claim: it is tried again."""
        outgoing, carnets, lookups = self._mark
        del self.outgoing[outgoing:]
        self.carnets.undo_to(carnets)
        self._lookups = lookups
        self.release(message)

    def release(self, message: Envelope[Any]) -> None:
        """Give back a message's claim: it was not applied in this batch, and is handled later."""
        self._released.add(str(message.message_id))

    # --- outgoing messages and look-ups ----------------------------------------------------------

    def publish(self, topic: str, message: Envelope[Any], headers: dict[str, str] | None = None) -> None:
        """Queue a message for the outbox; refuses topics and types topics.yaml does not declare."""
        self._catalog.check_carries(topic, message.type)
        headers = {**message.headers(), **(headers or {})}
        if tracing.enabled():
            # The context of the decision that produced the row: the relay, later and in another
            # task, sends the row as a child of it (hub/runtime/relay.py).
            tracing.stamp_outgoing(message, headers)
        self.outgoing.append((topic, message, headers))

    def park_lookup(self, request_id: UUID, command: Envelope[Any], answers: dict[str, Any] | None = None) -> None:
        """Keep a command waiting for an external answer, with the answers it already has."""
        self._lookups[str(request_id)] = {
            "request_id": str(request_id),
            "carnet_number": command.carnet_number,
            "command": command.model_dump_json(),
            "answers": json.dumps(answers or {}),
            "created_at": command.occurred_at,
        }

    async def load_lookups(self, request_ids: Iterable[UUID]) -> None:
        """Read, in one query, the commands parked for any of these answers."""
        wanted = sorted({str(i) for i in request_ids} - self._stored_lookups.keys() - self._lookups.keys())
        if not wanted:
            return
        rows = await self.conn.execute(select(pending_lookups).where(pending_lookups.c.request_id.in_(wanted)))
        for row in rows.mappings():
            self._stored_lookups[row["request_id"]] = dict(row)

    def waiting_carnets(self) -> set[str]:
        """The carnets of the parked commands read so far."""
        return {row["carnet_number"] for row in self._stored_lookups.values()}

    async def take_lookup(self, request_id: UUID) -> tuple[str, dict[str, Any]] | None:
        """The parked command's envelope JSON and earlier answers, taken; None if answered already."""
        key = str(request_id)
        await self.load_lookups([request_id])
        row = self._lookups[key] if key in self._lookups else self._stored_lookups.get(key)
        if row is None:
            return None
        self._lookups[key] = None
        return str(row["command"]), json.loads(row["answers"])

    # --- writing ---------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write the carnets changed so far, so that a query across carnets sees them."""
        await self.carnets.flush()

    async def commit(self, at: datetime) -> None:
        await self.carnets.flush()
        conn = self.conn
        await self._claims.release(conn, self._released & self._claimed)
        replaced = sorted(self._lookups.keys() & self._stored_lookups.keys())
        if replaced:
            await conn.execute(delete(pending_lookups).where(pending_lookups.c.request_id.in_(replaced)))
        parked = [row for row in self._lookups.values() if row is not None]
        if parked:
            await conn.execute(insert(pending_lookups), parked)
        for topic, message, headers in self.outgoing:
            self._work.queue(
                outbox,
                {
                    "topic": topic,
                    "message_key": message.carnet_number,
                    "message_id": str(message.message_id),
                    "message_type": message.type,
                    "headers": json.dumps(headers),
                    "body": message.model_dump_json(),
                    "created_at": at,
                    "sent_at": None,
                },
            )
        await self._work.commit()
