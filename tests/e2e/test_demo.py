"""The README's demo scenario, played against the test broker: what a newcomer sees must be true."""

from __future__ import annotations

import io

import pytest

from hub.devtools.demo import main_event, play
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from tests.conftest import SESSION_DAY

pytestmark = pytest.mark.kafka


async def test_demo_scenario_shows_t1_s4_r1_f2_e1_and_the_g3_v1_g2_refusals(client: HubClient, stack: Stack) -> None:
    # rule: T1, S1, S4, R1, F1, F2, E1, G3, V1, G2, A2
    out = io.StringIO()
    steps = await play(client, out, "T0", SESSION_DAY, stack.bilge_intake_url, stack.bilge_sender)
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
        ("CommandRefused", "G2"),
    ]
    text = out.getvalue()
    assert "line 1: 12 of 12 entered" in text and "refused (V1)" in text
    assert "26220100OB000088 DE-CMR-884120 line 2 closed, goods out of temporary storage (S4)" in text
    assert "220100ATAT005 closed (R1)" in text  # the 3158 re-exported line 1
    assert "220100ATAT001 closed (F2): nothing left open: the last goods discharged by TCGB" in text
    assert "Elif Şahin (TCKN 56301829420) is not registered in YKTS as directly authorised" in text
    assert " stages of 120 TCGBs in " in text and "with Boğaziçi Film (VKN 3841022679)" in text  # A2
