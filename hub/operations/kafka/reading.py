"""Reading a whole topic as it stands, without a consumer group: operators' tools and tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from hub.runtime.kafka.security import client_options


class TopicMissing(LookupError):
    """The topic does not exist on the broker."""


async def read_topic(bootstrap: str, topic: str, wait_s: float = 10, *, principal: str) -> list[Any]:
    """Every record of `topic` from its beginning to its end offsets of now, committing nothing;
    in the order they were written (timestamp, then partition and offset). As `principal`, which
    must be a consumer of the topic (or the admin)."""
    partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic, principal=principal)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **client_options(principal)
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        async with asyncio.timeout(wait_s):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for tp, batch in (await consumer.getmany(*partitions, timeout_ms=200)).items():
                    records.extend(r for r in batch if r.offset < ends[tp])
        return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))
    finally:
        await consumer.stop()


async def partitions_of(bootstrap: str, topic: str, *, principal: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(principal))
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described["partitions"]:
        raise TopicMissing(f"topic {topic} does not exist: run `hub topics apply`")
    return sorted(p["partition"] for p in described["partitions"])
