"""GET-APP's guards in front of its routes: the Origin check and the per-client limits.

Both are plain ASGI middlewares, so they see every request before FastAPI parses a byte of it: a
request that is refused costs no JSON parsing, no database and no Argon2 hash. Their refusals are
answers like any other of GET-APP's: JSON with the A8 notice, never cached.

- `OriginGuard`: a state-changing request (any method but GET, HEAD, OPTIONS) whose `Origin` (or,
  without one, `Referer`) is neither the page's own origin nor an allowed one is refused 403. A
  request with neither header is let through unless `Sec-Fetch-Site` says another site sent it:
  every browser sends `Origin` on a cross-origin POST, PUT, PATCH or DELETE, so a request without
  one comes from a program, which holds no victim's cookie (see docs/decisions-getapp-hardening.md).
- `ClientLimits`: logins and applications per client address (the `limits` library, moving
  window); beyond the limit 429 with `Retry-After`. An IPv6 client is counted by its /64, the
  block one subscriber holds. The address is the connection's, or the one a trusted proxy vouches
  for (uvicorn's ProxyHeadersMiddleware, installed outside these guards by `create_getapp_app`).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.getapp.accounts.api import answer

log = logging.getLogger(__name__)

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# What `Sec-Fetch-Site` says of a request the page itself (or the person, typing an address) sent.
_OWN_FETCH_SITES: Final = frozenset({"same-origin", "none"})

LOGIN_PATH: Final = "/api/login"
APPLICATIONS_PATH: Final = "/api/applications"


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


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    body: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> None:
    await answer(status, body, headers)(scope, receive, send)


class OriginGuard:
    """403 for a state-changing request sent by a page of another origin (CSRF, login CSRF)."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
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
        log.warning("GET-APP refused %s %s: %s", scope["method"], scope["path"], why)
        await _refuse(scope, receive, send, 403, {"reason": why})


def client_key(scope: Scope) -> str:
    """Whom a request is counted against: its client address, an IPv6 one by its /64."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ClientLimits:
    """429 with `Retry-After` once a client has used up its logins or applications in the window."""

    def __init__(self, app: ASGIApp, *, login: str, application: str, storage: str = "async+memory://") -> None:
        self.app = app
        self.limits: Mapping[str, tuple[str, RateLimitItem]] = {
            LOGIN_PATH: ("logins", parse(login)),
            APPLICATIONS_PATH: ("applications", parse(application)),
        }
        counts = storage_from_string(storage)
        if not isinstance(counts, AsyncStorage):
            raise ValueError(f"rate limit storage {storage!r} is not an async one (async+memory://, async+redis://...)")
        self.limiter = MovingWindowRateLimiter(counts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limited = self.limits.get(scope["path"].rstrip("/")) if scope["type"] == "http" else None
        if limited is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        what, item = limited
        key = client_key(scope)
        if await self.limiter.hit(item, what, key):
            await self.app(scope, receive, send)
            return
        stats = await self.limiter.get_window_stats(item, what, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        log.warning("GET-APP: client %s over its %s limit (%s)", key, what, item)
        body = {
            "reason": f"too many {what} from this client: at most {item}; try again in {wait} s",
            "retry_after": wait,
        }
        await _refuse(scope, receive, send, 429, body, {"Retry-After": str(wait)})
