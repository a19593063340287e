"""Read side of the store: questions across carnets, answered from the declarations projection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.bilge import SummaryOpening
from hub.domain.model import Carnet, Declaration, LineDocument, Regime, Status
from hub.domain.visibility import SEEN_EVERYWHERE, may_see
from hub.store.carnets import load_state
from hub.store.tables import carnets, declarations


async def carnets_with_deadlines_due(conn: AsyncConnection, until: date) -> list[str]:
    """Carnets with an open regime entry whose deadline falls on or before `until`, not yet reported."""
    rows = await conn.execute(
        select(declarations.c.carnet_number)
        .where(
            declarations.c.regime.in_([Regime.TEMPORARY_IMPORT.value, Regime.TEMPORARY_EXPORT.value]),
            declarations.c.status == Status.INSPECTION_COMPLETED.value,
            declarations.c.discharge_deadline <= until,
            declarations.c.deadline_passed.is_(False),
        )
        .distinct()
        .order_by(declarations.c.carnet_number)
    )
    return [r.carnet_number for r in rows]


@dataclass(frozen=True)
class LineView:
    line_no: int
    description: str
    quantity: int
    discharged: int
    open: int
    documents: tuple[LineDocument, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class DeclarationView:
    """A declaration as an office sees it, with its lines' documents and explanations (C3)."""

    declaration_number: str
    carnet_number: str
    holder_name: str
    regime: str
    customs_office: str
    destination_office: str | None
    status: str
    previous_declaration: str | None
    discharge_deadline: date | None
    closed_by: str | None
    lines: tuple[LineView, ...]


def _view(carnet: Carnet, d: Declaration) -> DeclarationView:
    return DeclarationView(
        declaration_number=d.number,
        carnet_number=carnet.number,
        holder_name=carnet.data.holder_name,
        regime=d.regime.value,
        customs_office=d.customs_office,
        destination_office=d.destination_office,
        status=d.status.value,
        previous_declaration=d.previous_declaration,
        discharge_deadline=d.discharge_deadline,
        closed_by=d.closed_by,
        lines=tuple(
            LineView(ln.line_no, carnet.description(ln.line_no), ln.quantity, ln.discharged, ln.open,
                     tuple(ln.documents), tuple(ln.notes))
            for ln in sorted(d.lines.values(), key=lambda x: x.line_no)
        ),
    )  # fmt: skip


def visible(office: str) -> ColumnElement[bool]:
    """The SQL form of hub.domain.visibility.may_see: a condition on `declarations` (C2)."""
    # rule: C2
    return or_(
        declarations.c.status.in_([s.value for s in SEEN_EVERYWHERE]),
        declarations.c.customs_office == office,
        and_(
            declarations.c.regime == Regime.TRANSIT_OUT.value,
            declarations.c.status == Status.ACCEPTED.value,
            declarations.c.destination_office == office,
        ),
    )


async def carnets_by_number(conn: AsyncConnection, numbers: set[str]) -> dict[str, Carnet]:
    """The carnets (with their declarations, lines, documents and notes) of these numbers, in one query."""
    rows = await conn.execute(
        select(carnets.c.carnet_number, carnets.c.state).where(carnets.c.carnet_number.in_(numbers))
    )
    return {r.carnet_number: load_state(r.state) for r in rows}


async def visible_to(conn: AsyncConnection, office: str) -> list[DeclarationView]:
    """C2: every declaration customs office `office` may see, in declaration-number order."""
    rows = (
        await conn.execute(
            select(declarations.c.declaration_number, declarations.c.carnet_number)
            .where(visible(office))
            .order_by(declarations.c.declaration_number)
        )
    ).all()
    states = await carnets_by_number(conn, {r.carnet_number for r in rows})
    return [_view(states[r.carnet_number], states[r.carnet_number].declarations[r.declaration_number]) for r in rows]


async def seen_by(conn: AsyncConnection, number: str, office: str) -> tuple[Carnet, Declaration] | None:
    """A declaration and its carnet, if `office` may see it (C2); None as for an unknown number."""
    row = (
        await conn.execute(select(declarations.c.carnet_number).where(declarations.c.declaration_number == number))
    ).first()
    if row is None:
        return None
    carnet = (await carnets_by_number(conn, {row.carnet_number}))[row.carnet_number]
    d = carnet.declarations[number]
    return (carnet, d) if may_see(d, office) else None


async def declaration_for(conn: AsyncConnection, number: str, office: str) -> DeclarationView | None:
    """One declaration with its lines, documents and notes, if `office` may see it (C2, C3)."""
    seen = await seen_by(conn, number, office)
    return None if seen is None else _view(*seen)


async def summary_opened_in_hub(conn: AsyncConnection, opening: SummaryOpening, exclude: str) -> int:
    """Packages of an özet beyan part that live hub declarations opened and BİLGE has not closed (S2)."""
    # rule: S2
    line = declarations.c.transport_line
    rows = await conn.execute(
        select(func.coalesce(func.sum(declarations.c.summary_packages), 0)).where(
            declarations.c.summary_number == opening.summary_number,
            declarations.c.transport_document == opening.transport_document,
            line.is_(None) if opening.transport_line is None else line == opening.transport_line,
            declarations.c.summary_closed.is_(False),
            declarations.c.status.notin_([Status.REJECTED.value, Status.CANCELLED.value]),
            declarations.c.declaration_number != exclude,
        )
    )
    return int(rows.scalar_one())
