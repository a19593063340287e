"""The one claim (hub/store/claims.py) and the unit of work every writer shares (hub/store/transaction.py):
a message is applied once per consumer, on each of the store's processed-message tables, and what a
transaction claimed and queued is stored together with it or not at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope, envelope
from hub.domain.commands import AcceptDeclaration
from hub.getapp.accounts.store import ANSWER_CLAIMS
from hub.getapp.accounts.tables import mail_outbox
from hub.getapp.tracking.tables import TRACKING_CLAIMS
from hub.store.claims import ProcessedLog
from hub.store.tables import processed_messages
from hub.store.transaction import Transaction
from tests.domain.builders import LIAISON

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CORE = ProcessedLog(processed_messages, "hub-core")
LOGS = {"core": CORE, "tracking": TRACKING_CLAIMS, "accounts": ANSWER_CLAIMS}
MAIL = {"recipient": "a@b.tr", "subject": "s", "body": "b", "created_at": NOW, "next_attempt_at": NOW, "attempts": 0}


def message() -> Envelope[Any]:
    return envelope(AcceptDeclaration(declaration_number="D-1", actor=LIAISON), carnet_number="TR-1", occurred_at=NOW)


async def claim(engine: AsyncEngine, log: ProcessedLog, messages: list[Envelope[Any]]) -> set[Any]:
    async with Transaction(engine) as work:
        fresh = await work.claim(log, messages, NOW)
        await work.commit()
    return fresh


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


@pytest.mark.parametrize("name", LOGS)
async def test_a_batch_claims_only_the_messages_not_applied_before(engine: AsyncEngine, name: str) -> None:
    log = LOGS[name]
    first, second, third = message(), message(), message()

    assert await claim(engine, log, [first, second, first]) == {first.message_id, second.message_id}
    # A redelivery of the first two with a new one: only the new one may be applied.
    assert await claim(engine, log, [second, third, first]) == {third.message_id}
    assert await count(engine, log.table) == 3


async def test_consumers_sharing_the_core_table_each_apply_a_message_once(engine: AsyncEngine) -> None:
    shared = message()
    other = ProcessedLog(processed_messages, "hub-other")

    assert await claim(engine, CORE, [shared]) == {shared.message_id}
    assert await claim(engine, other, [shared]) == {shared.message_id}
    assert await claim(engine, other, [shared]) == set()


@pytest.mark.parametrize("name", LOGS)
async def test_a_crash_before_the_commit_stores_neither_the_claim_nor_what_went_out(
    engine: AsyncEngine, name: str
) -> None:
    log = LOGS[name]
    lost = message()
    with pytest.raises(RuntimeError):
        async with Transaction(engine) as work:
            assert await work.claim(log, [lost], NOW) == {lost.message_id}
            work.queue(mail_outbox, MAIL)
            raise RuntimeError("the process dies before its commit")

    assert await count(engine, mail_outbox) == 0
    # Delivered again, the message is applied: nothing of the first try was kept.
    async with Transaction(engine) as work:
        assert await work.claim(log, [lost], NOW) == {lost.message_id}
        work.queue(mail_outbox, MAIL)
        await work.commit()
    assert (await count(engine, log.table), await count(engine, mail_outbox)) == (1, 1)


async def test_a_released_claim_lets_the_message_be_applied_later(engine: AsyncEngine) -> None:
    failed = message()
    async with Transaction(engine) as work:
        await work.claim(CORE, [failed], NOW)
        await CORE.release(work.conn, [str(failed.message_id)])
        await work.commit()

    assert await claim(engine, CORE, [failed]) == {failed.message_id}


async def test_a_concurrent_claim_of_the_same_message_waits_then_skips(engine: AsyncEngine) -> None:
    # Two replicas after a rebalance, or a redelivery racing the first delivery.
    racing = message()
    async with Transaction(engine) as first:
        assert await first.claim(CORE, [racing], NOW) == {racing.message_id}
        second = asyncio.create_task(claim(engine, CORE, [racing]))
        await asyncio.sleep(0.3)
        assert not second.done()  # waits for the first transaction (row lock; SQLite: the writer's turn)
        await first.commit()
    assert await second == set()
