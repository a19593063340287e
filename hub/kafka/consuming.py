"""Reliable consumption on FastStream: at least once in, exactly once in effect.

Each message is handled to the end before its offset is committed (manual acknowledgement, never
FastStream's default of committing first). A message that cannot be decoded is dead-lettered at
once; one whose handling keeps failing is retried a bounded number of times, then dead-lettered,
and the partition moves on: a poison message never blocks it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from hub.health.metrics import UNDECODED, ProcessMetrics
from hub.logs import MessageContext, message_context
from hub.messages.envelope import UndecodableMessage, decode
from hub.store.uow import AlreadyProcessed
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

DEAD_LETTER_TOPIC = "hub.deadletter"

Handler = Callable[[Any], Awaitable[None]]
Decoder = Callable[[bytes | None], Any]


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    """Hand the handler the bytes as they came: decoding is ours, so bad input can be dead-lettered."""
    return message.body


class _ReadAgain(Exception):
    """Handling failed and may succeed on another try."""


class RetryLater(Exception):
    """The message is fine but an external system is down: read it again later, without counting it
    towards the dead-letter bound (an outage of BİLGE is not a poison message)."""


class DeadLetters:
    def __init__(
        self, broker: KafkaBroker, catalog: TopicCatalog, source: str, metrics: ProcessMetrics | None = None
    ) -> None:
        catalog.topic(DEAD_LETTER_TOPIC)
        self._broker = broker
        self._source = source
        self._metrics = metrics or ProcessMetrics(source)

    async def send(self, record: Any, reason: str, attempts: int, kind: str = UNDECODED) -> None:
        """Set a record aside with why, where from and when; returns once the broker has it."""
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ()) if not k.startswith("dlq.")}
        headers.update(
            {
                "dlq.reason": reason[:1000],
                "dlq.original_topic": record.topic,
                "dlq.original_partition": str(record.partition),
                "dlq.original_offset": str(record.offset),
                "dlq.consumer": self._source,
                "dlq.attempts": str(attempts),
                "dlq.failed_at": datetime.now(UTC).isoformat(),
            }
        )
        await self._broker.publish(record.value or b"", topic=DEAD_LETTER_TOPIC, key=record.key, headers=headers)
        self._metrics.dead_lettered.labels(topic=record.topic, type=kind, group=self._source).inc()
        log.warning(
            "dead-lettered %s/%s@%s: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
        )


def subscribe_reliably(
    broker: KafkaBroker,
    catalog: TopicCatalog,
    topic: str,
    group_id: str,
    handle: Handler,
    *,
    max_attempts: int = 5,
    retry_backoff_s: float = 0.2,
    decoder: Decoder | None = None,
    outage_backoff_s: float = 5.0,
    metrics: ProcessMetrics | None = None,
) -> None:
    """Subscribe `handle` to a topic declared in topics.yaml (anything else raises UndeclaredTopic).

    `decoder` turns the bytes into what `handle` takes, raising UndecodableMessage for what must be
    dead-lettered; by default an envelope of a type the topic carries.
    """
    spec = catalog.topic(topic)
    expected = set(spec.messages)
    decode_body: Decoder = decoder or (lambda body: decode(body, expected))
    metrics = metrics or ProcessMetrics(group_id)
    metrics.subscriptions.add((group_id, topic))
    dead_letters = DeadLetters(broker, catalog, group_id, metrics)
    attempts: dict[tuple[int, int], int] = {}  # (partition, offset) -> failed attempts in this process

    @broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        title=f"{group_id}:{topic}",
        description=f"{spec.description} Carries: {', '.join(sorted(expected))}.",
    )
    async def on_message(body: bytes, msg: KafkaMessage) -> None:
        record: Any = msg.raw_message
        where = (record.partition, record.offset)
        # Every line logged about this record, by us or by the handler's code, carries where it is
        # from and, once decoded, its envelope's ids (hub/logs.py).
        with message_context(topic=topic, partition=record.partition, offset=record.offset, key=record.key) as context:
            try:
                await _handle_one(body, record, where, context)
                await msg.ack()
            except _ReadAgain:
                await msg.nack()  # seek back: the same record comes again, nothing after it is committed
            except RetryLater as exc:
                log.warning("%s/%s@%s waits for an external system: %s", topic, *where, exc)
                await asyncio.sleep(outage_backoff_s)
                await msg.nack()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Even dead-lettering failed (Kafka away?): never let the offset move past this record.
                log.exception("could not settle %s/%s@%s: it will be read again", topic, *where)
                await asyncio.sleep(retry_backoff_s)
                await msg.nack()

    async def _handle_one(body: bytes, record: Any, where: tuple[int, int], context: MessageContext) -> None:
        """Returns when the record is settled (applied, duplicate or dead-lettered); raises to re-read it."""
        try:
            message = decode_body(body)
        except UndecodableMessage as exc:
            await dead_letters.send(record, str(exc), attempts=1)
            return
        context.bind(message)
        labels = {"topic": topic, "type": getattr(message, "type", type(message).__name__), "group": group_id}
        started = time.monotonic()
        try:
            await handle(message)
            # One line per message handled, in every process: with its ids, one grep follows a carnet.
            log.info("%s handled by %s (%s/%s@%s)", labels["type"], group_id, topic, *where)
            metrics.handling_seconds.labels(**labels).observe(time.monotonic() - started)
            metrics.consumed.labels(**labels).inc()
        except AlreadyProcessed:
            log.info("%s delivered again: already applied", getattr(message, "message_id", "message"))
            metrics.consumed.labels(**labels).inc()
        except RetryLater:
            raise
        except Exception as exc:
            metrics.handling_errors.labels(**labels).inc()
            failed = attempts.get(where, 0) + 1
            if failed < max_attempts:
                attempts[where] = failed
                log.warning("handling %s/%s@%s failed (%d of %d): %s", topic, *where, failed, max_attempts, exc)
                await asyncio.sleep(retry_backoff_s * 2 ** (failed - 1))
                raise _ReadAgain from exc
            await dead_letters.send(record, f"{type(exc).__name__}: {exc}", attempts=failed, kind=labels["type"])
        attempts.pop(where, None)
