"""G2 with A4 end to end: a representative lodging a 2600 for a Turkish firm is checked in YKTS,
through the real broker, the YKTS adapter and the YKTS simulator."""

from __future__ import annotations

from typing import Any

import pytest

from hub.contract.messages.envelope import Envelope
from hub.domain.commands import DeclarantIn
from hub.runtime.client import HubClient
from tests.conftest import SimulatorControl
from tests.e2e.helpers import only_outcome, turkish_2600

pytestmark = pytest.mark.kafka

NILUFER_CARNET = "TR/2026/000789"  # held by Nilüfer Makine, VKN 6204477183, in the TOBB simulator
MEHMET = "24851973672"  # Nilüfer Makine's direct representative in YKTS
ELIF = "56301829420"  # Nilüfer Makine's direct representative from a day still to come


def by(tckn: str, name: str, acts_as: str = "representative") -> DeclarantIn:
    return DeclarantIn(id_kind="TCKN", id_value=tckn, name=name, acts_as=acts_as)


async def export_by(client: HubClient, declarant: DeclarantIn) -> Envelope[Any]:
    """A 2600 on Nilüfer Makine's carnet lodged by `declarant`, through Kafka: the one event answering it."""
    lodge = turkish_2600(NILUFER_CARNET).model_copy(update={"declarant": declarant})
    return await only_outcome(client, await client.send(lodge, lodge.carnet_number))


async def test_g2_a4_a_direct_representative_in_ykts_lodges_for_the_holder(
    client: HubClient, ykts: SimulatorControl
) -> None:
    # rule: G2, A4 - Mehmet Kaya is Nilüfer Makine's direct representative in YKTS
    asked_before = ykts.requests_for(MEHMET)
    lodged = await export_by(client, by(MEHMET, "Mehmet Kaya"))
    assert lodged.type == "DeclarationLodged", lodged.payload
    assert lodged.payload.holder_name.startswith("Nilüfer Makine")
    assert ykts.requests_for(MEHMET) == asked_before + 1


async def test_g2_a4_a_representative_whose_authority_has_not_begun_is_refused(
    client: HubClient, ykts: SimulatorControl
) -> None:
    # rule: G2, A4 - Elif Şahin's authority for Nilüfer Makine begins on a later day
    asked_before = ykts.requests_for(ELIF)
    refusal = await export_by(client, by(ELIF, "Elif Şahin"))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G2"
    assert "Elif Şahin" in refusal.payload.reason and "6204477183" in refusal.payload.reason
    assert ykts.requests_for(ELIF) == asked_before + 1


async def test_g2_lodging_as_holder_under_another_id_is_refused_without_asking_ykts(
    client: HubClient, ykts: SimulatorControl
) -> None:
    # rule: G2 - the representative's check cannot be passed by claiming to be the holder
    asked_before = ykts.requests_for(ELIF)
    refusal = await export_by(client, by(ELIF, "Elif Şahin", acts_as="holder"))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G2"
    assert "is not the holder of carnet TR/2026/000789" in refusal.payload.reason
    assert ykts.requests_for(ELIF) == asked_before


async def test_g2_ykts_down_refuses_the_lodgement_to_be_lodged_again(client: HubClient, ykts: SimulatorControl) -> None:
    # rule: G2 - an authority nobody could confirm is not taken; the declarant is told to lodge again
    ykts.faults(fail_next=100)
    refusal = await export_by(client, by(MEHMET, "Mehmet Kaya"))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G2"
    assert "could not be checked in YKTS" in refusal.payload.reason and "lodge again" in refusal.payload.reason
