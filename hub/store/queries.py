"""Read side of the store: questions across carnets, answered from the declarations projection."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.model import Regime, Status
from hub.store.tables import declarations


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
