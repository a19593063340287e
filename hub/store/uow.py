"""Unit of work: handling one message is one transaction.

It records the message id as processed, writes the new state and the outgoing messages to the
outbox, and commits all of it or nothing. The Kafka offset is committed only after that.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import TracebackType
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.messages.envelope import Envelope
from hub.store.carnets import CarnetRepository
from hub.store.tables import outbox, pending_lookups, processed_messages
from hub.topics import TopicCatalog


class AlreadyProcessed(Exception):
    """The message was applied before: a redelivery changes nothing."""


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, catalog: TopicCatalog, consumer: str) -> None:
        self._engine = engine
        self._catalog = catalog
        self._consumer = consumer
        self._conn: AsyncConnection | None = None
        self.outgoing: list[tuple[str, Envelope[Any], dict[str, str]]] = []

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "use the unit of work in `async with`"
        return self._conn

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self.carnets = CarnetRepository(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        if self._conn.in_transaction():
            await self._conn.rollback()
        await self._conn.close()
        self._conn = None

    async def claim(self, message: Envelope[Any], at: datetime) -> None:
        """Record the message as processed first, so a concurrent second delivery fails fast."""
        seen = await self.conn.execute(
            select(processed_messages.c.message_id).where(
                processed_messages.c.consumer == self._consumer,
                processed_messages.c.message_id == str(message.message_id),
            )
        )
        if seen.first() is not None:
            raise AlreadyProcessed(str(message.message_id))
        try:
            await self.conn.execute(
                insert(processed_messages).values(
                    consumer=self._consumer, message_id=str(message.message_id), processed_at=at
                )
            )
        except IntegrityError:
            raise AlreadyProcessed(str(message.message_id)) from None

    def publish(self, topic: str, message: Envelope[Any], headers: dict[str, str] | None = None) -> None:
        """Queue a message for the outbox; refuses topics and types topics.yaml does not declare."""
        self._catalog.check_carries(topic, message.type)
        self.outgoing.append((topic, message, {**message.headers(), **(headers or {})}))

    async def park_lookup(
        self, request_id: UUID, command: Envelope[Any], answers: dict[str, Any] | None = None
    ) -> None:
        """Keep a command waiting for an external answer, with the answers it already has."""
        await self.conn.execute(
            insert(pending_lookups).values(
                request_id=str(request_id),
                carnet_number=command.carnet_number,
                command=command.model_dump_json(),
                answers=json.dumps(answers or {}),
                created_at=command.occurred_at,
            )
        )

    async def take_lookup(self, request_id: UUID) -> tuple[str, dict[str, Any]] | None:
        """The parked command's envelope JSON and earlier answers, removed; None if answered already."""
        row = (
            await self.conn.execute(
                select(pending_lookups.c.command, pending_lookups.c.answers).where(
                    pending_lookups.c.request_id == str(request_id)
                )
            )
        ).first()
        if row is None:
            return None
        await self.conn.execute(delete(pending_lookups).where(pending_lookups.c.request_id == str(request_id)))
        return str(row.command), json.loads(row.answers)

    async def commit(self, at: datetime) -> None:
        if self.outgoing:
            await self.conn.execute(
                insert(outbox),
                [
                    {
                        "topic": topic,
                        "message_key": message.carnet_number,
                        "message_id": str(message.message_id),
                        "message_type": message.type,
                        "headers": json.dumps(headers),
                        "body": message.model_dump_json(),
                        "created_at": at,
                        "sent_at": None,
                    }
                    for topic, message, headers in self.outgoing
                ],
            )
        await self.conn.commit()
