"""Logins and sessions of the hub's staff pages (the operator console, the offices' page): one scheme,
written once, over each page's own two tables.

    logins = Logins(engine, passwords, tables, principal=...)
    outcome = await logins.login("ayse.demir", password)  # LoggedIn (token for the cookie) | LoginRefused
    who = await logins.session(token)                       # the principal | None (expired, idle, removed)

GET-APP's scheme, imported rather than copied: Argon2id through `Passwords` (verified off the event loop,
an unknown name costing one verification too, so that timing tells no names), a random
`secrets.token_urlsafe(32)` in the cookie and only its SHA-256 in the store (hub/web/sessions.py). A
session ends after `ttl` whatever happens, or after `idle_timeout` without a request; `last_seen_at` is
written at most once a minute (the pages ask every few seconds and the store is the core's: on SQLite a
write takes the one writer's lock).

Failed logins are limited as GET-APP's A7 limits a firm's user: MAX_FAILED_LOGINS in a row lock the
name for LOCK_DURATION, during which no password is even checked. An account that may not log in now
(`AccountTables.active`, e.g. a disabled officer) is answered as an unknown name is.

The CSRF token is HMAC-SHA256 of the page's own label under the session token: it needs no column,
cannot be computed from the store, and ends with its session. `replace_password` is how both pages'
account commands give a new password (`hub operators password`, `hub officers password`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Generic, Literal, TypeVar

from fastapi import HTTPException, Request
from sqlalchemy import ColumnElement, Delete, Row, Table, delete, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.web.passwords import Passwords
from hub.web.sessions import new_session_token, token_digest

log = logging.getLogger(__name__)

SESSION_TTL: Final = timedelta(hours=8)  # a shift
IDLE_TIMEOUT: Final = timedelta(minutes=30)
TOUCH_EVERY: Final = timedelta(minutes=1)  # the resolution of the idle timeout
MAX_FAILED_LOGINS: Final = 5  # as A7 for firms: failures in a row that lock a name ...
LOCK_DURATION: Final = timedelta(minutes=15)  # ... for this long

P = TypeVar("P")

# The staff's login names and passwords (operators, officers), one rule for both.
# ASCII on purpose: the name is what the audit trail records, and "ayşe" beside "ayse" (or a Cyrillic
# "а") would be two operators no reader can tell apart.
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256  # hashing a password costs; a megabyte "password" must not


def normal_name(typed: str) -> str:
    """The login name as stored: typed names are compared without surrounding blanks and case."""
    return typed.strip().lower()


def name_problem(name: str, what: str = "an operator name") -> str | None:
    if NAME_PATTERN.fullmatch(name) is None:
        return (
            f"{name!r} is not {what}: 1 to 64 of a-z, 0-9, '.', '_', '-' "
            "(lower-case ASCII, beginning with a letter or a digit)"
        )
    return None


def password_problem(name: str, password: str, whose: str = "the operator's") -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    if name in password.lower():
        return f"the password must not contain {whose} name"
    return None


def csrf_token(label: bytes, session_token: str) -> str:
    return hmac.new(session_token.encode(), label, hashlib.sha256).hexdigest()


def csrf_matches(label: bytes, session_token: str, offered: str | None) -> bool:
    if offered is None:
        return False
    return hmac.compare_digest(csrf_token(label, session_token).encode(), offered.encode("utf-8", "replace"))


@dataclass(frozen=True)
class AccountTables:
    """Where a page keeps its accounts and sessions.

    `accounts`: columns name (primary key), password_hash, failed_logins, locked_until.
    `sessions`: columns token_hash (primary key), `owner` (the account's name), created_at, last_seen_at,
    expires_at. `active`: the accounts that may log in and keep a session (None: every one)."""

    accounts: Table
    sessions: Table
    owner: str
    active: ColumnElement[bool] | None = None
    what: str = "account"  # how the log names one: "operator", "officer"

    def may_log_in(self) -> ColumnElement[bool]:
        return self.active if self.active is not None else true()

    def sessions_of(self, name: str) -> Delete:
        """The statement that ends every session of the account `name`."""
        return delete(self.sessions).where(self.sessions.c[self.owner] == name)


async def replace_password(
    engine: AsyncEngine, tables: AccountTables, name: str, password_hash: str, now: datetime
) -> bool:
    """Store the account's new password hash: it is unlocked and every session of theirs ends, in one
    transaction. False (nothing changed) when there is no account `name`."""
    accounts = tables.accounts
    async with engine.begin() as conn:
        changed = await conn.execute(
            update(accounts)
            .where(accounts.c.name == name)
            .values(password_hash=password_hash, failed_logins=0, locked_until=None, password_changed_at=now)
        )
        if changed.rowcount == 0:
            return False
        await conn.execute(tables.sessions_of(name))
    log.info("%s %s has a new password; their sessions ended", tables.what, name)
    return True


@dataclass(frozen=True, repr=False)
class LoggedIn(Generic[P]):
    token: str  # the cookie's value
    principal: P

    def __repr__(self) -> str:
        return f"LoggedIn(principal={self.principal!r})"


@dataclass(frozen=True)
class LoginRefused:
    reason: Literal["wrong", "locked"]
    until: datetime | None = None  # when locked: the end of the lock


# Who a live session is: (the account's row as it is now, the session's end, its CSRF token) -> P.
Principal = Callable[[Row[Any], datetime, str], P]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def principal_of(request: Request, attribute: str, kind: type[P]) -> P:
    """What a page's session guard put in ``request.state.<attribute>``, for the routes' dependency
    (`CurrentOperator`, `CurrentOfficer`); 401 if a route escaped the guard."""
    found = getattr(request.state, attribute, None)
    if not isinstance(found, kind):
        raise HTTPException(401, "log in first")
    return found


def retry_after_s(until: datetime, now: datetime) -> int:
    """Whole seconds until a lock ends, at least 1: the `Retry-After` of a locked login."""
    return max(int((until - now).total_seconds()), 1)


class Logins(Generic[P]):
    def __init__(
        self,
        engine: AsyncEngine,
        passwords: Passwords,
        tables: AccountTables,
        principal: Principal[P],
        csrf_label: bytes,
        now: Callable[[], datetime] = _utc_now,
        *,
        ttl: timedelta = SESSION_TTL,
        idle_timeout: timedelta = IDLE_TIMEOUT,
    ) -> None:
        self._engine = engine
        self._passwords = passwords
        self._tables = tables
        self._principal = principal
        self._label = csrf_label
        self._now = now
        self.ttl, self.idle_timeout = ttl, idle_timeout

    def clock(self) -> datetime:
        return self._now()

    def csrf_matches(self, session_token: str, offered: str | None) -> bool:
        return csrf_matches(self._label, session_token, offered)

    async def login(self, name: str, password: str) -> LoggedIn[P] | LoginRefused:
        """`name` as stored (the caller normalises what was typed)."""
        accounts, what = self._tables.accounts, self._tables.what
        named = (accounts.c.name == name) & self._tables.may_log_in()
        now = self._now()
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(accounts).where(named))).first()
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
                update(accounts).where(accounts.c.name == name).values(failed_logins=accounts.c.failed_logins)
            )
            row = (await conn.execute(select(accounts).where(named))).first()
            if row is None or row.password_hash != stored:  # removed, disabled, or a new password meanwhile
                return LoginRefused("wrong")
            if row.locked_until is not None and now < row.locked_until:
                return LoginRefused("locked", row.locked_until)
            if not verified.ok:
                failures = row.failed_logins + 1
                if failures >= MAX_FAILED_LOGINS:
                    until = now + LOCK_DURATION
                    await conn.execute(
                        update(accounts).where(accounts.c.name == name).values(failed_logins=0, locked_until=until)
                    )
                    log.warning("%s %s locked until %s after %d failed logins", what, name, until, failures)
                    return LoginRefused("locked", until)
                await conn.execute(
                    update(accounts).where(accounts.c.name == name).values(failed_logins=failures, locked_until=None)
                )
                log.info("failed login of %s %s (%d in a row)", what, name, failures)
                return LoginRefused("wrong")
            success: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
            if verified.new_hash is not None:  # hashed with older parameters: keep the new hash
                success["password_hash"] = verified.new_hash
            await conn.execute(update(accounts).where(accounts.c.name == name).values(**success))
            expires = now + self.ttl
            sessions = self._tables.sessions
            await conn.execute(delete(sessions).where(self._ended(now)))  # abandoned ones, while at it
            await conn.execute(
                insert(sessions).values(
                    {"token_hash": token_digest(token), self._tables.owner: name, "created_at": now,
                     "last_seen_at": now, "expires_at": expires}
                )
            )  # fmt: skip
        log.info("%s %s logged in", what, name)
        return LoggedIn(token, self._principal(row, expires, csrf_token(self._label, token)))

    async def session(self, token: str | None) -> P | None:
        """Who a live session is, as their account is now; None for no session, an unknown token, a
        session past its end or idle too long (then deleted), or an account that may no longer log in."""
        if not token:
            return None
        now = self._now()
        digest = token_digest(token)
        accounts, sessions = self._tables.accounts, self._tables.sessions
        owner = sessions.c[self._tables.owner]
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(accounts, sessions.c.last_seen_at, sessions.c.expires_at)
                    .join(sessions, owner == accounts.c.name)
                    .where(sessions.c.token_hash == digest, self._tables.may_log_in())
                )
            ).first()
            if row is None:
                return None
            if row.expires_at <= now or now - row.last_seen_at >= self.idle_timeout:
                await conn.execute(delete(sessions).where(sessions.c.token_hash == digest))
                await conn.commit()
                log.info("session of %s %s ended (expired or idle)", self._tables.what, row.name)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                await conn.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=now))
                await conn.commit()
        return self._principal(row, row.expires_at, csrf_token(self._label, token))

    async def logout(self, token: str | None) -> None:
        if not token:
            return
        sessions = self._tables.sessions
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.token_hash == token_digest(token)))

    async def purge(self) -> int:
        """Delete the sessions past their end or idle too long; how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(self._tables.sessions).where(self._ended(self._now())))
        return int(result.rowcount)

    def _ended(self, now: datetime) -> ColumnElement[bool]:
        sessions = self._tables.sessions
        return (sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= now - self.idle_timeout)
