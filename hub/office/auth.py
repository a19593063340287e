"""Who may use the offices' API, enforced in one place for every route: `install_guard(app, sessions)`.

In front of every route, outermost first:
1. the pages' Origin check (hub/web/origins.py `OriginGuard`, GET-APP's): a state-changing request from a page
   of another origin is refused 403, before anything is parsed;
2. logins per client address (hub/web/limits.py), beyond the limit 429 with `Retry-After`;
3. the session: every path of the API (``/api/...``) and its OpenAPI document (``/docs``,
   ``/openapi.json``) but ``POST /api/login`` needs a live session of an enabled officer, else 401.

The page's own files hold no data and are open. Because the rule is by path, a route added later is
guarded without saying so; handlers read who is asking with the `CurrentOfficer` dependency. The cookie
is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` and ``__Host-`` prefixed unless the development
server asks otherwise (HUB_OFFICE_INSECURE_COOKIE); only its token's SHA-256 is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from limits import RateLimitItem
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from starlette.types import Receive, Scope, Send

from hub.domain.offices import OFFICES
from hub.office.accounts import OfficerSessions, SessionOfficer
from hub.web import is_api
from hub.web.limits import ClientLimits
from hub.web.logins import MAX_PASSWORD_LENGTH, LoggedIn, principal_of, retry_after_s
from hub.web.origins import OriginGuard
from hub.web.sessions import set_session_cookie

log = logging.getLogger(__name__)

LOGIN_PATH: Final = "/api/login"
PRINTABLE: Final = r"^[^\x00-\x1f\x7f]*$"  # no control character (PostgreSQL refuses NUL in text: a 500)
API_DOCUMENTS: Final = ("/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")


def cookie_name(secure: bool) -> str:
    """`__Host-` binds the cookie to this host and path (browsers take it only with Secure)."""
    return "__Host-hub-office-session" if secure else "hub-office-session"


def refused(status: int, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"reason": reason}, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


async def _over_limit(scope: Scope, receive: Receive, send: Send, what: str, item: RateLimitItem, wait: int) -> None:
    reason = f"too many {what} from this address: at most {item}; try again in {wait} s"
    await refused(429, reason, {"Retry-After": str(wait)})(scope, receive, send)


def current_officer(request: Request) -> SessionOfficer:
    """FastAPI dependency: the logged-in officer the guard found (401 if a route escaped the guard)."""
    return principal_of(request, "officer", SessionOfficer)


CurrentOfficer = Annotated[SessionOfficer, Depends(current_officer)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # no stripping: a password is taken as typed
    name: str = Field(min_length=1, max_length=100, pattern=PRINTABLE, description="The officer's staff id.")
    password: SecretStr = Field(description="As typed.")


class SessionOut(BaseModel):
    officer: str
    full_name: str
    office: str
    office_name: str | None
    role: str
    expires_at: str
    idle_timeout_s: int


def session_body(officer: SessionOfficer, sessions: OfficerSessions) -> dict[str, Any]:
    office = OFFICES.get(officer.office)
    return SessionOut(
        officer=officer.name, full_name=officer.full_name, office=officer.office,
        office_name=office.name if office else None, role=officer.role.value,
        expires_at=officer.expires_at.isoformat(), idle_timeout_s=int(sessions.idle_timeout.total_seconds()),
    ).model_dump()  # fmt: skip


def install_guard(
    app: FastAPI,
    sessions: OfficerSessions,
    *,
    secure_cookie: bool,
    login_limit: str,
    rate_limit_storage: str,
    allowed_origins: tuple[str, ...],
) -> None:
    """The session check and ``POST /api/login``, ``POST /api/logout``, ``GET /api/session``, with the
    Origin check and the login limit outside the session check."""
    cookie = cookie_name(secure_cookie)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path == LOGIN_PATH or not (is_api(path) or path in API_DOCUMENTS):
            return await call_next(request)
        token = request.cookies.get(cookie)
        officer = await sessions.session(token)
        if officer is None:
            response = refused(401, "log in first (no session, or it has ended)")
            if token is not None:
                response.delete_cookie(cookie, path="/", secure=secure_cookie, httponly=True, samesite="strict")
            return response
        request.state.officer = officer
        return await call_next(request)

    app.add_middleware(
        ClientLimits, limits={LOGIN_PATH: ("logins", login_limit)}, refuse=_over_limit, storage=rate_limit_storage,
        who="office",
    )  # fmt: skip
    app.add_middleware(OriginGuard, allowed_origins=allowed_origins, who="office API")

    @app.post(LOGIN_PATH, response_model=SessionOut, responses={401: {}, 423: {}, 429: {}})
    async def login(body: LoginIn, request: Request) -> JSONResponse:
        """Log in with the staff id and password `hub officers add` gave; sets the session cookie."""
        password = body.password.get_secret_value()
        if len(password) > MAX_PASSWORD_LENGTH:  # never hashed: no officer has one that long
            return refused(401, "wrong staff id or password")
        outcome = await sessions.login(body.name, password)
        if not isinstance(outcome, LoggedIn):
            if outcome.reason == "locked" and outcome.until is not None:
                wait = retry_after_s(outcome.until, sessions.clock())
                until = outcome.until.strftime("%H:%M UTC")
                return refused(423, f"locked after failed logins: try again after {until}", {"Retry-After": str(wait)})
            return refused(401, "wrong staff id or password")
        await sessions.logout(request.cookies.get(cookie))  # a session this browser had before ends
        response = JSONResponse(session_body(outcome.principal, sessions), headers={"Cache-Control": "no-store"})
        set_session_cookie(
            response, cookie, outcome.token, expires_at=outcome.principal.expires_at, now=sessions.clock(),
            secure=secure_cookie,
        )  # fmt: skip
        return response

    @app.post("/api/logout")
    async def logout(request: Request, officer: CurrentOfficer) -> JSONResponse:
        """End this session."""
        await sessions.logout(request.cookies.get(cookie))
        log.info("officer %s logged out", officer.name)
        response = JSONResponse({"logged_out": True})
        response.delete_cookie(cookie, path="/", secure=secure_cookie, httponly=True, samesite="strict")
        return response

    @app.get("/api/session", response_model=SessionOut)
    async def session(officer: CurrentOfficer) -> dict[str, Any]:
        """Who is logged in: staff id, office, C1 role, and when the session ends."""
        return session_body(officer, sessions)
