"""The offices' OpenAPI document, fuzzed by schemathesis against the real application in-process: every
operation gets generated requests, valid and invalid, with a real officer's session over a store the
core's service layer filled (tests/office/seed.py). Never a 500, whatever the parameters.

Bounded and reproducible: a fixed number of examples per operation, derandomized, no deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.office.accounts import OfficerAccounts, OfficerSessions
from hub.office.app import create_office_app
from hub.office.auth import cookie_name
from hub.office.settings import OfficeSettings
from hub.store.engine import create_engine, create_schema
from hub.web.logins import LoggedIn
from tests.office.seed import PASSWORD, add_officers, seed
from tests.store_fixture import StoreKind

T = TypeVar("T")
MAX_EXAMPLES = 40  # per operation; with the derandomized seed, the same requests on every run
COOKIE = cookie_name(True)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Seed on a loop of its own: the app's engine must first connect on schemathesis's loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _seed(database: str) -> str:
    engine = create_engine(database)
    try:
        await create_schema(engine)
        await seed(engine)
        accounts = await add_officers(engine)
        logged = await OfficerSessions(engine, accounts.passwords).login("m.kaya", PASSWORD)
        assert isinstance(logged, LoggedIn)
        return logged.token
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded(stores: StoreKind) -> tuple[str, str]:
    database = stores.new_url("office_fuzz")
    return database, _run(_seed(database))


class _Deferred:
    """The application fuzzed, set by the `fuzzed` fixture once the store is seeded."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the `fuzzed` fixture sets the application"
        await self.app(scope, receive, send)


DEFERRED = _Deferred()
_unused = create_engine("sqlite+aiosqlite://")
_document = create_office_app(_unused, OfficerSessions(_unused, OfficerAccounts(_unused).passwords)).openapi()
schema = schemathesis.openapi.from_dict(_document)
schema.app, schema.location = DEFERRED, "/openapi.json"


@pytest.fixture(scope="module")
def fuzzed(seeded: tuple[str, str]) -> Iterator[str]:
    database, token = seeded
    engine = create_engine(database)  # first used on schemathesis's event loop, its only one
    accounts = OfficerAccounts(engine)
    DEFERRED.app = create_office_app(
        engine, OfficerSessions(engine, accounts.passwords), OfficeSettings(login_limit="10000/minute")
    )
    yield token
    DEFERRED.app = None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_office_answer_to_any_input_is_never_a_500(case: Case[Any], fuzzed: str) -> None:
    # rule: C2 (the fuzzed searches and details run as an officer of Cilvegözü)
    cookies = {COOKIE: fuzzed} if case.path != "/api/logout" else {}  # a logout would end the fuzzed session
    response = case.call(base_url="http://localhost", headers={"Origin": "http://localhost"}, cookies=cookies)
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code} {response.text[:300]}"
    if cookies and case.path != "/api/login":
        assert response.status_code != 401, "the fuzzed requests carry a live session"
