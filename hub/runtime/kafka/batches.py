"""Batched reliable consumption: what a poll returns is handled as one batch, then its offsets are
committed once.

FastStream's batch subscriber polls (aiokafka's `getmany`, bounded by `max_records` and
`batch_timeout_ms`) with manual acknowledgement: the offsets are committed only once every record
of the batch is settled, that is applied, recognised as applied before, or dead-lettered. Records
that cannot be decoded are dead-lettered at once. A message whose handling fails is retried alone
(with the messages of its carnet that came after it waiting behind it) to its bound, then
dead-lettered; the rest of its batch is applied meanwhile. If the batch's transaction itself fails,
the culprit cannot be told, so the batch is settled one message at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from opentelemetry.trace import Span, Tracer

from hub.contract.messages.batch import BatchResult, MessageScope, Unsettled
from hub.contract.messages.carried import carried_type
from hub.contract.messages.envelope import Envelope, UndecodableMessage, decode
from hub.contract.signing import RegistryFile
from hub.contract.topics import TopicCatalog
from hub.operations import tracing
from hub.operations.health.metrics import ProcessMetrics
from hub.operations.logs import message_context
from hub.runtime.kafka.consuming import DeadLetters, decoded, documented, raw_body
from hub.runtime.kafka.receipt import Receipt

log = logging.getLogger(__name__)


BatchHandler = Callable[[Sequence[Envelope[Any]], MessageScope], Awaitable[BatchResult]]


FETCH_MIN_BYTES = 1024 * 1024  # more than a poll's worth of commands: the fetch ends at its wait time


@dataclass(frozen=True)
class BatchLimits:
    max_records: int = 500  # at most this many records a poll
    timeout_ms: int = 10  # or what arrived within this time
    max_attempts: int = 5  # handling attempts of one message before it is dead-lettered
    retry_backoff_s: float = 0.2  # first pause before a failed message is tried again (doubles)


def subscribe_in_batches(
    broker: KafkaBroker,
    catalog: TopicCatalog,
    topic: str,
    group_id: str,
    handle: BatchHandler,
    *,
    limits: BatchLimits = BatchLimits(),
    metrics: ProcessMetrics | None = None,
    senders: RegistryFile | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Subscribe `handle` to a topic declared in topics.yaml (anything else raises UndeclaredTopic).

    Each message reaches `handle` stamped with its receipt (hub/runtime/kafka/receipt.py): a topic signed in
    topics.yaml needs `senders`, the registry its signatures are checked against. With a `tracer`,
    each record is a span of its own (see _Traced).
    """
    spec = catalog.topic(topic)
    expected = set(spec.messages)
    decode_body = _decoder(expected)
    receipt = Receipt(spec, catalog, senders)
    metrics = metrics or ProcessMetrics(group_id)
    metrics.subscriptions.add((group_id, topic))
    settler = _Settler(handle, DeadLetters(broker, catalog, group_id, metrics), group_id, limits, metrics)
    offsets = _OffsetCommits()

    @broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        batch=True,
        max_records=limits.max_records,
        batch_timeout_ms=limits.timeout_ms,
        # A fetch waits for up to the batch window for more records rather than coming back with the
        # first one: aiokafka fetches again only once what it fetched is consumed, so with a fetch that
        # returned with the first record, whatever arrived during a batch's handling waited a further
        # batch (measured: p50 27 ms against 15 ms at 300 records/s with 10 ms of handling).
        fetch_min_bytes=FETCH_MIN_BYTES,
        fetch_max_wait_ms=limits.timeout_ms,
        decoder=raw_body,  # decoding is ours, per record: bad input is dead-lettered, not refused whole
        title=f"{group_id}:{topic}",
        description=spec.description,
    )
    @documented(carried_type(spec))
    async def on_batch(bodies: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        traced = _Traced(tracer, records, group_id) if tracer is not None else None
        try:
            messages = []
            # Signatures first, before a byte of any record is parsed.
            for record, (at, sender) in zip(records, await receipt.signers(records), strict=True):
                try:
                    if isinstance(sender, UndecodableMessage):
                        raise sender
                    message = receipt.stamp(decoded(decode_body, record.value), at, sender)
                    messages.append((record, message))
                    if traced is not None:
                        traced.bind(record, message)
                except UndecodableMessage as exc:
                    if traced is not None:
                        traced.dead_lettered(record, str(exc))
                    with message_context(topic=record.topic, partition=record.partition, offset=record.offset):
                        await settler.dead_letters.send(record, str(exc), attempts=1)
            await settler.settle(messages, traced or _LOG_SCOPE)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Not even dead-lettering worked (Kafka or the store away?): read the whole poll again.
            log.exception("could not settle a batch of %d records: it will be read again", len(records))
            await asyncio.sleep(limits.retry_backoff_s)
            await msg.nack()
            return
        finally:
            if traced is not None:
                traced.end()
        await offsets.commit(msg.consumer, records)


class _OffsetCommits:
    """Commits each settled poll's offsets without holding up the next poll.

    The offsets committed are the batch's own (its last record + 1 per partition), never the
    consumer's position, which may already be past records fetched but not yet settled. One commit is
    in flight at a time, so they land in order and never pile up. A commit that fails (a rebalance
    took the partition, the consumer is stopping) is only logged: whoever reads those records next
    finds them applied (the claims) and moves on.
    """

    def __init__(self) -> None:
        self._in_flight: asyncio.Task[None] | None = None

    async def commit(self, consumer: Any, records: Sequence[Any]) -> None:
        upto: dict[TopicPartition, int] = {}
        for record in records:
            where = TopicPartition(record.topic, record.partition)
            upto[where] = max(upto.get(where, 0), record.offset + 1)
        if self._in_flight is not None:
            await asyncio.wait([self._in_flight])  # the one before lands first
        self._in_flight = asyncio.create_task(self._commit(consumer, upto), name="offset-commit")

    @staticmethod
    async def _commit(consumer: Any, upto: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(upto)
        except Exception as exc:
            log.info("offsets %s not committed (%s): they are read again, and skipped as applied", upto, exc)


class _Settler:
    def __init__(
        self,
        handle: BatchHandler,
        dead_letters: DeadLetters,
        group_id: str,
        limits: BatchLimits,
        metrics: ProcessMetrics,
    ) -> None:
        self._handle = handle
        self.dead_letters = dead_letters
        self._group = group_id
        self._limits = limits
        self._metrics = metrics

    async def settle(self, batch: Sequence[tuple[Any, Envelope[Any]]], scope: _LogScope) -> None:
        """Returns when every message is applied, a redelivery, or dead-lettered."""
        record_of = {id(message): record for record, message in batch}
        queue = [message for _, message in batch]
        attempts: dict[int, int] = {}
        while queue:
            started = time.monotonic()
            try:
                result = await self._handle(queue, scope)
            except Exception as exc:
                if len(queue) > 1:
                    log.warning("a batch of %d failed as a whole (%s): one at a time", len(queue), exc)
                    for message in queue:
                        await self.settle([(record_of[id(message)], message)], scope)
                    return
                result = BatchResult(unsettled=[Unsettled(queue[0], exc)])
            self._count(result, time.monotonic() - started, record_of, scope)
            queue = []
            failed = False
            for unsettled in result.unsettled:
                message, error = unsettled.message, unsettled.error
                if error is not None:
                    failed = True
                    tried = attempts[id(message)] = attempts.get(id(message), 0) + 1
                    record = record_of[id(message)]
                    with scope.about(message, record):
                        self._metrics.handling_errors.labels(**_labels(message, record, self._group)).inc()
                        if tried >= self._limits.max_attempts:
                            scope.dead_lettered(record, f"{type(error).__name__}: {error}")
                            await self.dead_letters.send(
                                record, f"{type(error).__name__}: {error}", attempts=tried, kind=message.type
                            )
                            continue
                        log.warning(
                            "handling %s/%s@%s failed (%d of %d): %s",
                            record.topic, record.partition, record.offset, tried, self._limits.max_attempts, error,
                        )  # fmt: skip
                queue.append(message)
            if failed and queue:
                worst = max(attempts.values(), default=1)
                await asyncio.sleep(self._limits.retry_backoff_s * 2 ** (worst - 1))

    def _count(self, result: BatchResult, seconds: float, record_of: dict[int, Any], scope: _LogScope) -> None:
        """One log line and one count per message, as the single-record consumer does."""
        share = seconds / max(len(result.applied) + len(result.skipped), 1)
        for again, messages in ((False, result.applied), (True, result.skipped)):
            for message in messages:
                record = record_of[id(message)]
                labels = _labels(message, record, self._group)
                with scope.about(message, record):
                    if again:
                        log.info("%s delivered again: already applied", message.message_id)
                    else:
                        log.info("%s handled by %s (%s/%s@%s)", message.type, self._group, *_where(record))
                self._metrics.consumed.labels(**labels).inc()
                self._metrics.handling_seconds.labels(**labels).observe(share)


def _decoder(types: set[str]) -> Callable[[bytes | None], Envelope[Any]]:
    return lambda body: decode(body, types)


def _where(record: Any) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset


def _labels(message: Envelope[Any], record: Any, group: str) -> dict[str, str]:
    return {"topic": record.topic, "type": message.type, "group": group}


class _LogScope(MessageScope):
    """While the service handles a message, and while the consumer speaks of it, every line logged
    carries its ids."""

    def __call__(self, message: Envelope[Any]) -> AbstractContextManager[object]:
        return message_context(message)

    @contextmanager
    def about(self, message: Envelope[Any], record: Any) -> Iterator[None]:
        with message_context(message, topic=record.topic, partition=record.partition, offset=record.offset):
            yield

    def dead_lettered(self, record: Any, reason: str) -> None:
        pass


_LOG_SCOPE = _LogScope()


class _Traced(_LogScope):
    """A poll's spans: one `process` span per record, a child of the context in its headers (the
    command's sender, or the relay or adapter that sent an answer), so that each command's trace
    runs unbroken through the core; under it, `decide` while the service handles the message (the
    outbox rows it writes take that context), and `commit` for the batch's transaction, which the
    message shares with the rest of the poll (`ata.batch.messages` says how many). Per record, not
    per poll with links: a trace back end then shows one command from its sending to its outcome's
    relay as one tree. The record spans end once the poll is settled."""

    def __init__(self, tracer: Tracer, records: Sequence[Any], group: str) -> None:
        self._tracer = tracer
        self._spans = {id(record): tracing.start_consume(tracer, record, group) for record in records}
        self._of_message: dict[int, Span] = {}

    def bind(self, record: Any, message: Envelope[Any]) -> None:
        span = self._spans[id(record)]
        self._of_message[id(message)] = span
        tracing.describe(span, message)

    def dead_lettered(self, record: Any, reason: str) -> None:
        tracing.failed(self._spans[id(record)], f"dead-lettered: {reason}")

    @contextmanager
    def __call__(self, message: Envelope[Any]) -> Iterator[None]:
        parent = trace.set_span_in_context(self._of_message[id(message)])
        with (
            message_context(message),
            self._tracer.start_as_current_span(f"decide {message.type}", context=parent) as span,
        ):
            tracing.describe(span, message)
            yield

    @contextmanager
    def about(self, message: Envelope[Any], record: Any) -> Iterator[None]:
        with super().about(message, record), trace.use_span(self._spans[id(record)]):
            yield

    @contextmanager
    def committing(self, applied: Sequence[Envelope[Any]]) -> Iterator[None]:
        shared = {tracing.BATCH_MESSAGES: len(applied)}
        parents = [trace.set_span_in_context(self._of_message[id(m)]) for m in applied if id(m) in self._of_message]
        spans = [self._tracer.start_span("commit", context=parent, attributes=shared) for parent in parents]
        with tracing.ending(spans):
            yield

    def end(self) -> None:
        for span in self._spans.values():
            span.end()
