"""The store of GET-APP firm accounts: the unit of work of each use case, and the reads beside it.

`AccountsWork` is the hub's unit of work (hub/store/transaction.py) with the statements of the account
use cases: a YKTS answer is claimed there (getapp_processed) and applied in the same transaction, and a
credentials mail is queued with the user it is for. Changes to a firm's users first take the firm's lock
(an UPDATE of its version), so that A6 holds under concurrent requests on SQLite as on PostgreSQL.

The reads (a session's user, a firm's users, an application's status, a user before its password is
verified) take no transaction: they must not wait behind writers, nor hold one up while a password hash
is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.accounts import rules
from hub.getapp.accounts.tables import applications, firms, mail_outbox, processed, sessions, users
from hub.store.claims import ProcessedLog
from hub.store.transaction import Transaction

ANSWER_CLAIMS = ProcessedLog(processed)  # YKTS answers applied once

Credentials = tuple[rules.User, str | None]  # a user and its password hash (None until its mail went)

_USER_STATE = ("active", "must_change_password", "failed_logins", "locked_until", "cancelled_at")


def _user(row: Row[Any]) -> rules.User:
    return rules.User(**{f.name: getattr(row, f.name) for f in fields(rules.User)})


def _application(row: Row[Any]) -> rules.Application:
    values = {f.name: getattr(row, f.name) for f in fields(rules.Application)}
    return rules.Application(**{**values, "status": rules.Status(row.status)})


class AccountsWork(Transaction):
    """One use case's transaction over the account tables."""

    # --- applications --------------------------------------------------------------------------------

    async def application(self, application_id: str) -> rules.Application | None:
        row = (await self.conn.execute(select(applications).where(applications.c.id == application_id))).first()
        return None if row is None else _application(row)

    async def add_application(self, application: rules.Application) -> None:
        values = asdict(application)
        await self.conn.execute(applications.insert().values(**{**values, "status": application.status.value}))

    async def refuse_pending(self, application_id: str, reason: str, at: datetime) -> None:
        """Refuse an application still pending (one YKTS could not be asked about)."""
        await self.conn.execute(
            update(applications)
            .where(applications.c.id == application_id, applications.c.status == rules.Status.PENDING.value)
            .values(status=rules.Status.REFUSED.value, reason=reason, decided_at=at)
        )

    async def decide(self, decided: rules.Application) -> None:
        await self.conn.execute(
            update(applications)
            .where(applications.c.id == decided.id)
            .values(
                status=decided.status.value,
                reason=decided.reason,
                decided_at=decided.decided_at,
                user_code=decided.user_code,
            )
        )

    # --- firms and users -------------------------------------------------------------------------------

    async def lock_account(self, vkn: str) -> rules.Account | None:
        """The firm with all its users, after taking the firm's lock; None when there is no such firm."""
        conn = self.conn
        await conn.execute(update(firms).where(firms.c.vkn == vkn).values(version=firms.c.version + 1))
        firm = (await conn.execute(select(firms).where(firms.c.vkn == vkn))).first()
        if firm is None:
            return None
        rows = (await conn.execute(select(users).where(users.c.firm_vkn == vkn))).all()
        return rules.Account(
            rules.Firm(vkn=firm.vkn, name=firm.name, email=firm.email, created_at=firm.created_at),
            tuple(_user(r) for r in rows),
        )

    async def save_firm(self, firm: rules.Firm, new: bool, now: datetime) -> None:
        if new:
            await self.conn.execute(
                firms.insert().values(
                    vkn=firm.vkn, name=firm.name, email=firm.email, created_at=now, updated_at=now, version=1
                )
            )
        else:
            await self.conn.execute(
                update(firms).where(firms.c.vkn == firm.vkn).values(name=firm.name, email=firm.email, updated_at=now)
            )

    async def lock_user(self, code: str) -> Credentials | None:
        """The user after taking its row's lock (a no-op UPDATE: row lock / SQLite write lock)."""
        await self.conn.execute(
            update(users).where(users.c.user_code == code).values(failed_logins=users.c.failed_logins)
        )
        row = (await self.conn.execute(select(users).where(users.c.user_code == code))).first()
        return None if row is None else (_user(row), row.password_hash)

    async def free_code(self, draw: Callable[[], str]) -> str:
        """A user code no user has, drawn from `draw`."""
        for _ in range(20):
            code = draw()
            taken = await self.conn.execute(select(users.c.user_code).where(users.c.user_code == code))
            if taken.first() is None:
                return code
        raise RuntimeError("no free user code after 20 draws: is the generator random?")

    async def add_user(self, user: rules.User) -> None:
        await self.conn.execute(users.insert().values(**asdict(user), password_hash=None))

    async def save_user(self, user: rules.User) -> None:
        """What the rules change on an existing user (A7: locks, cancellation, the initial password)."""
        state = {name: getattr(user, name) for name in _USER_STATE}
        await self.conn.execute(update(users).where(users.c.user_code == user.user_code).values(**state))

    async def set_password_hash(self, code: str, password_hash: str | None) -> None:
        await self.conn.execute(update(users).where(users.c.user_code == code).values(password_hash=password_hash))

    def queue_mail(self, mail: rules.Mail, now: datetime) -> None:
        """The mail goes out with this transaction or not at all (the relay sends it: mail.MailRelay)."""
        self.queue(
            mail_outbox,
            {
                "recipient": mail.to,
                "subject": mail.subject,
                "body": mail.body,
                "credentials_for": mail.credentials_for,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            },
        )

    # --- sessions --------------------------------------------------------------------------------------

    async def add_session(self, token_hash: str, code: str, now: datetime, expires_at: datetime) -> None:
        await self.conn.execute(
            sessions.insert().values(token_hash=token_hash, user_code=code, created_at=now, expires_at=expires_at)
        )

    async def end_session(self, token_hash: str) -> None:
        await self.conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    async def end_sessions(self, code: str, keep: str | None = None) -> None:
        """End the user's sessions, but the one whose token hash is `keep`."""
        statement = delete(sessions).where(sessions.c.user_code == code)
        if keep is not None:
            statement = statement.where(sessions.c.token_hash != keep)
        await self.conn.execute(statement)

    async def purge_sessions(self, now: datetime) -> int:
        """End every session expired by `now`; answers how many."""
        result = await self.conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
        return int(result.rowcount)


# --- reads: no transaction ----------------------------------------------------------------------------


async def credentials(engine: AsyncEngine, code: str) -> Credentials | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.user_code == code))).first()
    return None if row is None else (_user(row), row.password_hash)


async def application_status(engine: AsyncEngine, application_id: str) -> tuple[rules.Status, str] | None:
    """An application's status and reason."""
    query = select(applications.c.status, applications.c.reason).where(applications.c.id == application_id)
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else (rules.Status(row.status), row.reason)


async def session_of(engine: AsyncEngine, token_hash: str) -> Any:
    """The session's row, or None: its expiry with its user and firm (expires_at, user_code, firm_vkn,
    firm_name, person_name, is_owner, must_change_password, active)."""
    query = (
        select(
            sessions.c.expires_at,
            users.c.user_code,
            users.c.firm_vkn,
            users.c.person_name,
            users.c.is_owner,
            users.c.must_change_password,
            users.c.active,
            firms.c.name.label("firm_name"),
        )
        .join(users, users.c.user_code == sessions.c.user_code)
        .join(firms, firms.c.vkn == users.c.firm_vkn)
        .where(sessions.c.token_hash == token_hash)
    )
    async with engine.connect() as conn:
        return (await conn.execute(query)).first()


async def active_users(engine: AsyncEngine, vkn: str) -> list[rules.User]:
    """The firm's users with active use rights, owners first, then by age."""
    query = (
        select(users)
        .where(users.c.firm_vkn == vkn, users.c.active.is_(True))
        .order_by(users.c.is_owner.desc(), users.c.created_at, users.c.user_code)
    )
    async with engine.connect() as conn:
        return [_user(r) for r in (await conn.execute(query)).all()]
