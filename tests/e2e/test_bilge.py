"""BİLGE through the real broker: TCGB drawing-downs (F1, F2), summary declarations (S1–S4),
legacy declarations (L1, L2), hostile documents, redelivery and an outage during closure."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from adapters.bilge.service import drawdown_id
from adapters.bilge.simulator import sample_tcgb_xml
from hub.contract.messages.envelope import decode
from hub.contract.signing import HTTP_SIGNATURE_HEADER
from hub.contract.topic_names import HUB_DEADLETTER
from hub.domain.bilge import SummaryOpening
from hub.domain.commands import AcceptDeclaration, Actor, CompleteInspection, LineQuantity, LodgeDeclaration
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.security import ADMIN
from tests.conftest import on_session_day
from tests.domain.builders import BORDER, HOLDER, INSPECTOR, LIAISON
from tests.e2e.helpers import eventually, foreign_5800, read_topic, signature_of, unique

pytestmark = pytest.mark.kafka

AIRPORT = "340900"  # İstanbul Havalimanı, the office of özet beyan 26340900OB000214


def officer(role: str, office: str) -> Actor:
    return Actor(role=role, office=office, officer_id=f"{role}-{office}")


async def _types(client: HubClient, command: Any) -> list[str]:
    return [e.type for e in await client.outcome(command)]


async def _entered_5800(client: HubClient, office: str = BORDER, **extra: Any) -> LodgeDeclaration:
    lodge = foreign_5800().model_copy(update={"customs_office": office, **extra})
    assert "DeclarationLodged" in await _types(client, await client.send(lodge, lodge.carnet_number))
    for command in (
        AcceptDeclaration(declaration_number=lodge.declaration_number, actor=officer("liaison", office)),
        CompleteInspection(declaration_number=lodge.declaration_number, actor=officer("inspection_officer", office)),
    ):
        await client.outcome(await client.send(command, lodge.carnet_number))
    return lodge


def _push(stack: Stack, xml: bytes, number: str) -> None:
    assert stack.bilge_sender is not None  # BİLGE's client certificate: the intake serves mutual TLS only
    headers = {"X-Belge-No": number, HTTP_SIGNATURE_HEADER: signature_of(xml, "bilge")}  # and BİLGE's signature
    answer = httpx.post(stack.bilge_intake_url, content=xml, headers=headers, verify=stack.bilge_sender.context())
    assert answer.status_code == 202, answer.text


def _tcgb_answers(bilge: BackgroundServer, tcgb_number: str) -> list[dict[str, Any]]:
    answers = httpx.get(f"{bilge.base_url}/_sim/tcgb-answers").json()["answers"]
    return [a for a in answers if a["tcgb_number"] == tcgb_number]


def _tcgb_number() -> str:
    return "26220100IM" + unique("")[:6].translate(str.maketrans("ABCDEF", "123456"))


async def test_f1_f2_tcgb_draws_down_and_a_mix_with_3158_closes_the_5800(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: F1, F2 (a 3158 and a TCGB together account for everything: the 5800 closes)
    lodge = await _entered_5800(client)
    n, carnet = lodge.declaration_number, lodge.carnet_number
    re_export = LodgeDeclaration(
        declaration_number=unique("220100ATA"),
        carnet_number=carnet,
        regime="3158",
        customs_office=BORDER,
        declarant=HOLDER,
        previous_declaration=n,
        lines=(LineQuantity(line_no=1, quantity=4),),
    )
    await client.outcome(await client.send(re_export, carnet))
    for command in (
        AcceptDeclaration(declaration_number=re_export.declaration_number, actor=LIAISON),
        CompleteInspection(declaration_number=re_export.declaration_number, actor=INSPECTOR),
    ):
        await client.outcome(await client.send(command, carnet))
    tcgb = _tcgb_number()
    _push(stack, sample_tcgb_xml(tcgb, "4000", BORDER, [(1, n, carnet, 1, 8), (2, n, carnet, 2, 1)]), tcgb)
    events = await client.outcome(drawdown_id(tcgb, carnet))
    assert [(e.type, getattr(e.payload, "rule", None)) for e in events] == [
        ("GoodsDischarged", "F2"),
        ("DeclarationClosed", "F2"),
    ]
    assert [(ln.line_no, ln.discharged, ln.open) for ln in events[0].payload.ledger] == [(1, 12, 0), (2, 1, 0)]
    # Both outcomes name the TCGB and the items that drew the 5800 down (issue 14 part 5).
    for event in events:
        assert event.payload.tcgb.tcgb_number == tcgb
        assert [(i.item_no, i.line_no, i.quantity) for i in event.payload.tcgb.items] == [(1, 1, 8), (2, 2, 1)]
    answers = await eventually(lambda: _async(_tcgb_answers(bilge_simulator, tcgb)))
    assert answers[0]["accepted"] and {i["item_no"] for i in answers[0]["items"]} == {1, 2}


async def test_f2_the_same_tcgb_delivered_twice_draws_down_once(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: F2
    lodge = await _entered_5800(client)
    n, carnet = lodge.declaration_number, lodge.carnet_number
    tcgb = _tcgb_number()
    xml = sample_tcgb_xml(tcgb, "7100", BORDER, [(1, n, carnet, 1, 5)])
    _push(stack, xml, tcgb)
    _push(stack, xml, tcgb)
    events = await client.outcome(drawdown_id(tcgb, carnet))
    assert [e.type for e in events] == ["GoodsDischarged"]
    await eventually(lambda: _async(_tcgb_answers(bilge_simulator, tcgb)))
    again = await client.outcome(await client.send(re_lodge := _three158(n, carnet, 7), carnet))
    assert again[0].type == "DeclarationLodged", "7 of 12 are still open: drawn down once, not twice"
    assert re_lodge.lines[0].quantity == 7


def _three158(entry: str, carnet: str, quantity: int) -> LodgeDeclaration:
    return LodgeDeclaration(
        declaration_number=unique("220100ATA"),
        carnet_number=carnet,
        regime="3158",
        customs_office=BORDER,
        declarant=HOLDER,
        previous_declaration=entry,
        lines=(LineQuantity(line_no=1, quantity=quantity),),
    )


async def test_f2_drawing_down_beyond_what_is_open_is_refused_and_bilge_is_told_which_item(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: F2
    lodge = await _entered_5800(client)
    n, carnet = lodge.declaration_number, lodge.carnet_number
    tcgb = _tcgb_number()
    _push(stack, sample_tcgb_xml(tcgb, "4000", BORDER, [(1, n, carnet, 2, 1), (2, n, carnet, 1, 13)]), tcgb)
    (refusal,) = await client.outcome(drawdown_id(tcgb, carnet))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "F2"
    assert "item 2: 13 drawn down, only 12 open" in refusal.payload.reason
    named = refusal.payload.tcgb  # the refusal names the TCGB and the item that failed
    assert named.tcgb_number == tcgb and [(i.item_no, i.problem) for i in named.items] == [
        (2, f"13 drawn down, only 12 open on {n} line 1")
    ]
    (answer,) = await eventually(lambda: _async(_tcgb_answers(bilge_simulator, tcgb)))
    assert not answer["accepted"] and answer["rule"] == "F2"
    by_item = {i["item_no"]: i for i in answer["items"]}
    assert "only 12 open" in by_item[2]["reason"] and not by_item[1]["accepted"]


@pytest.mark.parametrize(
    ("name", "document", "reason"),
    [
        ("malformed", b"<Tcgb><BeyannameNo>1</Tcgb>", "malformed"),
        ("schema-invalid", b'<Tcgb xmlns="urn:gtb:bilge:tcgb:1" surum="1.0"><Rejim>4</Rejim></Tcgb>', "schema-invalid"),
        (
            "entity bomb",
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b"<Tcgb>&b;</Tcgb>",
            "hostile",
        ),
        (
            "external entity",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Tcgb>&x;</Tcgb>',
            "hostile",
        ),
    ],
)
async def test_hostile_or_invalid_bilge_documents_are_dead_lettered_and_nothing_is_applied(
    stack: Stack, name: str, document: bytes, reason: str
) -> None:
    key = unique(f"BAD-{name.split()[0]}-")
    _push(stack, document, key)

    async def dead_lettered() -> Any:
        for record in await read_topic(stack.settings.kafka_bootstrap, HUB_DEADLETTER, principal=ADMIN):
            headers = {k: v.decode() for k, v in record.headers}
            if record.key == key.encode() and headers["dlq.original_topic"] == "bilge.inbound":
                return headers
        return None

    headers = await eventually(dead_lettered)
    assert headers["dlq.reason"].startswith("BİLGE document rejected:") and reason in headers["dlq.reason"]
    assert "root:" not in headers["dlq.reason"]  # the external file was never read into the reason


async def test_s1_s3_s4_summary_part_opened_then_closed_in_bilge_when_inspection_completes(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: S1, S2, S3, S4
    opening = SummaryOpening(
        summary_number="26340900OB000214",
        transport_document="235-48213375",
        transport_line=1,
        packages=2,
        temporary_storage=True,
        storage_code="34-GDY-0042",
    )
    lodge = await _entered_5800(client, office=AIRPORT, summary=opening)

    async def closed() -> Any:
        closures = (await _sim(bilge_simulator, "GET", "/_sim/closures"))["closures"]
        return next((c for c in closures if c["declaration_number"] == lodge.declaration_number), None)

    closure = await eventually(closed)
    assert (closure["transport_document"], closure["transport_line"], closure["packages"]) == ("235-48213375", 1, 2)
    assert closure["leaves_temporary_storage"] and closure["storage_code"] == "34-GDY-0042"
    assert await eventually(lambda: _summary_closed(stack, lodge.declaration_number))


async def _summary_closed(stack: Stack, number: str) -> bool:
    from sqlalchemy import select

    from hub.store.tables import declarations

    assert stack.core.engine is not None
    async with stack.core.engine.connect() as conn:
        row = (
            await conn.execute(select(declarations.c.summary_closed).where(declarations.c.declaration_number == number))
        ).first()
    return bool(row and row.summary_closed)


async def test_s2_more_packages_than_open_is_refused(client: HubClient) -> None:
    # rule: S2
    opening = SummaryOpening(
        summary_number="26340900OB000214", transport_document="235-48213375", transport_line=2, packages=3
    )
    lodge = foreign_5800().model_copy(update={"customs_office": AIRPORT, "summary": opening})
    (refusal,) = await client.outcome(await client.send(lodge, lodge.carnet_number))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "S2"
    assert "3 packages opened on 26340900OB000214 235-48213375 line 2, only 2 are open" in refusal.payload.reason


async def test_s4_bilge_outage_during_closure_loses_nothing_and_closes_once(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: S4 (retried until BİLGE confirms; the closure id makes every retry the same closure)
    opening = SummaryOpening(summary_number="26340900OB000214", transport_document="157-20931184", packages=1)
    lodge = foreign_5800().model_copy(update={"customs_office": AIRPORT, "summary": opening})
    await client.outcome(await client.send(lodge, lodge.carnet_number))
    accept = AcceptDeclaration(declaration_number=lodge.declaration_number, actor=officer("liaison", AIRPORT))
    await client.outcome(await client.send(accept, lodge.carnet_number))
    # BİLGE down for more than one round of the client's 3 attempts, then an answer lost on the way.
    await _sim(bilge_simulator, "POST", "/_sim/faults", {"fail_next": 4, "status": 503})
    inspect = CompleteInspection(
        declaration_number=lodge.declaration_number, actor=officer("inspection_officer", AIRPORT)
    )
    await client.outcome(await client.send(inspect, lodge.carnet_number))
    assert await eventually(lambda: _summary_closed(stack, lodge.declaration_number), wait_s=40)
    closures = (await _sim(bilge_simulator, "GET", "/_sim/closures"))["closures"]
    mine = [c for c in closures if c["declaration_number"] == lodge.declaration_number]
    assert len(mine) == 1 and mine[0]["packages"] == 1


# The BİLGE simulator's legacy records and the stack's L2 cut-over are moved to the session's day
# (tests/conftest.py): a record keeps its side of the cut-over, and its carnet its validity.


async def test_l1_legacy_bilge_5800_is_fetched_and_discharged_by_a_3158(client: HubClient, stack: Stack) -> None:
    # rule: L1 (21343300IM000412: a 5800 in BİLGE before the cut-over, 8 + 6 + 1 pieces of DE/2021/A-004711,
    # a carnet still valid)
    assert on_session_day(date(2026, 3, 15)) < stack.settings.bilge_cutover
    carnet = "DE/2021/A-004711"
    re_export = LodgeDeclaration(
        declaration_number=unique("220100ATA"),
        carnet_number=carnet,
        regime="3158",
        customs_office=BORDER,
        declarant=HOLDER,
        previous_declaration="21343300IM000412",
    )
    events = await client.outcome(await client.send(re_export, carnet))
    assert [e.type for e in events] == ["CarnetRecorded", "LegacyDeclarationImported", "DeclarationLodged"]
    assert events[0].payload.carnet.valid_until == on_session_day(date(2027, 2, 21))
    assert [(ln.line_no, ln.quantity) for ln in events[2].payload.lines] == [(1, 8), (2, 6), (3, 1)]
    for command in (
        AcceptDeclaration(declaration_number=re_export.declaration_number, actor=LIAISON),
        CompleteInspection(declaration_number=re_export.declaration_number, actor=INSPECTOR),
    ):
        events = await client.outcome(await client.send(command, carnet))
    closed = {(e.payload.declaration_number, e.payload.rule) for e in events if e.type == "DeclarationClosed"}
    assert ("21343300IM000412", "R1") in closed and (re_export.declaration_number, "R1") in closed


async def test_l2_post_cutover_bilge_5800_is_reported_as_an_anomaly_not_applied(
    client: HubClient, stack: Stack
) -> None:
    # rule: L2 (22343300IM000058: a 5800 BİLGE took after the cut-over, on a carnet still valid)
    carnet = "FR/2022/B-000318"
    re_export = LodgeDeclaration(
        declaration_number=unique("220100ATA"),
        carnet_number=carnet,
        regime="3158",
        customs_office=BORDER,
        declarant=HOLDER,
        previous_declaration="22343300IM000058",
    )
    sent = await client.send(re_export, carnet)
    (refusal,) = await client.outcome(sent)
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "L2"

    async def anomaly() -> Any:
        for record in await read_topic(stack.settings.kafka_bootstrap, "ata.declaration.events", principal=ADMIN):
            event = decode(record.value)
            if event.type == "BilgeAnomalyReported" and event.payload.bilge_number == "22343300IM000058":
                return event
        return None

    reported = await eventually(anomaly)
    registered = on_session_day(date(2026, 9, 9))
    assert reported.payload.registered_on == registered >= stack.settings.bilge_cutover
    assert reported.carnet_number == carnet


async def test_l2_tcgb_with_an_ata_regime_after_the_cutover_is_reported_not_applied(stack: Stack) -> None:
    # rule: L2
    number = "26220100IM" + unique("")[:6].translate(str.maketrans("ABCDEF", "123456"))
    xml = sample_tcgb_xml(number, "5800", BORDER, [], carnet_number="CH/2026/Z-1")  # registered today
    _push(stack, xml, number)

    async def anomaly() -> Any:
        for record in await read_topic(stack.settings.kafka_bootstrap, "ata.declaration.events", principal=ADMIN):
            event = decode(record.value)
            if event.type == "BilgeAnomalyReported" and event.payload.bilge_number == number:
                return event
        return None

    reported = await eventually(anomaly)
    assert reported.payload.regime == "5800" and reported.carnet_number == "CH/2026/Z-1"


async def _async(value: Any) -> Any:
    return value


async def _sim(server: BackgroundServer, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """The BİLGE simulator's own controls and records."""
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answer = await http.request(method, path, json=body)
        answer.raise_for_status()
        return answer.json() if answer.content else None
