"""GET-APP end to end: a firm applies, YKTS is asked through Kafka, the user code arrives by real
SMTP at the firm's YKTS e-mail, and the firm follows its declaration fed by the hub's events."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from hub.domain.commands import AcceptDeclaration, DeclarantIn
from hub.entrypoints.stack import Stack
from hub.getapp.accounts.api import SESSION_COOKIE
from hub.runtime.client import HubClient
from tests.domain.builders import LIAISON
from tests.e2e.helpers import eventually, foreign_5800

pytestmark = pytest.mark.kafka

ANADOLU = "1423789050"  # YKTS fixture firm, e-mail gumruk@anadolusahne.com.tr
AYSE = "10000000146"  # its direct representative (DOGRUDAN_TEMSIL)


async def test_a4_a5_a1_a3_firm_applies_gets_its_code_by_mail_and_follows_its_declaration(
    client: HubClient, stack: Stack
) -> None:
    # rule: A4, A5, A1, A3, A8
    assert stack.getapp.web is not None and stack.mail is not None
    async with httpx.AsyncClient(base_url=stack.getapp.web.base_url) as http:
        applied = await http.post(
            "/api/applications",
            json={"firm_vkn": ANADOLU, "person_tckn": AYSE, "person_name": "Ayşe Demir", "email": "typed@example.com"},
        )
        assert applied.status_code == 202, applied.text
        application = applied.json()["application_id"]

        async def approved() -> Any:
            status = (await http.get(f"/api/applications/{application}")).json()
            return status if status["status"] != "pending" else None

        assert (await eventually(approved, wait_s=30))["status"] == "approved"
        mails = await eventually(lambda: _async(stack.mail.to("gumruk@anadolusahne.com.tr") if stack.mail else []))
        assert not stack.mail.to("typed@example.com")  # A5: never to a typed address
        body = mails[0].get_body(("plain",)).get_content()
        code = re.search(r"\bGA[0-9A-Z]{8}\b", body)
        password = re.search(r"(?m)^\s*(?:Şifre|Geçici şifre|Password|Initial password)[^:]*:\s*(\S+)", body)
        assert code and password, body

        # A declaration lodged by the firm as holder, through Kafka: the read model is fed by the events.
        lodge = foreign_5800().model_copy(
            update={"declarant": DeclarantIn(id_kind="VKN", id_value=ANADOLU, name="Anadolu Sahne A.Ş.")}
        )
        await client.outcome(await client.send(lodge, lodge.carnet_number))
        accept = AcceptDeclaration(declaration_number=lodge.declaration_number, actor=LIAISON)
        await client.outcome(await client.send(accept, lodge.carnet_number))

        login = await http.post("/api/login", json={"user_code": code.group(0), "password": password.group(1)})
        assert login.status_code == 200, login.text
        # Secure by default, in the stack too. httpx sends no Secure cookie over http://, Chromium does to
        # 127.0.0.1 (a potentially trustworthy origin): the test sends it as Chromium would.
        assert "secure" in login.headers["set-cookie"].lower()
        http.headers["Cookie"] = f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"
        assert login.json()["notice"]["en"].startswith("This information is for guidance only")  # A8
        new = await http.post(
            "/api/password", json={"old_password": password.group(1), "new_password": "Kapıkule-2026!"}
        )
        assert new.status_code == 200, new.text

        async def mine() -> Any:
            answer = await http.get("/api/declarations")
            found = [d for d in answer.json()["declarations"] if d["declaration_number"] == lodge.declaration_number]
            return found[0] if found and found[0]["current_stage"] == "accepted" else None

        seen = await eventually(mine, wait_s=30)
        assert seen["regime"] == "5800"
        other = await http.get("/api/declarations/NOT-OURS-123")
        assert other.status_code == 404  # A3


async def _async(value: Any) -> Any:
    return value
