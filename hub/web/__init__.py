"""What the hub's web pages share (GET-APP, the operator console, the offices' page): their security headers, the
files served by each at ``/shared``, and their icon (``/shared/favicon.svg``, also at ``/favicon.ico``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

SHARED_STATIC_DIR: Final = Path(__file__).parent / "static"
# The pages name it with <link rel="icon" href="/shared/favicon.svg">; /favicon.ico answers the same
# picture for what asks there by habit (browsers without the link, bookmarks, crawlers): never a 404.
FAVICON: Final = SHARED_STATIC_DIR / "favicon.svg"

# A page loads nothing but its own files and talks to nothing but its own origin (the network is
# closed, and a page of customs traffic has no business with third parties).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Every method an /api path may be asked with: a page's fallback route takes them all, so that its API
# answers an unknown path or method in JSON rather than the page's mount.
ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def is_api(path: str) -> bool:
    """Is `path` one of a page's API (``/api`` or below), answered in JSON?"""
    return path == "/api" or path.startswith("/api/")


def serve_page(app: FastAPI, static_dir: Path, name: str) -> None:
    """Serve the page in `static_dir` at ``/`` (with the shared files at ``/shared`` and the icon at
    ``/favicon.ico``), every answer with the security headers (a route may set its own policy), and
    ``/api/`` answers never cached.

    Call last: the mount at ``/`` answers every path the app's routes did not take.
    """

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if request.url.path.startswith("/api/"):
            # What a page shows of its API (a firm's declarations, dead letters): never kept by a cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        # An SVG under the .ico name: browsers go by the Content-Type, not the file name.
        return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/shared", StaticFiles(directory=SHARED_STATIC_DIR), name="shared")
    app.mount("/", StaticFiles(directory=static_dir, html=True), name=name)
