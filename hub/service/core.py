"""The core consumer's use cases: one message in, one transaction, outcomes to the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain import events as ev
from hub.domain import rules
from hub.domain.commands import LodgeDeclaration
from hub.domain.model import Carnet
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.messages.envelope import OUTCOME_SIZE_HEADER, Envelope, decode, envelope, reply
from hub.store.queries import carnets_with_deadlines_due
from hub.store.uow import UnitOfWork
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

CONSUMER = "hub-core"
EVENTS_TOPIC = "ata.declaration.events"
TOBB_REQUESTS_TOPIC = "tobb.carnet.requests"
TURKEY = ZoneInfo("Europe/Istanbul")


def clock_of(message: Envelope[Any]) -> rules.Clock:
    """A command is judged at the time it was issued, on the calendar of Türkiye."""
    return rules.Clock(now=message.occurred_at, today=message.occurred_at.astimezone(TURKEY).date())


def utc_now() -> datetime:
    return datetime.now(UTC)


class CoreService:
    def __init__(
        self,
        engine: AsyncEngine,
        catalog: TopicCatalog,
        on_commit: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = utc_now,
        offices: OfficeRegistry = OFFICES,
    ) -> None:
        self._offices = offices
        self._engine = engine
        self._catalog = catalog
        self._on_commit = on_commit  # wakes the outbox relay
        self._now = now

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._engine, self._catalog, CONSUMER)

    async def handle_command(self, message: Envelope[Any]) -> None:
        async with self._uow() as uow:
            now = self._now()
            await uow.claim(message, now)
            carnet = await uow.carnets.get(message.carnet_number)
            cmd = message.payload
            outcome: rules.Outcome
            if getattr(cmd, "carnet_number", message.carnet_number) != message.carnet_number:
                outcome = rules.Refused("G1", "the message key and the declaration name different carnets")
            else:
                outcome = rules.decide(carnet, cmd, clock_of(message), await self._context(uow, carnet, cmd))
            if isinstance(outcome, rules.LookUpCarnet):
                await uow.park_lookup(message.message_id, message)
                request = ev.CarnetLookupRequested(request_id=message.message_id, carnet_number=outcome.carnet_number)
                uow.publish(TOBB_REQUESTS_TOPIC, reply(request, to=message, occurred_at=now))
            else:
                await self._record(uow, outcome, message, now)
            await uow.commit(now)
        self._on_commit()

    async def _context(self, uow: UnitOfWork, carnet: Carnet | None, cmd: Any) -> rules.Context:
        """What lies outside this carnet: where a reference lives, whether the number is taken (G1)."""
        known = carnet.declarations if carnet is not None else {}

        async def elsewhere(number: str | None) -> str | None:
            return None if number is None or number in known else await uow.carnets.carnet_of(number)

        taken = await elsewhere(cmd.declaration_number) if isinstance(cmd, LodgeDeclaration) else None
        return rules.Context(
            offices=self._offices,
            reference_carnet=await elsewhere(getattr(cmd, "previous_declaration", None)),
            number_taken_by=taken,
        )

    async def check_deadlines(self, today: date, warn_days: int) -> int:
        """V2: publish 'deadline approaching' and 'deadline passed' once each; returns how many."""
        published = 0
        for carnet_number in await self._carnets_due(today, warn_days):
            async with self._uow() as uow:
                now = self._now()
                carnet = await uow.carnets.get(carnet_number)
                if carnet is None:
                    continue
                applied = rules.check_deadlines(carnet, rules.Clock(now=now, today=today), warn_days)
                if not applied.events:
                    continue
                await uow.carnets.save(applied.carnet)
                for event in applied.events:
                    uow.publish(EVENTS_TOPIC, envelope(event, carnet_number=carnet_number, occurred_at=now))
                await uow.commit(now)
                published += len(applied.events)
        if published:
            self._on_commit()
        return published

    async def _carnets_due(self, today: date, warn_days: int) -> list[str]:
        async with self._engine.connect() as conn:
            return await carnets_with_deadlines_due(conn, today + timedelta(days=warn_days))

    async def handle_lookup_result(self, message: Envelope[Any]) -> None:
        async with self._uow() as uow:
            now = self._now()
            await uow.claim(message, now)
            result = message.payload
            parked = await uow.take_lookup(result.request_id)
            if parked is None:
                log.info("TOBB answer %s for a look-up already answered: ignored", message.message_id)
                await uow.commit(now)
                return
            command = decode(parked.encode(), {LodgeDeclaration.__name__})
            cmd: LodgeDeclaration = command.payload
            carnet = await uow.carnets.get(command.carnet_number)
            outcome: rules.Outcome
            if isinstance(result, ev.CarnetLookupFailed):
                outcome = rules.tobb_unavailable(cmd, result.reason)
            else:
                found = result.carnet if isinstance(result, ev.CarnetLookupSucceeded) else None
                context = await self._context(uow, carnet, cmd)
                outcome = rules.lodge_with_tobb_answer(carnet, cmd, found, clock_of(command), context)
            await self._record(uow, outcome, command, now)
            await uow.commit(now)
        self._on_commit()

    async def _record(self, uow: UnitOfWork, outcome: rules.Outcome, command: Envelope[Any], now: datetime) -> None:
        """Store an outcome: the new state and its events, or the refusal. Either way, one outcome."""
        events: list[BaseModel]
        if isinstance(outcome, rules.Applied):
            await uow.carnets.save(outcome.carnet)
            events = outcome.events
        elif isinstance(outcome, rules.Refused):
            events = [
                ev.CommandRefused(
                    command_id=command.message_id,
                    command_type=command.type,
                    declaration_number=getattr(command.payload, "declaration_number", None),
                    rule=outcome.rule,
                    reason=outcome.reason,
                )
            ]
        else:
            raise TypeError(f"cannot record {outcome!r}")
        # The outcome's size travels with each event, so a client knows when it has all of it.
        size = {OUTCOME_SIZE_HEADER: str(len(events))}
        for event in events:
            uow.publish(EVENTS_TOPIC, reply(event, to=command, occurred_at=now), size)
