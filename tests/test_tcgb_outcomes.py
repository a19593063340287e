"""TCGB outcomes that can be found (issue 14, part 5): a TCGB's drawing-down is found by the id
docs/messages.md publishes, and its outcome names the TCGB and its items (F1, F2).

The TCGB goes the real way: BİLGE's XML through the BİLGE adapter's service (adapters/bilge/service.py),
which publishes one DrawDownByTcgb per carnet; the core (hub/service/core.py) applies it on a real
store, SQLite and PostgreSQL; its outcome is read from the outbox, as the relay would send it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bilge.service import BilgeService, drawdown_id
from adapters.bilge.simulator import sample_tcgb_xml
from adapters.bilge.xml import parse_tcgb
from hub.contract.messages.envelope import Envelope, decode, envelope
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS
from hub.contract.topics import PROJECT_ROOT, catalog
from hub.domain import bilge
from hub.domain.events import TcgbItemDrawn, TcgbReference
from hub.service.core import CoreService
from hub.store.tables import outbox
from tests.domain.builders import BORDER, accept, carnet_data, inspect, lodge

AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)  # 12:30 in Türkiye, the carnet valid until 1 March 2027
CARNET = "DE/2026/A-1"
ENTRY = "220100ATA00004201"  # a 5800 at Kapıkule, goods lines 1 (12 pieces) and 2 (1 piece)
TCGB = "26220100IM000321"  # a final import (4000) lodged in BİLGE at Kapıkule


class _NoBilge:
    """The adapter's BİLGE client: never called for an inbound TCGB."""

    async def fetch_legacy(self, bilge_number: str) -> bilge.LegacyDeclaration | None:
        raise AssertionError("not asked")

    async def fetch_summary(self, summary_number: str) -> tuple[str, tuple[bilge.SummaryPart, ...]] | None:
        raise AssertionError("not asked")

    async def send_closure(self, closure: bilge.SummaryClosureRequested) -> None:
        raise AssertionError("not asked")

    async def send_tcgb_answer(self, answer: bilge.TcgbAnswered) -> None:
        raise AssertionError("not asked")


class _Published:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Envelope[Any]]] = []

    async def publish(self, topic: str, message: Envelope[Any]) -> None:
        self.messages.append((topic, message))

    async def publish_many(self, topic: str, messages: Sequence[Envelope[Any]]) -> None:
        self.messages.extend((topic, message) for message in messages)


def documented_command_id(tcgb_number: str, carnet_number: str) -> uuid.UUID:
    """The recipe as docs/messages.md tells an integrator, with the namespace read from that page."""
    page = (PROJECT_ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
    section = page.split("## Correlating a TCGB with what the hub did", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"in the namespace\s+`([0-9a-f-]{36})`", section)
    assert found, "docs/messages.md publishes no namespace"
    assert "uuid5(namespace, <tcgb>|<carnet>)" in section
    return uuid.uuid5(uuid.UUID(found.group(1)), f"{tcgb_number}|{carnet_number}")


def _received(command: BaseModel, at: datetime, sent_by: str = "frontend", **ids: Any) -> Envelope[Any]:
    message = envelope(command, carnet_number=CARNET, occurred_at=at, **ids)
    return message.model_copy(update={"received_at": at, "sent_by": sent_by})


async def _inspected_5800(core: CoreService) -> None:
    """A 5800 at Kapıkule, its foreign carnet typed in, accepted and inspected: open for drawing down."""
    carnet = carnet_data(number=CARNET)
    for i, command in enumerate((lodge(ENTRY, carnet=carnet), accept(ENTRY), inspect(ENTRY))):
        await core.handle_command(_received(command, AT - timedelta(hours=3 - i)))


async def _tcgb_through_the_adapter(rows: list[tuple[int, str, str, int, int]]) -> Envelope[Any]:
    """BİLGE's XML through the BİLGE adapter: the one DrawDownByTcgb it publishes for the carnet."""
    published = _Published()
    adapter = BilgeService(_NoBilge(), published, (), (), date(2021, 6, 2), now=lambda: AT)
    xml = sample_tcgb_xml(TCGB, "4000", BORDER, rows, registered_on=AT.date())
    await adapter.handle_inbound(parse_tcgb(xml))
    [(topic, command)] = published.messages
    assert topic == ATA_DECLARATION_COMMANDS and command.type == "DrawDownByTcgb"
    return command.model_copy(update={"received_at": AT, "sent_by": "adapter-bilge"})


async def _outcome_of(engine: AsyncEngine, command_id: uuid.UUID) -> dict[str, list[Envelope[Any]]]:
    """What the core sent because of the command, by topic: its events, and what BİLGE is told."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.topic, outbox.c.body).order_by(outbox.c.id))).all()
    sent: dict[str, list[Envelope[Any]]] = {}
    for row in rows:
        message = decode(row.body.encode())
        if message.causation_id == command_id:
            sent.setdefault(row.topic, []).append(message)
    return sent


def test_f2_the_documented_recipe_reproduces_the_adapters_command_id() -> None:
    # rule: F2 (the same TCGB for the same carnet is one command, whoever computes its id)
    for tcgb_number, carnet_number in ((TCGB, CARNET), ("26341200IM000123", "TR/2026/000123")):
        expected = documented_command_id(tcgb_number, carnet_number)
        assert drawdown_id(tcgb_number, carnet_number) == expected
        assert bilge.tcgb_command_id(tcgb_number, carnet_number) == expected


async def test_f1_f2_a_tcgb_drawing_down_is_found_by_its_id_and_names_the_tcgb_and_items(engine: AsyncEngine) -> None:
    # rule: F1 (a TCGB draws down e-ATA/TR declarations), F2 (its outcome names it, and BİLGE is told)
    core = CoreService(engine, catalog(), now=lambda: AT)
    await _inspected_5800(core)
    command = await _tcgb_through_the_adapter([(1, ENTRY, CARNET, 1, 12), (2, ENTRY, CARNET, 2, 1)])
    # An integrator who knows only the TCGB and the carnet computes the id of what the hub did.
    command_id = documented_command_id(TCGB, CARNET)
    assert command.message_id == command_id
    await core.handle_command(command)

    sent = await _outcome_of(engine, command_id)
    events = {e.type: e.payload for e in sent["ata.declaration.events"]}
    assert list(events) == ["GoodsDischarged", "DeclarationClosed"]
    named = TcgbReference(
        tcgb_number=TCGB,
        items=(
            TcgbItemDrawn(item_no=1, declaration_number=ENTRY, line_no=1, quantity=12),
            TcgbItemDrawn(item_no=2, declaration_number=ENTRY, line_no=2, quantity=1),
        ),
    )
    assert events["GoodsDischarged"].tcgb == named
    assert [(ln.line_no, ln.open) for ln in events["GoodsDischarged"].ledger] == [(1, 0), (2, 0)]
    assert events["DeclarationClosed"].tcgb == named  # closed by this TCGB: it says which
    [told] = sent["bilge.requests"]
    assert told.type == "TcgbAnswered" and told.payload.accepted and told.payload.tcgb_number == TCGB


async def test_f2_a_refused_tcgb_names_the_tcgb_and_the_item_that_failed(engine: AsyncEngine) -> None:
    # rule: F2 (all items or none; the refusal names the TCGB and the failing item, BİLGE is told which)
    core = CoreService(engine, catalog(), now=lambda: AT)
    await _inspected_5800(core)
    command = await _tcgb_through_the_adapter([(1, ENTRY, CARNET, 1, 4), (2, ENTRY, CARNET, 2, 5)])
    await core.handle_command(command)

    sent = await _outcome_of(engine, documented_command_id(TCGB, CARNET))
    [refusal] = sent["ata.declaration.events"]
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "F2"
    tcgb = refusal.payload.tcgb
    assert tcgb is not None and tcgb.tcgb_number == TCGB
    [failed] = tcgb.items  # item 1 could be applied: only item 2 failed
    assert (failed.item_no, failed.declaration_number, failed.line_no, failed.quantity) == (2, ENTRY, 2, 5)
    assert failed.problem == f"5 drawn down, only 1 open on {ENTRY} line 2"
    [told] = sent["bilge.requests"]
    assert [(i.item_no, i.accepted) for i in told.payload.items] == [(1, False), (2, False)]
