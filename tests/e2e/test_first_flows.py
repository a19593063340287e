"""The first flows of the hub, end to end through the real Kafka broker, store and TOBB simulator."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub.domain.commands import AcceptDeclaration, CompleteInspection
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.store.tables import declaration_lines, declarations
from tests.conftest import SimulatorControl, on_session_day
from tests.domain.builders import INSPECTOR, LIAISON
from tests.e2e.helpers import TURKISH_CARNET, foreign_5800, only_outcome, turkish_2600

pytestmark = pytest.mark.kafka


async def test_t1_5800_at_border_travels_lodged_accepted_inspected(client: HubClient, stack: Stack) -> None:
    # rule: T1 (G7: goods-list quantities recorded as entered)
    lodge = foreign_5800()
    carnet = lodge.carnet_number
    lodged = await only_outcome(client, await client.send(lodge, carnet))
    assert lodged.type == "DeclarationLodged" and lodged.payload.status == "lodged"
    assert lodged.carnet_number == carnet and lodged.payload.carnet_source == "declarant"
    number = lodge.declaration_number
    accepted = await only_outcome(
        client, await client.send(AcceptDeclaration(declaration_number=number, actor=LIAISON), carnet)
    )
    assert accepted.type == "DeclarationAccepted"
    done = await only_outcome(
        client, await client.send(CompleteInspection(declaration_number=number, actor=INSPECTOR), carnet)
    )
    assert done.type == "InspectionCompleted" and done.payload.status == "inspection_completed"
    assert [(ln.line_no, ln.entered, ln.goods_list_quantity) for ln in done.payload.ledger] == [(1, 12, 12), (2, 1, 1)]
    assert done.payload.discharge_deadline == lodge.carnet.valid_until  # type: ignore[union-attr]

    assert stack.core.engine is not None
    async with stack.core.engine.connect() as conn:
        row = (await conn.execute(select(declarations).where(declarations.c.declaration_number == number))).one()
        lines = (
            await conn.execute(select(declaration_lines).where(declaration_lines.c.declaration_number == number))
        ).all()
    assert row.status == "inspection_completed" and row.discharge_deadline == lodge.carnet.valid_until  # type: ignore[union-attr]
    assert sorted((ln.line_no, ln.quantity) for ln in lines) == [(1, 12), (2, 1)]


async def test_e1_g3_2600_lodged_with_carnet_number_only_is_filled_from_tobb(
    client: HubClient, tobb: SimulatorControl
) -> None:
    # rule: E1, G3
    lodge = turkish_2600()
    asked_before = tobb.requests_for(TURKISH_CARNET)
    lodged = await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    assert lodged.type == "DeclarationLodged", lodged.payload
    assert lodged.payload.carnet_source == "TOBB"
    assert lodged.payload.holder_name == "Ege Pamuk Tekstil Sanayi ve Ticaret Ltd. Şti."
    assert lodged.payload.carnet_valid_until == on_session_day(date(2027, 4, 6))
    assert lodged.payload.lines[0].quantity == 1 and lodged.payload.lines[0].description
    assert tobb.requests_for(TURKISH_CARNET) == asked_before + 1
    number = lodge.declaration_number
    await only_outcome(
        client, await client.send(AcceptDeclaration(declaration_number=number, actor=LIAISON), TURKISH_CARNET)
    )
    done = await only_outcome(
        client, await client.send(CompleteInspection(declaration_number=number, actor=INSPECTOR), TURKISH_CARNET)
    )
    assert done.type == "InspectionCompleted" and [ln.entered for ln in done.payload.ledger] == [1]


async def test_g3_carnet_unknown_to_tobb_is_refused(client: HubClient) -> None:
    # rule: G3
    lodge = turkish_2600("TR/2026/999999")
    refusal = await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G3"
    assert "TOBB does not know carnet TR/2026/999999" in refusal.payload.reason
    assert refusal.payload.declaration_number == lodge.declaration_number


async def test_v1_expired_carnet_is_refused(client: HubClient) -> None:
    # rule: V1
    lodge = turkish_2600("TR/2025/004512")
    refusal = await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "V1"
    assert f"expired on {on_session_day(date(2026, 5, 11))}" in refusal.payload.reason


async def test_g3_tobb_failing_twice_is_retried_and_the_declaration_lodged(
    client: HubClient, tobb: SimulatorControl
) -> None:
    # rule: G3 (the adapter retries with backoff; the declarant sees one outcome)
    tobb.faults(fail_next=2, status=503)
    before = tobb.requests_for(TURKISH_CARNET)
    lodge = turkish_2600()
    lodged = await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    assert lodged.type == "DeclarationLodged"
    assert tobb.requests_for(TURKISH_CARNET) == before + 3


async def test_g3_tobb_down_ends_in_a_refusal_after_the_bound_not_a_hang(
    client: HubClient, tobb: SimulatorControl
) -> None:
    # rule: G3 (3 attempts in the test settings, then a failure outcome)
    tobb.faults(fail_next=1000, status=503)
    before = tobb.requests_for(TURKISH_CARNET)
    lodge = turkish_2600()
    refusal = await only_outcome(client, await client.send(lodge, lodge.carnet_number), wait_s=30)
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G3"
    assert "could not be fetched from TOBB" in refusal.payload.reason
    assert tobb.requests_for(TURKISH_CARNET) == before + 3


async def test_g3_tobb_slower_than_the_timeout_ends_in_a_refusal(client: HubClient, tobb: SimulatorControl) -> None:
    # rule: G3 (per-call timeout of 1 s in the test settings)
    tobb.faults(delay_all=True, delay_seconds=3.0)
    lodge = turkish_2600()
    refusal = await only_outcome(client, await client.send(lodge, lodge.carnet_number), wait_s=30)
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G3"
    assert "could not be fetched from TOBB" in refusal.payload.reason


async def test_c1_officer_of_another_role_is_refused_through_kafka(client: HubClient) -> None:
    # rule: C1
    lodge = foreign_5800()
    await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    wrong = AcceptDeclaration(declaration_number=lodge.declaration_number, actor=INSPECTOR)
    refusal = await only_outcome(client, await client.send(wrong, lodge.carnet_number))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "C1"
    assert refusal.payload.command_type == "AcceptDeclaration"
