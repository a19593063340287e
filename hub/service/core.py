"""The core consumer's use cases: one message in, one transaction, outcomes to the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain import events as ev
from hub.domain import rules
from hub.domain.commands import AcceptDeclaration, CompleteInspection, LodgeDeclaration
from hub.messages.envelope import Envelope, decode, reply
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
    ) -> None:
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
            clock = clock_of(message)
            outcome: rules.Outcome
            if isinstance(cmd, LodgeDeclaration):
                if cmd.carnet_number != message.carnet_number:
                    outcome = rules.Refused("G1", "the message key and the declaration name different carnets")
                else:
                    outcome = rules.lodge(carnet, cmd, clock)
            elif isinstance(cmd, AcceptDeclaration):
                outcome = rules.accept(carnet, cmd, clock)
            elif isinstance(cmd, CompleteInspection):
                outcome = rules.complete_inspection(carnet, cmd, clock)
            else:  # the topic's declared types are all above; decode() let nothing else through
                raise TypeError(f"not a command: {message.type}")
            if isinstance(outcome, rules.LookUpCarnet):
                await uow.park_lookup(message.message_id, message)
                request = ev.CarnetLookupRequested(request_id=message.message_id, carnet_number=outcome.carnet_number)
                uow.publish(TOBB_REQUESTS_TOPIC, reply(request, to=message, occurred_at=now))
            else:
                await self._record(uow, outcome, message, now)
            await uow.commit(now)
        self._on_commit()

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
                outcome = rules.lodge_with_tobb_answer(carnet, cmd, found, clock_of(command))
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
        for event in events:
            uow.publish(EVENTS_TOPIC, reply(event, to=command, occurred_at=now))
