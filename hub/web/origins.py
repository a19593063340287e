"""The Origin check in front of a page's routes (GET-APP's, the offices' page's): a plain ASGI middleware,
so a refused request costs no JSON parsing, no database and no Argon2 hash.

    app.add_middleware(OriginGuard, allowed_origins=settings.allowed_origins, who="office API")

A state-changing request (any method but GET, HEAD, OPTIONS) whose `Origin` (or, without one, `Referer`)
is neither the page's own origin nor an allowed one is refused 403 (CSRF, login CSRF). A request with
neither header is let through unless `Sec-Fetch-Site` says another site sent it: every browser sends
`Origin` on a cross-origin POST, PUT, PATCH or DELETE, so a request without one comes from a program,
which holds no victim's cookie (see docs/decisions-getapp-hardening.md). The refusal is the page's own
answer (`refuse`): by default JSON with the `reason`, never cached.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# What `Sec-Fetch-Site` says of a request the page itself (or the person, typing an address) sent.
_OWN_FETCH_SITES: Final = frozenset({"same-origin", "none"})


def normalized_origin(value: str) -> str | None:
    """`scheme://host[:port]` of an origin or URL, lower-case, default port dropped; None when it has none."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None  # "null" (a sandboxed frame, a file), a data: URL: never the page's own
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def reason_only(why: str) -> Response:
    """403, JSON with the reason, never cached."""
    return JSONResponse({"reason": why}, status_code=403, headers={"Cache-Control": "no-store"})


class OriginGuard:
    """403 for a state-changing request sent by a page of another origin (CSRF, login CSRF)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: Iterable[str] = (),
        *,
        who: str = "page",
        refuse: Callable[[str], Response] = reason_only,
    ) -> None:
        """`who`: how the log names the page; `refuse`: the page's 403 answer for a reason."""
        self.app = app
        self.who, self.refuse = who, refuse
        allowed = {normalized_origin(o) for o in allowed_origins}
        self.allowed: frozenset[str] = frozenset(o for o in allowed if o is not None)

    def _own_origin(self, scope: Scope) -> str | None:
        host = _header(scope, b"host")
        return None if host is None else normalized_origin(f"{scope.get('scheme', 'http')}://{host}")

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None."""
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return None
        origin, referer = _header(scope, b"origin"), _header(scope, b"referer")
        claimed = origin if origin is not None else referer
        if claimed is None:
            site = _header(scope, b"sec-fetch-site")
            if site is not None and site.strip().lower() not in _OWN_FETCH_SITES:
                return f"a {scope['method']} sent by another site (Sec-Fetch-Site: {site}) is refused"
            return None  # not a browser's request: nothing to forge (see the module's docstring)
        sender = normalized_origin(claimed)
        if sender is not None and (sender == self._own_origin(scope) or sender in self.allowed):
            return None
        header = "Origin" if origin is not None else "Referer"
        return f"a {scope['method']} from another origin is refused ({header}: {claimed[:200]})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = self.refusal(scope)
        if why is None:
            await self.app(scope, receive, send)
            return
        log.warning("%s refused %s %s: %s", self.who, scope["method"], scope["path"], why)
        await self.refuse(why)(scope, receive, send)
