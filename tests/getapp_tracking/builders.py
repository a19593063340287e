"""Envelopes of the hub's real events, as the core publishes them on `ata.declaration.events`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from hub.contract.messages.envelope import Envelope, envelope
from hub.domain import events as ev
from hub.domain.bilge import SummaryOpening
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import Actor, DeclarantIn
from hub.domain.offices import OFFICES

FIRM_A = "4810023456"  # Anadolu Sahne Teknik A.Ş.: holder of Turkish carnets (2600)
FIRM_B = "7350012345"  # Ege Fuarcılık Ltd.: lodges 5800s under a German carnet as the holder
BROKER = "9990001112"  # Başka Gümrük Müşavirliği Ltd.: lodges for firm A as its representative

KAPIKULE = "220100"  # border, Trakya GDTBM, Marmara
ISTANBUL_AIRPORT = "340900"  # border, İstanbul GDTBM, Marmara
ERENKOY = "342000"  # inland, İstanbul GDTBM, Marmara
IZMIR_AIRPORT = "350200"  # border, Ege GDTBM, Ege
CILVEGOZU = "310100"  # border, Doğu Akdeniz GDTBM, Akdeniz

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

FIRM_A_DECLARANT = DeclarantIn(id_kind="VKN", id_value=FIRM_A, name="Anadolu Sahne Teknik A.Ş.")
FIRM_B_DECLARANT = DeclarantIn(id_kind="VKN", id_value=FIRM_B, name="Ege Fuarcılık Ltd.")
BROKER_FOR_A = DeclarantIn(
    id_kind="VKN", id_value=BROKER, name="Başka Gümrük Müşavirliği Ltd.", acts_as="representative"
)


def carnet_data(number: str, country: str, holder_name: str, holder_id: str | None = None) -> CarnetData:
    return CarnetData(
        carnet_number=number,
        holder_name=holder_name,
        holder_id=holder_id,
        issuing_country=country,
        issuing_chamber="İstanbul Ticaret Odası" if country == "TR" else "DIHK Berlin",
        issued_on=date(2026, 1, 5),
        valid_until=date(2027, 1, 4),
        goods=(
            GoodsListLine(
                line_no=1,
                description="sahne ışık masası",
                quantity=4,
                weight_kg=Decimal("35"),
                value=Decimal("12000"),
                currency="EUR",
                origin_country=country,
            ),
        ),
    )


CARNET_A = carnet_data("TR/2026/000123", "TR", "Anadolu Sahne Teknik A.Ş.", FIRM_A)
CARNET_A2 = carnet_data("TR/2026/000456", "TR", "Anadolu Sahne Teknik A.Ş.", FIRM_A)
CARNET_B = carnet_data("DE/2026/A-1", "DE", "Ege Fuarcılık Ltd.")  # foreign: TOBB knows no VKN


def wrap(payload: BaseModel, carnet_number: str, at: datetime) -> Envelope[Any]:
    return envelope(payload, carnet_number=carnet_number, occurred_at=at)


def liaison(office: str) -> Actor:
    return Actor(role="liaison", office=office, officer_id="irtibat-01")


def inspector(office: str) -> Actor:
    return Actor(role="inspection_officer", office=office, officer_id="muayene-07")


def recorded(carnet: CarnetData, at: datetime, source: str = "TOBB") -> Envelope[Any]:
    return wrap(ev.CarnetRecorded(carnet=carnet, source=source), carnet.carnet_number, at)


def lodged(
    number: str,
    carnet: CarnetData,
    regime: str,
    office: str,
    at: datetime,
    *,
    declarant: DeclarantIn = FIRM_A_DECLARANT,
    destination: str | None = None,
    previous: str | None = None,
    summary: SummaryOpening | None = None,
) -> Envelope[Any]:
    known = OFFICES.get(office)
    assert known is not None
    return wrap(
        ev.DeclarationLodged(
            declaration_number=number,
            carnet_number=carnet.carnet_number,
            regime=regime,
            customs_office=office,
            office_kind=known.kind.value,
            status="lodged",
            lodged_at=at,
            declarant=declarant,
            holder_name=carnet.holder_name,
            carnet_source="TOBB" if carnet.issuing_country == "TR" else "declarant",
            carnet_valid_until=carnet.valid_until,
            lines=(ev.DeclaredLine(line_no=1, description="sahne ışık masası", quantity=2),),
            previous_declaration=previous,
            destination_office=destination,
            summary=summary,
        ),
        carnet.carnet_number,
        at,
    )


def accepted(number: str, carnet: CarnetData, office: str, at: datetime) -> Envelope[Any]:
    payload = ev.DeclarationAccepted(declaration_number=number, status="accepted", by=liaison(office))
    return wrap(payload, carnet.carnet_number, at)


def rejected(number: str, carnet: CarnetData, office: str, at: datetime) -> Envelope[Any]:
    payload = ev.DeclarationRejected(
        declaration_number=number, status="rejected", by=liaison(office), reason="eksik belge"
    )
    return wrap(payload, carnet.carnet_number, at)


def cancelled(number: str, carnet: CarnetData, at: datetime) -> Envelope[Any]:
    payload = ev.DeclarationCancelled(declaration_number=number, status="cancelled", reason="yanlış beyan")
    return wrap(payload, carnet.carnet_number, at)


def inspected(
    number: str, carnet: CarnetData, regime: str, office: str, at: datetime, deadline: date | None = None
) -> Envelope[Any]:
    payload = ev.InspectionCompleted(
        declaration_number=number,
        regime=regime,
        status="inspection_completed",
        by=inspector(office),
        discharge_deadline=deadline,
        voucher_number="V-0001",
    )
    return wrap(payload, carnet.carnet_number, at)


def closed(number: str, carnet: CarnetData, at: datetime, rule: str = "I2") -> Envelope[Any]:
    payload = ev.DeclarationClosed(declaration_number=number, status="closed", rule=rule, reason="yeniden ithal edildi")
    return wrap(payload, carnet.carnet_number, at)


def deadline_passed(number: str, carnet: CarnetData, deadline: date, at: datetime) -> Envelope[Any]:
    payload = ev.DeadlinePassed(
        declaration_number=number, discharge_deadline=deadline, open_lines=(), guaranteeing_association="TOBB"
    )
    return wrap(payload, carnet.carnet_number, at)


def extension_granted(number: str, carnet: CarnetData, until: date, office: str, at: datetime) -> Envelope[Any]:
    payload = ev.RequestDecided(
        declaration_number=number,
        request_id="R-1",
        kind="extension",
        approved=True,
        by=Actor(role="director", office=office, officer_id="mudur-01"),
        discharge_deadline=until,
    )
    return wrap(payload, carnet.carnet_number, at)


def through(
    number: str,
    carnet: CarnetData,
    regime: str,
    office: str,
    start: datetime,
    waits: tuple[timedelta, ...],
    *,
    declarant: DeclarantIn = FIRM_A_DECLARANT,
    deadline: date | None = None,
) -> list[Envelope[Any]]:
    """Lodged at `start`, then accepted, inspected and closed, each `waits[i]` after the stage before
    (as many stages as waits are given)."""
    at = start
    events = [lodged(number, carnet, regime, office, at, declarant=declarant)]
    steps: list[Callable[[datetime], Envelope[Any]]] = [
        lambda t: accepted(number, carnet, office, t),
        lambda t: inspected(number, carnet, regime, office, t, deadline),
        lambda t: closed(number, carnet, t),
    ]
    for wait, step in zip(waits, steps, strict=False):
        at += wait
        events.append(step(at))
    return events


# --- two firms' declarations through every stage ----------------------------------------------------

A1 = "26220100ATA00001"  # firm A, 2600 at Kapıkule: closed
A2 = "26220100ATA00002"  # firm A, 2600 at Kapıkule: inspected, deadline passed then extended
A3 = "26220100ATA00003"  # firm A, 2600 at Kapıkule: accepted
A4 = "26220100ATA00004"  # firm A, 2600 at Kapıkule, second carnet, lodged 1 April 01:30 Türkiye time
B1 = "26350200ATA00001"  # firm B, 5800 at İzmir airport: inspected, deadline passed: overdue
B2 = "26350200ATA00002"  # firm B, 5800 at İzmir airport: rejected
B3 = "26350200ATA00003"  # firm B, 5800 at İzmir airport: cancelled by the declarant
B4 = "26340900ATA00001"  # firm B, 5800 at İstanbul airport: closed
A_NUMBERS = {A1, A2, A3, A4}
B_NUMBERS = {B1, B2, B3, B4}
APRIL_FIRST_TR = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 2026-04-01 01:30 in Türkiye


def two_firms() -> list[Envelope[Any]]:
    """Firm A (Turkish carnets, 2600 at Kapıkule) and firm B (a German carnet, 5800 at two airports)."""
    events: list[Envelope[Any]] = [
        recorded(CARNET_A, T0 - HOUR),
        recorded(CARNET_A2, T0 - HOUR),
        recorded(CARNET_B, T0 - HOUR, source="declarant"),
        *through(A1, CARNET_A, "2600", KAPIKULE, T0, (10 * MINUTE, 2 * HOUR, 5 * DAY)),
        *through(A2, CARNET_A, "2600", KAPIKULE, T0 + DAY, (20 * MINUTE, 4 * HOUR), deadline=date(2026, 4, 1)),
        deadline_passed(A2, CARNET_A, date(2026, 4, 1), datetime(2026, 4, 2, 3, 0, tzinfo=UTC)),
        extension_granted(A2, CARNET_A, date(2026, 6, 30), KAPIKULE, datetime(2026, 4, 3, 9, 0, tzinfo=UTC)),
        *through(A3, CARNET_A, "2600", KAPIKULE, T0 + 2 * DAY, (60 * MINUTE,)),
        *through(A4, CARNET_A2, "2600", KAPIKULE, APRIL_FIRST_TR, (40 * MINUTE,)),
        *through(
            B1,
            CARNET_B,
            "5800",
            IZMIR_AIRPORT,
            T0,
            (30 * MINUTE, 3 * HOUR),
            declarant=FIRM_B_DECLARANT,
            deadline=date(2026, 6, 1),
        ),
        deadline_passed(B1, CARNET_B, date(2026, 6, 1), datetime(2026, 6, 2, 3, 0, tzinfo=UTC)),
        lodged(B2, CARNET_B, "5800", IZMIR_AIRPORT, T0 + HOUR, declarant=FIRM_B_DECLARANT),
        rejected(B2, CARNET_B, IZMIR_AIRPORT, T0 + HOUR + 15 * MINUTE),
        lodged(B3, CARNET_B, "5800", IZMIR_AIRPORT, T0 + 2 * HOUR, declarant=FIRM_B_DECLARANT),
        cancelled(B3, CARNET_B, T0 + 2 * HOUR + 45 * MINUTE),
        *through(
            B4,
            CARNET_B,
            "5800",
            ISTANBUL_AIRPORT,
            T0 + 3 * DAY,
            (5 * MINUTE, HOUR, 10 * DAY),
            declarant=FIRM_B_DECLARANT,
        ),
    ]
    return sorted(events, key=lambda e: e.occurred_at)  # as the core publishes them: in time order per carnet
