"""What GET-APP answers from the tracking read model.

- A firm sees only declarations where its VKN is recorded as consignee/consignor (A3): the carnet
  holder's VKN, or the declarant's VKN when the declarant acts as the holder. A representative
  (customs broker) lodging for the holder is neither, so its VKN gives it no sight of the declaration.
  An unknown number and another firm's number give the same answer: None.
- Average and median times per stage (A1) and the C4 statistics are aggregates over all firms: they
  name no declaration and no firm.

Medians are computed in Python from the stage durations: SQLite has no percentile aggregate and
PostgreSQL's percentile_cont is an ordered-set aggregate SQLite cannot run, so the one portable way
is to read the durations (one float per completed stage, filtered and grouped by the indexed
columns) and take statistics.median per group. Averages come from the same numbers, so the two
always describe the same set of stages.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from hub.domain.offices import OFFICES, OfficeRegistry
from hub.getapp.tracking.projection import vkn_or_none
from hub.getapp.tracking.stages import OPEN_STAGES, PROCESSING_STAGES, TIMED_STAGES, Stage, month_bounds, month_of
from hub.getapp.tracking.tables import getapp_carnets, getapp_declarations, getapp_stages

GroupBy = Literal["country", "region", "directorate"]
GROUPINGS: tuple[GroupBy, ...] = ("country", "region", "directorate")
UNKNOWN = "unknown"

_d, _s, _c = getapp_declarations.c, getapp_stages.c, getapp_carnets.c


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Location(_View):
    """Where the goods are (A1): the office, and the temporary storage facility while they are in one (S3)."""

    office: str | None
    office_name: str | None
    temporary_storage_code: str | None


class StageView(_View):
    stage: str
    label_tr: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None  # how long the declaration stayed in this stage
    elapsed_s: float | None  # the current, unfinished, non-terminal stage: how long since it began
    running: bool = Field(
        default=False,
        description="The current stage is a customs step under way (lodged, accepted); inspection completed "
        "is current while the goods' discharge is awaited, but not running.",
    )
    actor_role: str | None
    actor_office: str | None
    sent_by: str | None = Field(
        default=None, description="The sending system whose signed command reached this stage, e.g. frontend."
    )


class DeclarationView(_View):
    declaration_number: str
    carnet_number: str
    regime: str
    customs_office: str
    customs_office_name: str | None
    destination_office: str | None
    current_stage: str | None
    current_stage_tr: str | None
    stage_since: datetime | None
    location: Location
    holder_name: str | None
    lodged_at: datetime
    closed_at: datetime | None
    discharge_deadline: date | None
    overdue: bool
    legacy: bool


class DeclarationDetail(DeclarationView):
    timeline: list[StageView]


class StageTimes(_View):
    stage: str
    label_tr: str
    count: int
    average_s: float
    median_s: float


class AverageTimes(_View):
    """A1: processing times of declarations lodged at one office, under one regime, in one month (Türkiye)."""

    customs_office: str
    customs_office_name: str | None
    regime: str
    month: str
    stages: list[StageTimes]


class RegimeCounts(_View):
    regime: str
    declarations: int
    open: int
    closed: int
    rejected: int
    cancelled: int
    overdue: int
    average_time_to_close_s: float | None


class StatisticsGroup(_View):
    key: str
    carnets: int
    declarations: int
    open: int
    closed: int
    rejected: int
    cancelled: int
    overdue: int
    average_time_to_close_s: float | None
    regimes: list[RegimeCounts]


class Statistics(_View):
    by: str
    groups: list[StatisticsGroup]


def _of_firm(vkn: str) -> ColumnElement[bool]:
    """A3: the firm is the carnet holder, or lodged as the holder itself."""
    # rule: A3
    return or_(_d.holder_vkn == vkn, and_(_d.declarant_vkn == vkn, _d.declarant_acts_as == "holder"))


_KNOWN = _d.lodged_at.is_not(None)  # placeholders (events seen before their lodgement) are not shown


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.close_sum = 0.0
        self.close_n = 0

    def add(self, stage: str | None, overdue: bool, n: int, close_sum: float | None, close_n: int) -> None:
        self.counts["declarations"] += n
        if stage in OPEN_STAGES:
            self.counts["open"] += n
        elif stage is not None:
            self.counts[stage] += n
        if overdue:
            self.counts["overdue"] += n
        self.close_sum += close_sum or 0.0
        self.close_n += close_n

    @property
    def average(self) -> float | None:
        return self.close_sum / self.close_n if self.close_n else None

    def fields(self) -> dict[str, Any]:
        c = self.counts
        return {
            "declarations": c["declarations"],
            "open": c["open"],
            "closed": c[Stage.CLOSED.value],
            "rejected": c[Stage.REJECTED.value],
            "cancelled": c[Stage.CANCELLED.value],
            "overdue": c["overdue"],
            "average_time_to_close_s": self.average,
        }


class TrackingQueries:
    def __init__(self, engine: AsyncEngine, offices: OfficeRegistry = OFFICES) -> None:
        self._engine = engine
        self._offices = offices

    # --- a firm's own declarations (A1, A3) -------------------------------------------------------

    async def declarations_of_firm(self, vkn: str) -> list[DeclarationView]:
        """A3: the declarations the firm is consignee/consignor of, newest first."""
        if vkn_or_none(vkn) is None:
            return []
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(getapp_declarations)
                    .where(_KNOWN, _of_firm(vkn))
                    .order_by(_d.lodged_at.desc(), _d.declaration_number)
                )
            ).all()
        return [DeclarationView(**self._view(row)) for row in rows]

    async def declaration_of_firm(self, vkn: str, number: str, now: datetime | None = None) -> DeclarationDetail | None:
        """A3: the declaration with its timeline; None both when unknown and when it is another firm's."""
        if vkn_or_none(vkn) is None:
            return None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(getapp_declarations).where(_d.declaration_number == number, _KNOWN, _of_firm(vkn))
                )
            ).first()
            if row is None:
                return None
            stages = (
                await conn.execute(
                    select(getapp_stages).where(_s.declaration_number == number).order_by(_s.rank, _s.started_at)
                )
            ).all()
        return DeclarationDetail(**self._view(row), timeline=[_stage_view(s, now) for s in stages])

    async def timeline(self, vkn: str, number: str, now: datetime | None = None) -> list[StageView] | None:
        """The stages of one of the firm's declarations with their durations; None as declaration_of_firm."""
        detail = await self.declaration_of_firm(vkn, number, now)
        return None if detail is None else detail.timeline

    def _view(self, row: Any) -> dict[str, Any]:
        office = self._offices.get(row.customs_office)
        location = self._offices.get(row.location_office)
        stage = Stage(row.current_stage) if row.current_stage else None
        return {
            "declaration_number": row.declaration_number,
            "carnet_number": row.carnet_number,
            "regime": row.regime,
            "customs_office": row.customs_office,
            "customs_office_name": office.name if office else None,
            "destination_office": row.destination_office,
            "current_stage": stage.value if stage else None,
            "current_stage_tr": stage.label_tr if stage else None,
            "stage_since": row.stage_since,
            "location": Location(
                office=row.location_office,
                office_name=location.name if location else None,
                temporary_storage_code=row.storage_code if row.in_storage else None,
            ),
            "holder_name": row.holder_name,
            "lodged_at": row.lodged_at,
            "closed_at": row.closed_at,
            "discharge_deadline": row.discharge_deadline,
            "overdue": bool(row.overdue),
            "legacy": bool(row.legacy),
        }

    # --- A1: average processing times ----------------------------------------------------------------

    async def average_times(
        self, office: str | None = None, regime: str | None = None, month: str | None = None
    ) -> list[AverageTimes]:
        """Average and median seconds per stage, by customs office, regime and month of lodgement (Türkiye).

        Counted: stages that ended (lodged, accepted, inspection completed), of declarations lodged in
        e-ATA/TR. Not counted: a lodgement the declarant cancelled (the wait was the declarant's), and
        legacy BİLGE declarations (L1), whose e-ATA/TR stages are not their real ones.
        ValueError when `month` is not YYYY-MM.
        """
        # rule: A1
        query = (
            select(_d.customs_office, _d.regime, _d.lodged_at, _s.stage, _s.duration_s)
            .select_from(getapp_stages.join(getapp_declarations, _s.declaration_number == _d.declaration_number))
            .where(
                _KNOWN,
                _d.legacy == false(),
                _s.duration_s.is_not(None),
                _s.stage.in_([s.value for s in TIMED_STAGES]),
                _s.next_stage != Stage.CANCELLED.value,
            )
        )
        if office:
            query = query.where(_d.customs_office == office)
        if regime:
            query = query.where(_d.regime == regime)
        if month:
            start, end = month_bounds(month)
            query = query.where(_d.lodged_at >= start, _d.lodged_at < end)
        groups: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        async with self._engine.connect() as conn:
            async for row in await conn.stream(query):
                groups[(row.customs_office, row.regime, month_of(row.lodged_at))][row.stage].append(row.duration_s)
        answer = []
        for (code, reg, mon), by_stage in sorted(groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])):
            known = self._offices.get(code)
            answer.append(
                AverageTimes(
                    customs_office=code,
                    customs_office_name=known.name if known else None,
                    regime=reg,
                    month=mon,
                    stages=[
                        StageTimes(
                            stage=stage.value,
                            label_tr=stage.label_tr,
                            count=len(by_stage[stage.value]),
                            average_s=stats.fmean(by_stage[stage.value]),
                            median_s=stats.median(by_stage[stage.value]),
                        )
                        for stage in TIMED_STAGES
                        if by_stage.get(stage.value)
                    ],
                )
            )
        return answer

    # --- C4: statistics by country, region, directorate --------------------------------------------

    async def statistics(self, by: GroupBy) -> Statistics:
        """C4: declarations per regime (open, closed, rejected, cancelled, overdue), average time to
        close and carnets, grouped by the carnet's issuing country, or by the region or regional
        directorate of the customs office where the declaration was lodged. ValueError for another `by`.
        """
        # rule: C4
        if by not in GROUPINGS:
            raise ValueError(f"statistics are by {', '.join(GROUPINGS)}, not {by!r}")
        country = func.coalesce(_c.issuing_country, UNKNOWN).label("country")
        joined = getapp_declarations.outerjoin(getapp_carnets, _c.carnet_number == _d.carnet_number)
        counts = (
            select(
                _d.customs_office,
                country,
                _d.regime,
                _d.current_stage,
                _d.overdue,
                func.count().label("n"),
                func.sum(_d.time_to_close_s).label("close_sum"),
                func.count(_d.time_to_close_s).label("close_n"),
            )
            .select_from(joined)
            .where(_KNOWN)
            .group_by(_d.customs_office, country, _d.regime, _d.current_stage, _d.overdue)
        )
        carnets = (
            select(_d.customs_office, country, _d.carnet_number)
            .select_from(joined)
            .where(_KNOWN)
            .group_by(_d.customs_office, country, _d.carnet_number)
        )
        totals: dict[str, _Tally] = defaultdict(_Tally)
        per_regime: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
        carnets_of: dict[str, set[str]] = defaultdict(set)
        async with self._engine.connect() as conn:
            for row in (await conn.execute(counts)).all():
                key = self._key(by, row.customs_office, row.country)
                for tally in (totals[key], per_regime[key][row.regime]):
                    tally.add(row.current_stage, bool(row.overdue), row.n, row.close_sum, row.close_n)
            for row in (await conn.execute(carnets)).all():
                carnets_of[self._key(by, row.customs_office, row.country)].add(row.carnet_number)
        return Statistics(
            by=by,
            groups=[
                StatisticsGroup(
                    key=key,
                    carnets=len(carnets_of[key]),
                    **totals[key].fields(),
                    regimes=[
                        RegimeCounts(regime=regime, **tally.fields())
                        for regime, tally in sorted(per_regime[key].items())
                    ],
                )
                for key in sorted(totals)
            ],
        )

    def _key(self, by: GroupBy, office_code: str | None, country: str) -> str:
        if by == "country":
            return country
        office = self._offices.get(office_code)
        if office is None:
            return UNKNOWN
        return office.region if by == "region" else office.directorate


def _stage_view(row: Any, now: datetime | None) -> StageView:
    stage = Stage(row.stage)
    unfinished = row.ended_at is None and not stage.is_terminal
    elapsed = max(0.0, (now - row.started_at).total_seconds()) if unfinished and now is not None else None
    return StageView(
        stage=stage.value,
        label_tr=stage.label_tr,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_s=row.duration_s,
        elapsed_s=elapsed,
        running=unfinished and stage in PROCESSING_STAGES,
        actor_role=row.actor_role,
        actor_office=row.actor_office,
        sent_by=row.sent_by,
    )
