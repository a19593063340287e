"""Builders for the account tests: valid ids, a clock the test moves, a mail catcher, YKTS answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope, reply
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed, AuthorityCheckRequested
from hub.getapp.accounts.mail import MailRelay, SmtpSettings
from hub.getapp.accounts.service import AccountService, LoggedIn
from hub.web.passwords import Passwords

START = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)

VKN = "4840012345"
OTHER_VKN = "7310098765"
FIRM_NAME = "Anadolu Fuarcılık A.Ş."
YKTS_EMAIL = "kayit@anadolufuar.example.com.tr"  # registered in YKTS
TYPED_EMAIL = "applicant.private@example.net"  # typed in the application: never written to (A5)
NEW_PASSWORD = "Yeni-Sifre-2026!"


def tckn(nine: str) -> str:
    """A valid TCKN from its first nine digits (first digit not 0)."""
    d = [int(c) for c in nine]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = (sum(d) + tenth) % 10
    return f"{nine}{tenth}{eleventh}"


APPLICANT = tckn("123456789")
PERSONS = [tckn(f"{n}2345678{n}") for n in range(1, 9)]  # more persons than a firm may have


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SentMail:
    to: str
    subject: str
    body: str

    @property
    def user_code(self) -> str:
        found = re.search(r"Kullanıcı kodu: (GA[A-Z0-9]{8})", self.body)
        assert found, self.body
        return found.group(1)

    @property
    def password(self) -> str:
        found = re.search(r"İlk şifre: (\S+)", self.body)
        assert found, self.body
        return found.group(1)


@dataclass
class CatchingSender:
    """A MailSender that keeps what it was given; `fail` makes it raise as an SMTP outage would."""

    sent: list[SentMail] = field(default_factory=list)
    fail: bool = False

    async def send(self, to: str, subject: str, body: str) -> None:
        if self.fail:
            raise ConnectionRefusedError("SMTP server down (test)")
        self.sent.append(SentMail(to, subject, body))


def authority_checked(
    request: Envelope[Any],
    *,
    authorised: bool = True,
    firm_email: str | None = YKTS_EMAIL,
    firm_name: str | None = FIRM_NAME,
    reason: str = "",
    at: datetime = START,
) -> Envelope[AuthorityChecked]:
    """YKTS's answer to a published AuthorityCheckRequested, as the YKTS adapter would send it."""
    asked = request.payload
    assert isinstance(asked, AuthorityCheckRequested)
    return reply(
        AuthorityChecked(
            request_id=asked.request_id,
            firm_vkn=asked.firm_vkn,
            person_tckn=asked.person_tckn,
            authorised=authorised,
            firm_name=firm_name if authorised else None,
            firm_email=firm_email if authorised else None,
            reason=reason,
        ),
        to=request,
        occurred_at=at,
    )


def authority_check_failed(request: Envelope[Any], reason: str, at: datetime = START) -> Envelope[AuthorityCheckFailed]:
    asked = request.payload
    assert isinstance(asked, AuthorityCheckRequested)
    return reply(
        AuthorityCheckFailed(
            request_id=asked.request_id,
            firm_vkn=asked.firm_vkn,
            person_tckn=asked.person_tckn,
            reason=reason,
            attempts=5,
        ),
        to=request,
        occurred_at=at,
    )


def request_id(request: Envelope[Any]) -> UUID:
    asked = request.payload
    assert isinstance(asked, AuthorityCheckRequested)
    return asked.request_id


class World:
    """The service with a clock, the YKTS requests it published and the mails it sent."""

    def __init__(self, engine: AsyncEngine, passwords: Passwords, sender: Any = None) -> None:
        self.engine = engine
        self.clock = Clock()
        self.published: list[Envelope[Any]] = []
        self.sender = sender if sender is not None else CatchingSender()
        self.service = AccountService(engine, self._publish, self.clock, passwords=passwords)
        self.relay = MailRelay(
            engine,
            SmtpSettings(host="127.0.0.1", port=1, sender="getapp@example.gov.tr"),
            sender=self.sender,
            passwords=passwords,
            now=self.clock,
        )

    async def _publish(self, message: Envelope[Any]) -> None:
        self.published.append(message)

    @property
    def mails(self) -> list[SentMail]:
        sent: list[SentMail] = self.sender.sent
        return sent

    async def approved_firm(self, person_tckn: str = APPLICANT, name: str = "Ayşe Yılmaz", vkn: str = VKN) -> SentMail:
        """Apply, let YKTS say yes, send the mail: the credentials mail that arrived."""
        await self.service.apply(vkn, person_tckn, name, TYPED_EMAIL)
        await self.service.handle_ykts_answer(authority_checked(self.published[-1], at=self.clock()))
        before = len(self.mails)
        await self.relay.relay_once()
        assert len(self.mails) == before + 1
        return self.mails[-1]

    async def working_session(self, mail: SentMail, new_password: str = NEW_PASSWORD) -> str:
        """Log in with a mailed initial password and change it: a session that may do everything."""
        logged_in = await self.service.login(mail.user_code, mail.password)
        assert isinstance(logged_in, LoggedIn), logged_in
        await self.service.change_password(logged_in.token, mail.password, new_password)
        return logged_in.token
