"""The projection on Kafka's `ata.declaration.events`, through the hub's reliable subscription
(FastStream's in-memory test broker: no real broker needed)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, TestKafkaBroker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.topic_names import ATA_DECLARATION_EVENTS
from hub.contract.topics import catalog
from hub.getapp.tracking import TrackingProjection, TrackingQueries
from hub.getapp.tracking.consumer import subscribe_tracking
from hub.getapp.tracking.tables import getapp_processed
from tests.getapp_tracking.builders import A_NUMBERS, FIRM_A, two_firms


async def test_events_from_the_topic_are_applied_once_and_garbage_is_dead_lettered(
    projection: TrackingProjection, queries: TrackingQueries, engine: AsyncEngine
) -> None:
    broker = KafkaBroker("127.0.0.1:1")
    subscribe_tracking(broker, catalog(), projection)
    events = two_firms()
    async with TestKafkaBroker(broker) as test_broker:
        for event in [*events, events[3]]:  # the last one delivered again
            await test_broker.publish(
                event.encode(), topic=ATA_DECLARATION_EVENTS, key=event.key, headers=event.headers()
            )
        await test_broker.publish(b"not an envelope", topic=ATA_DECLARATION_EVENTS, key=b"TR/2026/000123")

    assert {d.declaration_number for d in await queries.declarations_of_firm(FIRM_A)} == A_NUMBERS
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(getapp_processed))).scalar_one() == len(events)
