"""What a commit promises on the embedded store: on disk before the offsets of what it wrote are committed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from hub.store.engine import create_engine

SQLITE_SYNCHRONOUS_FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


async def test_every_sqlite_connection_syncs_the_wal_at_each_commit(tmp_path: Path) -> None:
    # A commit that returned survives a power cut: the consumer commits Kafka offsets only after it.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    try:
        # Two connections open at once: each new connection of the pool is set, not only the first.
        async with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
                assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == SQLITE_SYNCHRONOUS_FULL
    finally:
        await engine.dispose()
