"""Repository of carnet aggregates for a batch of messages: load every carnet the batch touches in one
query, keep them in memory while the batch is decided, and write back only what changed, in bulk.

The domain never changes a carnet in place (hub/domain/evolve.py copies on write), so what changed is
found by identity: a declaration object that is not the one loaded was touched. The cost of saving a
carnet therefore follows what the batch did to it, not how long its history is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.model import Carnet, Declaration
from hub.store.tables import carnets, declaration_lines, declarations

_STATE = TypeAdapter(Carnet)


class ConcurrencyConflict(RuntimeError):
    """Someone else changed the carnet since it was loaded; the batch is handled again."""


def dump_state(carnet: Carnet) -> str:
    return _STATE.dump_json(carnet).decode()


def load_state(text: str) -> Carnet:
    return _STATE.validate_json(text)


# Bulk statements, bound by name (SQLAlchemy's executemany): one round trip for every row of a batch.
_UPDATE_CARNET = (
    update(carnets)
    .where(carnets.c.carnet_number == bindparam("b_number"), carnets.c.version == bindparam("b_version"))
    .values(source=bindparam("source"), state=bindparam("state"), version=bindparam("version"))
)
_UPDATE_DECLARATION = (
    update(declarations)
    .where(declarations.c.declaration_number == bindparam("b_number"))
    .values({c.name: bindparam(c.name) for c in declarations.c if c.name != "declaration_number"})
)
_UPDATE_LINE = (
    update(declaration_lines)
    .where(
        declaration_lines.c.declaration_number == bindparam("b_number"),
        declaration_lines.c.line_no == bindparam("b_line"),
    )
    .values(quantity=bindparam("quantity"), discharged=bindparam("discharged"))
)


@dataclass
class CarnetRepository:
    """The carnets of one unit of work: loaded once, changed in memory, saved once at flush."""

    conn: AsyncConnection
    lock_rows: bool = False  # PostgreSQL: hold the rows from load to commit (several cores, one group)
    _stored: dict[str, Carnet] = field(default_factory=dict)  # as in the store (loaded or last flushed)
    _current: dict[str, Carnet] = field(default_factory=dict)  # as decided so far in this batch
    _known: set[str] = field(default_factory=set)  # asked for already: found or not
    _undo: list[tuple[str, Carnet | None]] = field(default_factory=list)
    _where: dict[str, str] = field(default_factory=dict)  # declaration number -> carnet number
    _located: set[str] = field(default_factory=set)  # declaration numbers asked of the store already

    async def load(self, carnet_numbers: set[str]) -> None:
        """Read every carnet of `carnet_numbers` not read yet, in one query."""
        wanted = sorted(carnet_numbers - self._known)
        if not wanted:
            return
        # In one order, so that two batches locking carnets on PostgreSQL cannot deadlock on them.
        query = (
            select(carnets.c.carnet_number, carnets.c.state, carnets.c.version)
            .where(carnets.c.carnet_number.in_(wanted))
            .order_by(carnets.c.carnet_number)
        )
        for row in await self.conn.execute(query.with_for_update() if self.lock_rows else query):
            carnet = load_state(row.state)
            carnet.version = row.version
            self._stored[row.carnet_number] = self._current[row.carnet_number] = carnet
        self._known.update(wanted)

    async def get(self, carnet_number: str) -> Carnet | None:
        await self.load({carnet_number})
        return self._current.get(carnet_number)

    def put(self, carnet: Carnet) -> None:
        """The carnet as a message left it; written at the next flush."""
        before = self._current.get(carnet.number)
        self._undo.append((carnet.number, before))
        self._current[carnet.number] = carnet
        self._known.add(carnet.number)
        # Declarations are only ever added, at the end (dicts keep insertion order): the new ones are
        # the last few, found without walking the carnet's history.
        added = len(carnet.declarations) - (len(before.declarations) if before is not None else 0)
        for number in itertools.islice(reversed(carnet.declarations), max(added, 0)):
            self._where.setdefault(number, carnet.number)

    async def save(self, carnet: Carnet) -> None:
        """Put one carnet and write it at once (tools and tests that seed a store)."""
        await self.load({carnet.number})
        self.put(carnet)
        await self.flush()

    def mark(self) -> int:
        return len(self._undo)

    def undo_to(self, mark: int) -> None:
        """Forget what was put after `mark` (a message whose handling failed)."""
        while len(self._undo) > mark:
            number, before = self._undo.pop()
            if before is None:
                self._current.pop(number, None)
            else:
                self._current[number] = before

    async def locate(self, declaration_numbers: set[str]) -> None:
        """Learn, in one query, which carnet each of these declarations belongs to."""
        wanted = sorted(n for n in declaration_numbers if n not in self._where and n not in self._located)
        if not wanted:
            return
        self._located.update(wanted)
        rows = await self.conn.execute(
            select(declarations.c.declaration_number, declarations.c.carnet_number).where(
                declarations.c.declaration_number.in_(wanted)
            )
        )
        for row in rows:
            self._where[row.declaration_number] = row.carnet_number

    async def carnet_of(self, declaration_number: str) -> str | None:
        """Which carnet a declaration belongs to, whichever carnet that is (this batch's included)."""
        await self.locate({declaration_number})
        return self._where.get(declaration_number)

    async def flush(self) -> None:
        """Write every carnet changed since the last flush, and only the projection rows that changed."""
        changed = [c for number, c in self._current.items() if self._stored.get(number) is not c]
        self._undo.clear()
        if not changed:
            return
        new_carnets: list[dict[str, Any]] = []
        carnet_updates: list[dict[str, Any]] = []
        new_declarations: list[dict[str, Any]] = []
        declaration_updates: list[dict[str, Any]] = []
        new_lines: list[dict[str, Any]] = []
        line_updates: list[dict[str, Any]] = []
        for carnet in changed:
            before = self._stored.get(carnet.number)
            state = {"source": carnet.source.value, "state": dump_state(carnet)}
            if before is None:
                new_carnets.append({"carnet_number": carnet.number, "version": 1, **state})
                carnet.version = 1
            else:
                carnet_updates.append(
                    {"b_number": carnet.number, "b_version": before.version, "version": before.version + 1, **state}
                )
                carnet.version = before.version + 1
            old = before.declarations if before is not None else {}
            for number, declaration in carnet.declarations.items():
                was = old.get(number)
                if was is declaration:
                    continue  # copy on write: untouched
                row = _projection(carnet.number, declaration)
                if was is None:
                    new_declarations.append({"declaration_number": number, **row})
                    new_lines.extend(_line_row(number, ln) for ln in declaration.lines.values())
                    continue
                declaration_updates.append({"b_number": number, **row})
                for line_no, line in declaration.lines.items():
                    previous = was.lines.get(line_no)
                    if previous is None:
                        new_lines.append(_line_row(number, line))
                    elif (previous.quantity, previous.discharged) != (line.quantity, line.discharged):
                        line_updates.append(
                            {"b_number": number, "b_line": line_no, "quantity": line.quantity,
                             "discharged": line.discharged}
                        )  # fmt: skip
        if new_carnets:
            await self.conn.execute(insert(carnets), new_carnets)
        if carnet_updates:
            result = await self.conn.execute(_UPDATE_CARNET, carnet_updates)
            # The optimistic lock, where the driver counts executemany's rows (SQLite does; on
            # PostgreSQL the rows are locked from load to commit instead).
            if result.rowcount >= 0 and result.rowcount != len(carnet_updates):
                raise ConcurrencyConflict(f"{len(carnet_updates) - result.rowcount} carnet(s) changed since loaded")
        if new_declarations:
            await self.conn.execute(insert(declarations), new_declarations)
        if declaration_updates:
            await self.conn.execute(_UPDATE_DECLARATION, declaration_updates)
        if new_lines:
            await self.conn.execute(insert(declaration_lines), new_lines)
        if line_updates:
            await self.conn.execute(_UPDATE_LINE, line_updates)
        for carnet in changed:
            self._stored[carnet.number] = carnet


def _line_row(declaration_number: str, line: Any) -> dict[str, Any]:
    return {
        "declaration_number": declaration_number,
        "line_no": line.line_no,
        "quantity": line.quantity,
        "discharged": line.discharged,
    }


def _projection(carnet_number: str, d: Declaration) -> dict[str, Any]:
    return {
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
