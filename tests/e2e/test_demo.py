"""The README's demo scenario, played against the test broker: what a newcomer sees must be true."""

from __future__ import annotations

import io

import pytest

from hub.client import HubClient
from hub.demo import main_event, play
from hub.entrypoints.stack import Stack
from tests.conftest import SESSION_NOW

pytestmark = pytest.mark.kafka


async def test_demo_scenario_shows_t1_r1_e1_and_the_g3_v1_refusals(client: HubClient, stack: Stack) -> None:
    # rule: T1, R1, E1, G3, V1
    out = io.StringIO()
    steps = await play(client, out, run_id="T0", today=SESSION_NOW.date())
    kinds = [(main_event(s.outcome).type, getattr(main_event(s.outcome).payload, "rule", None)) for s in steps]
    assert kinds == [
        ("DeclarationLodged", None),
        ("DeclarationAccepted", None),
        ("InspectionCompleted", None),
        ("DeclarationLodged", None),
        ("DeclarationAccepted", None),
        ("InspectionCompleted", None),
        ("DeclarationLodged", None),
        ("DeclarationAccepted", None),
        ("InspectionCompleted", None),
        ("CommandRefused", "G3"),
        ("CommandRefused", "V1"),
    ]
    text = out.getvalue()
    assert "line 1: 12 of 12 entered" in text and "refused (V1)" in text
    assert "220100ATAT001 closed (R1): nothing left open" in text  # the 5800, discharged by the 3158
