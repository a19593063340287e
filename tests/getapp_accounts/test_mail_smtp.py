"""The mail relay against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, and where (A5–A7)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.devtools.ports import free_port
from hub.getapp.accounts import tables
from hub.getapp.accounts.mail import MailRelay, SmtpSender, SmtpSettings
from hub.getapp.accounts.rules import Refusal, RefusalKind
from hub.getapp.accounts.service import LoggedIn, LoginRefused
from hub.web.passwords import Passwords
from tests.getapp_accounts.helpers import (
    APPLICANT,
    FIRM_NAME,
    NEW_PASSWORD,
    PERSONS,
    TYPED_EMAIL,
    VKN,
    YKTS_EMAIL,
    SentMail,
    World,
    authority_checked,
)

SENDER = "GET-APP <getapp-noreply@example.gov.tr>"


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """The SMTP server's side: every message it accepted, as it arrived."""

    arrived: list[Arrived] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int

    @property
    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, sender=SENDER)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(mailbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_world(engine: AsyncEngine, passwords: Passwords, smtp_server: SmtpServer) -> World:
    """The service with a MailRelay that sends through the real SMTP server."""
    world = World(engine, passwords)
    world.relay = MailRelay(engine, smtp_server.settings, poll_s=0.1, passwords=passwords, now=world.clock)
    return world


def arrived_as_sent(arrived: Arrived) -> SentMail:
    body = arrived.message.get_body(("plain",))
    assert body is not None
    return SentMail(str(arrived.message["To"]), str(arrived.message["Subject"]), body.get_content())


async def test_a5_a6_a7_accounts_through_a_real_smtp_server(
    smtp_world: World, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world, mailbox = smtp_world, smtp_server.mailbox
    service = world.service

    # rule: A5 — the applicant typed an address of his own: the user code goes to YKTS's, only
    await service.apply(VKN, APPLICANT, "Ayşe Yılmaz", TYPED_EMAIL)
    await service.handle_ykts_answer(authority_checked(world.published[0]))
    assert await world.relay.relay_once() == 1
    [first] = mailbox.arrived
    assert first.rcpt_tos == [YKTS_EMAIL]
    assert first.mail_from == "getapp-noreply@example.gov.tr"
    assert all(TYPED_EMAIL not in a.rcpt_tos for a in mailbox.arrived)
    mail = arrived_as_sent(first)
    assert mail.to == YKTS_EMAIL and TYPED_EMAIL not in mail.body
    assert mail.subject == "GET-APP kullanıcı kodunuz / Your GET-APP user code"
    for text in (FIRM_NAME, mail.user_code, "İlk şifre", "Initial password", "first login"):
        assert text in mail.body
    assert first.message.get_content_charset() == "utf-8"

    # rule: A7 — the mailed password works once, and must be changed
    logged_in = await service.login(mail.user_code, mail.password)
    assert isinstance(logged_in, LoggedIn) and logged_in.user.firm_name == FIRM_NAME
    await service.change_password(logged_in.token, mail.password, NEW_PASSWORD)
    owner = logged_in.token

    # rule: A6 — 4 more persons, each code mailed to the YKTS e-mail; the 6th is refused
    codes = [await service.add_user(owner, f"Kişi {chr(65 + i)}", PERSONS[i]) for i in range(4)]
    with pytest.raises(Refusal) as sixth:
        await service.add_user(owner, "Altıncı Kişi", PERSONS[5])
    assert sixth.value.kind is RefusalKind.LIMIT and sixth.value.rule == "A6"
    assert await world.relay.relay_once() == 4
    assert len(mailbox.arrived) == 5
    assert all(a.rcpt_tos == [YKTS_EMAIL] for a in mailbox.arrived)
    mailed = {arrived_as_sent(a).user_code: arrived_as_sent(a) for a in mailbox.arrived[1:]}
    assert set(mailed) == set(codes)

    # rule: A7 — cancel a user code; the cancelled code no longer logs in, a new person may be added
    await service.cancel_user(owner, codes[0])
    refused = await service.login(codes[0], mailed[codes[0]].password)
    assert isinstance(refused, LoginRefused) and refused.reason == "wrong"
    await service.add_user(owner, "Altıncı Kişi", PERSONS[5])
    assert await world.relay.relay_once() == 1 and len(mailbox.arrived) == 6

    # rule: A7 — 5 failures lock the code for 15 minutes, then the right password works again
    clerk = mailed[codes[1]]
    outcomes = [await service.login(clerk.user_code, "guess-number-x") for _ in range(5)]
    assert [o.reason for o in outcomes if isinstance(o, LoginRefused)] == ["wrong"] * 4 + ["locked"]
    locked = await service.login(clerk.user_code, clerk.password)
    assert isinstance(locked, LoginRefused) and locked.reason == "locked"
    world.clock.advance(minutes=15, seconds=1)
    assert isinstance(await service.login(clerk.user_code, clerk.password), LoggedIn)

    # passwords: argon2id in the store, never in clear, never in a log record
    async with world.engine.connect() as conn:
        hashes = (await conn.execute(select(tables.users.c.password_hash))).scalars().all()
        bodies = (await conn.execute(select(tables.mail_outbox.c.body))).scalars().all()
    assert len(hashes) == 6 and all(h is not None and h.startswith("$argon2id$") for h in hashes)
    passwords_seen = [NEW_PASSWORD, *(arrived_as_sent(a).password for a in mailbox.arrived)]
    for secret in passwords_seen:
        assert not any(secret in body for body in bodies)
        leaked = [r for r in caplog.records if secret in r.getMessage()]
        assert leaked == [], [(r.name, r.getMessage()) for r in leaked]


async def test_mail_is_tried_again_later_when_the_smtp_server_is_down(
    engine: AsyncEngine, passwords: Passwords, smtp_server: SmtpServer
) -> None:
    world = World(engine, passwords)
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender=SENDER, timeout_s=2)
    world.relay = MailRelay(engine, down, passwords=passwords, now=world.clock, retry_s=30)
    await world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz")
    await world.service.handle_ykts_answer(authority_checked(world.published[0]))
    assert await world.relay.relay_once() == 1  # tried, not sent
    assert await world.relay.relay_once() == 0  # not due again yet
    async with engine.connect() as conn:
        row = (await conn.execute(select(tables.mail_outbox))).one()
        user = (await conn.execute(select(tables.users))).one()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == world.clock() + timedelta(seconds=30)
    assert user.password_hash is None  # no password exists before its mail goes

    # the server is back (same queue, a relay pointed at it); once due, the mail goes
    world.relay = MailRelay(engine, smtp_server.settings, passwords=passwords, now=world.clock)
    world.clock.advance(seconds=30)
    assert await world.relay.relay_once() == 1
    [arrived] = smtp_server.mailbox.arrived
    assert arrived.rcpt_tos == [YKTS_EMAIL]
    mail = arrived_as_sent(arrived)
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
    async with engine.connect() as conn:
        row = (await conn.execute(select(tables.mail_outbox))).one()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


async def test_the_relay_task_sends_when_woken(smtp_world: World, smtp_server: SmtpServer) -> None:
    relay = smtp_world.relay
    await relay.start()
    try:
        await smtp_world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz")
        await smtp_world.service.handle_ykts_answer(authority_checked(smtp_world.published[0]))
        relay.wake()
        for _ in range(100):
            if smtp_server.mailbox.arrived:
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
    assert [a.rcpt_tos for a in smtp_server.mailbox.arrived] == [[YKTS_EMAIL]]


def test_smtp_settings_from_the_environment_hide_the_password() -> None:
    settings = SmtpSettings.from_env(
        {
            "GETAPP_SMTP_HOST": "smtp.example.gov.tr",
            "GETAPP_SMTP_PORT": "587",
            "GETAPP_MAIL_FROM": SENDER,
            "GETAPP_SMTP_STARTTLS": "true",
            "GETAPP_SMTP_USERNAME": "getapp",
            "GETAPP_SMTP_PASSWORD": "smtp-secret-value",
        }
    )
    assert (settings.host, settings.port, settings.sender, settings.start_tls) == (
        "smtp.example.gov.tr",
        587,
        SENDER,
        True,
    )
    assert settings.username == "getapp" and "smtp-secret-value" not in repr(settings)
    tls = SmtpSettings.from_env({"GETAPP_SMTP_TLS": "1"})
    assert tls.use_tls and tls.port == 465 and tls.start_tls is None
    message = SmtpSender(settings).message(YKTS_EMAIL, "Konu / Subject ı ş ğ", "Gövde / Body: İlk şifre")
    assert message["To"] == YKTS_EMAIL and message["Message-ID"]
