"""The envelope the BİLGE adapter puts a TCGB's stage in (A2): keyed by the TCGB, occurred when BİLGE
recorded it, its ids derived from TCGB and stage, so the same stage is the same message wherever it is
made (the adapter, the tracking benchmark) and however often (issue 14, part 2)."""

from __future__ import annotations

from adapters.bilge.tcgb_life import tcgb_lives
from adapters.bilge.tcgb_stages import stage_envelope, stage_event_id, tcgb_flow_id
from hub.contract.messages.envelope import decode


def test_a2_a_stage_is_enveloped_keyed_by_its_tcgb_with_ids_derived_from_it() -> None:
    life = next(tcgb_lives(1, seed=4))
    envelopes = [stage_envelope(stage) for stage in life]
    for stage, message in zip(life, envelopes, strict=True):
        assert message.payload == stage and message.carnet_number == stage.tcgb_number
        assert message.occurred_at == stage.reached_at
        assert message.message_id == stage_event_id(stage.tcgb_number, stage.stage)
        assert message.correlation_id == tcgb_flow_id(stage.tcgb_number) and message.causation_id is None
    assert len({m.message_id for m in envelopes}) == len(life)  # one event per stage
    assert len({m.correlation_id for m in envelopes}) == 1  # one flow per TCGB


def test_a2_the_same_stage_enveloped_again_is_the_same_message() -> None:
    stage = next(tcgb_lives(1, seed=9))[-1]
    assert stage_envelope(stage).encode() == stage_envelope(stage).encode()
    assert decode(stage_envelope(stage).encode(), {"TcgbStageReached"}).payload == stage
