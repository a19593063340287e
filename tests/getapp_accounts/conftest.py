"""Fixtures of the account tests: a SQLite store in tmp (or the PostgreSQL database named by
GETAPP_ACCOUNTS_TEST_DATABASE_URL, emptied for each test), the service, the mail relay, a clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.accounts.passwords import Passwords
from hub.getapp.accounts.tables import create_schema, metadata
from hub.store.engine import create_engine
from tests.getapp_accounts.helpers import World


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    """One hasher for the suite, with the production parameters."""
    return Passwords()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = os.environ.get("GETAPP_ACCOUNTS_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'getapp.db'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await create_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def world(engine: AsyncEngine, passwords: Passwords) -> World:
    return World(engine, passwords)
