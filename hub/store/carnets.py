"""Repository of carnet aggregates: load one carnet whole, save what changed."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.carnet import CarnetData
from hub.domain.model import (
    Carnet,
    CarnetSource,
    Declarant,
    Declaration,
    DeclarationLine,
    OfficeKind,
    Regime,
    Status,
)
from hub.store.tables import carnets, declaration_lines, declarations


class ConcurrencyConflict(RuntimeError):
    """Someone else changed the carnet since it was loaded; the message is handled again."""


@dataclass
class CarnetRepository:
    conn: AsyncConnection
    _seen: dict[str, Carnet] = field(default_factory=dict)

    async def get(self, carnet_number: str) -> Carnet | None:
        row = (await self.conn.execute(select(carnets).where(carnets.c.carnet_number == carnet_number))).first()
        if row is None:
            return None
        decl_rows = (
            await self.conn.execute(select(declarations).where(declarations.c.carnet_number == carnet_number))
        ).all()
        numbers = [d.declaration_number for d in decl_rows]
        line_rows = (
            (
                await self.conn.execute(
                    select(declaration_lines).where(declaration_lines.c.declaration_number.in_(numbers))
                )
            ).all()
            if numbers
            else []
        )
        lines: dict[str, dict[int, DeclarationLine]] = {n: {} for n in numbers}
        for ln in line_rows:
            lines[ln.declaration_number][ln.line_no] = DeclarationLine(ln.line_no, ln.quantity, ln.discharged)
        carnet = Carnet(
            data=CarnetData.model_validate_json(row.data),
            source=CarnetSource(row.source),
            declarations={d.declaration_number: _declaration(d, lines[d.declaration_number]) for d in decl_rows},
            version=row.version,
        )
        self._seen[carnet_number] = copy.deepcopy(carnet)
        return carnet

    async def save(self, carnet: Carnet) -> None:
        """Write the carnet; fails with ConcurrencyConflict if it changed since `get`."""
        before = self._seen.get(carnet.number)
        values = {"source": carnet.source.value, "data": carnet.data.model_dump_json()}
        if before is None:
            await self.conn.execute(insert(carnets).values(carnet_number=carnet.number, version=1, **values))
            carnet.version = 1
        else:
            result = await self.conn.execute(
                update(carnets)
                .where(carnets.c.carnet_number == carnet.number, carnets.c.version == before.version)
                .values(version=before.version + 1, **values)
            )
            if result.rowcount != 1:
                raise ConcurrencyConflict(f"carnet {carnet.number} changed since it was loaded")
            carnet.version = before.version + 1
        old = before.declarations if before else {}
        for number, decl in carnet.declarations.items():
            previous = old.get(number)
            if previous == decl:
                continue
            row = _declaration_row(carnet.number, decl)
            if previous is None:
                await self.conn.execute(insert(declarations).values(**row))
            else:
                await self.conn.execute(
                    update(declarations).where(declarations.c.declaration_number == number).values(**row)
                )
            for line in decl.lines.values():
                was = previous.lines.get(line.line_no) if previous else None
                if was == line:
                    continue
                line_values = {"quantity": line.quantity, "discharged": line.discharged}
                if was is None:
                    await self.conn.execute(
                        insert(declaration_lines).values(declaration_number=number, line_no=line.line_no, **line_values)
                    )
                else:
                    await self.conn.execute(
                        update(declaration_lines)
                        .where(
                            declaration_lines.c.declaration_number == number,
                            declaration_lines.c.line_no == line.line_no,
                        )
                        .values(**line_values)
                    )
        self._seen[carnet.number] = copy.deepcopy(carnet)


def _declaration(row: object, lines: dict[int, DeclarationLine]) -> Declaration:
    r = row._mapping  # type: ignore[attr-defined]
    return Declaration(
        number=r["declaration_number"],
        regime=Regime(r["regime"]),
        customs_office=r["customs_office"],
        office_kind=OfficeKind(r["office_kind"]),
        status=Status(r["status"]),
        declarant=Declarant(
            id_kind=r["declarant_kind"],
            id_value=r["declarant_id"],
            name=r["declarant_name"],
            acts_as=r["declarant_acts_as"],
        ),
        lodged_at=r["lodged_at"],
        lines=lines,
        previous_declaration=r["previous_declaration"],
        destination_office=r["destination_office"],
        transit_period_days=r["transit_period_days"],
        vehicle_plate=r["vehicle_plate"],
        accepted_by=r["accepted_by"],
        inspected_by=r["inspected_by"],
        discharge_deadline=r["discharge_deadline"],
    )


def _declaration_row(carnet_number: str, d: Declaration) -> dict[str, object]:
    return {
        "declaration_number": d.number,
        "carnet_number": carnet_number,
        "regime": d.regime.value,
        "customs_office": d.customs_office,
        "office_kind": d.office_kind.value,
        "status": d.status.value,
        "declarant_kind": d.declarant.id_kind,
        "declarant_id": d.declarant.id_value,
        "declarant_name": d.declarant.name,
        "declarant_acts_as": d.declarant.acts_as,
        "lodged_at": d.lodged_at,
        "previous_declaration": d.previous_declaration,
        "destination_office": d.destination_office,
        "transit_period_days": d.transit_period_days,
        "vehicle_plate": d.vehicle_plate,
        "accepted_by": d.accepted_by,
        "inspected_by": d.inspected_by,
        "discharge_deadline": d.discharge_deadline,
    }
