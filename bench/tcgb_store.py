"""The query store of the tracking benchmark (bench/tracking_bench.py): a million TCGBs as the projection
would have written them, bulk-loaded (PostgreSQL: COPY; SQLite: one executemany), then ANALYZEd.

Rows for `count` whole TCGB lives of the BİLGE simulator's generator (adapters/bilge/tcgb_life.py, as
plain values: no model built) registered over 2026 at every office, 5,000 firms trading, one firm named
on `firm_count` of them; the duration bins their stages make, with the projection's own `BinDelta`;
stage rows for the firm's TCGBs only (no other benched query reads stages).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import text

from adapters.bilge.tcgb_life import default_firms, plain_tcgb_lives
from hub.domain.bilge import TcgbDirection, TcgbStage
from hub.getapp.tracking import create_tracking_schema
from hub.getapp.tracking.stages import TURKEY, month_of
from hub.getapp.tracking.tables import getapp_tcgb_duration_bins, getapp_tcgb_stages, getapp_tcgbs
from hub.getapp.tracking.tcgb_timeline import RANK, BinDelta
from hub.store.driver import sqlite_value
from hub.store.engine import create_engine

FIRM: Final = "4810023456"  # not one of FIRMS: it is on the TCGBs the store gives it, no others
FIRMS: Final = tuple(default_firms(seed=14, count=5000))  # the firms that trade, busiest first
YEAR: Final = datetime(2026, 1, 1, tzinfo=TURKEY)


_TCGB_COLUMNS = [c.name for c in getapp_tcgbs.c]
_STAGE_COLUMNS = [c.name for c in getapp_tcgb_stages.c]
_BIN_COLUMNS = [c.name for c in getapp_tcgb_duration_bins.c]


@dataclass
class Store:
    tcgbs: list[tuple[Any, ...]]
    stages: list[tuple[Any, ...]]
    bins: list[tuple[Any, ...]]
    firm_rows: list[tuple[datetime, str]]  # (registered_at, number) of the firm's TCGBs


def build_rows(count: int, firm_count: int) -> Store:
    """Rows as the projection would have written them for `count` whole TCGB lives over 2026: every
    ``count // firm_count``-th TCGB is the firm's (its consignee's on an import, its consignor's on an
    export)."""
    every = max(1, count // max(firm_count, 1))
    now = datetime(2027, 1, 1, tzinfo=UTC)
    tcgbs: list[tuple[Any, ...]] = []
    stages: list[tuple[Any, ...]] = []
    firm_rows: list[tuple[datetime, str]] = []
    delta = BinDelta()
    lives = plain_tcgb_lives(count, seed=3, start=YEAR, span=timedelta(days=365), firms=FIRMS)
    for i, life in enumerate(lives):
        ours = i % every == 0 and len(firm_rows) < firm_count
        importing = life.direction is TcgbDirection.IMPORT
        consignee = FIRM if ours and importing else life.consignee
        consignor = FIRM if ours and not importing else life.consignor
        registered_at = life.stages[0][1]
        month = month_of(registered_at)
        last_stage, last_at, _ = life.stages[-1]
        location = next((where for _, _, where in reversed(life.stages) if where), life.office)
        released = any(s == TcgbStage.RELEASED for s, _, _ in life.stages)
        exited = any(s == TcgbStage.EXITED for s, _, _ in life.stages)
        finished = exited if life.direction == TcgbDirection.EXPORT else released
        tcgbs.append(
            (
                life.number, life.direction.value, life.regime, life.office, consignee, consignor, registered_at,
                month, last_stage.value, last_at, life.channel.value, location, released, exited, finished, now,
            )
        )  # fmt: skip
        for j, (stage, at, where) in enumerate(life.stages):
            following = life.stages[j + 1] if j + 1 < len(life.stages) else None
            duration = round((following[1] - at).total_seconds() * 1000) if following else None
            if duration is not None:
                delta.add(month, life.office, life.direction.value, stage.value, duration)
            if ours:
                stages.append(
                    (
                        life.number, stage.value, RANK[stage], at, following[1] if following else None, duration,
                        following[0].value if following else None, where,
                        life.channel.value if stage == TcgbStage.CHANNEL_ASSIGNED else None, f"bench-{i}-{j}",
                    )
                )  # fmt: skip
        if ours:
            firm_rows.append((registered_at, life.number))
    bins = [(*key, count_, sum_ms) for key, count_, sum_ms in delta.changed()]
    return Store(tcgbs, stages, bins, sorted(firm_rows, reverse=True))


async def load_postgresql(url: str, store: Store) -> None:
    """COPY into the tables, then ANALYZE: how a read model is rebuilt in bulk."""
    engine = create_engine(url)
    await create_tracking_schema(engine)
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        for table, columns, rows in (
            ("getapp_tcgbs", _TCGB_COLUMNS, store.tcgbs),
            ("getapp_tcgb_stages", _STAGE_COLUMNS, store.stages),
            ("getapp_tcgb_duration_bins", _BIN_COLUMNS, store.bins),
        ):
            await raw.copy_records_to_table(table, records=rows, columns=columns)
        await conn.commit()
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    await engine.dispose()


async def load_sqlite(url: str, path: Path, store: Store) -> None:
    engine = create_engine(url)
    await create_tracking_schema(engine)
    await engine.dispose()

    def load() -> None:
        db = sqlite3.connect(path)
        try:
            for table, columns, rows in (
                ("getapp_tcgbs", _TCGB_COLUMNS, store.tcgbs),
                ("getapp_tcgb_stages", _STAGE_COLUMNS, store.stages),
                ("getapp_tcgb_duration_bins", _BIN_COLUMNS, store.bins),
            ):
                marks = ", ".join("?" * len(columns))
                db.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    ([sqlite_value(v) for v in row] for row in rows),
                )
            db.commit()
            db.execute("ANALYZE")
            db.commit()
        finally:
            db.close()

    await asyncio.to_thread(load)
