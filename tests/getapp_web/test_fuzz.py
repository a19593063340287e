"""GET-APP's OpenAPI document, fuzzed by schemathesis against the real application in-process.

Every operation of the document gets generated requests, valid and invalid, with a real session of a
real firm (applied, approved by a YKTS answer, initial password changed) over a real SQLite store with
the firm's declarations in the tracking read model. Each answer is checked by all of schemathesis's
checks: never a 500, the status and the body as documented (Refused, the A8 notice included), the
documented headers, and authentication enforced where the document says so.

Bounded and reproducible: a fixed number of examples per operation, derandomized (the same cases on
every run), no deadline; about 20 s on the 2-core machine. The limits are raised for this app only,
so that the fuzzer reaches the login and application routes (their 429 is tested in test_hardening).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case, Response
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.contract.messages.envelope import Envelope
from hub.getapp.accounts.api import SESSION_COOKIE
from hub.getapp.accounts.service import AccountService, LoggedIn
from hub.getapp.accounts.tables import create_schema
from hub.getapp.tracking import TrackingProjection, create_tracking_schema
from hub.getapp.web import create_getapp_app
from hub.getapp.web.settings import WebSettings
from hub.store.engine import create_engine
from hub.web.passwords import Passwords
from tests.getapp_accounts.helpers import APPLICANT, CatchingSender, authority_checked
from tests.getapp_tracking.builders import FIRM_A, two_firms
from tests.store_fixture import StoreKind

T = TypeVar("T")
MAX_EXAMPLES = 30  # per operation; with the derandomized seed, the same requests on every run
NEW_PASSWORD = "Fuzz-Sifre-2026!"


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Seed on a loop of its own: the app's engine must first connect on schemathesis's loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _seed(database: str) -> str:
    """A firm (FIRM_A of the tracking builders) with a working session, and its declarations: the token."""
    from hub.getapp.accounts.mail import MailRelay, SmtpSettings

    engine = create_engine(database)
    try:
        await create_schema(engine)
        await create_tracking_schema(engine)
        projection = TrackingProjection(engine)
        for event in two_firms():
            await projection.apply(event)
        published: list[Envelope[Any]] = []

        async def publish(message: Envelope[Any]) -> None:
            published.append(message)

        passwords = Passwords()
        service = AccountService(engine, publish, passwords=passwords)
        await service.apply(FIRM_A, APPLICANT, "Ayşe Yılmaz")
        await service.handle_ykts_answer(authority_checked(published[-1], at=service.clock()))
        sender = CatchingSender()
        smtp = SmtpSettings(host="127.0.0.1", port=1, sender="getapp@example.gov.tr")
        await MailRelay(engine, smtp, sender=sender, passwords=passwords).relay_once()
        mail = sender.sent[-1]
        logged_in = await service.login(mail.user_code, mail.password)
        assert isinstance(logged_in, LoggedIn), logged_in
        await service.change_password(logged_in.token, mail.password, NEW_PASSWORD)
        return logged_in.token
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded(stores: StoreKind) -> tuple[str, str]:
    database = stores.new_url("fuzz")
    return database, _run(_seed(database))


async def _nowhere(message: Envelope[Any]) -> None:
    """YKTS is not asked: an application stays pending, and the fuzzer needs nothing more."""


class _Deferred:
    """The application the schema is fuzzed against, set by the `fuzzed` fixture once the store is seeded.

    The schema is loaded when the module is (schemathesis makes one test per operation from it); the
    app behind it needs the module's tmp store, which only a fixture has."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the `fuzzed` fixture sets the application"
        await self.app(scope, receive, send)


def _tckns() -> st.SearchStrategy[str]:
    """Valid TCKNs (the public algorithm): what `format: tckn` means."""

    def with_checks(nine: str) -> str:
        d = [int(c) for c in nine]
        tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
        return f"{nine}{tenth}{(sum(d) + tenth) % 10}"

    return st.from_regex(r"\A[1-9][0-9]{8}\Z").map(with_checks)


# `format: person-name`: letters of any alphabet (what str.isalpha takes), spaces and . ' -, not blank.
_NAMES = st.text(st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo"]) | st.sampled_from(" .'-"), max_size=200)
schemathesis.openapi.format("tckn", _tckns())
schemathesis.openapi.format("person-name", _NAMES.filter(lambda name: bool(name.strip())))

DEFERRED = _Deferred()
# The document of the very code under test: built by the same factory, over an engine never connected.
_unused = create_engine("sqlite+aiosqlite://")
_document = create_getapp_app(AccountService(_unused, _nowhere), _unused).openapi()
schema = schemathesis.openapi.from_dict(_document)
schema.app, schema.location = DEFERRED, "/openapi.json"  # what schemathesis.openapi.from_asgi sets


@pytest.fixture(scope="module")
def fuzzed(seeded: tuple[str, str]) -> Iterator[str]:
    """The real application over the seeded store; the session token to fuzz with."""
    database, token = seeded
    engine = create_engine(database)  # first used on schemathesis's event loop, its only one
    roomy = WebSettings(login_limit="10000/minute", application_limit="10000/minute")
    DEFERRED.app = create_getapp_app(AccountService(engine, _nowhere), engine, web=roomy)
    yield token
    DEFERRED.app = None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_getapp_answer_is_documented_and_never_a_500(case: Case[Any], fuzzed: str) -> None:
    # rule: A8 (the documented bodies all carry the notice)
    # Where the case carries a session cookie, it is the firm's real one, so that the operations are
    # fuzzed past the login; a case without one (schemathesis leaves it out on purpose) goes without.
    # Logging out would end the session the other operations are fuzzed with.
    if case.cookies and SESSION_COOKIE in case.cookies and case.path != "/api/logout":
        case.cookies[SESSION_COOKIE] = fuzzed
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    _accepted_unless_beyond_the_schema(case, response)


# Refusals of schema-valid data for a constraint no JSON Schema states, each named in the field's
# description: a TCKN's check digits, the letters of a name, a new password equal to the old one or
# to the user code. Any other 4xx of valid data (but the credentials' 401/403/404/409/423/429) fails.
BEYOND_THE_SCHEMA = ("check digits", "the person's name", "the new password must")
ACCEPTABLE = {401, 403, 404, 409, 423, 429}


def _accepted_unless_beyond_the_schema(case: Case[Any], response: Response) -> None:
    """schemathesis's positive_data_acceptance, knowing the constraints the document states in words."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code < 400:
        return
    if response.status_code in ACCEPTABLE:
        return
    reason = str(response.json().get("reason", "")) if response.status_code == 422 else ""
    assert any(words in reason for words in BEYOND_THE_SCHEMA), (
        f"valid data refused: {case.method} {case.path} -> {response.status_code} {response.text[:500]}"
    )
