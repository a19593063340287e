"""Mail: SMTP settings and sender (aiosmtplib), and the relay that sends the queued mails.

The queue (`getapp_mail_outbox`) is written in the transaction that creates a user, so a user never
exists without its mail, nor a mail without its user. A credentials mail is queued without its
password: the relay makes the initial password when it sends, and stores its Argon2id hash with the
mark "sent" in one transaction. A crash between the SMTP server's acceptance and that commit sends
the mail again later, with a new password; the earlier one never worked. So a password is never
stored in clear, not even in the queue.

Like hub/runtime/relay.py: at least once, in queue order; a mail the SMTP server refuses, or cannot take, is
tried again later with a growing delay (`next_attempt_at`, `attempts`, `last_error`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Annotated, Any, Protocol

import aiosmtplib
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.base import HubSettings
from hub.configuration.settings import HostName
from hub.getapp.accounts import rules
from hub.getapp.accounts.tables import mail_outbox, users
from hub.runtime.polling import Relay
from hub.web.passwords import Passwords, initial_password

log = logging.getLogger(__name__)


_YES = frozenset({"1", "true", "yes", "on", "t", "y"})


class SmtpSettings(HubSettings):
    """How GET-APP mails a firm its user code: the SMTP server (aiosmtplib) and the From address."""

    model_config = SettingsConfigDict(env_prefix="GETAPP_SMTP_")

    host: HostName = "127.0.0.1"
    """The SMTP server (`hub run` and the tests catch mail on a local one of their own)."""
    port: Annotated[int, Field(ge=1, le=65535)] = Field(
        25, json_schema_extra={"default_shown": "25 (465 with GETAPP_SMTP_TLS)"}
    )
    """Its port."""
    sender: str = Field("GET-APP <getapp-noreply@localhost>", validation_alias="GETAPP_MAIL_FROM")
    """The From address."""
    use_tls: bool = Field(False, validation_alias="GETAPP_SMTP_TLS")
    """TLS from the first byte (port 465)."""
    username: str | None = None
    """Login name at the server, if it wants one."""
    password: SecretStr | None = None
    """Its password."""
    start_tls: bool | None = Field(
        None, validation_alias="GETAPP_SMTP_STARTTLS", json_schema_extra={"default_shown": "upgrade when offered"}
    )
    """STARTTLS: unset, upgrade when the server offers it; yes, require it; no, never."""
    timeout_s: Annotated[float, Field(gt=0)] = 30.0
    """Seconds a mail may take to send."""

    @model_validator(mode="before")
    @classmethod
    def _port_follows_tls(cls, data: Any) -> Any:
        """Without a port, TLS from the first byte means 465, plain or STARTTLS 25."""
        if isinstance(data, dict) and data.get("port") in (None, ""):
            tls = data.get("use_tls", data.get("GETAPP_SMTP_TLS"))
            if tls is True or (isinstance(tls, str) and tls.strip().lower() in _YES):
                data = {**data, "port": 465}
        return data


class MailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="getapp")
        message.set_content(body, charset="utf-8")
        return message

    async def send(self, to: str, subject: str, body: str) -> None:
        s = self._settings
        await aiosmtplib.send(
            self.message(to, subject, body),
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password.get_secret_value() if s.password else None,
            use_tls=s.use_tls,
            start_tls=False if s.use_tls else s.start_tls,
            timeout=s.timeout_s,
        )


class MailRelay(Relay):
    """Sends queued mails, one transaction per mail; `wake()` after a commit sends at once."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: SmtpSettings,
        poll_s: float = 5.0,
        *,
        sender: MailSender | None = None,
        passwords: Passwords | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 20,
        retry_s: float = 30.0,
        max_retry_s: float = 3600.0,
    ) -> None:
        super().__init__(what="mail relay", batch=batch, poll_s=poll_s, backoff_s=(0.5, 30.0))
        self._engine = engine
        self._sender: MailSender = sender or SmtpSender(settings)
        self._passwords = passwords or Passwords()
        self._now = now
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s

    async def start(self) -> None:
        self.start_relaying()

    async def stop(self) -> None:
        await self.stop_relaying()

    async def relay_once(self) -> int:
        """Try the mails that are due, up to a batch; returns how many were handled (sent or not)."""
        handled = 0
        while handled < self._batch:
            if await self._relay_one() is None:
                break
            handled += 1
        return handled

    async def _relay_one(self) -> bool | None:
        """Send the oldest due mail: True sent, False not (tried later, or dropped), None nothing due."""
        now = self._now()
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(mail_outbox)
                    .where(
                        mail_outbox.c.sent_at.is_(None),
                        mail_outbox.c.dropped_at.is_(None),
                        mail_outbox.c.next_attempt_at <= now,
                    )
                    .order_by(mail_outbox.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)  # PostgreSQL: several relays share the queue
                )
            ).first()
            if row is None:
                await conn.rollback()
                return None
            body, password_hash = row.body, None
            if row.credentials_for is not None:
                active = (
                    await conn.execute(select(users.c.active).where(users.c.user_code == row.credentials_for))
                ).scalar_one_or_none()
                if not active:
                    await conn.execute(
                        update(mail_outbox)
                        .where(mail_outbox.c.id == row.id)
                        .values(dropped_at=now, last_error="not sent: the user code was cancelled before")
                    )
                    await conn.commit()
                    log.info("mail %s dropped: user %s was cancelled before it went", row.id, row.credentials_for)
                    return False
                password = initial_password()
                password_hash = await self._passwords.hash(password)
                body = rules.fill_password(row.body, password)
            try:
                await self._sender.send(row.recipient, row.subject, body)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempts = row.attempts + 1
                delay = min(self._retry_s * 2 ** (attempts - 1), self._max_retry_s)
                await conn.execute(
                    update(mail_outbox)
                    .where(mail_outbox.c.id == row.id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=f"{type(exc).__name__}: {exc}"[:1000],
                    )
                )
                await conn.commit()
                log.warning(
                    "mail %s to %s not sent (attempt %d), tried again in %.0f s: %s: %s",
                    row.id,
                    row.recipient,
                    attempts,
                    delay,
                    type(exc).__name__,
                    exc,
                )
                return False
            if password_hash is not None:
                await conn.execute(
                    update(users)
                    .where(users.c.user_code == row.credentials_for)
                    .values(password_hash=password_hash, must_change_password=True)
                )
            await conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id == row.id)
                .values(sent_at=self._now(), attempts=row.attempts + 1, last_error=None)
            )
            await conn.commit()
            log.info("mail %s sent to %s", row.id, row.recipient)
            return True
