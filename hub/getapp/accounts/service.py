"""The use cases of GET-APP firm accounts (A4–A7) over the store, the YKTS request publisher and a clock.

Thin: each use case opens its unit of work (store.AccountsWork), loads what the rules need, lets `rules`
decide, saves the result and commits; no SQL here. A YKTS answer is claimed and applied in one
transaction, so it is applied once whatever the redeliveries.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope, envelope
from hub.contract.topic_names import YKTS_REQUESTS
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed, AuthorityCheckRequested
from hub.getapp.accounts import rules, store
from hub.getapp.accounts.rules import Refusal, RefusalKind, Status
from hub.getapp.accounts.store import ANSWER_CLAIMS, AccountsWork
from hub.web.passwords import Passwords
from hub.web.sessions import new_session_token, token_digest

if TYPE_CHECKING:
    from hub.runtime.kafka.publishing import Publisher

log = logging.getLogger(__name__)

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

    def _work(self) -> AccountsWork:
        return AccountsWork(self._engine)

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
        async with self._work() as work:
            await work.add_application(application)
            await work.commit()
        # Sent at once, not through an outbox: the applicant is told now when YKTS cannot be asked.
        try:
            await self._publish(request)
        except Exception as exc:
            log.warning("application %s: the YKTS authority check could not be sent: %r", application.id, exc)
            reason = "YKTS could not be asked; apply again later"
            async with self._work() as work:
                await work.refuse_pending(application.id, reason, self._now())
                await work.commit()
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
                return await self._apply_answer(message, answer)
            except IntegrityError:
                # Another application created the same firm, or took the same user code, meanwhile: again
                # (a concurrent delivery of the same message waits in the claim, and then finds it taken).
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _apply_answer(
        self, message: Envelope[Any], answer: AuthorityChecked | AuthorityCheckFailed
    ) -> ApplicationView | None:
        now = self._now()
        async with self._work() as work:
            decision = await self._decide(work, message, answer, now)
            await work.commit()  # the claim too, when the answer changed nothing
        if decision is None:
            return None
        decided = decision.application
        if isinstance(decision, rules.Approval):
            log.info("application %s approved: firm %s, user %s", decided.id, decided.firm_vkn, decided.user_code)
            self._mail_queued()
        else:
            log.info("application %s refused: %s", decided.id, decided.reason)
        return ApplicationView(decided.id, decided.status, decided.reason)

    async def _decide(
        self, work: AccountsWork, message: Envelope[Any], answer: AuthorityChecked | AuthorityCheckFailed, now: datetime
    ) -> rules.Approval | rules.Rejection | None:
        if not await work.claim(ANSWER_CLAIMS, [message], now):
            return None  # applied before
        application = await work.application(str(answer.request_id))
        if application is None:
            # The core asks YKTS about representatives on the same topics: not GET-APP's question.
            log.debug("YKTS answer %s is not about an application of GET-APP: ignored", message.message_id)
            return None
        account = await work.lock_account(answer.firm_vkn)
        code = await work.free_code(self._new_user_code)
        decision = rules.decide_application(application, answer, account, code, now)
        if isinstance(decision, rules.Ignored):
            log.info("YKTS answer %s ignored: %s", message.message_id, decision.reason)
            return None
        if isinstance(decision, rules.Approval):
            await work.save_firm(decision.firm, decision.new_firm, now)
            await work.add_user(decision.user)
            work.queue_mail(decision.mail, now)
        await work.decide(decision.application)
        return decision

    async def application_status(self, application_id: str) -> ApplicationView | None:
        found = await store.application_status(self._engine, application_id)
        return None if found is None else ApplicationView(application_id, *found)

    # --- A7: login, sessions --------------------------------------------------------------------------

    async def login(self, user_code: str, password: str) -> LoggedIn | LoginRefused:
        """A session for a user code and its password, or why not (wrong, or locked until when)."""
        code = user_code.strip().upper()
        now = self._now()
        user, stored = await store.credentials(self._engine, code) or (None, None)
        if user is None or not user.active or stored is None:
            await self._passwords.verify(None, password)  # as long as a real check: no oracle of codes
            return LoginRefused("wrong", "wrong user code or password")
        if rules.is_locked(user, now):
            return _refusal(rules.locked_refusal(user))
        verified = await self._passwords.verify(stored, password)
        token = new_session_token()
        async with self._work() as work:
            locked = await work.lock_user(code)
            if locked is None or locked[1] != stored:  # cancelled or changed while we verified
                return LoginRefused("wrong", "wrong user code or password")
            updated, outcome = rules.login_attempt(locked[0], verified.ok, now)
            assert updated is not None
            await work.save_user(updated)
            if isinstance(outcome, rules.LoginAccepted):
                if verified.new_hash is not None:
                    await work.set_password_hash(code, verified.new_hash)
                await work.add_session(token_digest(token), code, now, now + self._session_ttl)
            await work.commit()
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
        row = await store.session_of(self._engine, token_digest(token))
        if row is None:
            return None
        if row.expires_at <= self._now() or not row.active:
            await self.logout(token)
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
        async with self._work() as work:
            await work.end_session(token_digest(token))
            await work.commit()

    async def purge_expired_sessions(self) -> int:
        async with self._work() as work:
            purged = await work.purge_sessions(self._now())
            await work.commit()
        return purged

    # --- A6, A7: a firm's users ---------------------------------------------------------------------------

    async def users(self, token: str | None) -> list[UserView]:
        """The firm's users with active use rights, owners first."""
        actor = await self._working_session(token)
        return [
            UserView(
                user_code=u.user_code,
                person_name=u.person_name,
                tckn_masked=rules.mask_tckn(u.tckn),
                is_owner=u.is_owner,
                must_change_password=u.must_change_password,
                created_at=u.created_at,
            )
            for u in await store.active_users(self._engine, actor.firm_vkn)
        ]

    async def add_user(self, token: str | None, person_name: str, tckn: str) -> str:
        """Give a person use rights (A6: at most 5): a new user code, mailed with its initial password to the
        firm's e-mail registered in YKTS (A5)."""
        actor = await self._working_session(token)
        now = self._now()
        async with self._work() as work:
            account = await work.lock_account(actor.firm_vkn)
            assert account is not None
            code = await work.free_code(self._new_user_code)
            user, mail = rules.add_user(account, actor.user_code, person_name, tckn.strip(), code, now)
            await work.add_user(user)
            work.queue_mail(mail, now)
            await work.commit()
        log.info("user %s added to firm %s by %s", user.user_code, user.firm_vkn, actor.user_code)
        self._mail_queued()
        return user.user_code

    async def cancel_user(self, token: str | None, user_code: str) -> None:
        """Cancel a user code (A7); its sessions end with it."""
        actor = await self._working_session(token)
        now = self._now()
        code = user_code.strip().upper()
        async with self._work() as work:
            account = await work.lock_account(actor.firm_vkn)
            assert account is not None
            await work.save_user(rules.cancel_user(account, actor.user_code, code, now))
            await work.end_sessions(code)
            await work.commit()
        log.info("user %s of firm %s cancelled by %s", code, actor.firm_vkn, actor.user_code)

    async def change_password(self, token: str | None, old_password: str, new_password: str) -> None:
        """Change the session user's password (A7): the old one is required; other sessions end."""
        actor = await self.session(token)
        now = self._now()
        problem = rules.password_problem(actor.user_code, old_password, new_password)
        if problem:
            raise Refusal(RefusalKind.INVALID, problem, rule="A7")
        user, stored = await store.credentials(self._engine, actor.user_code) or (None, None)
        if user is None or stored is None:
            raise Refusal(RefusalKind.UNAUTHENTICATED, "the user code is not active")
        rules.check_can_change_password(user, now)  # before spending a verification
        verified = await self._passwords.verify(stored, old_password)
        new_hash = await self._passwords.hash(new_password) if verified.ok else None
        async with self._work() as work:
            locked = await work.lock_user(actor.user_code)
            if locked is None or locked[1] != stored:
                raise Refusal(RefusalKind.CONFLICT, "the password was changed meanwhile; log in again")
            change = rules.change_password(locked[0], verified.ok, now)
            await work.save_user(change.user)
            if change.refusal is None:
                await work.set_password_hash(actor.user_code, new_hash)
                await work.end_sessions(actor.user_code, keep=token_digest(token or ""))
            await work.commit()  # a failed attempt counts too (A7)
        if change.refusal is not None:
            raise change.refusal
        log.info("user %s changed the password", actor.user_code)
