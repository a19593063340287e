"""Repository of carnet aggregates: load one carnet whole, save it whole, keep the projection current."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import TypeAdapter
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.model import Carnet, Declaration
from hub.store.tables import carnets, declaration_lines, declarations

_STATE = TypeAdapter(Carnet)


class ConcurrencyConflict(RuntimeError):
    """Someone else changed the carnet since it was loaded; the message is handled again."""


def dump_state(carnet: Carnet) -> str:
    return _STATE.dump_json(carnet).decode()


def load_state(text: str) -> Carnet:
    return _STATE.validate_json(text)


@dataclass
class CarnetRepository:
    conn: AsyncConnection
    _seen: dict[str, Carnet] = field(default_factory=dict)

    async def get(self, carnet_number: str) -> Carnet | None:
        row = (
            await self.conn.execute(
                select(carnets.c.state, carnets.c.version).where(carnets.c.carnet_number == carnet_number)
            )
        ).first()
        if row is None:
            return None
        carnet = load_state(row.state)
        carnet.version = row.version
        self._seen[carnet_number] = load_state(row.state)
        self._seen[carnet_number].version = row.version
        return carnet

    async def carnet_of(self, declaration_number: str) -> str | None:
        """Which carnet a declaration belongs to, whichever carnet that is."""
        row = (
            await self.conn.execute(
                select(declarations.c.carnet_number).where(declarations.c.declaration_number == declaration_number)
            )
        ).first()
        return None if row is None else str(row.carnet_number)

    async def save(self, carnet: Carnet) -> None:
        """Write the carnet; fails with ConcurrencyConflict if it changed since `get`."""
        before = self._seen.get(carnet.number)
        values = {"source": carnet.source.value, "state": dump_state(carnet)}
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
            if old.get(number) != decl:
                await self._project(carnet.number, decl, is_new=number not in old)
        self._seen[carnet.number] = load_state(values["state"])
        self._seen[carnet.number].version = carnet.version

    async def _project(self, carnet_number: str, d: Declaration, is_new: bool) -> None:
        row = {
            "carnet_number": carnet_number,
            "regime": d.regime.value,
            "customs_office": d.customs_office,
            "office_kind": d.office_kind.value,
            "destination_office": d.destination_office,
            "status": d.status.value,
            "previous_declaration": d.previous_declaration,
            "declarant_kind": d.declarant.id_kind,
            "declarant_id": d.declarant.id_value,
            "lodged_at": d.lodged_at,
            "discharge_deadline": d.discharge_deadline,
            "deadline_warned": d.deadline_warned,
            "deadline_passed": d.deadline_passed,
            "closed_by": d.closed_by,
            "summary_number": d.summary.summary_number if d.summary else None,
            "transport_document": d.summary.transport_document if d.summary else None,
            "transport_line": d.summary.transport_line if d.summary else None,
            "summary_packages": d.summary.packages if d.summary else None,
            "summary_closed": d.summary_closed,
        }
        if is_new:
            await self.conn.execute(insert(declarations).values(declaration_number=d.number, **row))
        else:
            await self.conn.execute(
                update(declarations).where(declarations.c.declaration_number == d.number).values(**row)
            )
            await self.conn.execute(delete(declaration_lines).where(declaration_lines.c.declaration_number == d.number))
        await self.conn.execute(
            insert(declaration_lines),
            [
                {
                    "declaration_number": d.number,
                    "line_no": ln.line_no,
                    "quantity": ln.quantity,
                    "discharged": ln.discharged,
                }
                for ln in d.lines.values()
            ],
        )
