"""The outbox backlog the core reports: rows committed but not yet on Kafka, and the oldest one's age."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from hub.runtime.relay import unsent_outbox
from hub.store.engine import create_engine, create_schema
from hub.store.tables import outbox
from tests.store_fixture import StoreKind

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


async def test_counts_only_unsent_rows_and_finds_the_oldest(stores: StoreKind) -> None:
    engine = create_engine(stores.new_url())
    try:
        await create_schema(engine)
        assert await unsent_outbox(engine) == (0, None)
        rows: list[dict[str, datetime | None]] = [
            {"created_at": T0, "sent_at": T0 + timedelta(seconds=1)},  # sent long ago
            {"created_at": T0 + timedelta(minutes=5), "sent_at": None},  # the oldest waiting
            {"created_at": T0 + timedelta(minutes=7), "sent_at": None},
        ]
        async with engine.begin() as conn:
            for row in rows:
                await conn.execute(
                    insert(outbox).values(
                        topic="ata.declaration.events",
                        message_key="TR/2026/000123",
                        message_id=str(uuid.uuid4()),
                        message_type="DeclarationLodged",
                        headers=json.dumps({}),
                        body="{}",
                        **row,
                    )
                )
        assert await unsent_outbox(engine) == (2, T0 + timedelta(minutes=5))
    finally:
        await engine.dispose()
