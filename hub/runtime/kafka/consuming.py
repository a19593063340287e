"""Reliable consumption on FastStream: at least once in, exactly once in effect.

Each message is handled to the end before its offset is committed (manual acknowledgement, never
FastStream's default of committing first). A message that cannot be decoded is dead-lettered at
once, whatever it raises; one whose handling keeps failing is retried a bounded number of times,
then dead-lettered, and the partition moves on: a poison message never blocks it. A record too big
to be dead-lettered whole is dead-lettered as a truncated copy, with its size and SHA-256 digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry.trace import Tracer
from pydantic import SkipValidation

from hub.contract.messages.carried import carried_type
from hub.contract.messages.envelope import UndecodableMessage, decode, failure, shortened
from hub.contract.signing import RegistryFile
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import TopicCatalog
from hub.operations import tracing
from hub.operations.health.metrics import UNDECODED, ProcessMetrics
from hub.operations.logs import MessageContext, message_context
from hub.runtime.kafka.receipt import Receipt
from hub.store.uow import AlreadyProcessed

log = logging.getLogger(__name__)


Handler = Callable[[Any], Awaitable[None]]
Decoder = Callable[[bytes | None], Any]

# What a dead letter may weigh: the lesser of the producer's max_request_size (aiokafka's 1 MiB unless
# the process raised it, hub/runtime/kafka/brokers.py; read from the broker below) and hub.deadletter's
# max.message.bytes in topics.yaml (Kafka's default, 1,048,588 bytes, when it names none). The margin
# covers the headers FastStream adds (content-type, correlation_id) and the batch's overhead.
PRODUCER_MAX_REQUEST_BYTES = 1024 * 1024
DEAD_LETTER_MARGIN_BYTES = 16 * 1024
# What a dead letter too big to keep whole keeps: the first bytes of its value, its original headers
# up to a total (each value cut), and the first bytes of its key. All of it fits far below the limit.
TRUNCATED_VALUE_BYTES = 64 * 1024
KEPT_HEADERS_BYTES = 16 * 1024
KEPT_HEADER_VALUE_BYTES = 1024
KEPT_KEY_BYTES = 1024
MAX_DEAD_LETTER_REASON = 1000


async def raw_body(message: StreamMessage[Any]) -> Any:
    """Hand the handler the bytes as they came (a batch's: their list): decoding is ours, so that bad
    input is dead-lettered rather than refused."""
    return message.body


OnRecords = TypeVar("OnRecords", bound=Callable[..., Awaitable[None]])


def documented(carried: Any) -> Callable[[OnRecords], OnRecords]:
    """Annotate a subscriber's first parameter, for FastStream, as one record of what its topic
    carries (hub/contract/messages/carried.py): FastStream's AsyncAPI document then names the payload. Unvalidated
    (SkipValidation): the bytes still reach the subscriber as they came, to be decoded once, by us. A
    batch subscriber is annotated with one record's type too: on the wire each record is one message."""

    def annotate(on_records: OnRecords) -> OnRecords:
        first = next(iter(inspect.signature(on_records).parameters))
        on_records.__annotations__[first] = SkipValidation[carried]  # type: ignore[misc]  # a type known at run time
        return on_records

    return annotate


class _ReadAgain(Exception):
    """Handling failed and may succeed on another try."""


class RetryLater(Exception):
    """The message is fine but an external system is down: read it again later, without counting it
    towards the dead-letter bound (an outage of BİLGE is not a poison message)."""


def decoded(decode_body: Decoder, body: bytes | None) -> Any:
    """What `decode_body` makes of the bytes. Whatever else it raises (a parser's RecursionError, a
    custom decoder's bug) becomes UndecodableMessage: the record is dead-lettered, never read for ever."""
    try:
        return decode_body(body)
    except UndecodableMessage:
        raise
    except Exception as exc:  # not BaseException: a cancelled task stays cancelled
        raise UndecodableMessage(failure(exc)) from exc


class DeadLetters:
    def __init__(
        self, broker: KafkaBroker, catalog: TopicCatalog, source: str, metrics: ProcessMetrics | None = None
    ) -> None:
        catalog.topic(HUB_DEADLETTER)
        self._broker = broker
        self._source = source
        self._metrics = metrics or ProcessMetrics(source)
        # FastStream keeps the producer's settings there; the default is aiokafka's.
        producer_max = getattr(broker, "_connection_kwargs", {}).get("max_request_size", PRODUCER_MAX_REQUEST_BYTES)
        topic_max = catalog.topic(HUB_DEADLETTER).record_limit
        self.max_bytes = min(producer_max, topic_max) - DEAD_LETTER_MARGIN_BYTES

    async def send(self, record: Any, reason: str, attempts: int, kind: str = UNDECODED) -> None:
        """Set a record aside with why, where from and when; returns once the broker has it."""
        reason = shortened(reason, MAX_DEAD_LETTER_REASON)
        value = bytes(record.value or b"")
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ()) if not k.startswith("dlq.")}
        about = {
            "dlq.reason": reason,
            "dlq.original_topic": record.topic,
            "dlq.original_partition": str(record.partition),
            "dlq.original_offset": str(record.offset),
            "dlq.consumer": self._source,
            "dlq.attempts": str(attempts),
            "dlq.failed_at": datetime.now(UTC).isoformat(),
            "dlq.original_size": str(len(value)),
            "dlq.sha256": hashlib.sha256(value).hexdigest(),
        }
        try:
            await self._publish(record.key, value, headers, about, self.max_bytes)
        except (MessageSizeTooLargeError, RecordListTooLargeError):
            # The topic takes less than assumed (an operator lowered max.message.bytes): the smallest copy.
            await self._publish(record.key, value, headers, about, 0)
        self._metrics.dead_lettered.labels(topic=record.topic, type=kind, group=self._source).inc()
        log.warning("dead-lettered %s/%s@%s: %s", record.topic, record.partition, record.offset, reason)

    async def _publish(
        self, key: bytes | None, value: bytes, headers: dict[str, str], about: dict[str, str], max_bytes: int
    ) -> None:
        key, value, headers, cuts = fitted(key, value, headers, about, max_bytes)
        if cuts:
            about = {**about, "dlq.truncated": "true", "dlq.cut": "; ".join(cuts)}
        await self._broker.publish(value, topic=HUB_DEADLETTER, key=key, headers={**headers, **about})


def _record_size(key: bytes | None, value: bytes, headers: dict[str, str]) -> int:
    """The record's size as the producer reckons it against max_request_size."""
    encoded = [(name, text.encode()) for name, text in headers.items()]
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, encoded))


def fitted(
    key: bytes | None, value: bytes, headers: dict[str, str], about: dict[str, str], max_bytes: int
) -> tuple[bytes | None, bytes, dict[str, str], list[str]]:
    """Key, value and original headers as they can be dead-lettered with the `about` headers within
    `max_bytes`: whole if they fit, else cut (original headers that alone are too big, the value,
    the key, each to a bound far below any limit); with what was cut, in words (empty: nothing)."""
    cuts: list[str] = []

    def fits() -> bool:
        return _record_size(key, value, {**headers, **about}) <= max_bytes

    if fits():
        return key, value, headers, cuts
    if sum(len(name.encode()) + len(text.encode()) for name, text in headers.items()) > KEPT_HEADERS_BYTES:
        headers, note = _kept_headers(headers)
        cuts.append(note)
    if not fits() and len(value) > TRUNCATED_VALUE_BYTES:
        cuts.append(f"value: its first {TRUNCATED_VALUE_BYTES} of {len(value)} bytes")
        value = value[:TRUNCATED_VALUE_BYTES]
    if not fits() and key is not None and len(key) > KEPT_KEY_BYTES:
        cuts.append(f"key: its first {KEPT_KEY_BYTES} of {len(key)} bytes")
        key = key[:KEPT_KEY_BYTES]
    return key, value, headers, cuts


def _kept_headers(headers: dict[str, str]) -> tuple[dict[str, str], str]:
    """The original headers in order, each value cut to KEPT_HEADER_VALUE_BYTES, up to KEPT_HEADERS_BYTES."""
    kept: dict[str, str] = {}
    used = cut = 0
    for name, text in headers.items():
        data = text.encode()
        if len(data) > KEPT_HEADER_VALUE_BYTES:
            text = data[:KEPT_HEADER_VALUE_BYTES].decode("utf-8", "ignore")
            cut += 1
        size = len(name.encode()) + len(text.encode())
        if used + size <= KEPT_HEADERS_BYTES:
            kept[name] = text
            used += size
    return kept, f"headers: {len(kept)} of {len(headers)} kept, {cut} cut to {KEPT_HEADER_VALUE_BYTES} bytes"


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
    senders: RegistryFile | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Subscribe `handle` to a topic declared in topics.yaml (anything else raises UndeclaredTopic).

    `decoder` turns the bytes into what `handle` takes, raising UndecodableMessage for what must be
    dead-lettered; by default an envelope of a type the topic carries. On a topic signed in
    topics.yaml, a record's signature is checked against `senders` before it is decoded. With a
    `tracer`, each record is handled in a `process` span, a child of the context in its headers.
    """
    spec = catalog.topic(topic)
    receipt = Receipt(spec, catalog, senders)
    expected = set(spec.messages)
    decode_body: Decoder = decoder or (lambda body: decode(body, expected))
    metrics = metrics or ProcessMetrics(group_id)
    metrics.subscriptions.add((group_id, topic))
    dead_letters = DeadLetters(broker, catalog, group_id, metrics)
    attempts: dict[tuple[int, int], int] = {}  # (partition, offset) -> failed attempts in this process

    @broker.subscriber(
        topic,
        group_id=group_id,
        # A topic that holds records above 1 MiB (bilge.inbound) is fetched a whole record at a time
        # at least; the broker would send an oversized first batch anyway, this says so.
        max_partition_fetch_bytes=max(spec.record_limit, 1024 * 1024),
        fetch_max_bytes=max(spec.record_limit, 50 * 1024 * 1024),
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=raw_body,
        title=f"{group_id}:{topic}",
        description=spec.description,
    )
    @documented(carried_type(spec))
    async def on_message(body: bytes, msg: KafkaMessage) -> None:
        if tracer is None:
            await _settle(body, msg)
        else:
            with tracing.consuming(tracer, msg.raw_message, group_id):
                await _settle(body, msg)

    async def _settle(body: bytes, msg: KafkaMessage) -> None:
        record: Any = msg.raw_message
        where = (record.partition, record.offset)
        # Every line logged about this record, by us or by the handler's code, carries where it is
        # from and, once decoded, its envelope's ids (hub/operations/logs.py).
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
            receipt.check_signed(record)  # before a byte of it is parsed
            message = decoded(decode_body, body)
        except UndecodableMessage as exc:
            if tracer is not None:
                tracing.failed_current(f"dead-lettered: {exc}")
            await dead_letters.send(record, str(exc), attempts=1)
            return
        context.bind(message)
        if tracer is not None and hasattr(message, "message_id"):
            tracing.describe_current(message)
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
            if tracer is not None:
                tracing.failed_current(f"dead-lettered: {failure(exc)}")
            await dead_letters.send(record, failure(exc), attempts=failed, kind=labels["type"])
        attempts.pop(where, None)
