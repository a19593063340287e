"""What the path scenarios share: officers of each office, one carnet's traffic, and the store's view.

Every step is one command through the real broker and its whole outcome (`HubClient.outcome`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub.contract.messages.envelope import Envelope
from hub.domain.carnet import CarnetData
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CompleteInspection,
    DeclarantIn,
    LineQuantity,
    LodgeDeclaration,
)
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.store.tables import declaration_lines, declarations
from tests.e2e.helpers import carnet_valid_today, holder_of


@dataclass(frozen=True)
class Office:
    """A customs office with one officer of each profile (C1)."""

    code: str
    liaison: Actor
    inspector: Actor
    director: Actor


def office(code: str) -> Office:
    return Office(
        code=code,
        liaison=Actor(role="liaison", office=code, officer_id=f"irtibat-{code}"),
        inspector=Actor(role="inspection_officer", office=code, officer_id=f"muayene-{code}"),
        director=Actor(role="director", office=code, officer_id=f"mudur-{code}"),
    )


KAPIKULE = office("220100")  # border
CILVEGOZU = office("310100")  # border
ERENKOY = office("342000")  # inland


def number(at: Office) -> str:
    """A fresh e-ATA/TR declaration number of the office."""
    return f"{at.code}ATA{uuid.uuid4().hex[:10].upper()}"


def foreign_carnet(**kwargs: Any) -> CarnetData:
    """A foreign carnet of the test's own, so no other test touches its ledger."""
    return carnet_valid_today(f"DE/2026/P-{uuid.uuid4().hex[:8].upper()}", **kwargs)


def lines(*pairs: tuple[int, int]) -> tuple[LineQuantity, ...]:
    return tuple(LineQuantity(line_no=n, quantity=q) for n, q in pairs)


def summary(events: list[Envelope[Any]]) -> list[tuple[str, str | None, str | None]]:
    """(type, declaration, closing rule) of each event: what an officer reads off an outcome."""
    return [(e.type, getattr(e.payload, "declaration_number", None), getattr(e.payload, "rule", None)) for e in events]


def ledger(event: Envelope[Any]) -> list[tuple[int, int, int, int]]:
    """(line, entered, discharged, open) of an event's ledger (G7)."""
    return [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in event.payload.ledger]


def declared(event: Envelope[Any]) -> list[tuple[int, int]]:
    """(line, quantity) of a DeclarationLodged."""
    return [(ln.line_no, ln.quantity) for ln in event.payload.lines]


class CarnetFlow:
    """One carnet's declarations, driven through Kafka as the back ends would."""

    def __init__(self, client: HubClient, carnet_number: str, declarant: DeclarantIn | None = None) -> None:
        self.client = client
        self.carnet_number = carnet_number
        self.declarant = declarant or holder_of(carnet_number)

    async def call(self, command: Any) -> list[Envelope[Any]]:
        """Every event of the command's outcome, without the carnet record of a first use."""
        events = await self.client.outcome(await self.client.send(command, self.carnet_number))
        return [e for e in events if e.type != "CarnetRecorded"]

    async def refused(self, command: Any) -> Any:
        """The refusal the command must end in."""
        events = await self.call(command)
        assert [e.type for e in events] == ["CommandRefused"], summary(events)
        return events[0].payload

    def lodge_command(self, regime: str, at: Office, **fields: Any) -> LodgeDeclaration:
        fields.setdefault("declaration_number", number(at))
        fields.setdefault("declarant", self.declarant)
        return LodgeDeclaration(carnet_number=self.carnet_number, regime=regime, customs_office=at.code, **fields)

    async def lodge(self, regime: str, at: Office, **fields: Any) -> Envelope[Any]:
        """Lodge, and insist on its registration: the DeclarationLodged event."""
        events = await self.call(self.lodge_command(regime, at, **fields))
        assert [e.type for e in events] == ["DeclarationLodged"], [(e.type, e.payload) for e in events]
        assert events[0].payload.status == "lodged"
        return events[0]

    async def accept(self, declaration: str, by: Office) -> None:
        events = await self.call(AcceptDeclaration(declaration_number=declaration, actor=by.liaison))
        assert summary(events) == [("DeclarationAccepted", declaration, None)], [e.payload for e in events]

    async def inspect(self, declaration: str, by: Office) -> list[Envelope[Any]]:
        """Complete inspection: the InspectionCompleted first, then whatever it closes with it."""
        events = await self.call(CompleteInspection(declaration_number=declaration, actor=by.inspector))
        assert events and events[0].type == "InspectionCompleted", [(e.type, e.payload) for e in events]
        assert events[0].payload.status == "inspection_completed"
        return events

    async def through_inspection(
        self, regime: str, at: Office, inspected_at: Office | None = None, **fields: Any
    ) -> tuple[Envelope[Any], list[Envelope[Any]]]:
        """Lodge, accept at the lodging office, inspect (at the destination for a ÇIKIŞ)."""
        lodged = await self.lodge(regime, at, **fields)
        await self.accept(lodged.payload.declaration_number, at)
        return lodged, await self.inspect(lodged.payload.declaration_number, inspected_at or at)


@dataclass(frozen=True)
class Stored:
    """A declaration as the store's projection holds it."""

    status: str
    closed_by: str | None
    discharge_deadline: Any
    deadline_warned: bool
    deadline_passed: bool
    lines: dict[int, tuple[int, int]]  # line -> (quantity, discharged)


async def stored(stack: Stack, *numbers: str) -> dict[str, Stored]:
    """The stored declarations among `numbers` (absent ones are simply missing)."""
    engine = stack.core.engine
    assert engine is not None
    async with engine.connect() as conn:
        rows = (await conn.execute(select(declarations).where(declarations.c.declaration_number.in_(numbers)))).all()
        found = (
            await conn.execute(select(declaration_lines).where(declaration_lines.c.declaration_number.in_(numbers)))
        ).all()
    return {
        r.declaration_number: Stored(
            status=r.status,
            closed_by=r.closed_by,
            discharge_deadline=r.discharge_deadline,
            deadline_warned=r.deadline_warned,
            deadline_passed=r.deadline_passed,
            lines={
                ln.line_no: (ln.quantity, ln.discharged)
                for ln in found
                if ln.declaration_number == r.declaration_number
            },
        )
        for r in rows
    }
