"""A TCGB's life as GET-APP shows it (A1, A2): pure rules, no I/O, no clock.

The facts are the stages BİLGE said a TCGB reached (`TcgbStageReached`); everything shown is derived
from all of them, so the same facts give the same TCGB whatever order their events came in:

- stages are ordered by their place in the life (`RANK`), then by time; a stage reached twice keeps
  its earliest time (`merge`), so that which of the two came first does not matter;
- a stage's duration is the time until the next stage started, in whole milliseconds;
- the header (direction, regime, office, VKNs) is the one of the most advanced event; an event without
  a VKN does not forget one known;
- the month of the averages is the month of registration in Türkiye (until the registered event is
  seen, of the earliest stage known).

The durations feed the A1 aggregates as log-scale bins (`duration_bin`): `contributions` says what a
TCGB adds to which bin, so the projection can apply the difference a batch made.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from hub.domain.bilge import TcgbDirection, TcgbStage, TcgbStageReached
from hub.getapp.tracking.stages import month_of

RANK: dict[TcgbStage, int] = {stage: i for i, stage in enumerate(TcgbStage)}  # the enum is in life order

LABEL_TR: dict[TcgbStage, str] = {
    TcgbStage.REGISTERED: "Tescil edildi",
    TcgbStage.CHANNEL_ASSIGNED: "Kanal belirlendi",
    TcgbStage.EXAMINED: "Muayene / belge kontrolü tamamlandı",
    TcgbStage.PAID: "Vergiler ödendi",
    TcgbStage.RELEASED: "Serbest bırakıldı",
    TcgbStage.EXITED: "Çıkış yapıldı",
}

# Log-scale bins of durations: bin b holds durations d (seconds) with 1.05**b <= 1 + d < 1.05**(b+1), so
# every duration in a bin is within 5 % (of 1 s + d) of every other: the median's precision (docs/decisions.md).
# Three decades of durations (seconds to hours) take about 140 bins per office, direction, month and stage.
BIN_RATIO = 1.05
_LOG_RATIO = math.log(BIN_RATIO)


def duration_bin(duration_ms: int) -> int:
    """The bin of a duration (0 for 0 ms)."""
    return int(math.log1p(max(duration_ms, 0) / 1000) / _LOG_RATIO)


@dataclass(frozen=True, slots=True)
class Header:
    direction: TcgbDirection
    regime: str
    customs_office: str
    consignee_vkn: str | None
    consignor_vkn: str | None


@dataclass(frozen=True, slots=True)
class StageFact:
    stage: TcgbStage
    at: datetime
    office: str | None
    channel: str | None
    message_id: str
    rank: int  # RANK[stage], kept: the projection orders thousands of these a poll

    @property
    def order(self) -> tuple[int, datetime]:
        return self.rank, self.at


def stage_fact(stage: TcgbStage, at: datetime, office: str | None, channel: str | None, message_id: str) -> StageFact:
    return StageFact(stage, at, office, channel, message_id, RANK[stage])


@dataclass
class TcgbFacts:
    """What is known of one TCGB: its header and the earliest event of each stage it reached."""

    number: str
    header: Header
    stages: dict[TcgbStage, StageFact] = field(default_factory=dict)

    def merge(self, event: TcgbStageReached, message_id: str) -> bool:
        """Record an event; False when its stage was reached before (the earliest time is kept)."""
        channel = event.channel.value if event.channel else None
        # In UTC (the store's zone): datetimes of one zone object compare ten times faster than a decoded
        # message's zone against the store's, and a poll compares thousands.
        fact = stage_fact(event.stage, event.reached_at.astimezone(UTC), event.office, channel, message_id)
        newest = max((s.order for s in self.stages.values()), default=None)
        known = self.header
        if newest is None or fact.order >= newest:
            header = Header(
                direction=event.direction,
                regime=event.regime,
                customs_office=event.customs_office,
                consignee_vkn=event.consignee_vkn or known.consignee_vkn,
                consignor_vkn=event.consignor_vkn or known.consignor_vkn,
            )
        else:  # an older event may still name a VKN the newer ones left out
            header = replace(
                known,
                consignee_vkn=known.consignee_vkn or event.consignee_vkn,
                consignor_vkn=known.consignor_vkn or event.consignor_vkn,
            )
        if header != known:
            self.header = header
        kept = self.stages.get(event.stage)
        if kept is not None and kept.at <= fact.at:
            return False
        self.stages[event.stage] = fact  # new, or BİLGE's earlier record of it: whatever order they came in
        return True


def facts_of(event: TcgbStageReached) -> TcgbFacts:
    """An empty record of the TCGB an event is about, with the event's header."""
    return TcgbFacts(
        event.tcgb_number,
        Header(event.direction, event.regime, event.customs_office, event.consignee_vkn, event.consignor_vkn),
    )


@dataclass(frozen=True, slots=True)
class StageSpan:
    stage: TcgbStage
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None
    next_stage: TcgbStage | None
    office: str | None
    channel: str | None
    message_id: str


@dataclass(frozen=True)
class TcgbState:
    """Everything GET-APP shows of a TCGB, derived from its facts."""

    number: str
    header: Header
    registered_at: datetime
    month: str
    current_stage: TcgbStage
    stage_since: datetime
    channel: str | None
    location_office: str
    released: bool
    exited: bool
    stages: tuple[StageSpan, ...]

    @property
    def finished(self) -> bool:
        """An import is done once released; an export once its goods exited."""
        return self.exited if self.header.direction == TcgbDirection.EXPORT else self.released


def derive(facts: TcgbFacts) -> TcgbState:
    """The TCGB as shown: stages in life order with their durations, the current one, where the goods are."""
    ordered = sorted(facts.stages.values(), key=lambda s: s.order)
    if not ordered:
        raise ValueError(f"TCGB {facts.number} has no stage")
    spans = []
    for i, fact in enumerate(ordered):
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        ended = following.at if following is not None else None
        duration = max(0, round((ended - fact.at).total_seconds() * 1000)) if ended is not None else None
        spans.append(
            StageSpan(
                fact.stage,
                fact.at,
                ended,
                duration,
                following.stage if following else None,
                fact.office,
                fact.channel,
                fact.message_id,
            )
        )
    registered = facts.stages.get(TcgbStage.REGISTERED)
    registered_at = registered.at if registered is not None else min(s.at for s in ordered)
    channel = next((s.channel for s in ordered if s.channel is not None), None)
    location = facts.header.customs_office
    for fact in ordered:
        if fact.office:
            location = fact.office
    current = ordered[-1]
    return TcgbState(
        number=facts.number,
        header=facts.header,
        registered_at=registered_at,
        month=month_of(registered_at),
        current_stage=current.stage,
        stage_since=current.at,
        channel=channel,
        location_office=location,
        released=TcgbStage.RELEASED in facts.stages,
        exited=TcgbStage.EXITED in facts.stages,
        stages=tuple(spans),
    )


BinKey = tuple[str, str, str, str, int]  # month, office, direction, stage, bin


@dataclass
class BinDelta:
    """What a batch adds to the duration bins (negative where a duration changed or moved)."""

    count: Counter[BinKey] = field(default_factory=Counter)
    sum_ms: Counter[BinKey] = field(default_factory=Counter)

    def add(self, month: str, office: str, direction: str, stage: str, duration_ms: int, sign: int = 1) -> None:
        # rule: A1
        key = (month, office, direction, stage, duration_bin(duration_ms))
        self.count[key] += sign
        self.sum_ms[key] += sign * duration_ms

    def add_state(self, state: TcgbState, sign: int = 1) -> None:
        """Every stage of the TCGB that ended counts towards its office, direction and month."""
        h = state.header
        for span in state.stages:
            if span.duration_ms is not None:
                self.add(state.month, h.customs_office, h.direction.value, span.stage.value, span.duration_ms, sign)

    def changed(self) -> list[tuple[BinKey, int, int]]:
        """The bins whose count or sum changed: (key, count delta, sum delta)."""
        keys = {k for k, v in self.count.items() if v} | {k for k, v in self.sum_ms.items() if v}
        return [(k, self.count[k], self.sum_ms[k]) for k in sorted(keys)]
