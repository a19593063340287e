"""The core consumer's use cases: a batch of messages in, one transaction, outcomes to the outbox.

Each message is decided by the pure rules (hub/domain) on the carnet as the messages before it left
it; the service layer only loads, routes and stores (hub/store/uow.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain import bilge, rules, ykts
from hub.domain import events as ev
from hub.domain.carnet import CarnetData
from hub.domain.commands import LodgeDeclaration
from hub.domain.model import Carnet
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.messages.batch import BatchResult, MessageScope, Unsettled, no_scope
from hub.messages.envelope import OUTCOME_SIZE_HEADER, Envelope, decode, envelope, reply
from hub.store.queries import carnets_with_deadlines_due, summary_opened_in_hub
from hub.store.uow import AlreadyProcessed, UnitOfWork
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

CONSUMER = "hub-core"
EVENTS_TOPIC = "ata.declaration.events"
TOBB_REQUESTS_TOPIC = "tobb.carnet.requests"
BILGE_REQUESTS_TOPIC = "bilge.requests"
YKTS_REQUESTS_TOPIC = "ykts.requests"
TURKEY = ZoneInfo("Europe/Istanbul")


# The answers of TOBB, BİLGE and YKTS that a parked command waits for.
_LOOKUP_ANSWERS = (
    ev.CarnetLookupSucceeded, ev.CarnetNotFound, ev.CarnetLookupFailed,
    ykts.AuthorityChecked, ykts.AuthorityCheckFailed,
    bilge.SummaryFound, bilge.SummaryNotFound, bilge.LegacyFound, bilge.LegacyNotFound, bilge.BilgeLookupFailed,
)  # fmt: skip


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
        cutover: date = rules.base.BILGE_CUTOVER,
    ) -> None:
        self._offices = offices
        self._cutover = cutover
        self._engine = engine
        self._catalog = catalog
        self._on_commit = on_commit  # wakes the outbox relay
        self._now = now

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._engine, self._catalog, CONSUMER)

    # --- a batch of commands and answers ---------------------------------------------------------

    async def handle_batch(self, messages: Sequence[Envelope[Any]], context: MessageScope = no_scope) -> BatchResult:
        """Apply what a poll returned in one transaction, each message in its partition's order.

        claim → load → decide → route → commit: the message ids are claimed in one insert, the
        carnets and parked look-ups the batch touches are read in one query each, every message is
        decided on the carnets as the messages before it left them, and what changed is written in
        bulk with one commit. A message whose handling fails is set apart with what it did undone;
        the later messages of its carnet wait behind it, so a carnet's commands stay in order.
        """
        result = BatchResult()
        async with self._uow() as uow:
            now = self._now()
            fresh = await uow.claim_all(messages, now)
            await self._read_ahead(uow, [m for m in messages if m.message_id in fresh])
            held: set[str] = set()  # carnets (keys) behind a failed message
            for message in messages:
                if message.message_id not in fresh:
                    result.skipped.append(message)
                elif message.carnet_number in held:
                    uow.release(message)
                    result.unsettled.append(Unsettled(message, None))
                else:
                    uow.begin_message()
                    try:
                        with context(message):
                            await self._handle(uow, message, now)
                    except Exception as exc:  # isolated: the rest of the batch goes on
                        uow.forget_message(message)
                        held.add(message.carnet_number)
                        result.unsettled.append(Unsettled(message, exc))
                    else:
                        result.applied.append(message)
            await uow.commit(now)
        self._on_commit()
        return result

    async def _read_ahead(self, uow: UnitOfWork, messages: Sequence[Envelope[Any]]) -> None:
        """One query each for the parked commands, the carnets and the declarations the batch names."""
        await uow.load_lookups(m.payload.request_id for m in messages if isinstance(m.payload, _LOOKUP_ANSWERS))
        carnets = {m.carnet_number for m in messages if not isinstance(m.payload, _LOOKUP_ANSWERS)}
        await uow.carnets.load(carnets | uow.waiting_carnets())
        numbers = set()
        for m in messages:
            for name in ("declaration_number", "previous_declaration"):
                value = getattr(m.payload, name, None)
                if isinstance(value, str):
                    numbers.add(value)
        await uow.carnets.locate(numbers)

    async def _handle(self, uow: UnitOfWork, message: Envelope[Any], now: datetime) -> None:
        if isinstance(message.payload, bilge.SummaryClosureConfirmed):
            await self._closure_confirmed(uow, message, now)
        elif isinstance(message.payload, _LOOKUP_ANSWERS):
            await self._resume(uow, message.payload, now)
        else:
            carnet = await uow.carnets.get(message.carnet_number)
            await self._decide(uow, carnet, message, {}, now)

    async def handle_command(self, message: Envelope[Any]) -> None:
        """One message alone (tests, tools): raises AlreadyProcessed for a redelivery, or its failure."""
        result = await self.handle_batch([message])
        if result.skipped:
            raise AlreadyProcessed(str(message.message_id))
        for unsettled in result.unsettled:
            if unsettled.error is not None:
                raise unsettled.error

    handle_lookup_result = handle_command

    async def _decide(
        self, uow: UnitOfWork, carnet: Carnet | None, message: Envelope[Any], answers: dict[str, Any], now: datetime
    ) -> None:
        """Decide a command with what earlier look-ups answered; ask for more, or record the outcome."""
        cmd = message.payload
        if getattr(cmd, "carnet_number", message.carnet_number) != message.carnet_number:
            await self._record(
                uow, rules.Refused("G1", "the message key and the command name different carnets"), message, now
            )
            return
        ctx = await self._context(uow, carnet, cmd, answers)
        outcome = rules.decide(carnet, cmd, clock_of(message), ctx)
        request: BaseModel | None = None
        topic = BILGE_REQUESTS_TOPIC
        if isinstance(outcome, rules.LookUpCarnet):
            request, topic = (
                ev.CarnetLookupRequested(request_id=message.message_id, carnet_number=outcome.carnet_number),
                TOBB_REQUESTS_TOPIC,
            )
        elif isinstance(outcome, rules.LookUpSummary):
            request = bilge.SummaryLookupRequested(request_id=message.message_id, summary_number=outcome.summary_number)
        elif isinstance(outcome, rules.LookUpLegacy):
            request = bilge.LegacyLookupRequested(request_id=message.message_id, bilge_number=outcome.bilge_number)
        elif isinstance(outcome, rules.LookUpAuthority):
            request, topic = (
                ykts.AuthorityCheckRequested(
                    request_id=message.message_id, firm_vkn=outcome.firm_vkn, person_tckn=outcome.person_tckn
                ),
                YKTS_REQUESTS_TOPIC,
            )
        if request is not None:
            uow.park_lookup(message.message_id, message, answers)
            # Keyed like the topic says: the carnet, except ykts.requests, keyed by the firm's VKN.
            key = request.firm_vkn if isinstance(request, ykts.AuthorityCheckRequested) else message.carnet_number
            asked = envelope(
                request, carnet_number=key, occurred_at=now,
                correlation_id=message.correlation_id, causation_id=message.message_id,
            )  # fmt: skip
            uow.publish(topic, asked)
            return
        if isinstance(cmd, bilge.DrawDownByTcgb):  # BİLGE is told either way (F2)
            uow.publish(
                BILGE_REQUESTS_TOPIC, reply(rules.tcgb_answer(carnet, cmd, outcome), to=message, occurred_at=now)
            )
        if isinstance(outcome, rules.Refused) and outcome.rule == "L2" and ctx.legacy is not None:
            legacy = ctx.legacy
            anomaly = bilge.BilgeAnomalyReported(
                bilge_number=legacy.bilge_number, regime=legacy.regime, registered_on=legacy.registered_on,
                reason=outcome.reason,
            )  # fmt: skip
            uow.publish(EVENTS_TOPIC, envelope(anomaly, carnet_number=message.carnet_number, occurred_at=now))
        await self._record(uow, outcome, message, now)

    async def _context(
        self, uow: UnitOfWork, carnet: Carnet | None, cmd: Any, answers: dict[str, Any]
    ) -> rules.Context:
        """What lies outside this carnet: where a reference lives, whether the number is taken (G1),
        and what TOBB or BİLGE answered for this command."""
        known = carnet.declarations if carnet is not None else {}

        async def elsewhere(number: str | None) -> str | None:
            return None if number is None or number in known else await uow.carnets.carnet_of(number)

        taken = await elsewhere(cmd.declaration_number) if isinstance(cmd, LodgeDeclaration) else None
        summary = bilge.SummaryFound.model_validate(answers["summary"]) if "summary" in answers else None
        opened = 0
        if summary is not None and isinstance(cmd, LodgeDeclaration) and cmd.summary is not None:
            await uow.flush()  # the query reads the projection: it must see this batch's declarations
            opened = await summary_opened_in_hub(uow.conn, cmd.summary, exclude=cmd.declaration_number)
        return rules.Context(
            offices=self._offices,
            reference_carnet=await elsewhere(getattr(cmd, "previous_declaration", None)),
            number_taken_by=taken,
            summary=summary,
            summary_opened_in_hub=opened,
            legacy=bilge.LegacyDeclaration.model_validate(answers["legacy"]) if "legacy" in answers else None,
            cutover=self._cutover,
            tobb=_tobb_answer(answers),
            authority=ykts.AuthorityChecked.model_validate(answers["authority"]) if "authority" in answers else None,
        )

    # --- answers of TOBB, BİLGE and YKTS ---------------------------------------------------------

    async def _resume(self, uow: UnitOfWork, result: Any, now: datetime) -> None:
        parked = await uow.take_lookup(result.request_id)
        if parked is None:
            # Answered already, or not the core's question (GET-APP asks YKTS on the same topics).
            log.debug("answer to look-up %s: nothing waits for it", result.request_id)
            return
        text, answers = parked
        command = decode(text.encode(), {LodgeDeclaration.__name__})
        cmd: LodgeDeclaration = command.payload
        carnet = await uow.carnets.get(command.carnet_number)
        outcome: rules.Outcome | None = None
        match result:
            case ev.CarnetLookupFailed():
                outcome = rules.tobb_unavailable(cmd, result.reason)
            case ev.CarnetLookupSucceeded() | ev.CarnetNotFound():
                found = result.carnet if isinstance(result, ev.CarnetLookupSucceeded) else None
                answers["tobb"] = {"carnet": found.model_dump(mode="json") if found is not None else None}
            case ykts.AuthorityChecked():
                answers["authority"] = result.model_dump(mode="json")
            case ykts.AuthorityCheckFailed():
                outcome = rules.authority_unavailable(cmd, result.firm_vkn, result.reason)
            case bilge.SummaryFound():
                answers["summary"] = result.model_dump(mode="json")
            case bilge.LegacyFound():
                answers["legacy"] = result.declaration.model_dump(mode="json")
            case bilge.SummaryNotFound():
                outcome = rules.Refused("S1", f"BİLGE has no özet beyan {result.summary_number}")
            case bilge.LegacyNotFound():
                outcome = rules.Refused("L1", f"BİLGE has no declaration {result.bilge_number}")
            case bilge.BilgeLookupFailed():
                rule = "S2" if cmd.summary and cmd.summary.summary_number == result.reference else "L1"
                outcome = rules.Refused(
                    rule, f"{result.reference} could not be fetched from BİLGE ({result.reason}); lodge again later"
                )
        if outcome is None:
            await self._decide(uow, carnet, command, answers, now)
        else:
            await self._record(uow, outcome, command, now)

    async def _closure_confirmed(self, uow: UnitOfWork, message: Envelope[Any], now: datetime) -> None:
        """S4: BİLGE closed the özet beyan part; record it on the declaration, once."""
        confirmed: bilge.SummaryClosureConfirmed = message.payload
        carnet = await uow.carnets.get(message.carnet_number)
        declaration = carnet.declarations.get(confirmed.declaration_number) if carnet else None
        if carnet is None or declaration is None or declaration.summary_closed:
            return
        event = ev.SummaryClosureRecorded(
            declaration_number=confirmed.declaration_number,
            summary_number=confirmed.summary_number,
            closure_id=confirmed.closure_id,
        )
        decision = rules.base.Decision(carnet)
        decision.emit(event)
        uow.carnets.put(decision.applied().carnet)
        uow.publish(EVENTS_TOPIC, reply(event, to=message, occurred_at=now))

    # --- V2 ------------------------------------------------------------------------------------

    async def check_deadlines(self, today: date, warn_days: int) -> int:
        """V2: publish 'deadline approaching' and 'deadline passed' once each; returns how many."""
        due = await self._carnets_due(today, warn_days)
        if not due:
            return 0
        published = 0
        async with self._uow() as uow:
            now = self._now()
            await uow.carnets.load(set(due))
            for carnet_number in due:
                carnet = await uow.carnets.get(carnet_number)
                if carnet is None:
                    continue
                applied = rules.check_deadlines(carnet, rules.Clock(now=now, today=today), warn_days)
                if not applied.events:
                    continue
                uow.carnets.put(applied.carnet)
                for event in applied.events:
                    uow.publish(EVENTS_TOPIC, envelope(event, carnet_number=carnet_number, occurred_at=now))
                published += len(applied.events)
            await uow.commit(now)
        if published:
            self._on_commit()
        return published

    async def _carnets_due(self, today: date, warn_days: int) -> list[str]:
        async with self._engine.connect() as conn:
            return await carnets_with_deadlines_due(conn, today + timedelta(days=warn_days))

    # --- outcomes ------------------------------------------------------------------------------

    async def _record(self, uow: UnitOfWork, outcome: rules.Outcome, command: Envelope[Any], now: datetime) -> None:
        """Store an outcome: the new state and its events, or the refusal. Either way, one outcome."""
        events: list[BaseModel]
        if isinstance(outcome, rules.Applied):
            uow.carnets.put(outcome.carnet)
            events = outcome.events
            for closure in rules.closures(outcome.carnet, events):  # S4: BİLGE is told with the completion
                uow.publish(BILGE_REQUESTS_TOPIC, reply(closure, to=command, occurred_at=now))
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


def _tobb_answer(answers: dict[str, Any]) -> rules.TobbAnswer | None:
    if "tobb" not in answers:
        return None
    found = answers["tobb"]["carnet"]
    return rules.TobbAnswer(CarnetData.model_validate(found) if found is not None else None)
