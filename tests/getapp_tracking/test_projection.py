"""The tracking projection: stages and their durations, where the goods are, whose declaration it is,
and that an event applied twice, or events in another order, change nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope
from hub.domain import events as ev
from hub.domain import rules
from hub.domain.bilge import SummaryOpening
from hub.domain.commands import AcceptDeclaration, CompleteInspection, LineQuantity, LodgeDeclaration
from hub.getapp.tracking import TrackingProjection, TrackingQueries, create_tracking_schema
from hub.getapp.tracking.tables import getapp_declarations, getapp_processed, getapp_stages, tracking_metadata
from hub.store.engine import create_engine
from tests.getapp_tracking.builders import (
    A1,
    B1,
    BROKER,
    BROKER_FOR_A,
    CARNET_A,
    CARNET_A2,
    CARNET_B,
    CILVEGOZU,
    DAY,
    ERENKOY,
    FIRM_A,
    FIRM_B,
    FIRM_B_DECLARANT,
    HOUR,
    ISTANBUL_AIRPORT,
    KAPIKULE,
    MINUTE,
    T0,
    accepted,
    closed,
    inspected,
    inspector,
    liaison,
    lodged,
    recorded,
    through,
    two_firms,
    wrap,
)
from tests.store_fixture import StoreKind


async def apply_all(projection: TrackingProjection, events: list[Envelope[Any]]) -> list[bool]:
    return [await projection.apply(e) for e in events]


async def dump(engine: AsyncEngine, with_processed: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    tables = [t for t in tracking_metadata.sorted_tables if with_processed or t is not getapp_processed]
    async with engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in (await conn.execute(select(t))).all()) for t in tables}


# --- A1: stages, durations, actors ------------------------------------------------------------------


async def test_a1_timeline_has_every_stage_with_its_time_actor_and_duration(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1, A2 (a 2600 is an export)
    events = [recorded(CARNET_A, T0 - HOUR), *through(A1, CARNET_A, "2600", KAPIKULE, T0, (HOUR, 2 * HOUR, 8 * DAY))]
    assert all(await apply_all(projection, events))

    detail = await queries.declaration_of_firm(FIRM_A, A1)
    assert detail is not None
    assert (detail.regime, detail.customs_office, detail.current_stage) == ("2600", KAPIKULE, "closed")
    assert detail.customs_office_name == "Kapıkule Gümrük Müdürlüğü"
    assert detail.lodged_at == T0 and detail.closed_at == T0 + 3 * HOUR + 8 * DAY
    assert [
        (s.stage, s.started_at, s.ended_at, s.duration_s, s.actor_role, s.actor_office) for s in detail.timeline
    ] == [
        ("lodged", T0, T0 + HOUR, 3600.0, None, None),
        ("accepted", T0 + HOUR, T0 + 3 * HOUR, 7200.0, "liaison", KAPIKULE),
        ("inspection_completed", T0 + 3 * HOUR, T0 + 3 * HOUR + 8 * DAY, 8 * 86400.0, "inspection_officer", KAPIKULE),
        ("closed", T0 + 3 * HOUR + 8 * DAY, None, None, None, None),
    ]
    assert [s.label_tr for s in detail.timeline] == ["Tescil edildi", "Kabul edildi", "Muayene tamamlandı", "Kapanmış"]
    assert await queries.timeline(FIRM_A, A1) == detail.timeline


async def test_a1_each_stage_names_the_sending_system_whose_signed_command_reached_it(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1 (who acted, and which system vouched for it: the front end, or BİLGE for a TCGB's closure)
    events = through(A1, CARNET_A, "2600", KAPIKULE, T0, (HOUR, 2 * HOUR, DAY))
    senders = ["frontend", "frontend", "frontend", "adapter-bilge"]
    stamped = [e.model_copy(update={"sent_by": sender}) for e, sender in zip(events, senders, strict=True)]
    await apply_all(projection, [recorded(CARNET_A, T0 - HOUR), *stamped])

    timeline = await queries.timeline(FIRM_A, A1)
    assert timeline is not None and [(s.stage, s.sent_by) for s in timeline] == [
        ("lodged", "frontend"),
        ("accepted", "frontend"),
        ("inspection_completed", "frontend"),
        ("closed", "adapter-bilge"),
    ]


async def test_a1_the_current_stage_shows_how_long_it_has_lasted_so_far(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1 ("anlık olarak takip")
    await apply_all(projection, [recorded(CARNET_A, T0), *through(A1, CARNET_A, "2600", KAPIKULE, T0, (HOUR,))])
    detail = await queries.declaration_of_firm(FIRM_A, A1, now=T0 + HOUR + 30 * MINUTE)
    assert detail is not None
    assert detail.current_stage == "accepted" and detail.stage_since == T0 + HOUR
    lodged_stage, accepted_stage = detail.timeline
    assert (lodged_stage.duration_s, lodged_stage.elapsed_s) == (3600.0, None)
    assert (accepted_stage.duration_s, accepted_stage.elapsed_s) == (None, 1800.0)
    assert (lodged_stage.running, accepted_stage.running) == (False, True)  # acceptance done; inspection under way


async def test_a1_inspection_completed_is_the_current_stage_since_a_time_not_a_step_running(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1 — issue 14 part 4: a completed inspection read "50 sn (sürüyor)". It is the current stage of
    # an open declaration (the goods' re-export is awaited), so it has an elapsed time, but no customs step runs.
    await apply_all(projection, [recorded(CARNET_A, T0), *through(A1, CARNET_A, "2600", KAPIKULE, T0, (HOUR, HOUR))])
    detail = await queries.declaration_of_firm(FIRM_A, A1, now=T0 + 2 * HOUR + timedelta(seconds=50))
    assert detail is not None and detail.current_stage == "inspection_completed"
    inspected = detail.timeline[-1]
    assert (inspected.stage, inspected.ended_at, inspected.elapsed_s) == ("inspection_completed", None, 50.0)
    assert inspected.running is False
    assert [s.running for s in detail.timeline] == [False, False, False]


async def test_a1_goods_in_temporary_storage_until_inspection_completes(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1
    # The storage code recorded at lodging (S3) shows until inspection releases the goods (S4).
    summary = SummaryOpening(
        summary_number="26340900OB000123",
        transport_document="TK-1907-AWB",
        packages=3,
        temporary_storage=True,
        storage_code="34GDY0021",
    )
    await apply_all(
        projection,
        [
            recorded(CARNET_B, T0, source="declarant"),
            lodged(B1, CARNET_B, "5800", ISTANBUL_AIRPORT, T0, declarant=FIRM_B_DECLARANT, summary=summary),
            accepted(B1, CARNET_B, ISTANBUL_AIRPORT, T0 + HOUR),
        ],
    )
    (view,) = await queries.declarations_of_firm(FIRM_B)
    assert (view.location.office, view.location.temporary_storage_code) == (ISTANBUL_AIRPORT, "34GDY0021")

    await projection.apply(inspected(B1, CARNET_B, "5800", ISTANBUL_AIRPORT, T0 + 2 * HOUR))
    (view,) = await queries.declarations_of_firm(FIRM_B)
    assert (view.location.office, view.location.temporary_storage_code) == (ISTANBUL_AIRPORT, None)


async def test_a1_transit_goods_are_at_the_office_that_inspected_them(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1
    # A ÇIKIŞ completes at its destination border office (E4): the goods are there.
    out = "26342000ATA00009"
    await apply_all(
        projection,
        [
            recorded(CARNET_A, T0),
            lodged(out, CARNET_A, "ATA-TR/ÇIKIŞ", ERENKOY, T0, destination=CILVEGOZU, previous=A1),
            accepted(out, CARNET_A, ERENKOY, T0 + HOUR),
        ],
    )
    (view,) = await queries.declarations_of_firm(FIRM_A)
    assert view.location.office == ERENKOY and view.destination_office == CILVEGOZU
    await projection.apply(inspected(out, CARNET_A, "ATA-TR/ÇIKIŞ", CILVEGOZU, T0 + 2 * DAY))
    (view,) = await queries.declarations_of_firm(FIRM_A)
    assert (view.location.office, view.location.office_name) == (CILVEGOZU, "Cilvegözü Gümrük Müdürlüğü")


async def test_a1_a3_events_of_the_real_core_feed_the_read_model(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1, A3 (the events the regime rules emit, not hand-made ones)
    carnet: Any = None
    published: list[Envelope[Any]] = []
    commands: list[Any] = [
        LodgeDeclaration(
            declaration_number=B1,
            carnet_number=CARNET_B.carnet_number,
            regime="5800",
            customs_office=ISTANBUL_AIRPORT,
            declarant=FIRM_B_DECLARANT,
            carnet=CARNET_B,
            lines=(LineQuantity(line_no=1, quantity=2),),
        ),
        AcceptDeclaration(declaration_number=B1, actor=liaison(ISTANBUL_AIRPORT)),
        CompleteInspection(declaration_number=B1, actor=inspector(ISTANBUL_AIRPORT)),
    ]
    for i, command in enumerate(commands):
        at = T0 + i * HOUR
        outcome = rules.decide(carnet, command, rules.Clock(now=at, today=at.date()))
        assert isinstance(outcome, rules.Applied), outcome
        carnet = outcome.carnet
        published += [wrap(e, CARNET_B.carnet_number, at) for e in outcome.events]
    assert [e.type for e in published] == [
        "CarnetRecorded",
        "DeclarationLodged",
        "DeclarationAccepted",
        "InspectionCompleted",
    ]
    assert all(await apply_all(projection, published))

    detail = await queries.declaration_of_firm(FIRM_B, B1)
    assert detail is not None
    assert detail.current_stage == "inspection_completed"
    assert [(s.stage, s.duration_s) for s in detail.timeline] == [
        ("lodged", 3600.0),
        ("accepted", 3600.0),
        ("inspection_completed", None),
    ]
    assert detail.discharge_deadline is not None  # the core set the re-export deadline (V1)


# --- A3: whose declaration it is -----------------------------------------------------------------------


async def test_a3_a_representative_is_not_consignee_but_the_holder_is_even_when_recorded_later(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A3. The broker lodges for firm A; the carnet's record (with A's VKN) comes after the lodgement.
    number = "26220100ATA00077"
    await projection.apply(lodged(number, CARNET_A2, "2600", KAPIKULE, T0, declarant=BROKER_FOR_A))
    assert await queries.declarations_of_firm(FIRM_A) == []
    assert await queries.declarations_of_firm(BROKER) == []

    await projection.apply(recorded(CARNET_A2, T0 + MINUTE))
    assert [d.declaration_number for d in await queries.declarations_of_firm(FIRM_A)] == [number]
    assert await queries.declarations_of_firm(BROKER) == []
    assert await queries.declaration_of_firm(BROKER, number) is None


async def test_a3_the_declarant_lodging_as_holder_with_a_vkn_is_the_consignee(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A3. A foreign carnet has no holder VKN: the firm lodging as its holder is the consignee.
    await apply_all(projection, two_firms())
    assert {d.declaration_number for d in await queries.declarations_of_firm(FIRM_B)} == {
        "26350200ATA00001",
        "26350200ATA00002",
        "26350200ATA00003",
        "26340900ATA00001",
    }
    assert await queries.declaration_of_firm(FIRM_A, B1) is None
    assert await queries.declaration_of_firm(FIRM_B, A1) is None
    assert await queries.declarations_of_firm("not-a-vkn") == []


async def test_a1_legacy_bilge_declarations_are_tracked_but_not_timed(
    projection: TrackingProjection, queries: TrackingQueries
) -> None:
    # rule: A1
    # A legacy BİLGE declaration (L1) is shown, but its stages are not timed.
    legacy = "25340900IM000321"
    registered = datetime(2025, 12, 1, 7, 0, tzinfo=UTC)
    await apply_all(
        projection,
        [
            recorded(CARNET_A, T0, source="BİLGE"),
            wrap(
                ev.LegacyDeclarationImported(
                    declaration_number=legacy,
                    regime="2600",
                    customs_office=ISTANBUL_AIRPORT,
                    office_kind="border",
                    registered_at=registered,
                    holder_name=CARNET_A.holder_name,
                    lines=(ev.DeclaredLine(line_no=1, description="sahne ışık masası", quantity=2),),
                    discharge_deadline=date(2026, 12, 1),
                ),
                CARNET_A.carnet_number,
                T0,
            ),
            closed(legacy, CARNET_A, T0 + DAY),
        ],
    )
    detail = await queries.declaration_of_firm(FIRM_A, legacy)
    assert detail is not None
    assert (detail.legacy, detail.lodged_at, detail.current_stage) == (True, registered, "closed")
    assert [s.stage for s in detail.timeline] == ["inspection_completed", "closed"]
    assert await queries.average_times() == []  # its e-ATA/TR stages are not its real processing times


# --- once, and in any order ----------------------------------------------------------------------------


async def test_idempotent_the_same_events_applied_twice_change_nothing(
    projection: TrackingProjection, engine: AsyncEngine
) -> None:
    events = two_firms()
    assert all(await apply_all(projection, events))
    before = await dump(engine)
    assert len(before["getapp_tracking_processed"]) == len(events)

    assert await apply_all(projection, events) == [False] * len(events)
    assert await projection.apply(events[5]) is False
    assert await dump(engine) == before


async def test_events_the_read_model_does_not_need_are_ignored(
    projection: TrackingProjection, engine: AsyncEngine
) -> None:
    ignored = wrap(
        ev.DeadlineApproaching(declaration_number=A1, discharge_deadline=date(2026, 4, 1), days_left=10, open_lines=()),
        CARNET_A.carnet_number,
        T0,
    )
    assert await projection.apply(ignored) is False
    assert all(rows == [] for rows in (await dump(engine)).values())


async def test_order_tolerant_any_order_gives_the_same_read_model(
    projection: TrackingProjection, engine: AsyncEngine, stores: StoreKind
) -> None:
    events = two_firms()
    await apply_all(projection, events)

    shuffled = list(events)
    random.Random(2017_12).shuffle(shuffled)
    other = create_engine(stores.new_url("shuffled"))
    try:
        await create_tracking_schema(other)
        await apply_all(TrackingProjection(other, now=lambda: T0), shuffled)
        assert await dump(other, with_processed=False) == await dump(engine, with_processed=False)
    finally:
        await other.dispose()


async def test_a_stage_reached_again_under_another_message_keeps_the_first(
    projection: TrackingProjection, engine: AsyncEngine
) -> None:
    await apply_all(projection, [recorded(CARNET_A, T0), *through(A1, CARNET_A, "2600", KAPIKULE, T0, (HOUR,))])
    assert await projection.apply(accepted(A1, CARNET_A, KAPIKULE, T0 + 5 * HOUR)) is True  # a new message id
    async with engine.connect() as conn:
        started = (
            await conn.execute(select(getapp_stages.c.started_at).where(getapp_stages.c.stage == "accepted"))
        ).scalar_one()
        stage = (await conn.execute(select(getapp_declarations.c.current_stage))).scalar_one()
    assert (started, stage) == (T0 + HOUR, "accepted")


async def test_a3_a_holder_identified_by_tckn_is_no_firm(projection: TrackingProjection, engine: AsyncEngine) -> None:
    # rule: A3. A TCKN as the holder's id names a person, not a firm: no VKN is recorded.
    person = CARNET_B.model_copy(update={"holder_id": "10000000146"})
    await projection.apply(recorded(person, T0, source="declarant"))
    await projection.apply(lodged(B1, person, "5800", ISTANBUL_AIRPORT, T0 + MINUTE, declarant=FIRM_B_DECLARANT))
    async with engine.connect() as conn:
        row = (await conn.execute(select(getapp_declarations))).one()
    assert (row.holder_vkn, row.declarant_vkn) == (None, FIRM_B)
    assert row.updated_at == datetime(2026, 3, 2, 8, 1, tzinfo=UTC)
