"""C4 for the offices: ATA declarations lodged in a period, by the carnet's issuing country, or by the
region or regional directorate (GDTBM) of the customs office where they were lodged, from the core's
store (declarations projection + carnets), counting only what the asking office may see (C2).

GET-APP counts the same groups from its own read model for firms (hub/getapp/tracking/queries.py); an
office counts from the core's store, which holds every declaration, not only those GET-APP followed.
The issuing country is in the carnet's state (JSON): read once per carnet of the period.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.model import Status
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.office.queries import day_start
from hub.store.queries import visible
from hub.store.tables import carnets, declarations

GroupBy = Literal["country", "region", "directorate"]
GROUPINGS: Final[tuple[GroupBy, ...]] = ("country", "region", "directorate")
UNKNOWN: Final = "unknown"
STATUSES: Final = tuple(s.value for s in Status)
_CHUNK: Final = 500
_d = declarations.c


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # the country (ISO alpha-2), the region, or the directorate
    declarations: int
    carnets: int
    by_status: dict[str, int]  # every status of hub.domain.model.Status, 0 included
    by_regime: dict[str, int]


class Statistics(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: GroupBy
    date_from: date
    date_to: date
    groups: list[Group]
    total_declarations: int
    total_carnets: int


async def _countries(conn: AsyncConnection, numbers: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = await conn.execute(
            select(carnets.c.carnet_number, carnets.c.state).where(carnets.c.carnet_number.in_(chunk))
        )
        for row in rows:
            data = json.loads(row.state).get("data", {})
            found[row.carnet_number] = str(data.get("issuing_country") or UNKNOWN)
    return found


async def statistics(
    conn: AsyncConnection, office: str, by: GroupBy, date_from: date, date_to: date, offices: OfficeRegistry = OFFICES
) -> Statistics:
    """C4 for the period [date_from, date_to] (days in Türkiye, both included), as `office` may see it (C2)."""
    # rule: C4
    if by not in GROUPINGS:
        raise ValueError(f"statistics are by {', '.join(GROUPINGS)}, not {by!r}")
    rows = (
        await conn.execute(
            select(_d.carnet_number, _d.customs_office, _d.regime, _d.status, func.count().label("n"))
            .where(
                visible(office),  # rule: C2
                _d.lodged_at >= day_start(date_from),
                _d.lodged_at < day_start(date_to + timedelta(days=1)),
            )
            .group_by(_d.carnet_number, _d.customs_office, _d.regime, _d.status)
        )
    ).all()
    countries = await _countries(conn, {r.carnet_number for r in rows}) if by == "country" else {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    regimes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    carnets_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if by == "country":
            key = countries.get(row.carnet_number, UNKNOWN)
        else:
            known = offices.get(row.customs_office)
            key = UNKNOWN if known is None else known.region if by == "region" else known.directorate
        counts[key][row.status] = counts[key].get(row.status, 0) + row.n
        regimes[key][row.regime] += row.n
        carnets_of[key].add(row.carnet_number)
    groups = [
        Group(key=key, declarations=sum(counts[key].values()), carnets=len(carnets_of[key]),
              by_status=counts[key], by_regime=dict(sorted(regimes[key].items())))
        for key in sorted(counts)
    ]  # fmt: skip
    return Statistics(
        by=by, date_from=date_from, date_to=date_to, groups=groups,
        total_declarations=sum(g.declarations for g in groups),
        total_carnets=len({r.carnet_number for r in rows}),
    )  # fmt: skip


def as_csv(answer: Statistics) -> str:
    """One row per group: the key, declarations, carnets, then one column per status (UTF-8, comma)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([answer.by, "declarations", "carnets", *STATUSES])
    for g in answer.groups:
        writer.writerow([_cell(g.key), g.declarations, g.carnets, *(g.by_status.get(s, 0) for s in STATUSES)])
    writer.writerow(["total", answer.total_declarations, answer.total_carnets])
    return out.getvalue()


def _cell(text: str) -> str:
    """No formula in a spreadsheet (CSV injection): a cell beginning with =, +, - or @ is quoted as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
