"""GET-APP as a hostile client meets it: per-client limits (429 with Retry-After), a Secure session cookie by
default, the Origin check on every state-changing request, and an OpenAPI document that says all of it.

The real application (`create_getapp_app`) over a real SQLite store, in-process (httpx over ASGI).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.accounts.api import SESSION_COOKIE
from hub.getapp.tracking import create_tracking_schema
from hub.getapp.web import create_getapp_app
from hub.getapp.web.settings import WebSettings
from hub.web.limits import client_key
from tests.getapp_accounts.helpers import APPLICANT, NEW_PASSWORD, VKN, World

A8_EN = "This information is for guidance only and is not legally binding."
BASE = "https://getapp.test"
EVIL = "http://evil.example"


@pytest.fixture
async def tracked(engine: AsyncEngine) -> AsyncEngine:
    await create_tracking_schema(engine)
    return engine


def client(world: World, web: WebSettings | None = None, address: str = "203.0.113.7") -> httpx.AsyncClient:
    app = create_getapp_app(world.service, world.engine, web=web)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def http(world: World, tracked: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with client(world) as http:
        yield http


async def _logged_in(world: World, http: httpx.AsyncClient) -> str:
    """A firm's owner logged in over HTTP with a changed password: the session cookie's value."""
    mail = await world.approved_firm()
    token = await world.working_session(mail)
    http.cookies.set(SESSION_COOKIE, token, domain="getapp.test")
    return mail.user_code


# --- per-client limits -----------------------------------------------------------------------------------


async def test_logins_beyond_the_client_limit_are_429_with_retry_after(world: World, tracked: AsyncEngine) -> None:
    # rule: A7 (the lock per user code), A8: a client trying many codes is stopped as a client
    web = WebSettings(login_limit="3/minute")
    async with client(world, web) as http, client(world, web, address="198.51.100.9") as neighbour:
        for n in range(3):
            wrong = await http.post("/api/login", json={"user_code": f"GAAAAAAAA{n}", "password": "x" * 12})
            assert wrong.status_code == 401
        refused = await http.post("/api/login", json={"user_code": "GAAAAAAAA9", "password": "x" * 12})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        body = refused.json()
        assert body["retry_after"] == int(refused.headers["retry-after"]) and "too many logins" in body["reason"]
        assert body["notice"]["en"] == A8_EN and refused.headers["cache-control"] == "no-store"
        # another client is not held back by this one
        assert (
            await neighbour.post("/api/login", json={"user_code": "GAAAAAAAA9", "password": "x" * 12})
        ).status_code == 401


async def test_applications_beyond_the_client_limit_are_429_and_not_stored(world: World, tracked: AsyncEngine) -> None:
    # rule: A4
    application = {"firm_vkn": VKN, "person_tckn": APPLICANT, "person_name": "Ayşe Yılmaz"}
    async with client(world, WebSettings(application_limit="2/hour")) as http:
        assert [(await http.post("/api/applications", json=application)).status_code for _ in range(2)] == [202, 202]
        refused = await http.post("/api/applications", json=application)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert len(world.published) == 2  # YKTS was asked twice, not three times


async def test_a_forwarded_for_header_counts_only_from_a_trusted_proxy(world: World, tracked: AsyncEngine) -> None:
    login = {"user_code": "GAAAAAAAAA", "password": "x" * 12}
    # Not trusted (the default): a client cannot pick another address with X-Forwarded-For.
    async with client(world, WebSettings(login_limit="1/minute")) as http:
        assert (await http.post("/api/login", json=login, headers={"X-Forwarded-For": "192.0.2.1"})).status_code == 401
        assert (await http.post("/api/login", json=login, headers={"X-Forwarded-For": "192.0.2.2"})).status_code == 429
    # Behind a trusted proxy: each client it vouches for has its own count.
    proxied = WebSettings(login_limit="1/minute", trusted_proxies=("10.0.0.0/8",))
    async with client(world, proxied, address="10.1.2.3") as proxy:
        for forwarded in ("192.0.2.1", "192.0.2.2"):
            answer = await proxy.post("/api/login", json=login, headers={"X-Forwarded-For": forwarded})
            assert answer.status_code == 401
        again = await proxy.post("/api/login", json=login, headers={"X-Forwarded-For": "192.0.2.1"})
        assert again.status_code == 429


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    first = {"type": "http", "client": ("2001:db8:1:2::1", 1)}
    second = {"type": "http", "client": ("2001:db8:1:2:ffff::9", 1)}
    assert client_key(first) == client_key(second) == "2001:db8:1:2::/64"
    assert client_key({"type": "http", "client": ("::ffff:192.0.2.5", 1)}) == "192.0.2.5"


# --- the session cookie ------------------------------------------------------------------------------------


async def test_the_session_cookie_is_secure_by_default(world: World, http: httpx.AsyncClient) -> None:
    mail = await world.approved_firm()
    response = await http.post("/api/login", json={"user_code": mail.user_code, "password": mail.password})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_only_an_explicit_development_setting_drops_secure() -> None:
    assert WebSettings().secure_cookie and WebSettings.from_env({}).secure_cookie
    assert WebSettings.from_env({"HUB_GETAPP_INSECURE_COOKIE": "0"}).secure_cookie
    assert not WebSettings.from_env({"HUB_GETAPP_INSECURE_COOKIE": "1"}).secure_cookie


async def test_the_development_setting_sends_the_cookie_without_secure(world: World, tracked: AsyncEngine) -> None:
    mail = await world.approved_firm()
    async with client(world, WebSettings.from_env({"HUB_GETAPP_INSECURE_COOKIE": "1"})) as http:
        response = await http.post("/api/login", json={"user_code": mail.user_code, "password": mail.password})
    assert response.status_code == 200 and "secure" not in response.headers["set-cookie"].lower()


# --- the Origin check ------------------------------------------------------------------------------------------


async def test_a7_a_password_change_from_another_origin_is_403_and_changes_nothing(
    world: World, http: httpx.AsyncClient
) -> None:
    # rule: A7, A8
    code = await _logged_in(world, http)
    change = {"old_password": NEW_PASSWORD, "new_password": "Kotu-Niyetli-2026"}
    refused = await http.post("/api/password", json=change, headers={"Origin": EVIL})
    assert refused.status_code == 403
    assert "another origin" in refused.json()["reason"] and refused.json()["notice"]["en"] == A8_EN
    # Nothing changed: the old password still logs in, the new one does not.
    async with client(world, address="192.0.2.50") as other:
        assert (
            await other.post("/api/login", json={"user_code": code, "password": "Kotu-Niyetli-2026"})
        ).status_code == 401
        assert (await other.post("/api/login", json={"user_code": code, "password": NEW_PASSWORD})).status_code == 200


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": BASE}, True),  # the page itself
        ({"Origin": "https://GETAPP.test:443"}, True),  # the same origin, written otherwise
        ({"Referer": f"{BASE}/#users"}, True),  # no Origin: the Referer's origin counts
        ({}, True),  # neither: not a browser (see docs/decisions-getapp-hardening.md)
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": EVIL}, False),
        ({"Origin": "null"}, False),  # a sandboxed frame, a file
        ({"Origin": "http://getapp.test"}, False),  # http is another origin than https
        ({"Origin": "https://getapp.test.evil.example"}, False),
        ({"Referer": f"{EVIL}/page"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
    ],
)
async def test_every_state_changing_method_is_checked_for_its_origin(
    world: World, http: httpx.AsyncClient, headers: dict[str, str], allowed: bool
) -> None:
    await _logged_in(world, http)
    answers = [
        await http.post("/api/logout", headers=headers),
        await http.post("/api/users", json={"name": "Kişi", "tckn": "1"}, headers=headers),
        await http.delete("/api/users/GAAAAAAAAA", headers=headers),
        await http.post("/api/login", json={"user_code": "GAAAAAAAAA", "password": "x"}, headers=headers),
    ]
    statuses = [a.status_code for a in answers]
    if allowed:
        assert 403 not in statuses[1:] and statuses[0] == 200, statuses
    else:
        assert statuses == [403] * 4, statuses
    assert (await http.get("/api/session", headers=headers)).status_code in (200, 401)  # reading is never refused


async def test_an_allowed_origin_may_send_state_changes(world: World, tracked: AsyncEngine) -> None:
    web = WebSettings(allowed_origins=("https://getapp.ticaret.gov.tr",))
    async with client(world, web) as http:
        ok = await http.post("/api/logout", headers={"Origin": "https://getapp.ticaret.gov.tr"})
        refused = await http.post("/api/logout", headers={"Origin": EVIL})
    assert (ok.status_code, refused.status_code) == (200, 403)


# --- the OpenAPI document -----------------------------------------------------------------------------------


async def test_the_openapi_document_lists_every_status_the_cookie_and_the_constraints(http: httpx.AsyncClient) -> None:
    document: dict[str, Any] = (await http.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"][SESSION_COOKIE] == {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": document["components"]["securitySchemes"][SESSION_COOKIE]["description"],
    }
    paths = document["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert statuses("/api/login", "post") == {"200", "401", "403", "422", "423", "429"}
    assert statuses("/api/applications", "post") == {"202", "403", "422", "429", "503"}
    assert statuses("/api/password", "post") == {"200", "401", "403", "409", "422", "423"}
    assert statuses("/api/users/{user_code}", "delete") >= {"401", "403", "404", "409"}
    assert statuses("/api/declarations/{number}", "get") >= {"401", "403", "404"}
    assert "Retry-After" in paths["/api/login"]["post"]["responses"]["429"]["headers"]
    assert paths["/api/users"]["get"]["security"] == [{SESSION_COOKIE: []}]
    assert paths["/api/declarations"]["get"]["security"] == [{SESSION_COOKIE: []}]
    refused = document["components"]["schemas"]["Refused"]
    assert {"reason", "notice"} <= set(refused["required"])  # rule: A8, on refusals too
    application = document["components"]["schemas"]["ApplicationIn"]["properties"]
    assert application["firm_vkn"]["pattern"] == "^[0-9]{10}$"
    assert application["firm_vkn"]["minLength"] == application["firm_vkn"]["maxLength"] == 10
    assert application["person_tckn"]["pattern"] == "^[1-9][0-9]{10}$"
    assert application["person_tckn"]["format"] == "tckn"
    new_password = document["components"]["schemas"]["PasswordIn"]["properties"]["new_password"]
    assert (new_password["minLength"], new_password["maxLength"]) == (10, 256)


async def test_a_wrong_method_on_an_api_path_is_405_with_the_methods_it_takes(http: httpx.AsyncClient) -> None:
    # found by schemathesis: the page's mount answered with Allow: GET, HEAD
    answer = await http.put("/api/login")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["notice"]["en"] == A8_EN
    assert (await http.options("/api/users")).headers["allow"] == "GET, POST"
    assert (await http.get("/api/no-such-thing")).status_code == 404


async def test_a_body_that_is_not_utf8_is_a_documented_422(http: httpx.AsyncClient) -> None:
    # found by schemathesis: FastAPI answered an undocumented 400
    answer = await http.post("/api/login", content=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["reason"].startswith("malformed request")
