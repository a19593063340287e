"""Typed subscribers (hub/contract/messages/carried.py): FastStream's own AsyncAPI document names the payload of
every message a process of the hub sends or accepts, while each record's bytes still reach the hub's
own decoding, once, and what cannot be decoded is dead-lettered."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.testing import _build_record

from hub.contract.messages.batch import BatchResult, MessageScope
from hub.contract.messages.envelope import Envelope, envelope
from hub.contract.schemas import ASYNCAPI
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import catalog
from hub.domain import events as ev
from hub.operations.kafka.acls import load_principals
from hub.runtime.kafka.batches import subscribe_in_batches
from hub.runtime.kafka.consuming import raw_body, subscribe_reliably

TOPIC = "tobb.carnet.results"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    return loaded


def _resolved(document: Mapping[str, Any], node: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Follow `$ref`s (local JSON pointers) to what they name, with the last name on the way."""
    name = ""
    while "$ref" in node:
        found: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            name = unquote(part)
            found = found[name]
        node = found
    return name, node


def _types_named(document: Mapping[str, Any], operation: Mapping[str, Any]) -> set[str]:
    """The message types an operation's payload names, each with a schema of its fields in components:
    an envelope's by its `payload`, a document of its own (XML) by its name."""
    named = set()
    for ref in operation["messages"]:
        _, message = _resolved(document, ref)
        _, payload = _resolved(document, message["payload"])
        for alternative in payload.get("anyOf") or [message["payload"]]:
            name, schema = _resolved(document, alternative)
            inner = schema.get("properties", {}).get("payload")
            if inner is not None:  # an envelope: its type is its payload's
                name, fields = _resolved(document, inner)
                assert fields.get("properties"), name
            else:
                assert schema.get("type") == "string" and schema.get("contentMediaType"), name
            named.add(name)
    return named


def test_the_asyncapi_document_names_a_payload_schema_for_every_message_type_a_process_sends_or_accepts(
    document: dict[str, Any],
) -> None:
    # A channel is named "<consumer group or process>:<topic>"; topics.yaml's principals say whose it is
    # and by which names its producers and consumers lists call it.
    principal_of = {group: p for p in load_principals() for group in (p.name, *p.groups)}
    channels = document["channels"]
    processes = {principal_of[key.split(":", 1)[0]].name for key in channels}
    assert {"hub-core", "adapter-tobb", "adapter-bilge", "adapter-ykts", "getapp"} <= processes
    done: set[tuple[str, str, str]] = set()
    for operation in document["operations"].values():
        key, channel = _resolved(document, operation["channel"])
        spec = catalog().topic(channel["address"])
        assert _types_named(document, operation) == set(spec.messages), (key, operation["action"])
        process = principal_of[key.split(":", 1)[0]].name
        done.add((process, operation["action"], spec.name))
    names = {p.name: set(p.names) for p in load_principals()}
    expected = {
        (process, action, spec.name)
        for spec in catalog()
        if spec.messages
        for action, processes_of in (("send", spec.producers), ("receive", spec.consumers))
        for process in processes
        if names[process] & set(processes_of)
    }
    assert expected <= done, sorted(expected - done)
    assert "Carries:" not in ASYNCAPI.read_text(encoding="utf-8")  # the types are schemas, not prose


def _lookup_answer(n: int) -> Envelope[Any]:
    number = f"TR/2026/{n:06d}"
    answer = ev.CarnetNotFound(request_id=uuid.uuid4(), carnet_number=number)
    return envelope(answer, carnet_number=number, occurred_at=datetime.now(UTC))


def _dead_letters(broker: KafkaBroker) -> list[bytes]:
    letters: list[bytes] = []

    @broker.subscriber(HUB_DEADLETTER, group_id="operators", decoder=raw_body)
    async def keep(body: bytes) -> None:
        letters.append(body)

    return letters


async def test_a_subscriber_takes_the_bytes_as_they_came_decodes_them_once_and_dead_letters_the_hostile() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    handled: list[Envelope[Any]] = []

    async def handle(message: Envelope[Any]) -> None:
        handled.append(message)

    subscribe_reliably(broker, catalog(), TOPIC, "typed-test", handle)
    letters = _dead_letters(broker)
    good = _lookup_answer(1)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b'{"type": "CarnetNotFound"', topic=TOPIC)  # typed, yet FastStream lets it by
        await test_broker.publish(good.encode(), topic=TOPIC, key=good.key, headers=good.headers())
    assert handled == [good]
    assert letters == [b'{"type": "CarnetNotFound"']


async def test_a_batch_subscriber_takes_each_polls_bytes_as_they_came_and_dead_letters_the_hostile() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    handled: list[Envelope[Any]] = []

    async def handle(messages: Sequence[Envelope[Any]], scope: MessageScope) -> BatchResult:
        handled.extend(messages)
        return BatchResult(applied=list(messages))

    subscribe_in_batches(broker, catalog(), TOPIC, "typed-batch-test", handle)
    letters = _dead_letters(broker)
    good = [_lookup_answer(n) for n in range(3)]
    bodies = [good[0].encode(), b"\xff\xfe not JSON", good[1].encode(), b"[]", good[2].encode()]
    async with TestKafkaBroker(broker):
        (subscriber,) = [s for s in broker.subscribers if s.topic_names == [TOPIC]]  # type: ignore[attr-defined]
        # A poll as aiokafka hands it over (a tuple of records), which TestKafkaBroker's batches are not.
        poll = tuple(
            _build_record(
                body=body, content_type=None, topic=TOPIC, partition=0, timestamp_ms=None, key=None, headers={},
                correlation_id=None, reply_to="", id_generator=broker.config.id_generator,
            )
            for body in bodies
        )  # fmt: skip
        await subscriber.process_message(poll)
    assert [m.message_id for m in handled] == [m.message_id for m in good]  # stamped with their receipt
    assert letters == [b"\xff\xfe not JSON", b"[]"]
