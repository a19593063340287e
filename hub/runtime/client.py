"""A back-end system's view of the hub: send commands, wait for their one outcome.

Used by the demo, the tests and `hub` commands; a team integrating another back end can copy it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from opentelemetry import propagate
from pydantic import BaseModel

from hub.configuration.settings import signing_key
from hub.contract.messages.envelope import OUTCOME_SIZE_HEADER, Envelope, UndecodableMessage, decode, envelope
from hub.contract.signing import SigningKey
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS, ATA_DECLARATION_EVENTS
from hub.contract.topics import TopicCatalog, catalog
from hub.runtime.kafka.publishing import record_headers
from hub.runtime.kafka.security import FRONTEND, client_options

log = logging.getLogger(__name__)


class NoOutcome(TimeoutError):
    pass


class HubClient:
    def __init__(
        self,
        bootstrap: str,
        topics: TopicCatalog | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        principal: str = FRONTEND,
        key: SigningKey | None = None,
    ) -> None:
        self._catalog = topics or catalog()
        self._clock = clock  # when commands are issued: the core refuses one dated far from its receipt (V1)
        # Who sends: the front end unless told (hub reconcile sends as BİLGE's reconciliation). It
        # signs every command with its key, by default the one of the sending system of that name.
        self._key = key or signing_key(principal)
        security = client_options(principal)
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **security)
        # No group: the client reads every partition itself and commits nothing.
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
        self._seen: dict[UUID, list[Envelope[Any]]] = {}
        self._expected: dict[UUID, int] = {}  # outcome size, from each event's header
        self._all: list[Envelope[Any]] = []
        self._ids: set[UUID] = set()
        self._arrived = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HubClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start reading outcomes from the current end, so nothing sent after this is missed."""
        self._catalog.topic(ATA_DECLARATION_EVENTS)
        await self._producer.start()
        await self._consumer.start()
        partitions = await self._producer.partitions_for(ATA_DECLARATION_EVENTS)  # waits for the topic's metadata
        if not partitions:
            raise RuntimeError(f"topic {ATA_DECLARATION_EVENTS} does not exist: run `hub topics apply`")
        assigned = [TopicPartition(ATA_DECLARATION_EVENTS, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)  # pin the position now, before any command is sent
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
        await self._consumer.stop()
        await self._producer.stop()

    async def _read(self) -> None:
        expected = set(self._catalog.topic(ATA_DECLARATION_EVENTS).messages)
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            if not batches:
                continue
            async with self._arrived:
                for records in batches.values():
                    for record in records:
                        try:
                            event = decode(record.value, expected)
                        except UndecodableMessage as exc:  # not the hub's: nothing to wait for in it
                            where = (record.topic, record.partition, record.offset)
                            log.warning("%s/%s@%s is not an event: %s", *where, exc)
                            continue
                        if event.message_id in self._ids:
                            continue  # the relay delivers at least once: an event counts once
                        self._ids.add(event.message_id)
                        self._all.append(event)
                        if event.causation_id is not None:
                            self._seen.setdefault(event.causation_id, []).append(event)
                            size = dict(record.headers or ()).get(OUTCOME_SIZE_HEADER)
                            self._expected[event.causation_id] = int(size) if size else 1
                self._arrived.notify_all()

    async def send(
        self,
        command: BaseModel,
        carnet_number: str,
        *,
        occurred_at: datetime | None = None,
        correlation_id: UUID | None = None,
    ) -> Envelope[Any]:
        message = envelope(
            command,
            carnet_number=carnet_number,
            occurred_at=occurred_at or self._clock(),
            correlation_id=correlation_id,
        )
        await self.send_envelope(message)
        return message

    async def send_envelope(self, message: Envelope[Any]) -> None:
        spec = self._catalog.check_carries(ATA_DECLARATION_COMMANDS, message.type)
        body = message.encode()
        named = record_headers(spec, message, body, self._key)
        # A sender that traces (its own OpenTelemetry set up) has its trace continued by the hub; the
        # signature is over the body alone, so the added `traceparent` does not touch it.
        propagate.inject(named)
        headers = [(k, v.encode()) for k, v in named.items()]
        await self._producer.send_and_wait(ATA_DECLARATION_COMMANDS, body, key=message.key, headers=headers)

    async def outcome(self, command: Envelope[Any] | UUID, wait_s: float = 30.0) -> list[Envelope[Any]]:
        """The events a command caused, or its refusal: all of them (their header says how many)."""
        command_id = command if isinstance(command, UUID) else command.message_id

        def complete() -> bool:
            return len(self._seen.get(command_id, ())) >= self._expected.get(command_id, 1 << 30)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(complete), wait_s)
            except TimeoutError:
                raise NoOutcome(f"no outcome for command {command_id} within {wait_s}s") from None
        return list(self._seen[command_id])

    async def first(self, matches: Callable[[Envelope[Any]], bool], wait_s: float = 30.0) -> Envelope[Any]:
        """The first event read since start that matches, waiting for it: for events no command caused."""

        def found() -> Envelope[Any] | None:
            return next((e for e in self._all if matches(e)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), wait_s)
            except TimeoutError:
                raise NoOutcome(f"no matching event within {wait_s}s") from None
        event = found()
        assert event is not None
        return event

    async def call(
        self, command: BaseModel, carnet_number: str, wait_s: float = 30.0, **kwargs: Any
    ) -> list[Envelope[Any]]:
        return await self.outcome(await self.send(command, carnet_number, **kwargs), wait_s)
