"""Limits per client address, in front of the routes that cost the most (logins, applications): the
`limits` library's moving window, as a plain ASGI middleware, so a refused request costs no parsing, no
database and no Argon2 hash. Beyond a limit: 429 with `Retry-After`. GET-APP and the operator console
use it, each with its own paths and its own way of answering.

An IPv6 client is counted by its /64, the block one subscriber holds. The address is the connection's,
or the one a trusted proxy vouches for (uvicorn's ProxyHeadersMiddleware, installed outside).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# What answers a client over its limit: (scope, receive, send, what, limit, seconds to wait).
Refuse = Callable[[Scope, Receive, Send, str, RateLimitItem, int], Awaitable[None]]


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
    """429 once a client has used up, within the window, the POSTs it may send to a limited path.

    `limits`: path → (what is counted, e.g. "logins"; a `limits` string, e.g. "10/minute").
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Mapping[str, tuple[str, str]],
        refuse: Refuse,
        storage: str = "async+memory://",
        who: str = "",
    ) -> None:
        self.app = app
        self.limits: Mapping[str, tuple[str, RateLimitItem]] = {
            path: (what, parse(limit)) for path, (what, limit) in limits.items()
        }
        counts = storage_from_string(storage)
        if not isinstance(counts, AsyncStorage):
            raise ValueError(f"rate limit storage {storage!r} is not an async one (async+memory://, async+redis://...)")
        self.limiter = MovingWindowRateLimiter(counts)
        self._refuse = refuse
        self._who = who

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
        log.warning("%s: client %s over its %s limit (%s)", self._who, key, what, item)
        await self._refuse(scope, receive, send, what, item, wait)
