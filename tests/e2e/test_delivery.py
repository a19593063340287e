"""No loss, no double effect: redelivery, poison messages, restarts, bounded retries, committed offsets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from adapters.tobb.client import TobbSettings
from hub.contract.messages.envelope import Envelope
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import TopicCatalog, catalog
from hub.entrypoints.processes.core import CoreProcess
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.entrypoints.stack import Stack
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.runtime.kafka.brokers import kafka_broker
from hub.runtime.kafka.consuming import subscribe_reliably
from hub.runtime.kafka.security import ADMIN, client_options
from hub.store.tables import declarations
from tests.e2e.helpers import (
    eventually,
    foreign_5800,
    one_partition_topic,
    only_outcome,
    produce_raw,
    read_topic,
    turkish_2600,
)

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"


async def _dead_letter_of(bootstrap: str, topic: str, partition: int, offset: int) -> Any:
    async def find() -> Any:
        for record in await read_topic(bootstrap, HUB_DEADLETTER, principal=ADMIN):
            headers = {k: v.decode() for k, v in record.headers}
            where = (headers["dlq.original_topic"], headers["dlq.original_partition"], headers["dlq.original_offset"])
            if where == (topic, str(partition), str(offset)):
                return record, headers
        return None

    return await eventually(find)


async def test_same_command_delivered_twice_has_one_effect(client: HubClient, stack: Stack) -> None:
    lodge = foreign_5800()
    command = await client.send(lodge, lodge.carnet_number)
    await client.send_envelope(command)  # the same message id again, as a producer retry would
    events = await client.outcome(command)
    await asyncio.sleep(1.5)  # time enough for a second outcome, were there one
    assert [e.type for e in await client.outcome(command)] == ["CarnetRecorded", "DeclarationLodged"]
    assert len(events) == 2
    assert stack.core.engine is not None
    async with stack.core.engine.connect() as conn:
        count = (
            await conn.execute(
                select(func.count()).where(declarations.c.declaration_number == lodge.declaration_number)
            )
        ).scalar_one()
    assert count == 1


async def test_poison_message_is_dead_lettered_and_its_partition_moves_on(client: HubClient, stack: Stack) -> None:
    lodge = foreign_5800()
    key = lodge.carnet_number.encode()
    poison = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, b"\x00not json at all{", key)
    # The next command on the same key, so on the same partition, still gets its outcome.
    lodged = await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    assert lodged.type == "DeclarationLodged"
    record, headers = await _dead_letter_of(stack.settings.kafka_bootstrap, COMMANDS, poison.partition, poison.offset)
    assert record.value == b"\x00not json at all{" and record.key == key
    assert headers["dlq.reason"].startswith("not JSON")
    assert headers["dlq.consumer"] == "hub-core"


async def test_schema_invalid_command_is_dead_lettered_with_the_reason(client: HubClient, stack: Stack) -> None:
    lodge = foreign_5800()
    good = json.loads(await_envelope := _envelope_json(lodge))
    del good["payload"]["customs_office"]
    sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, json.dumps(good).encode(), b"K")
    _, headers = await _dead_letter_of(stack.settings.kafka_bootstrap, COMMANDS, sent.partition, sent.offset)
    assert "invalid LodgeDeclaration: payload.customs_office: Field required" in headers["dlq.reason"]
    assert await_envelope


def _envelope_json(command: Any) -> str:
    from datetime import UTC, datetime

    from hub.contract.messages.envelope import envelope

    return envelope(command, carnet_number=command.carnet_number, occurred_at=datetime.now(UTC)).model_dump_json()


async def test_restarted_tobb_adapter_loses_no_request(
    client: HubClient, stack: Stack, tobb_settings: TobbSettings
) -> None:
    # rule: G3 (the look-up survives the adapter being down)
    await stack.tobb_adapter.stop()
    lodge = turkish_2600()
    command = await client.send(lodge, lodge.carnet_number)
    with pytest.raises(TimeoutError):
        await client.outcome(command, wait_s=2)
    stack.tobb_adapter = TobbAdapterProcess(stack.settings, tobb_settings)
    await stack.tobb_adapter.start()
    lodged = await only_outcome(client, command)
    assert lodged.type == "DeclarationLodged"


async def test_core_down_commands_wait_on_kafka_and_are_applied_after_restart(client: HubClient, stack: Stack) -> None:
    await stack.core.stop()
    lodge = foreign_5800()
    command = await client.send(lodge, lodge.carnet_number)
    with pytest.raises(TimeoutError):
        await client.outcome(command, wait_s=2)
    stack.core = CoreProcess(stack.settings)
    await stack.core.start()
    assert (await only_outcome(client, command)).type == "DeclarationLodged"


async def test_offsets_are_committed_once_commands_are_handled(client: HubClient, stack: Stack) -> None:
    lodge = foreign_5800()
    sent = await client.send(lodge, lodge.carnet_number)
    await only_outcome(client, sent)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.settings.kafka_bootstrap, **client_options(ADMIN))
    await admin.start()
    try:

        async def committed_to_end() -> bool:
            offsets = await admin.list_consumer_group_offsets("hub-core")
            ends = await _end_offsets(stack.settings.kafka_bootstrap, list(offsets))
            mine = {tp: meta.offset for tp, meta in offsets.items() if tp.topic == COMMANDS}
            return bool(mine) and all(mine[tp] == ends[tp] for tp in mine)

        assert await eventually(committed_to_end)
    finally:
        await admin.close()


async def _end_offsets(bootstrap: str, partitions: list[Any]) -> dict[Any, int]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def test_handler_failing_every_time_is_retried_a_bounded_number_of_times_then_dead_lettered(
    bootstrap: str,
) -> None:
    """The retry bound and the move-on, on a topic of their own with a handler that always fails."""
    topic = one_partition_topic("test.retry-bound")
    topics = TopicCatalog([topic, catalog().topic(HUB_DEADLETTER)])
    await apply_topics(bootstrap, topics)
    calls: dict[str, int] = {}

    async def always_fails(message: Envelope[Any]) -> None:
        calls[message.payload.declaration_number] = calls.get(message.payload.declaration_number, 0) + 1
        if message.payload.declaration_number.startswith("FAIL"):
            raise RuntimeError("store unreachable")

    broker = kafka_broker(bootstrap, "test-retry-bound", principal=ADMIN)
    subscribe_reliably(
        broker, topics, topic.name, "test-retry-bound", always_fails, max_attempts=3, retry_backoff_s=0.01
    )
    await broker.start()
    try:
        failing, fine = foreign_5800("FAIL-1"), foreign_5800("OK-1")
        first = await produce_raw(bootstrap, topic.name, _envelope_json(failing).encode(), b"K")
        await produce_raw(bootstrap, topic.name, _envelope_json(fine).encode(), b"K")
        await eventually(lambda: _async(calls.get("OK-1") == 1))
        assert calls["FAIL-1"] == 3
        _, headers = await _dead_letter_of(bootstrap, topic.name, first.partition, first.offset)
        assert headers["dlq.attempts"] == "3" and "RuntimeError: store unreachable" in headers["dlq.reason"]
    finally:
        await broker.stop()


async def _async(value: bool) -> bool:
    return value
