"""The TCGB projection a poll at a time (A1, A2): idempotent by message id, tolerant of order, stages
and durations right, and the A1 duration bins kept equal to what the stages say."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain.bilge import TcgbChannel
from hub.getapp.tracking.tables import getapp_processed, getapp_tcgb_duration_bins
from hub.getapp.tracking.tcgb_projection import TcgbProjection
from hub.getapp.tracking.tcgb_queries import TcgbQueries
from tests.getapp_tracking.builders import IZMIR_AIRPORT, KAPIKULE, T0
from tests.getapp_tracking.tcgb_builders import EXPORT, FIRM_A, FIRM_B, S, life, tcgb_event

RED_IMPORT = [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 600), (S.EXAMINED, 7200), (S.PAID, 10800), (S.RELEASED, 14400)]


async def _bins(engine: AsyncEngine) -> list[tuple[object, ...]]:
    b = getapp_tcgb_duration_bins
    async with engine.connect() as conn:
        rows = await conn.execute(select(b).where(b.c.count != 0).order_by(*b.primary_key.columns))
        return [tuple(r) for r in rows]


async def test_a2_a_shuffled_poll_with_a_redelivery_gives_the_stages_in_order_with_their_durations(
    engine: AsyncEngine,
) -> None:
    # rule: A2
    projection, queries = TcgbProjection(engine, now=lambda: T0), TcgbQueries(engine)
    events = life("26220100IM000001", T0, RED_IMPORT, consignor=FIRM_B)
    again = tcgb_event("26220100IM000001", S.REGISTERED, T0.replace(hour=11), consignor=FIRM_B)  # a later copy
    poll = [*events, events[2], again]
    random.Random(14).shuffle(poll)

    result = await projection.apply(poll)

    assert len(result.applied) == 6 and len(result.skipped) == 1  # the same message id twice: once
    detail = await queries.tcgb_of_firm(FIRM_A, "26220100IM000001", T0)
    assert detail is not None
    assert [(s.stage, s.duration_s) for s in detail.timeline] == [
        ("registered", 600.0),
        ("channel_assigned", 6600.0),
        ("examined", 3600.0),
        ("paid", 3600.0),
        ("released", None),
    ]
    assert detail.timeline[0].started_at == T0  # reached twice: the first kept
    assert (detail.current_stage, detail.channel, detail.released, detail.finished) == ("released", "red", True, True)
    assert detail.timeline[-1].elapsed_s is None  # finished: nothing is running


async def test_a2_the_same_poll_again_changes_nothing(engine: AsyncEngine) -> None:
    # rule: A2
    projection = TcgbProjection(engine, now=lambda: T0)
    events = life("26220100IM000002", T0, RED_IMPORT)
    await projection.apply(events)
    bins = await _bins(engine)

    again = await projection.apply(events)

    assert again.applied == [] and len(again.skipped) == len(events)
    assert await _bins(engine) == bins
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(getapp_processed))).scalar_one() == len(events)


async def test_a1_events_in_any_order_over_several_polls_give_the_same_tcgb_and_the_same_bins(
    stores: object, engine: AsyncEngine
) -> None:
    """A stage that arrives late splits the stage before it: its duration and its bin move."""
    # rule: A1
    from hub.getapp.tracking import create_tracking_schema
    from hub.store.engine import create_engine
    from tests.store_fixture import StoreKind

    assert isinstance(stores, StoreKind)
    in_order = create_engine(stores.new_url("getapp"))
    await create_tracking_schema(in_order)
    try:
        exports = life(
            "26350200EX000001", T0, [*RED_IMPORT, (S.EXITED, 90000)],
            direction=EXPORT, office=IZMIR_AIRPORT, consignee=None, consignor=FIRM_A,
        )  # fmt: skip
        exports[-1] = tcgb_event(
            "26350200EX000001", S.EXITED, exports[-1].occurred_at,
            direction=EXPORT, office=IZMIR_AIRPORT, consignee=None, consignor=FIRM_A, stage_office=KAPIKULE,
        )  # fmt: skip
        await TcgbProjection(in_order, now=lambda: T0).apply(exports)
        shuffled = TcgbProjection(engine, now=lambda: T0)
        for event in reversed(exports):  # one poll each, newest first
            await shuffled.apply([event])

        assert await _bins(engine) == await _bins(in_order)
        a = await TcgbQueries(engine).tcgb_of_firm(FIRM_A, "26350200EX000001", T0)
        b = await TcgbQueries(in_order).tcgb_of_firm(FIRM_A, "26350200EX000001", T0)
        assert a == b and a is not None
        assert (a.current_stage, a.location.office, a.exited, a.finished, a.role) == (
            "exited", KAPIKULE, True, True, "consignor",
        )  # fmt: skip
        assert [s.duration_s for s in a.timeline] == [600.0, 6600.0, 3600.0, 3600.0, 75600.0, None]
    finally:
        await in_order.dispose()


async def test_a1_a_green_tcgb_has_no_examination_and_its_current_stage_runs(engine: AsyncEngine) -> None:
    # rule: A1
    projection = TcgbProjection(engine, now=lambda: T0)
    await projection.apply(
        life("26220100IM000003", T0, [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 5)], channel=TcgbChannel.GREEN)
    )
    detail = await TcgbQueries(engine).tcgb_of_firm(FIRM_A, "26220100IM000003", T0.replace(minute=1))
    assert detail is not None
    assert [(s.stage, s.duration_s, s.elapsed_s) for s in detail.timeline] == [
        ("registered", 5.0, None),
        ("channel_assigned", None, 55.0),
    ]
    assert (detail.channel, detail.finished) == ("green", False)
