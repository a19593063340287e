"""An SQLite read model in tmp, its projection and queries, and the API over it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.tracking import TrackingProjection, TrackingQueries, create_tracking_schema, tracking_router
from hub.store.engine import create_engine
from tests.getapp_tracking.builders import T0
from tests.store_fixture import StoreKind


@pytest.fixture
async def engine(stores: StoreKind) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(stores.new_url("getapp"))
    await create_tracking_schema(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def projection(engine: AsyncEngine) -> TrackingProjection:
    return TrackingProjection(engine, now=lambda: T0)


@pytest.fixture
def queries(engine: AsyncEngine) -> TrackingQueries:
    return TrackingQueries(engine)


def firm_from_header(x_firm_vkn: Annotated[str | None, Header()] = None) -> str:
    """Stands in for the accounts engineer's login: the firm's VKN from a header, 401 without one."""
    if not x_firm_vkn:
        raise HTTPException(status_code=401, detail="not logged in")
    return x_firm_vkn


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(tracking_router(engine, firm_from_header, now=lambda: T0))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://getapp.test") as http:
        yield http
