"""Builders of commands and carnets for rule tests: realistic values, one place to change them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CompleteInspection,
    DeclarantIn,
    LineQuantity,
    LodgeDeclaration,
)
from hub.domain.rules import Clock

BORDER = "220100"  # Kapıkule, a border office
EXIT_BORDER = "310100"  # Cilvegözü, another border office
INLAND = "342000"  # Erenköy, an inland office in İstanbul
LIAISON = Actor(role="liaison", office=BORDER, officer_id="irtibat-01")
INSPECTOR = Actor(role="inspection_officer", office=BORDER, officer_id="muayene-07")
HOLDER = DeclarantIn(id_kind="VKN", id_value="4810023456", name="Anadolu Sahne Teknik A.Ş.")
VALID_TCKN = "10000000146"


def clock(day: date = date(2026, 11, 21)) -> Clock:
    return Clock(now=datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC), today=day)


def carnet_data(
    number: str = "DE/2026/A-1",
    country: str = "DE",
    issued: date = date(2026, 3, 2),
    valid_until: date = date(2027, 3, 1),
    quantities: tuple[int, ...] = (12, 1),
) -> CarnetData:
    return CarnetData(
        carnet_number=number,
        holder_name="Lichtwerk Bühnentechnik GmbH",
        issuing_country=country,
        issuing_chamber="DIHK Berlin" if country != "TR" else "İstanbul Ticaret Odası",
        issued_on=issued,
        valid_until=valid_until,
        goods=tuple(
            GoodsListLine(
                line_no=i,
                description=f"goods line {i}",
                quantity=q,
                weight_kg=Decimal("10"),
                value=Decimal("1000"),
                currency="EUR",
                origin_country=country,
            )
            for i, q in enumerate(quantities, start=1)
        ),
    )


def lodge(
    number: str = "D1",
    *,
    regime: str = "5800",
    carnet: CarnetData | None = None,
    office: str = BORDER,
    lines: tuple[tuple[int, int], ...] = (),
    declarant: DeclarantIn = HOLDER,
    **extra: Any,
) -> LodgeDeclaration:
    typed_in = regime == "5800" and "previous_declaration" not in extra
    data = carnet if carnet is not None else (carnet_data() if typed_in else None)
    return LodgeDeclaration(
        declaration_number=number,
        carnet_number=data.carnet_number if data else extra.pop("carnet_number", "TR/2026/000123"),
        regime=regime,
        customs_office=office,
        declarant=declarant,
        carnet=data,
        lines=tuple(LineQuantity(line_no=n, quantity=q) for n, q in lines),
        **extra,
    )


def accept(number: str = "D1", actor: Actor = LIAISON) -> AcceptDeclaration:
    return AcceptDeclaration(declaration_number=number, actor=actor)


def inspect(number: str = "D1", actor: Actor = INSPECTOR) -> CompleteInspection:
    return CompleteInspection(declaration_number=number, actor=actor)
