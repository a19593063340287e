"""The outbox relay on the real broker: every committed row leaves once, in commit order, and is marked
sent; a relay started again sends only what was not marked (hub/runtime/relay.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.topics import TopicCatalog
from hub.operations.kafka.admin import apply_topics
from hub.operations.kafka.reading import read_topic
from hub.runtime.kafka.security import ADMIN
from hub.runtime.relay import OutboxRelay, unsent_outbox
from hub.store.engine import create_engine, create_schema
from hub.store.tables import outbox
from tests.e2e.helpers import eventually, one_partition_topic, unique
from tests.store_fixture import StoreKind

pytestmark = pytest.mark.kafka

EVENTS = "test.outbox-relay"  # a topic of its own: the rows are not the hub's events
TOPICS = TopicCatalog([one_partition_topic(EVENTS)])
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def _commit_rows(engine: AsyncEngine, key: str, count: int) -> list[str]:
    """Rows as the core's unit of work commits them, each in a transaction of its own."""
    ids = []
    for _ in range(count):
        message_id = str(uuid4())
        ids.append(message_id)
        row = {
            "topic": EVENTS,
            "message_key": key,
            "message_id": message_id,
            "message_type": "LodgeDeclaration",
            "headers": json.dumps({"message_id": message_id}),
            "body": json.dumps({"message_id": message_id}),
            "created_at": AT,
            "sent_at": None,
        }
        async with engine.begin() as conn:
            await conn.execute(insert(outbox), row)
    return ids


async def _delivered(bootstrap: str, key: str) -> list[str]:
    records = await read_topic(bootstrap, EVENTS, principal=ADMIN)
    return [json.loads(r.value)["message_id"] for r in records if r.key == key.encode()]


async def test_relay_sends_each_committed_row_once_in_order_and_marks_it_sent(
    bootstrap: str, stores: StoreKind
) -> None:
    await apply_topics(bootstrap, TOPICS)
    engine = create_engine(stores.new_url())
    await create_schema(engine)
    key = unique("TR/RELAY")
    first = await _commit_rows(engine, key, 30)
    relay = OutboxRelay(engine, bootstrap, TOPICS, poll_s=0.1, batch=7, principal=ADMIN)  # several rounds per burst
    await relay.start()
    try:
        later = await _commit_rows(engine, key, 12)  # committed while the relay runs
        relay.wake()

        async def all_sent() -> bool:
            return await unsent_outbox(engine) == (0, None) and len(await _delivered(bootstrap, key)) >= 42

        await eventually(all_sent)
    finally:
        await relay.stop()
    assert await _delivered(bootstrap, key) == first + later  # once each, in commit order

    # Started again (a restart of the core): what was marked sent is not sent again, the rest is.
    after_restart = await _commit_rows(engine, key, 3)
    again = OutboxRelay(engine, bootstrap, TOPICS, poll_s=0.1, principal=ADMIN)
    await again.start()
    try:
        await eventually(lambda: _all_marked(engine))
        await asyncio.sleep(0.5)  # time enough for a second copy, were there one
    finally:
        await again.stop()
    assert await _delivered(bootstrap, key) == first + later + after_restart
    async with engine.connect() as conn:
        sent_at = (await conn.execute(select(outbox.c.sent_at))).scalars().all()
    assert len(sent_at) == 45 and all(sent_at)
    await engine.dispose()


async def _all_marked(engine: AsyncEngine) -> bool:
    return await unsent_outbox(engine) == (0, None)
