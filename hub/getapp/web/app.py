"""The GET-APP application: the accounts and tracking JSON APIs and the static page, on one origin.

    app = create_getapp_app(accounts_service, tracking_engine)

- `/api/...` of accounts (login, logout, session, users, password; A4–A7) and of tracking
  (declarations, timelines, average times, statistics; A1–A3, C4), the latter behind the
  accounts' `current_firm` dependency. Every answer carries the A8 notice, an unknown `/api/...`
  path or method included.
- `/`: the page (static/index.html, app.js, style.css), which calls those endpoints with fetch.
  Same origin, so the session cookie stays HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.getapp.accounts.api import NOTICE, current_firm, install_accounts
from hub.getapp.accounts.service import AccountService
from hub.getapp.tracking.api import tracking_router
from hub.web import serve_page

TITLE: Final = "GET-APP (e-ATA/TR hub)"
STATIC_DIR: Final = Path(__file__).parent / "static"


def create_getapp_app(
    accounts_service: AccountService,
    tracking_engine: AsyncEngine,
    *,
    secure_cookie: bool = True,
) -> FastAPI:
    """The GET-APP application over an account service and the tracking read model's engine.

    `secure_cookie=False` only for a development server on plain HTTP other than localhost.
    """
    app = FastAPI(
        title=TITLE,
        description="GET-APP (Circular 2017/12): firms follow their own goods through customs. "
        "Everything it shows is informational and not legally binding (A8).",
        version="1",
    )
    # Accounts (A4 to A7); install_accounts binds the service for `current_firm` too.
    install_accounts(app, accounts_service, secure_cookie=secure_cookie)
    # Tracking (A1 to A3, C4), only for a logged-in firm that has changed its initial password.
    app.include_router(tracking_router(tracking_engine, current_firm))

    @app.exception_handler(StarletteHTTPException)
    async def api_errors_with_notice(request: Request, exc: StarletteHTTPException) -> Response:
        """An /api path no route takes (404, 405): JSON with the A8 notice, not the static page's plain text."""
        if request.url.path == "/api" or request.url.path.startswith("/api/"):
            return JSONResponse(
                {"reason": str(exc.detail), "notice": dict(NOTICE)}, status_code=exc.status_code, headers=exc.headers
            )
        return await http_exception_handler(request, exc)

    serve_page(app, STATIC_DIR, "getapp-page")  # last: its mount at "/" takes every other path
    return app
