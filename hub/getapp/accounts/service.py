"""The use cases of GET-APP firm accounts (A4–A7) over the store, the YKTS request publisher and a clock.

Thin: each use case loads what the rules need, lets `rules` decide, and saves the result in one
transaction. Changes to a firm's users first take the firm's lock (an UPDATE of its version), so that
A6 holds under concurrent requests on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract.messages.envelope import Envelope, envelope
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed, AuthorityCheckRequested
from hub.getapp.accounts import rules
from hub.getapp.accounts.rules import Refusal, RefusalKind, Status
from hub.getapp.accounts.tables import applications, firms, mail_outbox, processed, sessions, users
from hub.web.passwords import Passwords
from hub.web.sessions import new_session_token, token_digest

if TYPE_CHECKING:
    from hub.runtime.kafka.publishing import Publisher

log = logging.getLogger(__name__)

YKTS_REQUESTS = "ykts.requests"
SESSION_TTL = timedelta(hours=8)

PublishRequest = Callable[[Envelope[Any]], Awaitable[None]]


def ykts_request_publisher(publisher: Publisher) -> PublishRequest:
    """The production `publish_request`: to `ykts.requests`, awaiting the broker's acknowledgement."""

    async def publish(message: Envelope[Any]) -> None:
        await publisher.publish(YKTS_REQUESTS, message)

    return publish


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApplicationView:
    id: str
    status: Status
    reason: str


@dataclass(frozen=True)
class SessionUser:
    user_code: str
    firm_vkn: str
    firm_name: str
    person_name: str
    is_owner: bool
    must_change_password: bool
    expires_at: datetime


@dataclass(frozen=True, repr=False)
class LoggedIn:
    token: str  # the session cookie's value
    user: SessionUser

    def __repr__(self) -> str:
        return f"LoggedIn(user={self.user!r})"


@dataclass(frozen=True)
class LoginRefused:
    reason: Literal["wrong", "locked"]
    message: str
    until: datetime | None = None


@dataclass(frozen=True)
class UserView:
    user_code: str
    person_name: str
    tckn_masked: str
    is_owner: bool
    must_change_password: bool
    created_at: datetime


def _application(row: Row[Any]) -> rules.Application:
    return rules.Application(
        id=row.id,
        firm_vkn=row.firm_vkn,
        person_tckn=row.person_tckn,
        person_name=row.person_name,
        contact_email=row.contact_email,
        status=Status(row.status),
        reason=row.reason,
        created_at=row.created_at,
        decided_at=row.decided_at,
        user_code=row.user_code,
    )


def _user(row: Row[Any]) -> rules.User:
    return rules.User(
        user_code=row.user_code,
        firm_vkn=row.firm_vkn,
        person_name=row.person_name,
        tckn=row.tckn,
        is_owner=row.is_owner,
        created_at=row.created_at,
        active=row.active,
        must_change_password=row.must_change_password,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        cancelled_at=row.cancelled_at,
    )


def _user_values(user: rules.User) -> dict[str, Any]:
    return {
        "user_code": user.user_code,
        "firm_vkn": user.firm_vkn,
        "person_name": user.person_name,
        "tckn": user.tckn,
        "is_owner": user.is_owner,
        "must_change_password": user.must_change_password,
        "active": user.active,
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until,
        "created_at": user.created_at,
        "cancelled_at": user.cancelled_at,
    }


def _user_state(user: rules.User) -> dict[str, Any]:
    """What the rules change on an existing user."""
    return {
        "active": user.active,
        "must_change_password": user.must_change_password,
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until,
        "cancelled_at": user.cancelled_at,
    }


def _refusal(refused: rules.LoginRefused) -> LoginRefused:
    if refused.locked:
        return LoginRefused("locked", refused.reason, refused.until)
    return LoginRefused("wrong", refused.reason)


class AccountService:
    def __init__(
        self,
        engine: AsyncEngine,
        publish_request: PublishRequest,
        now: Callable[[], datetime] = _utc_now,
        *,
        passwords: Passwords | None = None,
        new_user_code: Callable[[], str] | None = None,
        session_ttl: timedelta = SESSION_TTL,
        mail_queued: Callable[[], None] | None = None,
    ) -> None:
        """`publish_request` sends an AuthorityCheckRequested envelope to `ykts.requests` (see
        `ykts_request_publisher`); `mail_queued` is told after a commit that queued a mail (MailRelay.wake)."""
        self._engine = engine
        self._publish = publish_request
        self._now = now
        self._passwords = passwords or Passwords()
        self._new_user_code = new_user_code or (lambda: rules.new_user_code(secrets.choice))
        self._session_ttl = session_ttl
        self._mail_queued = mail_queued or (lambda: None)

    def clock(self) -> datetime:
        """The service's time (the one it judges sessions and locks by)."""
        return self._now()

    # --- A4, A5: applications and YKTS's answers -----------------------------------------------------------

    async def apply(self, firm_vkn: str, person_tckn: str, person_name: str, typed_email: str | None = None) -> str:
        """Store an application and ask YKTS whether the person is authorised for the firm (A4).

        `typed_email` is kept for the record only: nothing is ever sent to it (A5)."""
        now = self._now()
        application_id = uuid4()
        application = rules.new_application(
            str(application_id), firm_vkn.strip(), person_tckn.strip(), person_name, typed_email, now
        )
        request = envelope(
            AuthorityCheckRequested(
                request_id=application_id, firm_vkn=application.firm_vkn, person_tckn=application.person_tckn
            ),
            carnet_number=application.firm_vkn,  # the key of ykts.requests: the firm's VKN
            occurred_at=now,
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(applications).values(
                    id=application.id,
                    firm_vkn=application.firm_vkn,
                    person_tckn=application.person_tckn,
                    person_name=application.person_name,
                    contact_email=application.contact_email,
                    status=application.status.value,
                    reason="",
                    created_at=now,
                )
            )
        try:
            await self._publish(request)
        except Exception as exc:
            log.warning("application %s: the YKTS authority check could not be sent: %r", application.id, exc)
            reason = "YKTS could not be asked; apply again later"
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(applications)
                    .where(applications.c.id == application.id, applications.c.status == Status.PENDING.value)
                    .values(status=Status.REFUSED.value, reason=reason, decided_at=self._now())
                )
            raise Refusal(RefusalKind.UNAVAILABLE, reason) from exc
        log.info("application %s for firm %s: authority check asked of YKTS", application.id, application.firm_vkn)
        return application.id

    async def handle_ykts_answer(self, message: Envelope[Any]) -> ApplicationView | None:
        """Apply YKTS's answer once per message id: approve (firm, applicant's user and the credentials mail
        to the YKTS e-mail, in one transaction) or refuse with the reason. None when it changed nothing."""
        answer = message.payload
        if not isinstance(answer, AuthorityChecked | AuthorityCheckFailed):
            raise TypeError(f"{message.type} is not an answer of YKTS")
        for attempt in (1, 2):
            try:
                return await self._apply_answer(message.message_id, answer)
            except IntegrityError:
                if await self._processed(message.message_id):
                    return None  # a concurrent delivery of the same message won
                if attempt == 2:
                    raise
                # Another application created the same firm, or took the same user code, meanwhile: again.
        raise AssertionError("unreachable")

    async def _processed(self, message_id: UUID) -> bool:
        async with self._engine.connect() as conn:
            found = await conn.execute(select(processed.c.message_id).where(processed.c.message_id == str(message_id)))
            return found.first() is not None

    async def _apply_answer(
        self, message_id: UUID, answer: AuthorityChecked | AuthorityCheckFailed
    ) -> ApplicationView | None:
        now = self._now()
        async with self._engine.begin() as conn:
            seen = await conn.execute(select(processed.c.message_id).where(processed.c.message_id == str(message_id)))
            if seen.first() is not None:
                return None
            await conn.execute(insert(processed).values(message_id=str(message_id), processed_at=now))
            row = (await conn.execute(select(applications).where(applications.c.id == str(answer.request_id)))).first()
            if row is None:
                # The core asks YKTS about representatives on the same topics: not GET-APP's question.
                log.debug("YKTS answer %s is not about an application of GET-APP: ignored", message_id)
                return None
            account = await self._lock_account(conn, answer.firm_vkn)
            decision = rules.decide_application(_application(row), answer, account, await self._free_code(conn), now)
            if isinstance(decision, rules.Ignored):
                log.info("YKTS answer %s ignored: %s", message_id, decision.reason)
                return None
            if isinstance(decision, rules.Approval):
                await self._save_firm(conn, decision.firm, decision.new_firm, now)
                await conn.execute(insert(users).values(**_user_values(decision.user), password_hash=None))
                await self._queue(conn, decision.mail, now)
            decided = decision.application
            await conn.execute(
                update(applications)
                .where(applications.c.id == decided.id)
                .values(
                    status=decided.status.value,
                    reason=decided.reason,
                    decided_at=decided.decided_at,
                    user_code=decided.user_code,
                )
            )
        if isinstance(decision, rules.Approval):
            log.info("application %s approved: firm %s, user %s", decided.id, decided.firm_vkn, decided.user_code)
            self._mail_queued()
        else:
            log.info("application %s refused: %s", decided.id, decided.reason)
        return ApplicationView(decided.id, decided.status, decided.reason)

    async def application_status(self, application_id: str) -> ApplicationView | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(applications.c.id, applications.c.status, applications.c.reason).where(
                        applications.c.id == application_id
                    )
                )
            ).first()
        return None if row is None else ApplicationView(row.id, Status(row.status), row.reason)

    # --- A7: login, sessions --------------------------------------------------------------------------

    async def login(self, user_code: str, password: str) -> LoggedIn | LoginRefused:
        """A session for a user code and its password, or why not (wrong, or locked until when)."""
        code = user_code.strip().upper()
        now = self._now()
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.user_code == code))).first()
        user = None if row is None else _user(row)
        stored = None if row is None else row.password_hash
        if user is None or not user.active or stored is None:
            await self._passwords.verify(None, password)  # as long as a real check: no oracle of codes
            return LoginRefused("wrong", "wrong user code or password")
        if rules.is_locked(user, now):
            return _refusal(rules.locked_refusal(user))
        verified = await self._passwords.verify(stored, password)
        token = new_session_token()
        async with self._engine.begin() as conn:
            row = await self._lock_user(conn, code)
            if row is None or row.password_hash != stored:  # cancelled or changed while we verified
                return LoginRefused("wrong", "wrong user code or password")
            updated, outcome = rules.login_attempt(_user(row), verified.ok, now)
            assert updated is not None
            await conn.execute(update(users).where(users.c.user_code == code).values(**_user_state(updated)))
            if isinstance(outcome, rules.LoginAccepted):
                if verified.new_hash is not None:
                    await conn.execute(
                        update(users).where(users.c.user_code == code).values(password_hash=verified.new_hash)
                    )
                await conn.execute(
                    insert(sessions).values(
                        token_hash=token_digest(token),
                        user_code=code,
                        created_at=now,
                        expires_at=now + self._session_ttl,
                    )
                )
        if isinstance(outcome, rules.LoginRefused):
            if outcome.locked:
                log.warning("user %s locked until %s after failed logins", code, outcome.until)
            return _refusal(outcome)
        session_user = await self.user_of_session(token)
        assert session_user is not None
        log.info("user %s of firm %s logged in", code, session_user.firm_vkn)
        return LoggedIn(token, session_user)

    async def user_of_session(self, token: str | None) -> SessionUser | None:
        """The active user of an unexpired session, or None."""
        if not token:
            return None
        now = self._now()
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
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
                    .where(sessions.c.token_hash == token_digest(token))
                )
            ).first()
            if row is None:
                return None
            if row.expires_at <= now or not row.active:
                await conn.execute(delete(sessions).where(sessions.c.token_hash == token_digest(token)))
                await conn.commit()
                return None
        return SessionUser(
            user_code=row.user_code,
            firm_vkn=row.firm_vkn,
            firm_name=row.firm_name,
            person_name=row.person_name,
            is_owner=row.is_owner,
            must_change_password=row.must_change_password,
            expires_at=row.expires_at,
        )

    async def session(self, token: str | None) -> SessionUser:
        """The session's user, or UNAUTHENTICATED."""
        user = await self.user_of_session(token)
        if user is None:
            raise Refusal(RefusalKind.UNAUTHENTICATED, "not logged in, or the session has expired")
        return user

    async def _working_session(self, token: str | None) -> SessionUser:
        """The session's user, who has changed the initial password (A7)."""
        user = await self.session(token)
        if user.must_change_password:
            raise Refusal(RefusalKind.FORBIDDEN, "A7: change the initial password first", rule="A7")
        return user

    async def firm_of_session(self, token: str | None) -> str:
        """The logged-in firm's VKN (for the tracking API), or UNAUTHENTICATED / FORBIDDEN."""
        return (await self._working_session(token)).firm_vkn

    async def logout(self, token: str | None) -> None:
        if not token:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.token_hash == token_digest(token)))

    async def purge_expired_sessions(self) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(sessions).where(sessions.c.expires_at <= self._now()))
        return int(result.rowcount)

    # --- A6, A7: a firm's users ---------------------------------------------------------------------------

    async def users(self, token: str | None) -> list[UserView]:
        """The firm's users with active use rights, owners first."""
        actor = await self._working_session(token)
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(users)
                    .where(users.c.firm_vkn == actor.firm_vkn, users.c.active.is_(True))
                    .order_by(users.c.is_owner.desc(), users.c.created_at, users.c.user_code)
                )
            ).all()
        return [
            UserView(
                user_code=r.user_code,
                person_name=r.person_name,
                tckn_masked=rules.mask_tckn(r.tckn),
                is_owner=r.is_owner,
                must_change_password=r.must_change_password,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def add_user(self, token: str | None, person_name: str, tckn: str) -> str:
        """Give a person use rights (A6: at most 5): a new user code, mailed with its initial password to the
        firm's e-mail registered in YKTS (A5)."""
        actor = await self._working_session(token)
        now = self._now()
        async with self._engine.begin() as conn:
            account = await self._lock_account(conn, actor.firm_vkn)
            assert account is not None
            user, mail = rules.add_user(
                account, actor.user_code, person_name, tckn.strip(), await self._free_code(conn), now
            )
            await conn.execute(insert(users).values(**_user_values(user), password_hash=None))
            await self._queue(conn, mail, now)
        log.info("user %s added to firm %s by %s", user.user_code, user.firm_vkn, actor.user_code)
        self._mail_queued()
        return user.user_code

    async def cancel_user(self, token: str | None, user_code: str) -> None:
        """Cancel a user code (A7); its sessions end with it."""
        actor = await self._working_session(token)
        now = self._now()
        code = user_code.strip().upper()
        async with self._engine.begin() as conn:
            account = await self._lock_account(conn, actor.firm_vkn)
            assert account is not None
            cancelled = rules.cancel_user(account, actor.user_code, code, now)
            await conn.execute(update(users).where(users.c.user_code == code).values(**_user_state(cancelled)))
            await conn.execute(delete(sessions).where(sessions.c.user_code == code))
        log.info("user %s of firm %s cancelled by %s", code, actor.firm_vkn, actor.user_code)

    async def change_password(self, token: str | None, old_password: str, new_password: str) -> None:
        """Change the session user's password (A7): the old one is required; other sessions end."""
        actor = await self.session(token)
        now = self._now()
        problem = rules.password_problem(actor.user_code, old_password, new_password)
        if problem:
            raise Refusal(RefusalKind.INVALID, problem, rule="A7")
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.user_code == actor.user_code))).first()
        if row is None or row.password_hash is None:
            raise Refusal(RefusalKind.UNAUTHENTICATED, "the user code is not active")
        stored: str = row.password_hash
        rules.check_can_change_password(_user(row), now)  # before spending a verification
        verified = await self._passwords.verify(stored, old_password)
        new_hash = await self._passwords.hash(new_password) if verified.ok else None
        async with self._engine.begin() as conn:
            row = await self._lock_user(conn, actor.user_code)
            if row is None or row.password_hash != stored:
                raise Refusal(RefusalKind.CONFLICT, "the password was changed meanwhile; log in again")
            change = rules.change_password(_user(row), verified.ok, now)
            await conn.execute(
                update(users).where(users.c.user_code == actor.user_code).values(**_user_state(change.user))
            )
            if change.refusal is None:
                await conn.execute(
                    update(users).where(users.c.user_code == actor.user_code).values(password_hash=new_hash)
                )
                await conn.execute(
                    delete(sessions).where(
                        sessions.c.user_code == actor.user_code, sessions.c.token_hash != token_digest(token or "")
                    )
                )
        if change.refusal is not None:
            raise change.refusal
        log.info("user %s changed the password", actor.user_code)

    # --- store helpers ----------------------------------------------------------------------------------

    async def _lock_account(self, conn: AsyncConnection, vkn: str) -> rules.Account | None:
        """The firm with all its users, after taking the firm's lock; None when there is no such firm."""
        await conn.execute(update(firms).where(firms.c.vkn == vkn).values(version=firms.c.version + 1))
        firm = (await conn.execute(select(firms).where(firms.c.vkn == vkn))).first()
        if firm is None:
            return None
        rows = (await conn.execute(select(users).where(users.c.firm_vkn == vkn))).all()
        return rules.Account(
            rules.Firm(vkn=firm.vkn, name=firm.name, email=firm.email, created_at=firm.created_at),
            tuple(_user(r) for r in rows),
        )

    async def _lock_user(self, conn: AsyncConnection, code: str) -> Row[Any] | None:
        """The user's row after taking its lock (a no-op UPDATE: row lock / SQLite write lock)."""
        await conn.execute(update(users).where(users.c.user_code == code).values(failed_logins=users.c.failed_logins))
        return (await conn.execute(select(users).where(users.c.user_code == code))).first()

    async def _free_code(self, conn: AsyncConnection) -> str:
        for _ in range(20):
            code = self._new_user_code()
            taken = await conn.execute(select(users.c.user_code).where(users.c.user_code == code))
            if taken.first() is None:
                return code
        raise RuntimeError("no free user code after 20 draws: is the generator random?")

    async def _save_firm(self, conn: AsyncConnection, firm: rules.Firm, new: bool, now: datetime) -> None:
        if new:
            await conn.execute(
                insert(firms).values(
                    vkn=firm.vkn, name=firm.name, email=firm.email, created_at=now, updated_at=now, version=1
                )
            )
        else:
            await conn.execute(
                update(firms).where(firms.c.vkn == firm.vkn).values(name=firm.name, email=firm.email, updated_at=now)
            )

    async def _queue(self, conn: AsyncConnection, mail: rules.Mail, now: datetime) -> None:
        await conn.execute(
            insert(mail_outbox).values(
                recipient=mail.to,
                subject=mail.subject,
                body=mail.body,
                credentials_for=mail.credentials_for,
                created_at=now,
                next_attempt_at=now,
                attempts=0,
            )
        )
