"""The hub's side of BİLGE's reconciliation, read from the store as plain data.

    snapshot = await read_snapshot(engine)          # before a byte of the export is read
    ...                                             # adapters.bilge.reconciliation compares
    seen = await processed_among(engine, ids)       # the candidate corrections' message ids

The snapshot comes from the ``declarations``/``declaration_lines`` projection in three queries on
one connection (one snapshot; never a query per record of the export): every declaration's number,
regime and reference, the lines of the regime entries (5800/2600), the lines of closed 3158/6326.
It holds the regime entries' lines and the other declarations' numbers: never the carnets' state.

How TCGB drawing-downs are told apart from re-exports in the hub
----------------------------------------------------------------
The projection keeps only each line's ``discharged`` total, which counts 3158/6326 discharges and
TCGB drawing-downs alike. The hub's rules discharge a 3158 or 6326 exactly when they close it (R1,
I3 at the border; R3 when the inland 3158's ÇIKIŞ completes; I2 when the inland 6326 completes,
through its GİRİŞ), by the quantities of its lines, in the same decision. So what 3158/6326 gave
back to an entry is the sum of the lines of the *closed* 3158/6326 whose target is that entry
(directly, or through the GİRİŞ for an inland 6326): each line's ``returned``, and::

    TCGB quantity the hub holds on a line = discharged - returned

No carnet state JSON is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain.model import Regime, Status
from hub.store.tables import declaration_lines, declarations, processed_messages

__all__ = ["ENTRY_REGIMES", "HubEntry", "HubLine", "HubSnapshot", "processed_among", "read_snapshot"]

ENTRY_REGIMES: Final = (Regime.TEMPORARY_IMPORT.value, Regime.TEMPORARY_EXPORT.value)
_DISCHARGE_REGIMES: Final = (Regime.RE_EXPORT.value, Regime.RE_IMPORT.value)


@dataclass(slots=True)
class HubLine:
    """A goods line of a regime entry, as the projection holds it."""

    quantity: int
    discharged: int
    returned: int = 0  # given back by closed 3158/6326 (R1, R3, I2, I3)


@dataclass(slots=True)
class HubEntry:
    """A 5800/2600 of the hub: the carnet it is held under, its state, its lines by number."""

    carnet: str
    regime: str
    status: str
    lines: dict[int, HubLine] = field(default_factory=dict)


@dataclass
class HubSnapshot:
    entries: dict[str, HubEntry]  # the hub's 5800/2600 by declaration number
    kinds: dict[str, str] = field(default_factory=dict)  # every other declaration number -> its regime
    referenced: set[str] = field(default_factory=set)  # numbers some declaration references (previous_declaration)


async def read_snapshot(engine: AsyncEngine) -> HubSnapshot:
    """The hub's side in three queries: declarations, lines of regime entries, lines of closed discharges."""
    async with engine.connect() as conn:
        # Rows are read on the synchronous side: one hop to the driver per query, not one per row.
        return await conn.run_sync(_read)


def _read(conn: Connection) -> HubSnapshot:
    d, ln = declarations.c, declaration_lines.c
    entries: dict[str, HubEntry] = {}
    kinds: dict[str, str] = {}
    referenced: set[str] = set()
    transit_in: dict[str, str] = {}  # GİRİŞ -> the declaration it references
    discharges: dict[str, str] = {}  # closed 3158/6326 -> what it references
    rows = conn.execute(select(d.declaration_number, d.carnet_number, d.regime, d.status, d.previous_declaration))
    for number, carnet, regime, status, previous in rows:
        if regime in ENTRY_REGIMES:
            entries[number] = HubEntry(carnet=carnet, regime=regime, status=status)
        else:
            kinds[number] = regime
        if previous:
            referenced.add(previous)
            if regime == Regime.TRANSIT_IN.value:
                transit_in[number] = previous
            elif regime in _DISCHARGE_REGIMES and status == Status.CLOSED.value:
                discharges[number] = previous
    entry_lines = conn.execute(
        select(ln.declaration_number, ln.line_no, ln.quantity, ln.discharged)
        .join(declarations, d.declaration_number == ln.declaration_number)
        .where(d.regime.in_(ENTRY_REGIMES))
    )
    for number, line_no, quantity, discharged in entry_lines:
        entries[number].lines[line_no] = HubLine(quantity=quantity, discharged=discharged)
    given_back = conn.execute(
        select(ln.declaration_number, ln.line_no, ln.quantity)
        .join(declarations, d.declaration_number == ln.declaration_number)
        .where(d.regime.in_(_DISCHARGE_REGIMES), d.status == Status.CLOSED.value)
    )
    for number, line_no, quantity in given_back:
        target = discharges.get(number)
        target = transit_in.get(target, target) if target is not None else None  # I2: through the GİRİŞ
        entry = entries.get(target) if target is not None else None
        if entry is not None and line_no in entry.lines:
            entry.lines[line_no].returned += quantity
    return HubSnapshot(entries=entries, kinds=kinds, referenced=referenced)


async def processed_among(engine: AsyncEngine, ids: Iterable[UUID], batch: int = 500) -> set[UUID]:
    """Which of these message ids the hub has processed already (applied or refused), in batches."""
    wanted = sorted({str(i) for i in ids})
    seen: set[UUID] = set()
    async with engine.connect() as conn:
        for start in range(0, len(wanted), batch):
            rows = await conn.execute(
                select(processed_messages.c.message_id).where(
                    processed_messages.c.message_id.in_(wanted[start : start + batch])
                )
            )
            seen.update(UUID(str(row.message_id)) for row in rows)
    return seen
