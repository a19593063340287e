"""What `DeadLetters.send` puts on hub.deadletter: the record whole when it fits, else a truncated copy
that says what was cut, with the original's size and digest either way. Fast: a stand-in broker that
refuses what aiokafka's producer would refuse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import catalog
from hub.runtime.kafka.consuming import (
    KEPT_HEADERS_BYTES,
    KEPT_KEY_BYTES,
    PRODUCER_MAX_REQUEST_BYTES,
    TRUNCATED_VALUE_BYTES,
    DeadLetters,
)


@dataclass
class Record:
    value: bytes | None
    key: bytes | None = b"DE/2026/A-1"
    headers: tuple[tuple[str, bytes], ...] = (("message_id", b"m-1"), ("type", b"LodgeDeclaration"))
    topic: str = "ata.declaration.commands"
    partition: int = 2
    offset: int = 41


@dataclass
class Broker:
    """Takes what fits aiokafka's max_request_size, or `refuse_above` (a topic set lower), like Kafka."""

    refuse_above: int = PRODUCER_MAX_REQUEST_BYTES
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        encoded = [(k, v.encode()) for k, v in {"content-type": "", "correlation_id": "c" * 36, **headers}.items()]
        if DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, encoded) > self.refuse_above:
            raise MessageSizeTooLargeError("too large")
        self.sent.append({"value": value, "topic": topic, "key": key, "headers": headers})


async def _dead_letter(record: Record, broker: Broker | None = None) -> dict[str, Any]:
    broker = broker or Broker()
    await DeadLetters(broker, catalog(), "hub-core").send(record, "a reason", attempts=1)  # type: ignore[arg-type]
    (sent,) = broker.sent
    assert sent["topic"] == HUB_DEADLETTER
    return sent


def _near_the_broker_limit() -> bytes:
    """The largest value aiokafka's producer sends with this key and these headers: it fit on its topic."""
    record = Record(value=b"")
    headers = [(k, v) for k, v in record.headers]
    overhead: int = DefaultRecordBatchBuilder.estimate_size_in_bytes(record.key, b"", headers)
    return b"x" * (PRODUCER_MAX_REQUEST_BYTES - overhead - 8)


async def test_a_record_that_fits_is_dead_lettered_whole_with_its_size_and_digest() -> None:
    value = b'{"not": "an envelope"}'
    sent = await _dead_letter(Record(value=value))
    assert sent["value"] == value and sent["key"] == b"DE/2026/A-1"
    headers = sent["headers"]
    assert headers["dlq.original_size"] == str(len(value))
    assert headers["dlq.sha256"] == hashlib.sha256(value).hexdigest()
    assert headers["message_id"] == "m-1" and "dlq.truncated" not in headers


async def test_a_record_near_the_broker_limit_is_dead_lettered_as_its_first_bytes() -> None:
    value = _near_the_broker_limit()
    sent = await _dead_letter(Record(value=value))
    assert sent["value"] == value[:TRUNCATED_VALUE_BYTES]
    headers = sent["headers"]
    assert headers["dlq.truncated"] == "true"
    assert headers["dlq.cut"] == f"value: its first {TRUNCATED_VALUE_BYTES} of {len(value)} bytes"
    assert (headers["dlq.original_size"], headers["dlq.sha256"]) == (str(len(value)), hashlib.sha256(value).hexdigest())
    assert headers["message_id"] == "m-1"  # small original headers are kept as they were


async def test_original_headers_too_big_alone_are_cut_and_the_value_kept() -> None:
    huge = tuple((f"h{i}", b"y" * 5000) for i in range(210))  # about 1 MB of headers, a small value
    sent = await _dead_letter(Record(value=b"{}", headers=(("message_id", b"m-1"), *huge)))
    assert sent["value"] == b"{}"
    kept = {k: v for k, v in sent["headers"].items() if not k.startswith("dlq.")}
    assert kept["message_id"] == "m-1"
    assert all(len(v) <= 1024 for v in kept.values())
    assert sum(len(k) + len(v) for k, v in kept.items()) <= KEPT_HEADERS_BYTES
    assert sent["headers"]["dlq.cut"] == f"headers: {len(kept)} of 211 kept, 210 cut to 1024 bytes"


async def test_a_key_near_the_broker_limit_is_cut_too() -> None:
    key = b"k" * 1_040_000
    sent = await _dead_letter(Record(value=b"v", key=key))
    assert sent["key"] == key[:KEPT_KEY_BYTES] and sent["value"] == b"v"
    assert sent["headers"]["dlq.cut"] == f"key: its first {KEPT_KEY_BYTES} of {len(key)} bytes"


async def test_a_topic_that_takes_less_than_assumed_still_gets_the_smallest_copy() -> None:
    value = b"z" * 500_000  # fits 1 MiB, but this broker's dead-letter topic takes 200 KB
    sent = await _dead_letter(Record(value=value), Broker(refuse_above=200_000))
    assert sent["value"] == value[:TRUNCATED_VALUE_BYTES]
    assert sent["headers"]["dlq.truncated"] == "true"


@pytest.mark.parametrize("value", [None, b""])
async def test_an_empty_record_is_dead_lettered_with_size_zero(value: bytes | None) -> None:
    sent = await _dead_letter(Record(value=value))
    assert sent["value"] == b""
    assert sent["headers"]["dlq.original_size"] == "0"
    assert sent["headers"]["dlq.sha256"] == hashlib.sha256(b"").hexdigest()
