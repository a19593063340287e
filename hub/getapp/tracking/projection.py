"""The GET-APP tracking projection: the hub's events on `ata.declaration.events` into the read model.

One transaction per event (hub/store/transaction.py). The message id is claimed first
(getapp_tracking_processed, hub/store/claims.py), so an event delivered again changes nothing. What an
event says is recorded as a fact (a stage reached, a deadline passed, a carnet's record); everything
derived from the facts (the current stage, the stages' durations, where the goods are, overdue) is
recomputed from all of a declaration's facts after each event, so the result does not depend on the
order the events came in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract.messages.envelope import Envelope
from hub.domain import events as ev
from hub.domain.commands import Actor
from hub.domain.identity import IdKind
from hub.domain.model import Regime
from hub.getapp.tracking.stages import TURKEY, Stage
from hub.getapp.tracking.tables import TRACKING_CLAIMS, getapp_carnets, getapp_declarations, getapp_stages
from hub.store.transaction import Transaction

log = logging.getLogger(__name__)

CONSUMER_GROUP = "getapp-tracking"

# The event types the read model needs; every other type on the topic is ignored (and not recorded).
HANDLED: tuple[type[BaseModel], ...] = (
    ev.CarnetRecorded,
    ev.DeclarationLodged,
    ev.LegacyDeclarationImported,
    ev.DeclarationAccepted,
    ev.DeclarationRejected,
    ev.DeclarationCancelled,
    ev.InspectionCompleted,
    ev.DeclarationClosed,
    ev.SummaryClosureRecorded,
    ev.DeadlinePassed,
    ev.RequestDecided,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def vkn_or_none(value: str | None) -> str | None:
    """A firm's VKN is 10 digits; anything else (a TCKN, a passport, nothing) names no firm (A3)."""
    if value is not None and len(value) == 10 and value.isdigit():
        return value
    return None


def _aware(at: datetime) -> datetime:
    """Times from BİLGE may come without a zone: they are Türkiye time."""
    return at if at.tzinfo is not None else at.replace(tzinfo=TURKEY)


def _later(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


@dataclass(frozen=True)
class _StageFact:
    stage: Stage
    at: datetime
    by: Actor | None = None


class TrackingProjection:
    """Feeds the GET-APP read model. `apply` is idempotent by message id and tolerant of order."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._now = now

    async def apply(self, message: Envelope[Any]) -> bool:
        """Apply one event in one transaction; False when ignored (a type not needed) or applied before."""
        if not isinstance(message.payload, HANDLED):
            return False
        async with Transaction(self._engine) as work:
            if not await work.claim(TRACKING_CLAIMS, [message], self._now()):
                log.info("%s %s already applied", message.type, message.message_id)
                return False
            await self._apply(work.conn, message)
            await work.commit()
        return True

    async def handle(self, message: Envelope[Any]) -> None:
        """The handler for hub.runtime.kafka.consuming.subscribe_reliably."""
        await self.apply(message)

    async def _apply(self, conn: AsyncConnection, message: Envelope[Any]) -> None:
        p = message.payload
        at = message.occurred_at
        mid = str(message.message_id)
        carnet = message.carnet_number
        match p:
            case ev.CarnetRecorded():
                await self._carnet_recorded(conn, p, at)
                return
            case ev.DeclarationLodged():
                await self._lodged(conn, p, at)
                fact = _StageFact(Stage.LODGED, at)
            case ev.LegacyDeclarationImported():
                await self._legacy(conn, p, carnet, at)
                # L1: the goods have been under the regime since BİLGE registered it; no e-ATA/TR stages before.
                fact = _StageFact(Stage.INSPECTION_COMPLETED, _aware(p.registered_at))
            case ev.DeclarationAccepted():
                fact = _StageFact(Stage.ACCEPTED, at, p.by)
            case ev.DeclarationRejected():
                fact = _StageFact(Stage.REJECTED, at, p.by)
            case ev.DeclarationCancelled():
                fact = _StageFact(Stage.CANCELLED, at)
            case ev.InspectionCompleted():
                await self._later_deadline(conn, p.declaration_number, carnet, p.discharge_deadline, at)
                fact = _StageFact(Stage.INSPECTION_COMPLETED, at, p.by)
            case ev.DeclarationClosed():
                fact = _StageFact(Stage.CLOSED, at)
            case ev.SummaryClosureRecorded():
                await self._ensure(conn, p.declaration_number, carnet, at)
                await self._set(conn, p.declaration_number, summary_closed=True)
                await self._refresh(conn, p.declaration_number, at)
                return
            case ev.DeadlinePassed():
                row = await self._ensure(conn, p.declaration_number, carnet, at)
                passed = _later(row.deadline_passed_for, p.discharge_deadline)
                await self._set(conn, p.declaration_number, deadline_passed_for=passed)
                await self._refresh(conn, p.declaration_number, at)
                return
            case ev.RequestDecided():
                if p.approved and p.discharge_deadline is not None:  # G6: an approved extension moves the deadline
                    await self._later_deadline(conn, p.declaration_number, carnet, p.discharge_deadline, at)
                    await self._refresh(conn, p.declaration_number, at)
                return
            case _:  # pragma: no cover - HANDLED and this match are kept together
                return
        number: str = p.declaration_number
        await self._ensure(conn, number, carnet, at)
        await self._add_stage(conn, number, fact, mid, message.sent_by)
        await self._refresh(conn, number, at)

    # --- facts -----------------------------------------------------------------------------------

    async def _carnet_recorded(self, conn: AsyncConnection, p: ev.CarnetRecorded, at: datetime) -> None:
        data = p.carnet
        row = (
            await conn.execute(select(getapp_carnets).where(getapp_carnets.c.carnet_number == data.carnet_number))
        ).first()
        new_vkn = vkn_or_none(data.holder_id)
        if row is None:
            await conn.execute(
                insert(getapp_carnets).values(
                    carnet_number=data.carnet_number,
                    issuing_country=data.issuing_country,
                    holder_name=data.holder_name,
                    holder_vkn=new_vkn,
                    recorded_at=at,
                )
            )
        elif at >= row.recorded_at:
            # A record without the holder's id does not forget one known before.
            holder_vkn = new_vkn or row.holder_vkn
            await conn.execute(
                update(getapp_carnets)
                .where(getapp_carnets.c.carnet_number == data.carnet_number)
                .values(
                    issuing_country=data.issuing_country,
                    holder_name=data.holder_name,
                    holder_vkn=holder_vkn,
                    recorded_at=at,
                )
            )
        else:
            return  # an older record than the one held
        if new_vkn is not None:
            await conn.execute(
                update(getapp_declarations)
                .where(getapp_declarations.c.carnet_number == data.carnet_number)
                .values(holder_vkn=new_vkn)
            )

    async def _holder_vkn(self, conn: AsyncConnection, carnet_number: str) -> str | None:
        return (
            await conn.execute(
                select(getapp_carnets.c.holder_vkn).where(getapp_carnets.c.carnet_number == carnet_number)
            )
        ).scalar_one_or_none()

    async def _lodged(self, conn: AsyncConnection, p: ev.DeclarationLodged, at: datetime) -> None:
        row = await self._ensure(conn, p.declaration_number, p.carnet_number, at)
        summary = p.summary
        storage = summary.storage_code if summary is not None and summary.temporary_storage else None
        declarant_vkn = vkn_or_none(p.declarant.id_value) if p.declarant.id_kind == IdKind.VKN else None
        await self._set(
            conn,
            p.declaration_number,
            carnet_number=p.carnet_number,
            regime=p.regime,
            customs_office=p.customs_office,
            destination_office=p.destination_office,
            legacy=False,
            holder_name=p.holder_name,
            declarant_vkn=declarant_vkn,
            declarant_acts_as=p.declarant.acts_as,
            holder_vkn=await self._holder_vkn(conn, p.carnet_number) or row.holder_vkn,
            lodged_at=_aware(p.lodged_at),
            storage_code=storage or None,
        )

    async def _legacy(self, conn: AsyncConnection, p: ev.LegacyDeclarationImported, carnet: str, at: datetime) -> None:
        row = await self._ensure(conn, p.declaration_number, carnet, at)
        await self._set(
            conn,
            p.declaration_number,
            regime=p.regime,
            customs_office=p.customs_office,
            legacy=True,
            holder_name=p.holder_name,
            holder_vkn=await self._holder_vkn(conn, carnet) or row.holder_vkn,
            lodged_at=_aware(p.registered_at),
            discharge_deadline=_later(row.discharge_deadline, p.discharge_deadline),
        )

    async def _later_deadline(
        self, conn: AsyncConnection, number: str, carnet: str, deadline: date | None, at: datetime
    ) -> None:
        """Extensions never shorten a deadline (G6): the latest date seen is the deadline."""
        row = await self._ensure(conn, number, carnet, at)
        await self._set(conn, number, discharge_deadline=_later(row.discharge_deadline, deadline))

    async def _ensure(self, conn: AsyncConnection, number: str, carnet: str, at: datetime) -> Any:
        """The declaration's row; a placeholder when an event about it comes before its lodgement."""
        query = select(getapp_declarations).where(getapp_declarations.c.declaration_number == number)
        row = (await conn.execute(query)).first()
        if row is None:
            await conn.execute(
                insert(getapp_declarations).values(
                    declaration_number=number,
                    carnet_number=carnet,
                    legacy=False,
                    in_storage=False,
                    summary_closed=False,
                    overdue=False,
                    updated_at=at,
                )
            )
            row = (await conn.execute(query)).one()
        return row

    async def _set(self, conn: AsyncConnection, number: str, **values: Any) -> None:
        await conn.execute(
            update(getapp_declarations).where(getapp_declarations.c.declaration_number == number).values(**values)
        )

    async def _add_stage(
        self, conn: AsyncConnection, number: str, fact: _StageFact, message_id: str, sent_by: str | None
    ) -> None:
        """A stage is reached once: the first event that says so is kept."""
        exists = await conn.execute(
            select(getapp_stages.c.stage).where(
                getapp_stages.c.declaration_number == number, getapp_stages.c.stage == fact.stage.value
            )
        )
        if exists.first() is not None:
            log.warning("%s reached %s again (message %s): the first is kept", number, fact.stage, message_id)
            return
        await conn.execute(
            insert(getapp_stages).values(
                declaration_number=number,
                stage=fact.stage.value,
                rank=fact.stage.rank,
                started_at=fact.at,
                actor_role=fact.by.role if fact.by else None,
                actor_office=fact.by.office if fact.by else None,
                sent_by=sent_by,
                message_id=message_id,
            )
        )

    # --- derived ---------------------------------------------------------------------------------

    async def _refresh(self, conn: AsyncConnection, number: str, at: datetime) -> None:
        """Recompute everything derived from the declaration's facts: the same facts give the same row."""
        stages = (
            await conn.execute(
                select(getapp_stages)
                .where(getapp_stages.c.declaration_number == number)
                .order_by(getapp_stages.c.rank, getapp_stages.c.started_at)
            )
        ).all()
        for i, stage in enumerate(stages):
            following = stages[i + 1] if i + 1 < len(stages) else None
            ended = following.started_at if following is not None else None
            duration = max(0.0, (ended - stage.started_at).total_seconds()) if ended is not None else None
            next_stage = following.stage if following is not None else None
            if (stage.ended_at, stage.duration_s, stage.next_stage) != (ended, duration, next_stage):
                await conn.execute(
                    update(getapp_stages)
                    .where(getapp_stages.c.declaration_number == number, getapp_stages.c.stage == stage.stage)
                    .values(ended_at=ended, duration_s=duration, next_stage=next_stage)
                )
        row = (
            await conn.execute(select(getapp_declarations).where(getapp_declarations.c.declaration_number == number))
        ).one()
        by_stage = {s.stage: s for s in stages}
        current = stages[-1] if stages else None
        closed = by_stage.get(Stage.CLOSED.value)
        lodged = by_stage.get(Stage.LODGED.value)
        started = lodged.started_at if lodged is not None else row.lodged_at
        closed_at = closed.started_at if closed is not None else None
        time_to_close = (
            max(0.0, (closed_at - started).total_seconds()) if closed_at is not None and started is not None else None
        )
        # Where the goods are: the office that acted last; a finished transit's goods are at its destination.
        location = row.customs_office
        for s in stages:
            if s.actor_office:
                location = s.actor_office
        if closed is not None and row.regime in (Regime.TRANSIT_IN, Regime.TRANSIT_OUT) and row.destination_office:
            location = row.destination_office
        # S3/S4: the goods leave temporary storage when the declaration's inspection completes (or BİLGE says so).
        released = row.summary_closed or any(
            s.stage in (Stage.INSPECTION_COMPLETED.value, Stage.CLOSED.value) for s in stages
        )
        in_storage = row.storage_code is not None and not released
        # V2: a DeadlinePassed seen, no later deadline granted since, and not closed.
        overdue = (
            row.deadline_passed_for is not None
            and (row.discharge_deadline is None or row.deadline_passed_for >= row.discharge_deadline)
            and closed is None
        )
        await self._set(
            conn,
            number,
            current_stage=current.stage if current is not None else None,
            stage_since=current.started_at if current is not None else None,
            closed_at=closed_at,
            time_to_close_s=time_to_close,
            location_office=location,
            in_storage=in_storage,
            overdue=overdue,
            updated_at=max(row.updated_at, at),
        )
