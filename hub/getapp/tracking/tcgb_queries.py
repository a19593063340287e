"""What GET-APP answers about TCGBs (A1–A3), at national scale.

- A firm sees a TCGB where its VKN is the consignee's or the consignor's (A3), whichever direction: the
  whole TCGB (header, stages, channel, times), and which of the two it is (`role`); no VKN is shown.
  An unknown number and another firm's number give the same answer: None.
- A firm's list is newest registration first, a page at a time, keyset-paginated on (registered_at,
  tcgb_number): one index range per role (consignee, consignor), each read only as far as the page
  needs, merged here. A deep page costs what the first page costs.
- Average and median times (A1) are read from the duration bins the projection keeps up to date:
  SQL picks, per office, direction and stage, the one or two bins holding the middle rank (window
  sums, on SQLite and PostgreSQL alike), so the answer reads a few rows whatever the volume.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from hub.domain.bilge import TcgbDirection, TcgbStage
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.getapp.tracking.projection import vkn_or_none
from hub.getapp.tracking.tables import getapp_tcgb_duration_bins, getapp_tcgb_stages, getapp_tcgbs
from hub.getapp.tracking.tcgb_timeline import LABEL_TR, RANK

_t, _st, _b = getapp_tcgbs.c, getapp_tcgb_stages.c, getapp_tcgb_duration_bins.c

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

Role = Literal["consignee", "consignor", "both"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class TcgbLocation(_View):
    office: str
    office_name: str | None


class TcgbStageView(_View):
    stage: str
    label_tr: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None  # how long the TCGB stayed in this stage
    elapsed_s: float | None  # the current stage of a TCGB not finished: how long so far
    office: str | None
    channel: str | None


class TcgbView(_View):
    kind: Literal["tcgb"] = "tcgb"
    tcgb_number: str
    direction: str
    regime: str
    customs_office: str
    customs_office_name: str | None
    role: Role  # what the asking firm is on this TCGB
    registered_at: datetime
    current_stage: str
    current_stage_tr: str
    stage_since: datetime
    channel: str | None
    location: TcgbLocation
    released: bool
    exited: bool
    finished: bool


class TcgbDetail(TcgbView):
    timeline: list[TcgbStageView]


class TcgbPage(_View):
    tcgbs: list[TcgbView]
    next: str | None  # the cursor of the next page; None on the last


class TcgbStageTimes(_View):
    stage: str
    label_tr: str
    count: int
    average_s: float
    median_s: float


class TcgbAverageTimes(_View):
    """A1: processing times of the TCGBs registered at one office, one way, in one month (Türkiye)."""

    customs_office: str
    customs_office_name: str | None
    direction: str
    month: str
    stages: list[TcgbStageTimes]


# A page's cursor: the microseconds since 1970 of the last TCGB's registration, "-", and its number.
# Every string of this form is a cursor (16 digits reach the year 2286), so the API's pattern says it all.
CURSOR_PATTERN = r"^[0-9]{1,16}-.{1,40}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(registered_at: datetime, number: str) -> str:
    return f"{(registered_at - _EPOCH) // timedelta(microseconds=1)}-{number}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """ValueError for anything that is not of the cursor's form."""
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise ValueError("not a page cursor")
    micros, number = cursor.split("-", 1)
    return _EPOCH + timedelta(microseconds=int(micros)), number


def _of_firm(vkn: str) -> ColumnElement[bool]:
    # rule: A3
    return or_(_t.consignee_vkn == vkn, _t.consignor_vkn == vkn)


class TcgbQueries:
    def __init__(self, engine: AsyncEngine, offices: OfficeRegistry = OFFICES) -> None:
        self._engine = engine
        self._offices = offices

    async def tcgbs_of_firm(
        self,
        vkn: str,
        *,
        limit: int = PAGE_SIZE,
        after: str | None = None,
        direction: TcgbDirection | None = None,
        stage: TcgbStage | None = None,
    ) -> TcgbPage:
        """A3: a page of the TCGBs the firm is consignee or consignor of, newest registration first.
        `after` is the `next` of the page before; ValueError when it is not one."""
        # rule: A3
        if vkn_or_none(vkn) is None:
            return TcgbPage(tcgbs=[], next=None)
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        conditions: list[ColumnElement[bool]] = []
        if after is not None:
            at, number = decode_cursor(after)
            conditions.append(tuple_(_t.registered_at, _t.tcgb_number) < tuple_(at, number))
        if direction is not None:
            conditions.append(_t.direction == direction.value)
        if stage is not None:
            conditions.append(_t.current_stage == stage.value)
        found: dict[str, Any] = {}
        async with self._engine.connect() as conn:
            for role in (_t.consignee_vkn, _t.consignor_vkn):  # one index range each
                query = (
                    select(getapp_tcgbs)
                    .where(role == vkn, *conditions)
                    .order_by(_t.registered_at.desc(), _t.tcgb_number.desc())
                    .limit(limit + 1)
                )
                for row in await conn.execute(query):
                    found[row.tcgb_number] = row
        rows = sorted(found.values(), key=lambda r: (r.registered_at, r.tcgb_number), reverse=True)
        page = rows[:limit]
        following = encode_cursor(page[-1].registered_at, page[-1].tcgb_number) if len(rows) > limit else None
        return TcgbPage(tcgbs=[TcgbView(**self._view(row, vkn)) for row in page], next=following)

    async def tcgb_of_firm(self, vkn: str, number: str, now: datetime | None = None) -> TcgbDetail | None:
        """A3: the TCGB with its timeline; None both when unknown and when it is another firm's."""
        if vkn_or_none(vkn) is None:
            return None
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(getapp_tcgbs).where(_t.tcgb_number == number, _of_firm(vkn)))).first()
            if row is None:
                return None
            stages = (
                await conn.execute(
                    select(getapp_tcgb_stages).where(_st.tcgb_number == number).order_by(_st.rank, _st.started_at)
                )
            ).all()
        timeline = [_stage_view(s, now if not row.finished and s.ended_at is None else None) for s in stages]
        return TcgbDetail(**self._view(row, vkn), timeline=timeline)

    def _view(self, row: Any, vkn: str) -> dict[str, Any]:
        office = self._offices.get(row.customs_office)
        location = self._offices.get(row.location_office)
        stage = TcgbStage(row.current_stage)
        both = row.consignee_vkn == vkn and row.consignor_vkn == vkn
        role: Role = "both" if both else "consignee" if row.consignee_vkn == vkn else "consignor"
        return {
            "tcgb_number": row.tcgb_number,
            "direction": row.direction,
            "regime": row.regime,
            "customs_office": row.customs_office,
            "customs_office_name": office.name if office else None,
            "role": role,
            "registered_at": row.registered_at,
            "current_stage": stage.value,
            "current_stage_tr": LABEL_TR[stage],
            "stage_since": row.stage_since,
            "channel": row.channel,
            "location": TcgbLocation(office=row.location_office, office_name=location.name if location else None),
            "released": bool(row.released),
            "exited": bool(row.exited),
            "finished": bool(row.finished),
        }

    # --- A1: average and median times ---------------------------------------------------------------

    async def average_times(
        self, month: str, office: str | None = None, direction: TcgbDirection | None = None
    ) -> list[TcgbAverageTimes]:
        """Average and median seconds per stage of the TCGBs registered in `month` (YYYY-MM, Türkiye),
        per office and direction. Every stage that ended counts (its time until the next stage).

        The average is exact (sum and count of whole milliseconds). The median is the mean of the bin
        holding the middle rank (the mean of the two bins' means for an even count): exact when that
        bin holds one distinct duration, and otherwise within the bin's width, 5 % of (1 s + duration).
        """
        # rule: A1
        where = [_b.month == month, _b.count > 0]
        if office:
            where.append(_b.customs_office == office)
        if direction is not None:
            where.append(_b.direction == direction.value)
        group = (_b.customs_office, _b.direction, _b.stage)
        bins = (
            select(
                *group,
                _b.bin,
                _b.count,
                _b.sum_ms,
                func.sum(_b.count).over(partition_by=group, order_by=_b.bin).label("cum"),
                func.sum(_b.count).over(partition_by=group).label("total"),
                func.sum(_b.sum_ms).over(partition_by=group).label("total_ms"),
            )
            .where(*where)
            .subquery()
        )
        # The bins holding rank (N+1)//2 or N//2+1 (1-based): cum >= ceil(N/2) and cum - count <= N//2.
        middle = select(bins).where(2 * bins.c.cum >= bins.c.total, 2 * (bins.c.cum - bins.c.count) <= bins.c.total)
        per_stage: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        async with self._engine.connect() as conn:
            for row in await conn.execute(middle):
                per_stage[(row.customs_office, row.direction)][row.stage].append(row)
        answer = []
        for (code, way), stages in sorted(per_stage.items()):
            known = self._offices.get(code)
            answer.append(
                TcgbAverageTimes(
                    customs_office=code,
                    customs_office_name=known.name if known else None,
                    direction=way,
                    month=month,
                    stages=[
                        _times(stage, stages[stage.value])
                        for stage in sorted(TcgbStage, key=RANK.__getitem__)
                        if stages.get(stage.value)
                    ],
                )
            )
        return answer


def _times(stage: TcgbStage, middle: list[Any]) -> TcgbStageTimes:
    """Count, average and median of one stage from the one or two bins around its middle rank."""
    total, total_ms = int(middle[0].total), int(middle[0].total_ms)

    def value_at(rank: int) -> float:
        for row in middle:
            cum, count = int(row.cum), int(row.count)
            if cum - count < rank <= cum:
                return int(row.sum_ms) / count
        raise AssertionError(f"rank {rank} is in no middle bin")  # pragma: no cover - the SQL picks them

    median_ms = (value_at((total + 1) // 2) + value_at(total // 2 + 1)) / 2
    return TcgbStageTimes(
        stage=stage.value,
        label_tr=LABEL_TR[stage],
        count=total,
        average_s=total_ms / total / 1000,
        median_s=median_ms / 1000,
    )


def _stage_view(row: Any, now: datetime | None) -> TcgbStageView:
    stage = TcgbStage(row.stage)
    elapsed = max(0.0, (now - row.started_at).total_seconds()) if now is not None else None
    return TcgbStageView(
        stage=stage.value,
        label_tr=LABEL_TR[stage],
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_s=row.duration_ms / 1000 if row.duration_ms is not None else None,
        elapsed_s=elapsed,
        office=row.office,
        channel=row.channel,
    )
