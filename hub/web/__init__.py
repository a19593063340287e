"""What the hub's web pages share (GET-APP, the operator console): their security headers, and the
files served by each at ``/shared``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

SHARED_STATIC_DIR: Final = Path(__file__).parent / "static"

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


def serve_page(app: FastAPI, static_dir: Path, name: str) -> None:
    """Serve the page in `static_dir` at ``/`` (with the shared files at ``/shared``), every answer
    with the security headers (a route may set its own policy), and ``/api/`` answers never cached.

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

    app.mount("/shared", StaticFiles(directory=SHARED_STATIC_DIR), name="shared")
    app.mount("/", StaticFiles(directory=static_dir, html=True), name=name)
