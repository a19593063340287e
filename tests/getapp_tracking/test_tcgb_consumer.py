"""GET-APP's TCGB consumer on the real broker (A2): `bilge.tcgb.events` read a poll at a time, each event
applied once, garbage dead-lettered."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.topic_names import BILGE_TCGB_EVENTS, HUB_DEADLETTER
from hub.contract.topics import catalog
from hub.getapp.tracking.consumer import subscribe_tcgbs
from hub.getapp.tracking.tables import getapp_tcgb_stages
from hub.getapp.tracking.tcgb_projection import TcgbProjection
from hub.getapp.tracking.tcgb_queries import TcgbQueries
from hub.runtime.kafka.brokers import kafka_broker
from hub.runtime.kafka.security import ADMIN, client_options
from tests.e2e.helpers import eventually, read_topic
from tests.getapp_tracking.builders import T0
from tests.getapp_tracking.tcgb_builders import FIRM_A, FIRM_B, S, life

pytestmark = pytest.mark.kafka


async def test_a2_tcgb_events_on_the_broker_reach_both_firms_once_and_garbage_is_dead_lettered(
    bootstrap: str, engine: AsyncEngine
) -> None:
    # rule: A2
    run = uuid.uuid4().hex[:8].upper()
    numbers = [f"26220100{run}{i:02d}" for i in range(20)]
    events = []
    for i, number in enumerate(numbers):
        steps = [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 60), (S.PAID, 600), (S.RELEASED, 900)]
        events += life(number, T0 + timedelta(minutes=i), steps, consignor=FIRM_B)
    garbage = f"not an envelope {run}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(ADMIN), acks="all", linger_ms=20)
    await producer.start()
    try:
        for event in [*events, events[5], events[6]]:  # two delivered again
            await producer.send(BILGE_TCGB_EVENTS, event.encode(), key=event.key)
        await producer.send(BILGE_TCGB_EVENTS, garbage, key=numbers[0].encode())
        await producer.flush()
    finally:
        await producer.stop()

    # A group of its own: the session's stack runs GET-APP in getapp-tcgb on this broker, which would take
    # some of the partitions into its own store. (That the getapp principal may read the topic in
    # getapp-tcgb is with the ACLs topics.yaml gives it, tests/test_kafka_security.py.)
    group = f"getapp-tcgb-test-{run}"
    broker = kafka_broker(bootstrap, ADMIN)
    subscribe_tcgbs(broker, catalog(), TcgbProjection(engine), group_id=group)
    queries = TcgbQueries(engine)
    await broker.start()
    try:

        async def all_released() -> Any:
            page = await queries.tcgbs_of_firm(FIRM_A, limit=100)
            ours = [t for t in page.tcgbs if t.tcgb_number in numbers]
            return len(ours) == len(numbers) and all(t.current_stage == "released" for t in ours)

        await eventually(all_released, wait_s=60)
        seller = await queries.tcgbs_of_firm(FIRM_B, limit=100)
        assert {t.tcgb_number for t in seller.tcgbs} >= set(numbers)
        async with engine.connect() as conn:
            stages = select(func.count()).where(getapp_tcgb_stages.c.tcgb_number.in_(numbers))
            assert (await conn.execute(stages)).scalar_one() == 4 * len(numbers)

        async def dead_letter() -> Any:
            for record in await read_topic(bootstrap, HUB_DEADLETTER, principal=ADMIN):
                headers = {k: v.decode() for k, v in record.headers}
                # The stack's GET-APP dead-letters it too, in its own group.
                if record.value == garbage and headers["dlq.consumer"] == group:
                    return headers
            return None

        headers = await eventually(dead_letter, wait_s=30)
        assert headers["dlq.original_topic"] == BILGE_TCGB_EVENTS
    finally:
        await broker.stop()
