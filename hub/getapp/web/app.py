"""The GET-APP application: the accounts and tracking JSON APIs and the static page, on one origin.

    app = create_getapp_app(accounts_service, tracking_engine)

- `/api/...` of accounts (login, logout, session, users, password; A4–A7) and of tracking
  (declarations, timelines, average times, statistics; A1–A3, C4), the latter behind the
  accounts' `current_firm` dependency. Every answer carries the A8 notice, an unknown `/api/...`
  path or method included.
- `/`: the page (static/index.html, app.js, style.css), which calls those endpoints with fetch.
  Same origin, so the session cookie stays HttpOnly and SameSite=Strict.
- In front of them (`guard`): the Origin check of every state-changing request and the per-client
  limits of logins and applications; in front of those, uvicorn's ProxyHeadersMiddleware, which
  believes X-Forwarded-For/-Proto only from `WebSettings.trusted_proxies` (none by default).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub.getapp.accounts.api import NOTICE, answer, current_firm, install_accounts, malformed
from hub.getapp.accounts.service import AccountService
from hub.getapp.tracking.api import tracking_router
from hub.getapp.web.guard import client_limits, origin_guard
from hub.getapp.web.settings import WebSettings
from hub.web import ALL_METHODS, is_api, serve_page

TITLE: Final = "GET-APP (e-ATA/TR hub)"
STATIC_DIR: Final = Path(__file__).parent / "static"


def create_getapp_app(
    accounts_service: AccountService,
    tracking_engine: AsyncEngine,
    web: WebSettings | None = None,
) -> FastAPI:
    """The GET-APP application over an account service and the tracking read model's engine.

    `web` (default: `WebSettings()`, secure): the cookie's `Secure` flag, the limits, the proxies
    and origins to trust. The process passes `WebSettings.from_env()`.
    """
    web = web or WebSettings()
    app = FastAPI(
        title=TITLE,
        description="GET-APP (Circular 2017/12): firms follow their own goods through customs. "
        "Everything it shows is informational and not legally binding (A8).",
        version="1",
    )
    # Accounts (A4 to A7); install_accounts binds the service for `current_firm` too.
    install_accounts(app, accounts_service, secure_cookie=web.secure_cookie)
    # Tracking (A1 to A3, C4), only for a logged-in firm that has changed its initial password.
    app.include_router(tracking_router(tracking_engine, current_firm))

    @app.exception_handler(StarletteHTTPException)
    async def api_errors_with_notice(request: Request, exc: StarletteHTTPException) -> Response:
        """An /api path no route takes (404, 405): JSON with the A8 notice, not the static page's plain text."""
        if is_api(request.url.path):
            if exc.status_code == 400:
                # FastAPI's "error parsing the body" (bytes that are not UTF-8), raised before any route
                # handler: a malformed request like any other, 422 as documented (schemathesis found it).
                errors = [{"loc": ["body"], "msg": "not JSON in UTF-8"}]
                return answer(422, {"reason": malformed(errors), "errors": errors})
            return JSONResponse(  # rule: A8
                {"reason": str(exc.detail), "notice": dict(NOTICE)}, status_code=exc.status_code, headers=exc.headers
            )
        return await http_exception_handler(request, exc)

    _api_fallback(app)

    # The last added runs first: the proxy's word on the client, then the Origin check (a forged
    # request does not spend its victim's budget), then the limits.
    app.add_middleware(
        client_limits,
        login=web.login_limit,
        application=web.application_limit,
        storage=web.rate_limit_storage,
    )
    app.add_middleware(origin_guard, allowed_origins=web.allowed_origins)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(web.trusted_proxies))
    serve_page(app, STATIC_DIR, "getapp-page")  # last: its mount at "/" takes every other path
    return app


def _api_fallback(app: FastAPI) -> None:
    """An /api path no route takes with this method: 405 with the `Allow` its operations really have
    (those of the OpenAPI document), or 404; JSON with the A8 notice either way.

    Without it the page's mount at "/" would answer, with `Allow: GET, HEAD` for a path that takes
    only POST (schemathesis found it). Registered after every API route, before the mount."""
    operations: list[tuple[re.Pattern[str], frozenset[str]]] = []

    def allowed_methods(path: str) -> set[str]:
        if not operations:  # the document is complete only once every route is in
            for template, item in app.openapi()["paths"].items():
                methods = frozenset(m.upper() for m in item if m.upper() in ALL_METHODS)
                operations.append((compile_path(template)[0], methods))
        return {m for pattern, methods in operations if pattern.match(path) for m in methods}

    @app.api_route("/api/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    async def no_such_route(request: Request) -> Response:
        allowed = allowed_methods(request.url.path)
        if allowed:
            reason = f"{request.method} is not allowed here"
            return answer(405, {"reason": reason}, {"Allow": ", ".join(sorted(allowed))})
        return answer(404, {"reason": "Not Found"})
