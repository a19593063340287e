"""The GET-APP TCGB projection: `bilge.tcgb.events` into the read model, one transaction per poll (A1, A2).

claim → load → merge → derive → write, for a whole batch (hub/runtime/kafka/batches.py):

1. the batch's message ids are claimed in one insert that skips ids applied before
   (getapp_tracking_processed, hub/store/claims.py), so a redelivered event changes nothing;
2. the TCGBs the fresh events name are read in two queries (rows and stages);
3. each event is merged into its TCGB's facts (tcgb_timeline: a stage reached twice keeps its earliest
   time), and only the TCGBs touched are derived again;
4. rows, stages that are new or whose end moved, and the A1 duration bins are written with one
   executemany each (INSERT ... ON CONFLICT, SQLite and PostgreSQL), the bins as the difference the
   batch made: what the stored stages contributed is taken out, what the derived ones contribute put in.

Undecodable records never get here: the batch consumer dead-letters them with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract.messages.batch import BatchResult, MessageScope, no_scope
from hub.contract.messages.envelope import Envelope
from hub.domain.bilge import TcgbDirection, TcgbStage, TcgbStageReached
from hub.getapp.tracking import bulk
from hub.getapp.tracking.tables import TRACKING_CLAIMS, getapp_tcgb_duration_bins, getapp_tcgb_stages, getapp_tcgbs
from hub.getapp.tracking.tcgb_timeline import (
    RANK,
    BinDelta,
    Header,
    TcgbFacts,
    TcgbState,
    derive,
    facts_of,
    stage_fact,
)
from hub.store.transaction import Transaction

log = logging.getLogger(__name__)

TCGB_CONSUMER_GROUP = "getapp-tcgb"

_t, _st, _bins = getapp_tcgbs.c, getapp_tcgb_stages.c, getapp_tcgb_duration_bins.c
_HEADER = ("tcgb_number", "direction", "regime", "customs_office", "consignee_vkn", "consignor_vkn", "month")


def utc_now() -> datetime:
    return datetime.now(UTC)


class TcgbProjection:
    """Feeds the TCGB read model a poll at a time; idempotent by message id and tolerant of order."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._now = now

    async def handle_batch(self, messages: Sequence[Envelope[Any]], scope: MessageScope = no_scope) -> BatchResult:
        """The handler for hub.runtime.kafka.batches.subscribe_in_batches: the whole poll in one transaction."""
        # rule: A2
        result = BatchResult()
        # SQLite: one writer at a time, queued in the Transaction, not in SQLite's busy handler.
        async with Transaction(self._engine) as work:
            now = self._now()
            fresh = await work.claim(TRACKING_CLAIMS, messages, now)
            events: list[Envelope[Any]] = []
            for message in messages:
                if message.message_id not in fresh or not isinstance(message.payload, TcgbStageReached):
                    result.skipped.append(message)  # applied before, or twice in this poll
                    continue
                fresh.discard(message.message_id)
                events.append(message)
            stored = await _load(work.conn, {m.payload.tcgb_number for m in events})
            touched: dict[str, TcgbFacts] = {}
            # No per-message scope (log context, decision span): merging an event is a few microseconds of
            # pure code; the consumer logs each message with its ids, and the commit is traced.
            for message in events:
                event: TcgbStageReached = message.payload
                facts = touched.get(event.tcgb_number)
                if facts is None:
                    known = stored.get(event.tcgb_number)
                    facts = touched[event.tcgb_number] = known.facts() if known else facts_of(event)
                if not facts.merge(event, str(message.message_id)):
                    log.info(
                        "TCGB %s reached %s again (message %s): the earliest is kept",
                        event.tcgb_number, event.stage.value, message.message_id,
                    )  # fmt: skip
                result.applied.append(message)
            await _write(work.conn, [derive(f) for f in touched.values()], stored, now)
            with scope.committing(result.applied):
                await work.commit()
        return result

    async def apply(self, messages: Sequence[Envelope[Any]]) -> BatchResult:
        """Tests and tools: a list of events as one poll."""
        return await self.handle_batch(messages)


class _Stored:
    """A TCGB as the store holds it: its row and its stages' rows."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.stages: list[Any] = []

    def facts(self) -> TcgbFacts:
        r = self.row
        header = Header(TcgbDirection(r.direction), r.regime, r.customs_office, r.consignee_vkn, r.consignor_vkn)
        facts = TcgbFacts(r.tcgb_number, header)
        for s in self.stages:
            stage = TcgbStage(s.stage)
            facts.stages[stage] = stage_fact(stage, s.started_at, s.office, s.channel, s.message_id)
        return facts


async def _load(conn: AsyncConnection, numbers: set[str]) -> dict[str, _Stored]:
    """The TCGBs a poll names, with their stages: two queries (on the driver, like the writes)."""
    stored = {
        row.tcgb_number: _Stored(row)
        for row in await bulk.select_in(conn, getapp_tcgbs, _HEADER, "tcgb_number", numbers)
    }
    for row in await bulk.select_in(conn, getapp_tcgb_stages, _STAGE_COLUMNS, "tcgb_number", stored):
        stored[row.tcgb_number].stages.append(row)
    return stored


_TCGB_COLUMNS = tuple(c.name for c in getapp_tcgbs.c)
_STAGE_COLUMNS = tuple(c.name for c in getapp_tcgb_stages.c)
_BIN_COLUMNS = tuple(c.name for c in getapp_tcgb_duration_bins.c)


async def _write(conn: AsyncConnection, states: list[TcgbState], stored: dict[str, _Stored], now: datetime) -> None:
    if not states:
        return
    delta = BinDelta()
    stage_rows: list[tuple[Any, ...]] = []
    for state in states:
        h = state.header
        group = (state.month, h.customs_office, h.direction.value)
        known = stored.get(state.number)
        before = {s.stage: s for s in known.stages} if known is not None else {}
        moved = known is not None and (known.row.month, known.row.customs_office, known.row.direction) != group
        if moved:  # registered earlier than known, or another office: every duration changes bins
            assert known is not None
            was = (known.row.month, known.row.customs_office, known.row.direction)
            for s in known.stages:
                if s.duration_ms is not None:
                    delta.add(*was, s.stage, s.duration_ms, -1)
        for span in state.stages:
            stage = span.stage.value
            old = before.get(stage)
            if moved or old is None or old.duration_ms != span.duration_ms:
                if not moved and old is not None and old.duration_ms is not None:
                    delta.add(*group, stage, old.duration_ms, -1)
                if span.duration_ms is not None:
                    delta.add(*group, stage, span.duration_ms)
            next_stage = span.next_stage.value if span.next_stage else None
            if old is not None and (old.message_id, old.ended_at, old.duration_ms, old.next_stage) == (
                span.message_id, span.ended_at, span.duration_ms, next_stage,
            ):  # fmt: skip
                continue  # unchanged
            stage_rows.append(
                (
                    state.number, stage, RANK[span.stage], span.started_at, span.ended_at, span.duration_ms,
                    next_stage, span.office, span.channel, span.message_id,
                )
            )  # fmt: skip
    await bulk.upsert(conn, getapp_tcgbs, _TCGB_COLUMNS, [_row(state, now) for state in states])
    await bulk.upsert(conn, getapp_tcgb_stages, _STAGE_COLUMNS, stage_rows)
    bins = [(*key, count, sum_ms) for key, count, sum_ms in delta.changed()]
    await bulk.upsert(conn, getapp_tcgb_duration_bins, _BIN_COLUMNS, bins, on_conflict="add")


def _row(state: TcgbState, now: datetime) -> tuple[Any, ...]:
    """In the order of getapp_tcgbs' columns."""
    h = state.header
    return (
        state.number, h.direction.value, h.regime, h.customs_office, h.consignee_vkn, h.consignor_vkn,
        state.registered_at, state.month, state.current_stage.value, state.stage_since, state.channel,
        state.location_office, state.released, state.exited, state.finished, now,
    )  # fmt: skip
