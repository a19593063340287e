"""Operators' logins and sessions of the console.

    sessions = Sessions(engine, accounts.passwords)
    outcome = await sessions.login("ayse.demir", password)  # LoggedIn (token for the cookie) | LoginRefused
    operator = await sessions.session(token)                # SessionOperator | None (expired, idle, removed)

GET-APP's scheme, imported rather than copied: Argon2id through `Passwords` (verified off the event loop,
an unknown name costing one verification too, so that timing tells no names), a random
`secrets.token_urlsafe(32)` in the cookie and only its SHA-256 in the store. A session ends after
SESSION_TTL whatever happens, or after IDLE_TIMEOUT without a request; `last_seen_at` is written at most
once a minute, because the page asks every 2 seconds and the store is the core's (on SQLite a write
takes the one writer's lock).

Failed logins are limited as GET-APP's A7 limits a firm's user: MAX_FAILED_LOGINS in a row lock the
name for LOCK_DURATION, during which no password is even checked. A locked-out operator is unlocked by
`hub operators password NAME` (a new password), or waits.

The CSRF token is HMAC-SHA256 of a fixed label under the session token: the page reads it from
``GET /api/session`` (which another site's page cannot read) and sends it with every change. It needs no
column, cannot be computed from the store, and ends with its session.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.console.operators import Role, normal_name
from hub.console.tables import operators, sessions
from hub.getapp.accounts.passwords import Passwords

# The session-token digest of GET-APP's sessions (a private helper of GET-APP's service): one scheme for
# both pages. It belongs in a module both share (hub/web/); it stays where it is while GET-APP is reworked.
from hub.web.sessions import new_session_token, token_digest

log = logging.getLogger(__name__)

SESSION_TTL: Final = timedelta(hours=8)  # a shift
IDLE_TIMEOUT: Final = timedelta(minutes=30)
TOUCH_EVERY: Final = timedelta(minutes=1)  # the resolution of the idle timeout
MAX_FAILED_LOGINS: Final = 5  # as A7 for firms: failures in a row that lock a name ...
LOCK_DURATION: Final = timedelta(minutes=15)  # ... for this long
_CSRF_LABEL: Final = b"hub-console-csrf-v1"


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, offered: str | None) -> bool:
    if offered is None:
        return False
    return hmac.compare_digest(csrf_token(session_token).encode(), offered.encode("utf-8", "replace"))


@dataclass(frozen=True)
class SessionOperator:
    name: str
    role: Role
    expires_at: datetime
    csrf_token: str = field(repr=False)


@dataclass(frozen=True, repr=False)
class LoggedIn:
    token: str  # the cookie's value
    operator: SessionOperator

    def __repr__(self) -> str:
        return f"LoggedIn(operator={self.operator!r})"


@dataclass(frozen=True)
class LoginRefused:
    reason: Literal["wrong", "locked"]
    until: datetime | None = None  # when locked: the end of the lock


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sessions:
    def __init__(
        self,
        engine: AsyncEngine,
        passwords: Passwords,
        now: Callable[[], datetime] = _utc_now,
        *,
        ttl: timedelta = SESSION_TTL,
        idle_timeout: timedelta = IDLE_TIMEOUT,
    ) -> None:
        self._engine = engine
        self._passwords = passwords
        self._now = now
        self.ttl, self.idle_timeout = ttl, idle_timeout

    def clock(self) -> datetime:
        return self._now()

    async def login(self, typed_name: str, password: str) -> LoggedIn | LoginRefused:
        name = normal_name(typed_name)
        now = self._now()
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(operators).where(operators.c.name == name))).first()
        if row is None:
            await self._passwords.verify(None, password)  # as long as a real check: no oracle of names
            return LoginRefused("wrong")
        if row.locked_until is not None and now < row.locked_until:
            return LoginRefused("locked", row.locked_until)
        stored: str = row.password_hash
        verified = await self._passwords.verify(stored, password)
        token = new_session_token()
        async with self._engine.begin() as conn:
            # A no-op UPDATE first: the row's lock (PostgreSQL) or the write lock (SQLite), so that two
            # concurrent failures both count.
            await conn.execute(
                update(operators).where(operators.c.name == name).values(failed_logins=operators.c.failed_logins)
            )
            row = (await conn.execute(select(operators).where(operators.c.name == name))).first()
            if row is None or row.password_hash != stored:  # removed, or a new password meanwhile
                return LoginRefused("wrong")
            if row.locked_until is not None and now < row.locked_until:
                return LoginRefused("locked", row.locked_until)
            if not verified.ok:
                failures = row.failed_logins + 1
                if failures >= MAX_FAILED_LOGINS:
                    until = now + LOCK_DURATION
                    await conn.execute(
                        update(operators).where(operators.c.name == name).values(failed_logins=0, locked_until=until)
                    )
                    log.warning("operator %s locked until %s after %d failed logins", name, until, failures)
                    return LoginRefused("locked", until)
                await conn.execute(
                    update(operators).where(operators.c.name == name).values(failed_logins=failures, locked_until=None)
                )
                log.info("failed login of operator %s (%d in a row)", name, failures)
                return LoginRefused("wrong")
            success: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
            if verified.new_hash is not None:  # hashed with older parameters: keep the new hash
                success["password_hash"] = verified.new_hash
            await conn.execute(update(operators).where(operators.c.name == name).values(**success))
            expires = now + self.ttl
            await conn.execute(delete(sessions).where(self._ended(now)))  # abandoned ones, while at it
            await conn.execute(
                insert(sessions).values(
                    token_hash=token_digest(token), operator=name, created_at=now, last_seen_at=now, expires_at=expires
                )
            )
        log.info("operator %s (%s) logged in to the console", name, row.role)
        return LoggedIn(token, SessionOperator(name, Role(row.role), expires, csrf_token(token)))

    async def session(self, token: str | None) -> SessionOperator | None:
        """The operator of a live session, with their role as it is now; None for no session, an unknown
        token, or a session past its end or idle too long (which is then deleted)."""
        if not token:
            return None
        now = self._now()
        digest = token_digest(token)
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(sessions.c.operator, sessions.c.last_seen_at, sessions.c.expires_at, operators.c.role)
                    .join(operators, operators.c.name == sessions.c.operator)
                    .where(sessions.c.token_hash == digest)
                )
            ).first()
            if row is None:
                return None
            if row.expires_at <= now or now - row.last_seen_at >= self.idle_timeout:
                await conn.execute(delete(sessions).where(sessions.c.token_hash == digest))
                await conn.commit()
                log.info("session of operator %s ended (expired or idle)", row.operator)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                await conn.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=now))
                await conn.commit()
        return SessionOperator(row.operator, Role(row.role), row.expires_at, csrf_token(token))

    async def logout(self, token: str | None) -> None:
        if not token:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.token_hash == token_digest(token)))

    async def purge(self) -> int:
        """Delete the sessions past their end or idle too long; how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(sessions).where(self._ended(self._now())))
        return int(result.rowcount)

    def _ended(self, now: datetime) -> ColumnElement[bool]:
        return (sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= now - self.idle_timeout)
