"""Fixtures of the account tests: a store of its own per test (SQLite, then PostgreSQL), the service,
the mail relay, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.accounts.tables import create_schema
from hub.store.engine import create_engine
from hub.web.passwords import Passwords
from tests.getapp_accounts.helpers import World
from tests.store_fixture import StoreKind


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    """One hasher for the suite, with the production parameters."""
    return Passwords()


@pytest.fixture
async def engine(stores: StoreKind) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(stores.new_url("getapp"))
    await create_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def world(engine: AsyncEngine, passwords: Passwords) -> World:
    return World(engine, passwords)
