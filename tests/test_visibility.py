"""C2 (what each office may see) and C3 (documents and notes come back with the declaration),
through the service layer and the real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
    LodgeDeclaration,
)
from hub.domain.visibility import may_see
from hub.service.core import CoreService
from hub.store.carnets import CarnetRepository
from hub.store.queries import declaration_for, visible_to
from tests.domain.builders import BORDER, EXIT_BORDER, HOLDER, INLAND, carnet_data

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SHA = "9f2c" * 16


def officer(role: str, office: str) -> Actor:
    return Actor(role=role, office=office, officer_id=f"{role}-{office}")


async def run(service: CoreService, carnet_number: str, *commands: BaseModel) -> None:
    for command in commands:
        await service.handle_command(envelope(command, carnet_number=carnet_number, occurred_at=NOW))


async def seed(engine: AsyncEngine) -> CoreService:
    """Three declarations on one carnet: a completed GİRİŞ, a lodged 5800 inland, an accepted ÇIKIŞ."""
    service = CoreService(engine, catalog(), now=lambda: NOW)  # received when issued: judged at NOW (V1)
    data = carnet_data(number="DE/2026/C2-1")
    n = data.carnet_number

    def lodge(number: str, regime: str, office: str, **extra: Any) -> LodgeDeclaration:
        return LodgeDeclaration(
            declaration_number=number, carnet_number=n, regime=regime, customs_office=office, declarant=HOLDER, **extra
        )

    await run(
        service,
        n,
        lodge("GIRIS-1", "ATA-TR/GİRİŞ", BORDER, carnet=data, destination_office=INLAND, lines=()),
        AcceptDeclaration(declaration_number="GIRIS-1", actor=officer("liaison", BORDER)),
        CompleteInspection(declaration_number="GIRIS-1", actor=officer("inspection_officer", BORDER)),
        lodge("5800-IN", "5800", INLAND, previous_declaration="GIRIS-1"),
        lodge("GIRIS-2", "ATA-TR/GİRİŞ", BORDER, destination_office=EXIT_BORDER),
        AcceptDeclaration(declaration_number="GIRIS-2", actor=officer("liaison", BORDER)),
        CompleteInspection(declaration_number="GIRIS-2", actor=officer("inspection_officer", BORDER)),
        lodge("CIKIS-2", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous_declaration="GIRIS-2"),
    )
    return service


async def test_c2_completed_seen_everywhere_lodged_only_at_its_own_office(engine: AsyncEngine) -> None:
    # rule: C2
    await seed(engine)
    async with engine.connect() as conn:
        seen = {
            office: [v.declaration_number for v in await visible_to(conn, office)]
            for office in (BORDER, INLAND, EXIT_BORDER, "060100")
        }
    assert seen["060100"] == ["GIRIS-1", "GIRIS-2"]  # an uninvolved office: completed ones only
    assert seen[INLAND] == ["5800-IN", "GIRIS-1", "GIRIS-2"]  # plus its own lodged 5800
    assert seen[EXIT_BORDER] == ["CIKIS-2", "GIRIS-1", "GIRIS-2"]
    assert "5800-IN" not in seen[BORDER] and "CIKIS-2" not in seen[BORDER]


async def test_c2_accepted_cikis_is_presented_to_its_destination(engine: AsyncEngine) -> None:
    # rule: C2 (and E3: a ÇIKIŞ is presented to its destination office)
    service = await seed(engine)
    n = "DE/2026/C2-1"
    await run(
        service,
        n,
        LodgeDeclaration(
            declaration_number="GIRIS-3",
            carnet_number=n,
            regime="ATA-TR/GİRİŞ",
            customs_office=BORDER,
            declarant=HOLDER,
            destination_office="040100",
        ),
    )
    await run(service, n, AcceptDeclaration(declaration_number="GIRIS-3", actor=officer("liaison", BORDER)))
    async with engine.connect() as conn:
        assert await declaration_for(conn, "GIRIS-3", "040100") is None  # accepted, not yet approved
        assert await declaration_for(conn, "GIRIS-3", BORDER) is not None


async def test_c2_sql_query_and_rule_agree_for_every_office(engine: AsyncEngine) -> None:
    # rule: C2 (the query is the SQL form of may_see: checked against the rule on every declaration)
    await seed(engine)
    async with engine.connect() as conn:
        carnet = await CarnetRepository(conn).get("DE/2026/C2-1")
        assert carnet is not None
        for office in (BORDER, INLAND, EXIT_BORDER, "060100", "350100"):
            by_rule = sorted(n for n, d in carnet.declarations.items() if may_see(d, office))
            assert [v.declaration_number for v in await visible_to(conn, office)] == by_rule


async def test_c3_documents_and_explanations_come_back_with_the_declaration(engine: AsyncEngine) -> None:
    # rule: C3
    service = await seed(engine)
    n = "DE/2026/C2-1"
    await run(
        service,
        n,
        AttachLineDocument(
            declaration_number="GIRIS-1",
            line_no=1,
            name="invoice-118804.pdf",
            document_type="invoice",
            sha256=SHA,
            location="s3://eata-docs/2026/invoice-118804.pdf",
            declarant=HOLDER,
        ),
        ExplainLine(
            declaration_number="GIRIS-1",
            line_no=1,
            note="Serial numbers match the goods list.",
            actor=officer("inspection_officer", BORDER),
        ),
        ExplainLine(
            declaration_number="GIRIS-1", line_no=2, note="Not my office.", actor=officer("inspection_officer", INLAND)
        ),
    )
    async with engine.connect() as conn:
        view = await declaration_for(conn, "GIRIS-1", "060100")
    assert view is not None
    line1, line2 = view.lines
    assert [(d.name, d.sha256, d.location) for d in line1.documents] == [
        ("invoice-118804.pdf", SHA, "s3://eata-docs/2026/invoice-118804.pdf")
    ]
    assert line1.notes == ("Serial numbers match the goods list.",)
    assert line2.notes == ()  # the explanation of an officer of another office was refused (C1)
