"""Envelopes of `TcgbStageReached`, as the BİLGE adapter publishes them on `bilge.tcgb.events` (A2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hub.contract.messages.envelope import Envelope, envelope
from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from tests.getapp_tracking.builders import FIRM_A, FIRM_B, KAPIKULE

IMPORT, EXPORT = TcgbDirection.IMPORT, TcgbDirection.EXPORT
S = TcgbStage
FIRM_C = "1230045678"  # Çukurova Tekstil A.Ş.: imports and exports a lot (pagination)


def tcgb_event(
    number: str,
    stage: TcgbStage,
    at: datetime,
    *,
    direction: TcgbDirection = IMPORT,
    office: str = KAPIKULE,
    consignee: str | None = FIRM_A,
    consignor: str | None = None,
    channel: TcgbChannel | None = None,
    stage_office: str | None = None,
    regime: str | None = None,
) -> Envelope[Any]:
    payload = TcgbStageReached(
        tcgb_number=number,
        direction=direction,
        regime=regime or ("4000" if direction == IMPORT else "1000"),
        customs_office=office,
        consignee_vkn=consignee,
        consignor_vkn=consignor,
        stage=stage,
        reached_at=at,
        office=stage_office,
        channel=channel,
    )
    return envelope(payload, carnet_number=number, occurred_at=at)


def life(number: str, start: datetime, steps: Sequence[tuple[TcgbStage, float]], **header: Any) -> list[Envelope[Any]]:
    """A TCGB's events: each stage at `start` + seconds; channel_assigned is red unless told."""
    channel = header.pop("channel", TcgbChannel.RED)
    return [
        tcgb_event(
            number,
            stage,
            start + timedelta(seconds=s),
            channel=channel if stage == S.CHANNEL_ASSIGNED else None,
            **header,
        )
        for stage, s in steps
    ]


__all__ = ["EXPORT", "FIRM_A", "FIRM_B", "FIRM_C", "IMPORT", "S", "life", "tcgb_event"]
