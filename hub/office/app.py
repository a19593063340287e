"""The offices' application: the JSON API (OpenAPI at /docs, for a logged-in officer) and the page, on
one origin, so that the session cookie stays HttpOnly and SameSite=Strict.

    app = create_office_app(engine, sessions, OfficeSettings())

Outermost first: the security headers and no-store of every /api answer (hub/web `serve_page`),
uvicorn's ProxyHeadersMiddleware (believes X-Forwarded-For/-Proto only from the trusted proxies), the
Origin check, the login limit, the session check (hub/office/auth.py). Every answer to bad input is
4xx, JSON with a `reason`: an unknown /api path 404, a wrong method 405, bad parameters 422.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub.office.accounts import OfficerSessions
from hub.office.api import office_router
from hub.office.auth import install_guard, refused
from hub.office.settings import OfficeSettings
from hub.web import ALL_METHODS, is_api, serve_page

TITLE: Final = "e-ATA/TR — gümrük idareleri (customs offices)"
STATIC_DIR: Final = Path(__file__).parent / "static"


def create_office_app(
    engine: AsyncEngine, sessions: OfficerSessions, settings: OfficeSettings | None = None
) -> FastAPI:
    settings = settings or OfficeSettings()
    app = FastAPI(
        title=TITLE,
        description="Customs officers find the ATA declarations their office may see (C2), read their goods "
        "lines, ledger, documents and notes (C3) and who acted when, and the statistics of C4.",
        version="1",
    )
    install_guard(
        app, sessions, secure_cookie=settings.secure_cookie, login_limit=settings.login_limit,
        rate_limit_storage=settings.rate_limit_storage, allowed_origins=settings.allowed_origins,
    )  # fmt: skip
    app.include_router(office_router(engine))

    @app.exception_handler(StarletteHTTPException)
    async def api_errors(request: Request, exc: StarletteHTTPException) -> Response:
        """Every /api refusal as JSON with a `reason`; a body that is not UTF-8 JSON is a 422 as any other."""
        if is_api(request.url.path):
            if exc.status_code == 400:
                return refused(422, "the body is not JSON in UTF-8")
            return refused(exc.status_code, str(exc.detail), dict(exc.headers or {}))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request.url.path):
            errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
            return JSONResponse(
                {"reason": "the request's parameters are not valid", "errors": errors},
                status_code=422,
                headers={"Cache-Control": "no-store"},
            )
        return await request_validation_exception_handler(request, exc)

    @app.api_route("/api/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    async def no_such_route(request: Request) -> Response:
        """An /api path no route takes with this method: JSON, not the page's mount answering."""
        return refused(404, "no such API path (see /docs)")

    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    serve_page(app, STATIC_DIR, "office-page")  # last: its mount at "/" takes every other path
    return app
