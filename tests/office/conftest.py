"""The offices' fixtures: a seeded store (both kinds), its officers, and the office application on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.office.accounts import OfficerAccounts, OfficerSessions
from hub.office.app import create_office_app
from hub.office.settings import OfficeSettings
from hub.service.core import CoreService
from tests.office.seed import add_officers, logged_in, seed

BASE_URL = "http://127.0.0.1:8791"


@dataclass
class Office:
    engine: AsyncEngine
    core: CoreService
    accounts: OfficerAccounts
    transport: httpx.AsyncBaseTransport
    http: httpx.AsyncClient  # not logged in

    def officer(self, name: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """A client logged in as officer `name`."""
        return logged_in(self.transport, BASE_URL, name)


@pytest.fixture
async def office(engine: AsyncEngine) -> AsyncIterator[Office]:
    service = await seed(engine)
    accounts = await add_officers(engine)
    app = create_office_app(
        engine, OfficerSessions(engine, accounts.passwords), OfficeSettings(login_limit="1000/minute")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield Office(engine, service, accounts, transport, http)
