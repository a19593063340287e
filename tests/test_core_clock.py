"""The core judges a command on the hub's clock (V1): at its receipt, stamped at the edge, never at the
`occurred_at` its sender wrote; and records with each outcome the sender whose signature it checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope, decode, envelope
from hub.contract.topics import catalog
from hub.domain.bilge import DrawDownByTcgb, TcgbRow
from hub.domain.commands import LodgeDeclaration
from hub.domain.events import TcgbReference
from hub.service.core import CoreService
from hub.store.tables import outbox
from tests.domain.builders import carnet_data, lodge

# 23:58 on 1 March in Türkiye; the hub receives the command at 00:01 on 2 March, three minutes on.
ISSUED = datetime(2027, 3, 1, 20, 58, tzinfo=UTC)
RECEIVED = ISSUED + timedelta(minutes=3)


def received(command: BaseModel, carnet_number: str, occurred_at: datetime, at: datetime) -> Envelope[Any]:
    """A command as the core's consumer hands it over: stamped with its receipt and its verified sender."""
    message = envelope(command, carnet_number=carnet_number, occurred_at=occurred_at)
    return message.model_copy(update={"received_at": at, "sent_by": "frontend"})


async def decided(
    engine: AsyncEngine, command: LodgeDeclaration, issued: datetime, at: datetime
) -> list[Envelope[Any]]:
    """The outcome of `command`, issued at `issued` and received by the hub at `at`."""
    message = received(command, command.carnet_number, issued, at)
    await CoreService(engine, catalog(), now=lambda: at).handle_command(message)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.body).order_by(outbox.c.id))).all()
    return [m for m in (decode(r.body.encode()) for r in rows) if m.causation_id == message.message_id]


async def test_v1_a_back_dated_5800_is_refused_on_a_carnet_expired_at_its_receipt(engine: AsyncEngine) -> None:
    # rule: V1 (the issue's case: dated ten days back, the carnet expired two days before the receipt)
    at = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    command = lodge("V1-BACK", carnet=carnet_data(number="DE/2026/V-1", valid_until=date(2027, 3, 1)))

    (refusal,) = await decided(engine, command, at - timedelta(days=10), at)

    assert refusal.type == "CommandRefused" and refusal.payload.rule == "V1"
    assert "10 d before the hub received it" in refusal.payload.reason


async def test_v1_a_command_is_judged_at_its_receipt_not_at_its_occurred_at(engine: AsyncEngine) -> None:
    # rule: V1 (issued on the carnet's last day, within the skew, but received the day after in Türkiye)
    command = lodge("V1-EDGE", carnet=carnet_data(number="DE/2026/V-2", valid_until=date(2027, 3, 1)))

    (refusal,) = await decided(engine, command, ISSUED, RECEIVED)

    assert refusal.type == "CommandRefused" and refusal.payload.rule == "V1"
    assert "expired" in refusal.payload.reason


async def test_every_outcome_names_the_sender_of_its_command(engine: AsyncEngine) -> None:
    # rule: V1 (judged at the receipt, on a carnet valid then)
    command = lodge("SENT-BY", carnet=carnet_data(number="DE/2026/V-3", valid_until=date(2027, 3, 2)))

    events = await decided(engine, command, ISSUED, RECEIVED)

    assert [e.type for e in events] == ["CarnetRecorded", "DeclarationLodged"]
    assert {e.sent_by for e in events} == {"frontend"}


async def test_f2_v1_bilge_is_told_of_a_tcgb_drawdown_refused_on_the_hubs_clock(engine: AsyncEngine) -> None:
    # rule: F2 (BİLGE is told either way), V1 (a draw-down dated a day before its receipt is refused)
    at = RECEIVED
    drawdown = DrawDownByTcgb(
        tcgb_number="27220100IM000001", regime="4000", customs_office="220100", registered_on=date(2027, 3, 1),
        rows=(TcgbRow(item_no=1, declaration_number="V1-TCGB", line_no=1, quantity=1),),
    )  # fmt: skip
    message = envelope(drawdown, carnet_number="DE/2026/V-4", occurred_at=at - timedelta(days=1))
    message = message.model_copy(update={"received_at": at, "sent_by": "adapter-bilge"})
    await CoreService(engine, catalog(), now=lambda: at).handle_command(message)

    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.topic, outbox.c.body).order_by(outbox.c.id))).all()
    sent = {row.topic: decode(row.body.encode()) for row in rows}
    refusal, told = sent["ata.declaration.events"], sent["bilge.requests"]
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "V1"
    # Refused as a whole, before its items were looked at: the TCGB is named, no item is blamed.
    assert refusal.payload.tcgb == TcgbReference(tcgb_number="27220100IM000001", items=())
    assert told.type == "TcgbAnswered" and not told.payload.accepted and told.payload.rule == "V1"
    assert [item.reason for item in told.payload.items] == [refusal.payload.reason]  # the refusal's own reason
