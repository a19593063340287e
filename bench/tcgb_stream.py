"""A deterministic stream of TCGB lives for the tracking benchmark (A2): both directions, every channel,
several offices, many firms; the same seed gives the same stream.

A TCGB's stages follow BİLGE's order: registered, channel assigned, examined (yellow and red channels
only), paid, released, and for an export the exit at a border office. Registrations come a few
seconds apart; the gaps between stages are drawn from exponential laws of realistic means. `events`
interleaves the lives by time, as BİLGE would report them, so a poll of the stream touches many TCGBs
that already have stages in the store.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from hub.messages.envelope import Envelope, envelope

OFFICES = ("220100", "340900", "342000", "350200", "310100", "060100", "160100", "410100", "270100", "330100")
BORDER = ("220100", "340900", "350200", "310100")
CHANNELS = (TcgbChannel.GREEN, TcgbChannel.YELLOW, TcgbChannel.RED, TcgbChannel.BLUE)
CHANNEL_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
# Mean seconds spent in each stage before the next (a day's customs work, not a lab's).
MEAN_GAP_S = {
    TcgbStage.REGISTERED: 300,
    TcgbStage.CHANNEL_ASSIGNED: 3600,
    TcgbStage.EXAMINED: 5400,
    TcgbStage.PAID: 1800,
    TcgbStage.RELEASED: 86400,
}
START = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class TcgbLife:
    number: str
    direction: TcgbDirection
    regime: str
    office: str
    consignee: str | None
    consignor: str | None
    channel: TcgbChannel
    stages: tuple[tuple[TcgbStage, datetime, str | None], ...]  # stage, reached at, office where not its own


def firm(i: int) -> str:
    return f"{1000000000 + i:010d}"


def lives(
    count: int, *, seed: int = 14, firms: int = 5000, start: datetime = START, spacing_s: float = 3.0
) -> Iterator[TcgbLife]:
    """`count` TCGB lives, registered `spacing_s` apart on average from `start`."""
    rng = random.Random(seed)
    at = start
    for i in range(count):
        at += timedelta(seconds=rng.expovariate(1 / spacing_s))
        direction = TcgbDirection.IMPORT if rng.random() < 0.6 else TcgbDirection.EXPORT
        office = rng.choice(OFFICES)
        ours = firm(rng.randrange(firms))
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        steps = [TcgbStage.REGISTERED, TcgbStage.CHANNEL_ASSIGNED]
        if channel in (TcgbChannel.YELLOW, TcgbChannel.RED):
            steps.append(TcgbStage.EXAMINED)
        steps += [TcgbStage.PAID, TcgbStage.RELEASED]
        if direction == TcgbDirection.EXPORT:
            steps.append(TcgbStage.EXITED)
        when, stages = at, []
        for stage in steps:
            where = rng.choice(BORDER) if stage == TcgbStage.EXITED else None
            stages.append((stage, when, where))
            if stage in MEAN_GAP_S:
                when += timedelta(seconds=round(rng.expovariate(1 / MEAN_GAP_S[stage]), 3))
        yield TcgbLife(
            number=f"26{office}{'IM' if direction == TcgbDirection.IMPORT else 'EX'}{i:08d}",
            direction=direction,
            regime="4000" if direction == TcgbDirection.IMPORT else "1000",
            office=office,
            consignee=ours if direction == TcgbDirection.IMPORT else None,
            consignor=ours if direction == TcgbDirection.EXPORT else None,
            channel=channel,
            stages=tuple(stages),
        )


def stage_events(life: TcgbLife) -> list[Envelope[Any]]:
    return [
        envelope(
            TcgbStageReached(
                tcgb_number=life.number,
                direction=life.direction,
                regime=life.regime,
                customs_office=life.office,
                consignee_vkn=life.consignee,
                consignor_vkn=life.consignor,
                stage=stage,
                reached_at=at,
                office=where,
                channel=life.channel if stage == TcgbStage.CHANNEL_ASSIGNED else None,
            ),
            carnet_number=life.number,
            occurred_at=at,
        )
        for stage, at, where in life.stages
    ]


def events(count: int, *, seed: int = 14) -> list[Envelope[Any]]:
    """About `count` events (whole lives), in the order BİLGE reached their stages."""
    streams = []
    total = 0
    for life in lives(count, seed=seed):  # at most one life per event; it stops well before
        streams.append(stage_events(life))
        total += len(streams[-1])
        if total >= count:
            break
    merged = heapq.merge(*streams, key=lambda e: e.payload.reached_at)
    return list(merged)[:count]
