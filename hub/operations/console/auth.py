"""Who may use the console, enforced in one place for every route: `install_login(app, sessions)`.

The guard, on every path of the API (``/api/...``) and of the AsyncAPI document, in this order:

1. no live session (cookie missing, unknown, expired, idle too long, operator removed): **401**;
2. a change (any method but GET and HEAD) without an ``Origin`` naming the console's own host: **403**
   (browsers always send one with a change; a page of another site, or another port of this host, names
   itself; a script without one is not a browser and uses ``hub dlq`` instead);
3. a change without the session's CSRF token in ``X-CSRF-Token``: **403**;
4. a change by an operator whose role is not ``act``: **403** (logging out excepted).

Only ``POST /api/login`` is open (with the Origin check of 2.), and the page's own files, which hold no
data. Because the rule is by path and method, a route added later is guarded without saying so; handlers
read who is asking with the `CurrentOperator` dependency.

The cookie is ``Secure``, ``HttpOnly``, ``SameSite=Strict`` and ``__Host-`` prefixed (no Domain, Path=/:
no other host can set or shadow it). Browsers keep Secure cookies over plain HTTP for localhost and
127.0.0.1 only, so the console is reached either there or through TLS (a proxy; ``X-Forwarded-Host``
is accepted as the console's host).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from limits import RateLimitItem
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from starlette.types import Receive, Scope, Send

from hub.operations.console.operators import Role
from hub.operations.console.sessions import LoggedIn, SessionOperator, Sessions, csrf_matches
from hub.web.limits import ClientLimits
from hub.web.logins import MAX_PASSWORD_LENGTH, principal_of, retry_after_s
from hub.web.sessions import set_session_cookie

log = logging.getLogger(__name__)

COOKIE: Final = "__Host-hub-console-session"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
LOGIN_PATH: Final = "/api/login"
DEFAULT_LOGIN_LIMIT: Final = "10/minute"  # per client address (HUB_CONSOLE_LOGIN_LIMIT)
LOGOUT_PATH: Final = "/api/logout"


def guarded(path: str) -> bool:
    """Paths that show or change something: everything but the page's own files."""
    return path.startswith("/api/") or path in ("/asyncapi", "/asyncapi.yaml")


def same_origin(request: Request) -> bool:
    """Does the request name the console's own page as where it comes from? No Origin is no."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}
    return urlsplit(origin).netloc in hosts


def _refused(status: int, detail: str, *, forget_cookie: bool = False) -> JSONResponse:
    return _answer(status, {"detail": detail}, forget_cookie=forget_cookie)


def _answer(status: int, body: dict[str, Any], *, forget_cookie: bool = False) -> JSONResponse:
    response = JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    if forget_cookie:
        response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def current_operator(request: Request) -> SessionOperator:
    """FastAPI dependency: the logged-in operator the guard found (401 if a route escaped the guard)."""
    return principal_of(request, "operator", SessionOperator)


CurrentOperator = Annotated[SessionOperator, Depends(current_operator)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # no stripping: a password is taken as typed
    name: str = Field(max_length=100)
    password: SecretStr


def _session_body(operator: SessionOperator, sessions: Sessions) -> dict[str, Any]:
    return {
        "operator": operator.name,
        "role": operator.role.value,
        "may_act": operator.role is Role.ACT,
        "csrf_token": operator.csrf_token,
        "expires_at": operator.expires_at.isoformat(),
        "idle_timeout_s": int(sessions.idle_timeout.total_seconds()),
    }


def _until(moment: datetime | None) -> str:
    return "later" if moment is None else "after " + moment.strftime("%H:%M UTC")


async def _over_limit(scope: Scope, receive: Receive, send: Send, what: str, item: RateLimitItem, wait: int) -> None:
    detail = f"too many {what} from this address: at most {item}; try again in {wait} s"
    response = JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(wait)})
    response.headers["Cache-Control"] = "no-store"
    await response(scope, receive, send)


def install_login(app: FastAPI, sessions: Sessions, *, login_limit: str = DEFAULT_LOGIN_LIMIT) -> None:
    """The guard and ``POST /api/login``, ``POST /api/logout``, ``GET /api/session``. Install before
    `serve_page`, so that its security headers and no-store cover the guard's refusals too.

    Logins are limited per client address too (`login_limit`, hub/web/limits.py), besides the lock per
    name: one address trying many names is stopped as an address. Added before the guard, so that it
    runs after it: a login from another site's page spends nobody's budget."""
    app.add_middleware(ClientLimits, limits={LOGIN_PATH: ("logins", login_limit)}, refuse=_over_limit, who="console")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path, changes = request.url.path, request.method not in SAFE_METHODS
        if path == LOGIN_PATH:
            if changes and not same_origin(request):
                return _refused(403, "log in on the console's own page")
            return await call_next(request)
        if not guarded(path):
            return await call_next(request)
        token = request.cookies.get(COOKIE)
        operator = await sessions.session(token)
        if operator is None or token is None:
            return _refused(401, "log in first (no session, or it has ended)", forget_cookie=token is not None)
        if changes:
            if not same_origin(request):
                return _refused(403, "changes come from the console's own page only")
            if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
                return _refused(403, f"the {CSRF_HEADER} header is missing or wrong: reload the page")
            if path != LOGOUT_PATH and operator.role is not Role.ACT:
                log.warning("operator %s (role %s) refused: %s %s", operator.name, operator.role, request.method, path)
                return _refused(403, f"{operator.name} has the role {operator.role}: it may look, not act")
        request.state.operator = operator
        return await call_next(request)

    @app.post(LOGIN_PATH)
    async def login(body: LoginIn, request: Request) -> JSONResponse:
        password = body.password.get_secret_value()
        if len(password) > MAX_PASSWORD_LENGTH:  # never hashed: no operator has one that long
            return _refused(401, "wrong name or password")
        outcome = await sessions.login(body.name, password)
        if not isinstance(outcome, LoggedIn):
            if outcome.reason == "locked":
                response = _refused(423, f"locked after failed logins: try again {_until(outcome.until)}")
                if outcome.until is not None:
                    response.headers["Retry-After"] = str(retry_after_s(outcome.until, sessions.clock()))
                return response
            return _refused(401, "wrong name or password")
        await sessions.logout(request.cookies.get(COOKIE))  # a session this browser had before ends
        response = JSONResponse(_session_body(outcome.operator, sessions))
        set_session_cookie(
            response, COOKIE, outcome.token, expires_at=outcome.operator.expires_at, now=sessions.clock()
        )
        return response

    @app.post(LOGOUT_PATH)
    async def logout(request: Request, operator: CurrentOperator) -> JSONResponse:
        await sessions.logout(request.cookies.get(COOKIE))
        log.info("operator %s logged out of the console", operator.name)
        return _answer(200, {"logged_out": True}, forget_cookie=True)

    @app.get("/api/session")
    async def session(operator: CurrentOperator) -> dict[str, Any]:
        return _session_body(operator, sessions)
