"""A real local SMTP server that keeps what it receives: where GET-APP mail goes in the demo and the
tests when no mail server is configured ($GETAPP_SMTP_HOST). Each mail is also written to a folder."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from hub.getapp.accounts.mail import SmtpSettings


class _Keep:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self._catcher.received.append(message)
        if self._catcher.folder is not None:
            self._catcher.folder.mkdir(parents=True, exist_ok=True)
            (self._catcher.folder / f"{len(self._catcher.received):04d}.eml").write_bytes(envelope.content)
        return "250 OK"


class MailCatcher:
    def __init__(self, folder: Path | None = None, sender: str = "getapp@eata.gtb.gov.tr") -> None:
        self.folder = folder
        self.received: list[EmailMessage] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=port)
        self.settings = SmtpSettings(host="127.0.0.1", port=port, sender=sender)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]
