"""Operators' logins and sessions of the console: the staff pages' scheme (hub/web/logins.py) over the
console's tables.

    sessions = Sessions(engine, accounts.passwords)
    outcome = await sessions.login("ayse.demir", password)  # LoggedIn (token for the cookie) | LoginRefused
    operator = await sessions.session(token)                # SessionOperator | None (expired, idle, removed)

Argon2id, the cookie's token kept as its SHA-256 only, the end after SESSION_TTL or IDLE_TIMEOUT, the
lock after MAX_FAILED_LOGINS: all in hub/web/logins.py, shared with the offices' page. A locked-out
operator is unlocked by `hub operators password NAME` (a new password), or waits.

The CSRF token is HMAC-SHA256 of the console's label under the session token: the page reads it from
``GET /api/session`` (which another site's page cannot read) and sends it with every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.operations.console.operators import TABLES, Role
from hub.web import logins
from hub.web.logins import (
    IDLE_TIMEOUT,
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    SESSION_TTL,
    TOUCH_EVERY,
    LoginRefused,
    Logins,
    normal_name,
)
from hub.web.passwords import Passwords

__all__ = [
    "IDLE_TIMEOUT",
    "LOCK_DURATION",
    "MAX_FAILED_LOGINS",
    "SESSION_TTL",
    "TOUCH_EVERY",
    "LoggedIn",
    "LoginRefused",
    "SessionOperator",
    "Sessions",
    "csrf_matches",
    "csrf_token",
]

_CSRF_LABEL: Final = b"hub-console-csrf-v1"


def csrf_token(session_token: str) -> str:
    return logins.csrf_token(_CSRF_LABEL, session_token)


def csrf_matches(session_token: str, offered: str | None) -> bool:
    return logins.csrf_matches(_CSRF_LABEL, session_token, offered)


@dataclass(frozen=True)
class SessionOperator:
    name: str
    role: Role
    expires_at: datetime
    csrf_token: str = field(repr=False)


def _operator(row: Row[Any], expires_at: datetime, csrf: str) -> SessionOperator:
    return SessionOperator(row.name, Role(row.role), expires_at, csrf)


@dataclass(frozen=True, repr=False)
class LoggedIn:
    token: str  # the cookie's value
    operator: SessionOperator

    def __repr__(self) -> str:
        return f"LoggedIn(operator={self.operator!r})"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sessions(Logins[SessionOperator]):
    def __init__(
        self,
        engine: AsyncEngine,
        passwords: Passwords,
        now: Callable[[], datetime] = _utc_now,
        *,
        ttl: timedelta = SESSION_TTL,
        idle_timeout: timedelta = IDLE_TIMEOUT,
    ) -> None:
        super().__init__(engine, passwords, TABLES, _operator, _CSRF_LABEL, now, ttl=ttl, idle_timeout=idle_timeout)

    async def login(self, name: str, password: str) -> LoggedIn | LoginRefused:  # type: ignore[override]
        outcome = await super().login(normal_name(name), password)
        if isinstance(outcome, LoginRefused):
            return outcome
        return LoggedIn(outcome.token, outcome.principal)
