"""GET-APP's guards in front of its routes: the Origin check and the per-client limits.

Both are plain ASGI middlewares, so they see every request before FastAPI parses a byte of it: a
request that is refused costs no JSON parsing, no database and no Argon2 hash. Their refusals are
answers like any other of GET-APP's: JSON with the A8 notice, never cached.

- `origin_guard`: the pages' Origin check (hub/web/origins.py `OriginGuard`): a state-changing request
  from a page of another origin is refused 403.
- `client_limits`: logins and applications per client address (hub/web/limits.py); beyond the
  limit 429 with `Retry-After` and the A8 notice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Final

from limits import RateLimitItem
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.getapp.accounts.api import answer
from hub.web.limits import ClientLimits
from hub.web.origins import OriginGuard

log = logging.getLogger(__name__)

LOGIN_PATH: Final = "/api/login"
APPLICATIONS_PATH: Final = "/api/applications"


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    body: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> None:
    await answer(status, body, headers)(scope, receive, send)


def origin_guard(app: ASGIApp, *, allowed_origins: Iterable[str] = ()) -> OriginGuard:
    """The Origin check (hub/web/origins.py), refusing with GET-APP's answer: the reason and the A8 notice."""
    return OriginGuard(app, allowed_origins, who="GET-APP", refuse=lambda why: answer(403, {"reason": why}))


async def refuse_over_limit(
    scope: Scope, receive: Receive, send: Send, what: str, item: RateLimitItem, wait: int
) -> None:
    """GET-APP's 429: JSON with the reason, `retry_after` and the A8 notice."""
    body = {"reason": f"too many {what} from this client: at most {item}; try again in {wait} s", "retry_after": wait}
    await _refuse(scope, receive, send, 429, body, {"Retry-After": str(wait)})


def client_limits(app: ASGIApp, *, login: str, application: str, storage: str = "async+memory://") -> ClientLimits:
    """Logins and applications per client address."""
    return ClientLimits(
        app,
        limits={LOGIN_PATH: ("logins", login), APPLICATIONS_PATH: ("applications", application)},
        refuse=refuse_over_limit,
        storage=storage,
        who="GET-APP",
    )
