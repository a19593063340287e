"""Who may use the console's API, against the session's running hub (issue 12, part 5).

Measured from outside before: ``POST /api/dead-letters/0:2/discard`` and ``…/replay`` without an Origin
answered 200, and the operator recorded was whatever name was typed. Now: every route wants a session
(401), every change the page's Origin and the session's CSRF token (403) and the role act (403), and a
decision is recorded under the logged-in operator's name whatever the body says.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.stack import Stack
from hub.operations.console.auth import COOKIE, CSRF_HEADER
from hub.operations.console.operators import Role
from hub.operations.console.sessions import MAX_FAILED_LOGINS
from hub.operations.console.tables import operators, sessions
from tests.console.logins import PASSWORD, LoggedIn, ensure_operator, logged_in, login
from tests.e2e.helpers import eventually, produce_raw

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"
ACTOR, WATCHER = "mehmet.act", "zeynep.watch"


@pytest.fixture
async def anonymous(console: ConsoleProcess) -> Any:
    async with httpx.AsyncClient(base_url=console.base_url, timeout=30, trust_env=False) as http:
        yield http


@pytest.fixture
async def actor(console: ConsoleProcess) -> Any:
    await ensure_operator(console.operators, ACTOR, Role.ACT)
    async with logged_in(console.base_url, ACTOR) as session:
        yield session


@pytest.fixture
async def watcher(console: ConsoleProcess) -> Any:
    await ensure_operator(console.operators, WATCHER, Role.WATCH)
    async with logged_in(console.base_url, WATCHER) as session:
        yield session


async def _waiting_dead_letter(stack: Stack, actor: LoggedIn, junk: bytes) -> str:
    """Junk on the commands topic, dead-lettered by the core; its id, once the console lists it."""
    sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, junk, b"CONSOLE-LOGIN")

    async def listed() -> str | None:
        for letter in (await actor.http.get("/api/dead-letters")).json()["dead_letters"]:
            if (letter["original_partition"], letter["original_offset"]) == (sent.partition, sent.offset):
                return str(letter["id"])
        return None

    found: str = await eventually(listed, wait_s=30)
    return found


async def _status(actor: LoggedIn, letter_id: str) -> dict[str, Any]:
    everything = (await actor.http.get("/api/dead-letters", params={"all": "1"})).json()["dead_letters"]
    [letter] = [d for d in everything if d["id"] == letter_id]
    return dict(letter)


def _every_route(stack: Stack, letter_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    tobb = f"/api/processes/{stack.tobb_adapter.NAME}/degraded/TOBB"
    return [
        ("GET", "/api/session", None),
        ("GET", "/api/overview", None),
        ("GET", "/api/dead-letters", None),
        ("GET", "/api/dead-letters?all=1", None),
        ("GET", "/api/reconciliations", None),
        ("GET", f"/api/processes/{stack.core.NAME}/metrics", None),
        ("GET", "/asyncapi", None),
        ("GET", "/asyncapi.yaml", None),
        ("POST", f"/api/dead-letters/{letter_id}/replay", {}),
        ("POST", f"/api/dead-letters/{letter_id}/discard", {"reason": "no session"}),
        ("PUT", tobb, {"reason": "no session"}),
        ("DELETE", tobb, None),
        ("POST", "/api/logout", None),
    ]


async def test_without_a_session_every_route_answers_401_and_nothing_changes(
    stack: Stack, console: ConsoleProcess, anonymous: httpx.AsyncClient, actor: LoggedIn
) -> None:
    letter_id = await _waiting_dead_letter(stack, actor, b"\x00 console: no session")
    routes = _every_route(stack, letter_id)
    covered = {path.split("?")[0].replace(letter_id, "{dead_letter_id}") for _, path, _ in routes}
    covered = {p.replace(f"{stack.tobb_adapter.NAME}/degraded/TOBB", "{process}/degraded/{system}") for p in covered}
    covered = {p.replace(f"{stack.core.NAME}/metrics", "{process}/metrics") for p in covered}
    # Public on purpose: the login itself, and the icon the login page shows.
    served = {r.path for r in console.app.routes if isinstance(r, APIRoute)} - {"/api/login", "/favicon.ico"}
    assert served <= covered, f"routes this test does not try: {served - covered}"

    forged = {"Cookie": f"{COOKIE}=not-a-session", CSRF_HEADER: "x"}
    for method, path, body in routes:
        # As measured from outside (no Origin), as the page would send it, and with a made-up cookie.
        for headers in ({}, {"Origin": console.base_url}, {"Origin": console.base_url, **forged}):
            answer = await anonymous.request(method, path, json=body, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.headers["cache-control"] == "no-store"
    assert (await _status(actor, letter_id))["status"] == "waiting"
    assert stack.tobb_adapter.client.health.degraded is None

    page = await anonymous.get("/")  # the page itself holds no data: it asks for a session first
    assert page.status_code == 200 and "login-form" in page.text


async def test_a_watcher_sees_everything_and_changes_nothing(stack: Stack, watcher: LoggedIn, actor: LoggedIn) -> None:
    letter_id = await _waiting_dead_letter(stack, actor, b"\x00 console: watched only")
    for path in ("/api/overview", "/api/dead-letters?all=1", "/api/reconciliations", "/asyncapi.yaml"):
        assert (await watcher.http.get(path)).status_code == 200, path
    session = (await watcher.http.get("/api/session")).json()
    assert (session["operator"], session["role"], session["may_act"]) == (WATCHER, "watch", False)

    tobb = f"/api/processes/{stack.tobb_adapter.NAME}/degraded/TOBB"
    for method, path, body in (
        ("POST", f"/api/dead-letters/{letter_id}/replay", {}),
        ("POST", f"/api/dead-letters/{letter_id}/replay", {"again": True}),
        ("POST", f"/api/dead-letters/{letter_id}/discard", {"reason": "a watcher tries"}),
        ("PUT", tobb, {"reason": "a watcher tries"}),
        ("DELETE", tobb, None),
    ):
        refused = await watcher.http.request(method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["detail"] == f"{WATCHER} has the role watch: it may look, not act"
    assert (await _status(actor, letter_id))["status"] == "waiting"
    assert stack.tobb_adapter.client.health.degraded is None

    assert (await watcher.http.post("/api/logout")).status_code == 200  # logging out is not acting
    assert (await watcher.http.get("/api/overview")).status_code == 401


async def test_a_change_without_the_pages_origin_or_csrf_token_is_refused(
    stack: Stack, console: ConsoleProcess, actor: LoggedIn, watcher: LoggedIn
) -> None:
    letter_id = await _waiting_dead_letter(stack, actor, b"\x00 console: forged")
    replay, discard = f"/api/dead-letters/{letter_id}/replay", f"/api/dead-letters/{letter_id}/discard"
    cookie = {"Cookie": f"{COOKIE}={actor.token}"}
    origin = {"Origin": console.base_url}
    for headers in (
        {**cookie, **origin},  # no CSRF token
        {**cookie, **origin, CSRF_HEADER: ""},
        {**cookie, **origin, CSRF_HEADER: actor.csrf[:-1] + ("0" if actor.csrf[-1] != "0" else "1")},
        {**cookie, **origin, CSRF_HEADER: watcher.csrf},  # another session's token
        {**cookie, CSRF_HEADER: actor.csrf},  # no Origin (curl, as measured from outside)
        {**cookie, CSRF_HEADER: actor.csrf, "Origin": "http://evil.example"},
        {**cookie, CSRF_HEADER: actor.csrf, "Origin": "null"},
        {**cookie, CSRF_HEADER: actor.csrf, "Origin": "http://127.0.0.1:1"},  # another port of this host
    ):
        async with httpx.AsyncClient(base_url=console.base_url, trust_env=False, headers=headers) as http:
            for path, body in ((replay, {}), (discard, {"reason": "forged"})):
                refused = await http.post(path, json=body)
                assert refused.status_code == 403, (headers, refused.text)
    assert (await _status(actor, letter_id))["status"] == "waiting"

    # With both, the change is made, and recorded under the session's operator, not a typed name.
    done = await actor.http.post(discard, json={"reason": "junk sent by a test", "by": "someone else"})
    assert done.status_code == 200, done.text
    decision = (await _status(actor, letter_id))["decision"]
    assert (decision["decided_by"], decision["reason"]) == (ACTOR, "junk sent by a test")


async def test_replay_and_degraded_are_recorded_under_the_logged_in_operator(stack: Stack, actor: LoggedIn) -> None:
    letter_id = await _waiting_dead_letter(stack, actor, b"{console: replayed by whom")
    done = await actor.http.post(f"/api/dead-letters/{letter_id}/replay", json={"by": "typed name"})
    assert done.status_code == 200, done.text
    decision = (await _status(actor, letter_id))["decision"]
    assert (decision["action"], decision["decided_by"]) == ("replayed", ACTOR)

    tobb = stack.tobb_adapter
    path = f"/api/processes/{tobb.NAME}/degraded/TOBB"
    try:
        declared = await actor.http.put(path, json={"reason": "TOBB maintenance", "by": "typed name"})
        assert declared.status_code == 200, declared.text
        assert tobb.client.health.degraded is not None and tobb.client.health.degraded.by == ACTOR
    finally:
        assert (await actor.http.delete(path)).status_code == 200
    assert tobb.client.health.degraded is None


async def test_the_session_cookie_and_what_the_store_keeps(console: ConsoleProcess, actor: LoggedIn) -> None:
    flags = [part.strip().lower() for part in actor.set_cookie.split(";")]
    assert flags[0].startswith(COOKIE.lower() + "=")
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= set(flags)
    assert not any(f.startswith("domain") for f in flags)
    max_age = next(int(f.split("=")[1]) for f in flags if f.startswith("max-age="))
    assert 7 * 3600 < max_age <= 8 * 3600

    async with console.engine.connect() as conn:
        digests = set((await conn.execute(select(sessions.c.token_hash))).scalars())
        stored = (await conn.execute(select(operators.c.password_hash).where(operators.c.name == ACTOR))).scalar_one()
    assert hashlib.sha256(actor.token.encode()).hexdigest() in digests and actor.token not in digests
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    assert (await actor.http.post("/api/logout")).status_code == 200
    assert (await actor.http.get("/api/overview")).status_code == 401  # the same cookie, ended
    async with console.engine.connect() as conn:
        assert hashlib.sha256(actor.token.encode()).hexdigest() not in set(
            (await conn.execute(select(sessions.c.token_hash))).scalars()
        )


async def test_failed_logins_lock_the_name_until_a_new_password(console: ConsoleProcess) -> None:
    name = "locked.out"
    await ensure_operator(console.operators, name, Role.ACT)
    assert (await login(console.base_url, "nobody.here")).status_code == 401
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert (await login(console.base_url, name, "a wrong password!")).status_code == 401
    locked = await login(console.base_url, name, "a wrong password!")
    assert locked.status_code == 423 and int(locked.headers["retry-after"]) > 60
    assert (await login(console.base_url, name)).status_code == 423  # the right password no longer counts

    async with httpx.AsyncClient(base_url=console.base_url, trust_env=False) as http:
        foreign = await http.post(
            "/api/login", json={"name": name, "password": PASSWORD}, headers={"Origin": "http://evil.example"}
        )
    assert foreign.status_code == 403  # logging in is a change too: from the console's page only

    await console.operators.set_password(name, PASSWORD + " renewed")  # `hub operators password`
    assert (await login(console.base_url, name, PASSWORD + " renewed")).status_code == 200


async def test_one_address_trying_many_names_is_stopped_as_an_address(stack: Stack) -> None:
    """Besides the lock per name: logins per client address, 429 with Retry-After beyond the limit."""
    limited = ConsoleProcess(stack.settings, stack.ops_targets, login_limit="3/minute")
    await limited.start()
    try:
        await ensure_operator(limited.operators, "kept.out", Role.ACT)
        for name in ("guess.one", "guess.two", "guess.three"):
            assert (await login(limited.base_url, name)).status_code == 401  # wrong names count too
        refused = await login(limited.base_url, "kept.out")  # the right password, after the budget
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert "too many logins" in refused.json()["detail"]
        async with httpx.AsyncClient(base_url=limited.base_url, trust_env=False) as http:
            assert (await http.get("/api/session")).status_code == 401  # nobody logged in
    finally:
        await limited.stop()
