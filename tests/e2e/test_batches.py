"""The batched core on the real broker: a burst of commands handled across polls with one outcome each,
in order per carnet; and the batch consumer's failure rules on a topic of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from hub.contract.messages.batch import BatchResult, MessageScope, Unsettled
from hub.contract.messages.envelope import Envelope, decode, envelope
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import TopicCatalog, catalog
from hub.domain.commands import AcceptDeclaration, CompleteInspection
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.runtime.kafka.batches import BatchLimits, subscribe_in_batches
from hub.runtime.kafka.brokers import kafka_broker
from hub.runtime.kafka.security import ADMIN, client_options
from tests.domain.builders import INSPECTOR, LIAISON
from tests.e2e.helpers import eventually, foreign_5800, one_partition_topic, read_topic, signed_headers

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"
EVENTS = "ata.declaration.events"


async def _produce_all(bootstrap: str, topic: str, messages: Sequence[Envelope[Any]]) -> list[Any]:
    """As a busy back end would: every send in flight at once, so polls return many records."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, **client_options(ADMIN), acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    try:
        sent = [
            await producer.send(
                topic, m.encode(), key=m.key, headers=[(k, v.encode()) for k, v in signed_headers(m).items()]
            )
            for m in messages
        ]
        return list(await asyncio.gather(*sent))
    finally:
        await producer.stop()


async def test_a_burst_of_commands_gets_one_outcome_each_in_order_per_carnet(client: HubClient, bootstrap: str) -> None:
    carnets = 60
    flows: list[list[Envelope[Any]]] = []
    for _ in range(carnets):
        lodge = foreign_5800()
        n, key = lodge.declaration_number, lodge.carnet_number
        flows.append(
            [
                envelope(command, carnet_number=key, occurred_at=datetime.now(UTC))
                for command in (
                    lodge,
                    AcceptDeclaration(declaration_number=n, actor=LIAISON),
                    CompleteInspection(declaration_number=n, actor=INSPECTOR),
                )
            ]
        )
    commands = [message for step in zip(*flows, strict=True) for message in step]
    await _produce_all(bootstrap, COMMANDS, commands)

    for message in commands:
        await client.outcome(message, wait_s=60)
    ids = {m.message_id: m for m in commands}
    caused: dict[Any, list[tuple[int, int, str]]] = {}
    for record in await read_topic(bootstrap, EVENTS, principal=ADMIN):
        event = decode(record.value)
        if event.causation_id in ids:
            caused.setdefault(event.causation_id, []).append((record.partition, record.offset, event.type))

    for lodged, accepted, completed in flows:
        assert [t for *_, t in caused[lodged.message_id]] == ["CarnetRecorded", "DeclarationLodged"]
        assert [t for *_, t in caused[accepted.message_id]] == ["DeclarationAccepted"]
        assert [t for *_, t in caused[completed.message_id]] == ["InspectionCompleted"]
        # one carnet, one partition: its outcomes leave in the order of its commands
        places = [caused[m.message_id][0][:2] for m in (lodged, accepted, completed)]
        assert len({p for p, _ in places}) == 1 and places == sorted(places), lodged.carnet_number


async def test_a_failing_message_is_retried_alone_to_its_bound_then_dead_lettered_while_its_batch_is_applied(
    bootstrap: str,
) -> None:
    """Keys A and B in one poll; A's second message always fails. B is applied at once, A's first
    too; A's third waits behind the failing one, which is tried 3 times and dead-lettered."""
    topic = one_partition_topic("test.batch-failure")
    topics = TopicCatalog([topic, catalog().topic(HUB_DEADLETTER)])
    await apply_topics(bootstrap, topics)
    applied: list[str] = []
    tries: dict[str, int] = {}
    polls: list[int] = []

    async def handle(messages: Sequence[Envelope[Any]], scope: MessageScope) -> BatchResult:
        """Applies in order; a failure holds back its key's later messages, as the core does."""
        polls.append(len(messages))
        result, held = BatchResult(), set()
        for message in messages:
            number = message.payload.declaration_number
            if message.carnet_number in held:
                result.unsettled.append(Unsettled(message, None))
            elif number.startswith("FAIL"):
                tries[number] = tries.get(number, 0) + 1
                held.add(message.carnet_number)
                result.unsettled.append(Unsettled(message, RuntimeError("the store refused it")))
            else:
                applied.append(number)
                result.applied.append(message)
        return result

    broker = kafka_broker(bootstrap, "test-batch-failure", principal=ADMIN)
    subscribe_in_batches(
        broker, topics, topic.name, "test-batch-failure", handle,
        limits=BatchLimits(max_records=50, timeout_ms=200, max_attempts=3, retry_backoff_s=0.01),
    )  # fmt: skip
    plan = [("A", "A-1"), ("B", "B-1"), ("A", "FAIL-A-2"), ("B", "B-2"), ("A", "A-3"), ("B", "B-3")]
    sent = await _produce_all(
        bootstrap,
        topic.name,
        [envelope(foreign_5800(number), carnet_number=key, occurred_at=datetime.now(UTC)) for key, number in plan],
    )
    await broker.start()
    try:
        await eventually(lambda: _true(len(applied) == 5))
        assert applied.index("A-3") > applied.index("A-1")
        assert applied.count("A-3") == 1 and set(applied) == {"A-1", "B-1", "B-2", "A-3", "B-3"}
        assert tries == {"FAIL-A-2": 3}
        assert polls[0] == len(plan)  # one poll brought them all: a batch, not one at a time

        async def dead_letter() -> Any:
            for record in await read_topic(bootstrap, HUB_DEADLETTER, principal=ADMIN):
                headers = {k: v.decode() for k, v in record.headers}
                if (headers["dlq.original_topic"], headers["dlq.original_offset"]) == (
                    topic.name,
                    str(sent[2].offset),
                ):
                    return headers
            return None

        headers = await eventually(dead_letter)
        assert headers["dlq.attempts"] == "3" and "RuntimeError: the store refused it" in headers["dlq.reason"]
    finally:
        await broker.stop()


async def _true(value: bool) -> bool:
    return value
