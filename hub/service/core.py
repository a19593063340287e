"""The core consumer's use cases: a batch of messages in, one transaction, outcomes to the outbox.

Each message is decided by the pure rules (hub/domain) on the carnet as the messages before it left
it; the service layer only loads, routes and stores (hub/store/uow.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.batch import BatchResult, MessageScope, Unsettled, no_scope
from hub.contract.messages.envelope import OUTCOME_SIZE_HEADER, Envelope, decode, envelope, reply
from hub.contract.messages.ports import ASKING, BILGE
from hub.contract.topic_names import ATA_DECLARATION_EVENTS
from hub.contract.topics import TopicCatalog
from hub.domain import bilge, rules, ykts
from hub.domain import events as ev
from hub.domain.carnet import CarnetData
from hub.domain.commands import LodgeDeclaration
from hub.domain.model import Carnet
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.store.queries import carnets_with_deadlines_due, summary_opened_in_hub
from hub.store.uow import AlreadyProcessed, UnitOfWork

log = logging.getLogger(__name__)

CONSUMER = "hub-core"
TURKEY = rules.TURKEY


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
        clock_skew: timedelta = rules.DEFAULT_CLOCK_SKEW,
    ) -> None:
        self._offices = offices
        self._skew = clock_skew
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
                    result.skipped.append(message)  # applied before, or twice in this batch
                    continue
                fresh.discard(message.message_id)  # a second copy in the same poll is a redelivery too
                if message.carnet_number in held:
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
            with context.committing(result.applied):
                await uow.commit(now)
        self._on_commit()
        return result

    async def _read_ahead(self, uow: UnitOfWork, messages: Sequence[Envelope[Any]]) -> None:
        """One query each for the parked commands, the carnets and the declarations the batch names."""
        answers: list[Any] = [m.payload for m in messages if isinstance(m.payload, rules.LOOKUP_ANSWERS)]
        await uow.load_lookups(answer.request_id for answer in answers)  # every answer has one
        carnets = {m.carnet_number for m in messages if not isinstance(m.payload, rules.LOOKUP_ANSWERS)}
        await uow.carnets.load(carnets | uow.waiting_carnets())
        # Only what _context asks the store: a lodgement's own number (G1) and any referenced one; an
        # accept or an inspection names a declaration of its own carnet, already loaded.
        numbers = {m.payload.declaration_number for m in messages if isinstance(m.payload, LodgeDeclaration)}
        numbers |= {ref for m in messages if isinstance(ref := getattr(m.payload, "previous_declaration", None), str)}
        await uow.carnets.locate(numbers)

    async def _handle(self, uow: UnitOfWork, message: Envelope[Any], now: datetime) -> None:
        if isinstance(message.payload, bilge.SummaryClosureConfirmed):
            await self._closure_confirmed(uow, message, now)
        elif isinstance(message.payload, rules.LOOKUP_ANSWERS):
            await self._resume(uow, message.payload, now)
        else:
            carnet = await uow.carnets.get(message.carnet_number)
            await self._decide(uow, carnet, message, rules.Answers(), now)

    async def handle_command(self, message: Envelope[Any]) -> None:
        """One message alone (tests, tools): raises AlreadyProcessed for a redelivery, or its failure."""
        result = await self.handle_batch([message])
        if result.skipped:
            raise AlreadyProcessed(str(message.message_id))
        for unsettled in result.unsettled:
            if unsettled.error is not None:
                raise unsettled.error

    async def _decide(
        self, uow: UnitOfWork, carnet: Carnet | None, message: Envelope[Any], told: rules.Answers, now: datetime
    ) -> None:
        """Decide a command with what earlier look-ups answered: route a look-up to the system that
        answers it (hub/contract/messages/ports.py), or record the outcome."""
        cmd = message.payload
        # rule: V1, judged at its receipt on the hub's clock (stamped by hub/runtime/kafka/receipt.py); a message
        # handed in by a tool, never through the broker, is received now.
        received_at = message.received_at or now
        early = rules.keyed_to_its_carnet(cmd, message.carnet_number) or rules.dated_beyond_skew(
            message.occurred_at, received_at, self._skew
        )
        if early is not None:
            _tell_bilge(uow, carnet, message, early, now)
            await self._record(uow, early, message, now)
            return
        ctx = await self._context(uow, carnet, cmd, told)
        outcome = rules.decide(carnet, cmd, rules.clock_at_receipt(received_at), ctx)
        asking = ASKING.get(type(outcome))  # type: ignore[arg-type]  # None: not a look-up
        if asking is not None:
            uow.park_lookup(message.message_id, message, _answers_json(told))
            asked = envelope(
                asking.request(outcome, message.message_id),
                carnet_number=asking.key(outcome, message.carnet_number), occurred_at=now,
                correlation_id=message.correlation_id, causation_id=message.message_id,
            )  # fmt: skip
            uow.publish(asking.port.requests_topic, asked)
            return
        _tell_bilge(uow, carnet, message, outcome, now)
        if isinstance(outcome, rules.Refused) and outcome.rule == "L2" and ctx.legacy is not None:
            legacy = ctx.legacy
            anomaly = bilge.BilgeAnomalyReported(
                bilge_number=legacy.bilge_number, regime=legacy.regime, registered_on=legacy.registered_on,
                reason=outcome.reason,
            )  # fmt: skip
            uow.publish(ATA_DECLARATION_EVENTS, envelope(anomaly, carnet_number=message.carnet_number, occurred_at=now))
        await self._record(uow, outcome, message, now)

    async def _context(self, uow: UnitOfWork, carnet: Carnet | None, cmd: Any, told: rules.Answers) -> rules.Context:
        """What lies outside this carnet: where a reference lives, whether the number is taken (G1),
        and what TOBB or BİLGE answered for this command."""
        known = carnet.declarations if carnet is not None else {}

        async def elsewhere(number: str | None) -> str | None:
            return None if number is None or number in known else await uow.carnets.carnet_of(number)

        # rule: G1, a declaration number is registered once, on one carnet
        taken = await elsewhere(cmd.declaration_number) if isinstance(cmd, LodgeDeclaration) else None
        summary = told.summary
        opened = 0
        if summary is not None and isinstance(cmd, LodgeDeclaration) and cmd.summary is not None:
            # rule: S2, what live hub declarations opened of the part counts against what BİLGE says is open
            await uow.flush()  # the query reads the projection: it must see this batch's declarations
            opened = await summary_opened_in_hub(uow.conn, cmd.summary, exclude=cmd.declaration_number)
        return rules.Context(
            offices=self._offices,
            reference_carnet=await elsewhere(getattr(cmd, "previous_declaration", None)),
            number_taken_by=taken,
            summary=summary,
            summary_opened_in_hub=opened,
            legacy=told.legacy,
            cutover=self._cutover,
            tobb=told.tobb,
            authority=told.authority,
        )

    # --- answers of TOBB, BİLGE and YKTS ---------------------------------------------------------

    async def _resume(self, uow: UnitOfWork, result: Any, now: datetime) -> None:
        parked = await uow.take_lookup(result.request_id)
        if parked is None:
            # Answered already, or not the core's question (GET-APP asks YKTS on the same topics).
            log.debug("answer to look-up %s: nothing waits for it", result.request_id)
            return
        text, stored = parked
        command = decode(text.encode(), {LodgeDeclaration.__name__})
        told = rules.take_answer(command.payload, _answers_of(stored), result)
        if isinstance(told, rules.Refused):
            await self._record(uow, told, command, now)
        else:
            await self._decide(uow, await uow.carnets.get(command.carnet_number), command, told, now)

    async def _closure_confirmed(self, uow: UnitOfWork, message: Envelope[Any], now: datetime) -> None:
        """S4: BİLGE closed the özet beyan part; the rules record it on the declaration, once."""
        # rule: S4
        applied = rules.record_closure(await uow.carnets.get(message.carnet_number), message.payload)
        if applied is None:
            return
        uow.carnets.put(applied.carnet)
        for event in applied.events:
            uow.publish(ATA_DECLARATION_EVENTS, reply(event, to=message, occurred_at=now))

    # --- V2 ------------------------------------------------------------------------------------

    async def check_deadlines(self, today: date, warn_days: int) -> int:
        """V2: publish 'deadline approaching' and 'deadline passed' once each; returns how many."""
        # rule: V2
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
                    uow.publish(ATA_DECLARATION_EVENTS, envelope(event, carnet_number=carnet_number, occurred_at=now))
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
            for closure in rules.closures(outcome.carnet, events):  # rule: S4, BİLGE is told with the completion
                uow.publish(BILGE.requests_topic, reply(closure, to=command, occurred_at=now))
        elif isinstance(outcome, rules.Refused):
            events = [
                ev.CommandRefused(
                    command_id=command.message_id,
                    command_type=command.type,
                    declaration_number=getattr(command.payload, "declaration_number", None),
                    rule=outcome.rule,
                    reason=outcome.reason,
                    tcgb=_tcgb_refused(command.payload, outcome),
                )
            ]
        else:
            raise TypeError(f"cannot record {outcome!r}")
        # The outcome's size travels with each event, so a client knows when it has all of it.
        size = {OUTCOME_SIZE_HEADER: str(len(events))}
        for event in events:
            uow.publish(ATA_DECLARATION_EVENTS, reply(event, to=command, occurred_at=now), size)


def _tcgb_refused(payload: Any, refused: rules.Refused) -> ev.TcgbReference | None:
    """F2: a refused TCGB names itself, with the items that failed when the rule found some."""
    # rule: F2
    if not isinstance(payload, bilge.DrawDownByTcgb):
        return None
    return refused.tcgb or rules.tcgb_named(payload)


def _tell_bilge(
    uow: UnitOfWork, carnet: Carnet | None, message: Envelope[Any], outcome: rules.Outcome, now: datetime
) -> None:
    """F2: BİLGE is told what became of a TCGB's drawing-down, applied or refused."""
    # rule: F2
    if isinstance(message.payload, bilge.DrawDownByTcgb):
        answer = rules.tcgb_answer(carnet, message.payload, outcome)
        uow.publish(BILGE.requests_topic, reply(answer, to=message, occurred_at=now))


def _answers_json(told: rules.Answers) -> dict[str, Any]:
    """What a parked command has been told, as the store keeps it (pending_lookups.answers)."""
    kept: dict[str, Any] = {}
    if told.tobb is not None:
        found = told.tobb.found
        kept["tobb"] = {"carnet": found.model_dump(mode="json") if found is not None else None}
    for name in ("summary", "legacy", "authority"):
        value = getattr(told, name)
        if value is not None:
            kept[name] = value.model_dump(mode="json")
    return kept


def _answers_of(kept: dict[str, Any]) -> rules.Answers:
    tobb = kept.get("tobb")
    found = tobb["carnet"] if tobb is not None else None
    return rules.Answers(
        tobb=rules.TobbAnswer(CarnetData.model_validate(found) if found is not None else None) if tobb else None,
        summary=bilge.SummaryFound.model_validate(kept["summary"]) if "summary" in kept else None,
        legacy=bilge.LegacyDeclaration.model_validate(kept["legacy"]) if "legacy" in kept else None,
        authority=ykts.AuthorityChecked.model_validate(kept["authority"]) if "authority" in kept else None,
    )
