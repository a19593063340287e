"""The offices' test data, made by the core's service layer from real commands (nothing written to the
tables by hand), and officers with HTTP clients logged in as them.

A German carnet: a 5800 temporary import at Kapıkule (220100), accepted and inspected there, with a
document and an officer's note on line 1; then a 3158 re-export of 5 of line 1 lodged at Cilvegözü
(310100), which another office may not see until its inspection is completed (C2). A second carnet,
from Switzerland, with a 5800 lodged at İstanbul Havalimanı (340900) and never accepted.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import envelope
from hub.contract.topics import catalog
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    AttachLineDocument,
    CompleteInspection,
    ExplainLine,
    LineQuantity,
    LodgeDeclaration,
)
from hub.domain.model import Role
from hub.office.accounts import OfficerAccounts
from hub.office.auth import cookie_name
from hub.service.core import CoreService
from tests.domain.builders import HOLDER, carnet_data

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DAY = NOW.date()
KAPIKULE, CILVEGOZU, AIRPORT = "220100", "310100", "340900"
CARNET, SWISS = "DE/2026/OF-1", "CH/2026/OF-2"
ENTRY, REEXPORT, LODGED_ONLY = "26220100ATA000001", "26310100ATA000002", "26340900ATA000003"
SHA = "9f2c" * 16
PASSWORD = "correct horse battery staple 42"


def officer(role: str, office: str, staff: str) -> Actor:
    return Actor(role=role, office=office, officer_id=staff)


async def run(service: CoreService, carnet_number: str, *commands: BaseModel) -> None:
    for command in commands:
        await service.handle_command(envelope(command, carnet_number=carnet_number, occurred_at=NOW))


def core(engine: AsyncEngine) -> CoreService:
    return CoreService(engine, catalog(), now=lambda: NOW)  # judged at NOW (V1)


async def seed(engine: AsyncEngine) -> CoreService:
    service = core(engine)
    data = carnet_data(number=CARNET)
    await run(
        service,
        CARNET,
        LodgeDeclaration(
            declaration_number=ENTRY, carnet_number=CARNET, regime="5800", customs_office=KAPIKULE, declarant=HOLDER,
            carnet=data, lines=(LineQuantity(line_no=1, quantity=12), LineQuantity(line_no=2, quantity=1)),
        ),
        AcceptDeclaration(declaration_number=ENTRY, actor=officer("liaison", KAPIKULE, "irtibat-01")),
        CompleteInspection(declaration_number=ENTRY, actor=officer("inspection_officer", KAPIKULE, "muayene-07")),
        AttachLineDocument(
            declaration_number=ENTRY, line_no=1, name="invoice-118804.pdf", document_type="invoice", sha256=SHA,
            location="s3://eata-docs/2026/invoice-118804.pdf", declarant=HOLDER,
        ),
        ExplainLine(
            declaration_number=ENTRY, line_no=1, note="Seri numaraları eşya listesiyle uyumlu.",
            actor=officer("inspection_officer", KAPIKULE, "muayene-07"),
        ),
        LodgeDeclaration(
            declaration_number=REEXPORT, carnet_number=CARNET, regime="3158", customs_office=CILVEGOZU,
            declarant=HOLDER, previous_declaration=ENTRY, lines=(LineQuantity(line_no=1, quantity=5),),
        ),
    )  # fmt: skip
    swiss = carnet_data(number=SWISS, country="CH")
    await run(
        service,
        SWISS,
        LodgeDeclaration(
            declaration_number=LODGED_ONLY, carnet_number=SWISS, regime="5800", customs_office=AIRPORT,
            declarant=HOLDER, carnet=swiss, lines=(LineQuantity(line_no=1, quantity=3),),
        ),
    )  # fmt: skip
    return service


async def complete_reexport(service: CoreService) -> None:
    await run(
        service,
        CARNET,
        AcceptDeclaration(declaration_number=REEXPORT, actor=officer("liaison", CILVEGOZU, "irtibat-31")),
        CompleteInspection(declaration_number=REEXPORT, actor=officer("inspection_officer", CILVEGOZU, "muayene-31")),
    )


async def add_officers(engine: AsyncEngine) -> OfficerAccounts:
    accounts = OfficerAccounts(engine)
    await accounts.add("a.yilmaz", "Ayşe Yılmaz", KAPIKULE, Role.LIAISON, PASSWORD)
    await accounts.add("m.kaya", "Mehmet Kaya", CILVEGOZU, Role.INSPECTION_OFFICER, PASSWORD)
    await accounts.add("e.demir", "Elif Demir", AIRPORT, Role.DIRECTOR, PASSWORD)
    return accounts


@contextlib.asynccontextmanager
async def logged_in(
    transport: httpx.AsyncBaseTransport, base_url: str, name: str, password: str = PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    """A client carrying the officer's session cookie and the page's Origin (httpx keeps no Secure cookie
    on plain HTTP, so the cookie is sent as a header, as the browser would)."""
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
        answer = await http.post("/api/login", json={"name": name, "password": password}, headers={"Origin": base_url})
    assert answer.status_code == 200, answer.text
    cookie, _, token = answer.headers["set-cookie"].split(";", 1)[0].partition("=")
    assert cookie == cookie_name(True)
    headers = {"Cookie": f"{cookie}={token}", "Origin": base_url}
    async with httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers) as client:
        yield client
