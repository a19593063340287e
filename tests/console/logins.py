"""Operators for the console's tests, and HTTP clients logged in as them.

httpx keeps no `Secure` cookie for a plain-HTTP address (Chromium does, for 127.0.0.1), so a logged-in
client carries the session cookie, the page's Origin and the CSRF token as default headers: exactly
what the console's page sends with a change.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from hub.operations.console.auth import COOKIE, CSRF_HEADER
from hub.operations.console.operators import OperatorAccounts, OperatorError, Role

PASSWORD = "correct horse battery staple 42"


async def ensure_operator(accounts: OperatorAccounts, name: str, role: Role, password: str = PASSWORD) -> str:
    """The operator with this role and password, made or reset (the session's store outlives a module)."""
    try:
        await accounts.add(name, role, password)
    except OperatorError:
        await accounts.remove(name)
        await accounts.add(name, role, password)
    return password


@dataclass
class LoggedIn:
    http: httpx.AsyncClient  # sends the cookie, the Origin and the CSRF token
    token: str  # the session cookie's value
    csrf: str
    operator: str
    set_cookie: str  # the login answer's Set-Cookie header, as a browser got it


async def login(base_url: str, name: str, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=30, trust_env=False) as http:
        return await http.post("/api/login", json={"name": name, "password": password}, headers={"Origin": base_url})


@contextlib.asynccontextmanager
async def logged_in(base_url: str, name: str, password: str = PASSWORD) -> AsyncIterator[LoggedIn]:
    answer = await login(base_url, name, password)
    assert answer.status_code == 200, answer.text
    name_value = answer.headers["set-cookie"].split(";", 1)[0]
    assert name_value.startswith(f"{COOKIE}="), answer.headers["set-cookie"]
    token = name_value.split("=", 1)[1]
    csrf = answer.json()["csrf_token"]
    headers = {"Cookie": f"{COOKIE}={token}", "Origin": base_url, CSRF_HEADER: csrf}
    async with httpx.AsyncClient(base_url=base_url, timeout=30, trust_env=False, headers=headers) as http:
        yield LoggedIn(http, token, csrf, answer.json()["operator"], answer.headers["set-cookie"])
