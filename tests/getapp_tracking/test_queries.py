"""A1 average and median times per stage by office, regime and month; C4 statistics by country,
region and regional directorate."""

from __future__ import annotations

import pytest

from hub.getapp.tracking import TrackingProjection, TrackingQueries
from hub.getapp.tracking.queries import AverageTimes, StatisticsGroup
from tests.getapp_tracking.builders import IZMIR_AIRPORT, KAPIKULE, two_firms


@pytest.fixture
async def populated(projection: TrackingProjection) -> None:
    for event in two_firms():
        await projection.apply(event)


def stage_times(group: AverageTimes) -> dict[str, tuple[int, float, float]]:
    return {s.stage: (s.count, s.average_s, s.median_s) for s in group.stages}


async def test_a1_average_and_median_per_stage_by_office_regime_and_month(
    populated: None, queries: TrackingQueries
) -> None:
    # rule: A1
    (march,) = await queries.average_times(office=KAPIKULE, regime="2600", month="2026-03")
    assert (march.customs_office, march.customs_office_name, march.regime, march.month) == (
        KAPIKULE,
        "Kapıkule Gümrük Müdürlüğü",
        "2600",
        "2026-03",
    )
    assert stage_times(march) == {
        "lodged": (3, 1800.0, 1200.0),  # 10, 20 and 60 minutes
        "accepted": (2, 10800.0, 10800.0),  # 2 and 4 hours
        "inspection_completed": (1, 432000.0, 432000.0),  # 5 days until closed
    }


async def test_a1_months_follow_the_turkish_calendar(populated: None, queries: TrackingQueries) -> None:
    # rule: A1. Lodged 2026-03-31 22:30 UTC is 1 April 01:30 in Türkiye: an April declaration.
    (april,) = await queries.average_times(office=KAPIKULE, month="2026-04")
    assert april.month == "2026-04" and stage_times(april) == {"lodged": (1, 2400.0, 2400.0)}


async def test_a1_every_group_without_filters_and_cancelled_lodgements_left_out(
    populated: None, queries: TrackingQueries
) -> None:
    # rule: A1, A2
    groups = await queries.average_times()
    assert [(g.month, g.customs_office, g.regime) for g in groups] == [
        ("2026-03", "220100", "2600"),
        ("2026-03", "340900", "5800"),
        ("2026-03", "350200", "5800"),
        ("2026-04", "220100", "2600"),
    ]
    izmir = groups[2]
    # 30 minutes to acceptance, 15 to rejection; the lodgement cancelled after 45 minutes is not counted.
    assert stage_times(izmir) == {"lodged": (2, 1350.0, 1350.0), "accepted": (1, 10800.0, 10800.0)}
    assert [g.customs_office for g in await queries.average_times(regime="5800")] == ["340900", IZMIR_AIRPORT]
    assert await queries.average_times(office="060100") == []


async def test_a1_a_malformed_month_is_refused(queries: TrackingQueries) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        await queries.average_times(month="2026-13")


def by_key(groups: list[StatisticsGroup]) -> dict[str, StatisticsGroup]:
    return {g.key: g for g in groups}


async def test_c4_statistics_by_issuing_country(populated: None, queries: TrackingQueries) -> None:
    # rule: C4
    # Overdue (V2): a deadline passed, not extended since, not closed.
    answer = await queries.statistics("country")
    assert answer.by == "country"
    groups = by_key(answer.groups)
    assert list(groups) == ["DE", "TR"]
    de, tr = groups["DE"], groups["TR"]
    assert (de.carnets, de.declarations, de.open, de.closed, de.rejected, de.cancelled, de.overdue) == (
        1,
        4,
        1,
        1,
        1,
        1,
        1,
    )
    assert de.average_time_to_close_s == 300 + 3600 + 10 * 86400
    # A2's deadline passed, then was extended: not overdue.
    assert (tr.carnets, tr.declarations, tr.open, tr.closed, tr.rejected, tr.cancelled, tr.overdue) == (
        2,
        4,
        3,
        1,
        0,
        0,
        0,
    )
    assert tr.average_time_to_close_s == 600 + 7200 + 5 * 86400
    assert [(r.regime, r.declarations, r.open, r.closed) for r in tr.regimes] == [("2600", 4, 3, 1)]


async def test_c4_statistics_by_region_and_by_directorate(populated: None, queries: TrackingQueries) -> None:
    # rule: C4. Marmara holds two directorates: Kapıkule (Trakya) and İstanbul airport (İstanbul).
    regions = by_key((await queries.statistics("region")).groups)
    assert list(regions) == ["Ege", "Marmara"]
    marmara = regions["Marmara"]
    assert (marmara.carnets, marmara.declarations, marmara.open, marmara.closed, marmara.overdue) == (3, 5, 3, 2, 0)
    assert marmara.average_time_to_close_s == ((600 + 7200 + 5 * 86400) + (300 + 3600 + 10 * 86400)) / 2
    assert [(r.regime, r.declarations, r.closed) for r in marmara.regimes] == [("2600", 4, 1), ("5800", 1, 1)]
    ege = regions["Ege"]
    assert (ege.carnets, ege.declarations, ege.open, ege.rejected, ege.cancelled, ege.overdue) == (1, 3, 1, 1, 1, 1)
    assert ege.average_time_to_close_s is None

    directorates = by_key((await queries.statistics("directorate")).groups)
    assert {k: g.declarations for k, g in directorates.items()} == {
        "Ege GDTBM": 3,
        "İstanbul GDTBM": 1,
        "Trakya GDTBM": 4,
    }


async def test_c4_statistics_by_anything_else_is_refused(queries: TrackingQueries) -> None:
    with pytest.raises(ValueError, match="country, region, directorate"):
        await queries.statistics("chamber")  # type: ignore[arg-type]
