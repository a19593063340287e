"""Regime rules of Circular 2021/17: given one carnet and one command, what happens.

Each function returns an outcome and changes only the carnet it was given. Every refusal names
the rule of DOMAIN.md that it enforces.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel

from hub.domain import events as ev
from hub.domain.carnet import CarnetData
from hub.domain.commands import AcceptDeclaration, Actor, CompleteInspection, DeclarantIn, LodgeDeclaration
from hub.domain.identity import identity_problem
from hub.domain.model import (
    Carnet,
    CarnetSource,
    Declarant,
    Declaration,
    DeclarationLine,
    OfficeKind,
    Regime,
    Role,
    Status,
)


@dataclass(frozen=True)
class Clock:
    """The command's own time, handed in: the core never reads a clock."""

    now: datetime
    today: date  # the date in Türkiye at `now`


@dataclass(frozen=True)
class Refused:
    rule: str
    reason: str


@dataclass(frozen=True)
class LookUpCarnet:
    """Nothing is decided until TOBB has answered for this Turkish carnet (G3)."""

    carnet_number: str


@dataclass
class Applied:
    carnet: Carnet
    events: list[BaseModel] = field(default_factory=list)


Outcome = Refused | LookUpCarnet | Applied


class _Refusal(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.refused = Refused(rule, reason)


def _refuse_unless(condition: bool, rule: str, reason: str) -> None:
    if not condition:
        raise _Refusal(rule, reason)


# --- lodging ---------------------------------------------------------------------------------


def lodge(carnet: Carnet | None, cmd: LodgeDeclaration, clock: Clock) -> Outcome:
    """First look at a lodgement: refuse what is wrong on its face, or ask TOBB, or register it."""
    try:
        regime = _check_request(carnet, cmd)
        if cmd.carnet is None:
            if carnet is not None and carnet.source is CarnetSource.DECLARANT:
                return _register(carnet, cmd, regime, clock)
            return LookUpCarnet(cmd.carnet_number)
        _refuse_unless(
            cmd.carnet.issuing_country != "TR",
            "G3",
            "a carnet issued in Türkiye is fetched from TOBB by its number, not typed in: leave the carnet data out",
        )
        _refuse_unless(
            cmd.carnet.carnet_number == cmd.carnet_number,
            "G3",
            f"carnet data is for {cmd.carnet.carnet_number}, the declaration names {cmd.carnet_number}",
        )
        _refuse_unless(
            not regime.needs_turkish_carnet,
            "G4",
            f"regime {regime} is for carnets issued in Türkiye, {cmd.carnet_number} was issued in "
            f"{cmd.carnet.issuing_country}",
        )
        base = carnet or Carnet(data=cmd.carnet, source=CarnetSource.DECLARANT)
        return _register(base, cmd, regime, clock)
    except _Refusal as refusal:
        return refusal.refused


def lodge_with_tobb_answer(
    carnet: Carnet | None, cmd: LodgeDeclaration, found: CarnetData | None, clock: Clock
) -> Outcome:
    """Finish a lodgement once TOBB has answered (G3): unknown carnets cannot be used."""
    try:
        _refuse_unless(found is not None, "G3", f"TOBB does not know carnet {cmd.carnet_number}")
        assert found is not None
        _refuse_unless(
            found.issuing_country == "TR",
            "G3",
            f"TOBB reports carnet {cmd.carnet_number} as issued in {found.issuing_country}, not in Türkiye",
        )
        regime = _check_request(carnet, cmd)
        if carnet is None:
            base = Carnet(data=found, source=CarnetSource.TOBB)
        else:
            base = copy.deepcopy(carnet)
            base.data = found  # TOBB's answer is the current truth about the carnet (G3)
            base.source = CarnetSource.TOBB
        return _register(base, cmd, regime, clock)
    except _Refusal as refusal:
        return refusal.refused


def tobb_unavailable(cmd: LodgeDeclaration, reason: str) -> Refused:
    """TOBB did not answer within the adapter's bound: the carnet cannot be fetched (G3)."""
    return Refused("G3", f"carnet {cmd.carnet_number} could not be fetched from TOBB ({reason}); lodge again later")


def _check_request(carnet: Carnet | None, cmd: LodgeDeclaration) -> Regime:
    """What can be refused before the carnet's data is known."""
    regimes = ", ".join(r.value for r in Regime)
    _refuse_unless(cmd.regime in set(Regime), "G4", f"regime {cmd.regime!r} is none of {regimes}")
    regime = Regime(cmd.regime)
    problem = identity_problem(cmd.declarant.id_kind, cmd.declarant.id_value)
    _refuse_unless(problem is None, "G2", f"declarant id refused: {problem}")
    _refuse_unless(
        carnet is None or cmd.declaration_number not in carnet.declarations,
        "G1",
        f"declaration {cmd.declaration_number} is already registered",
    )
    _refuse_unless(
        regime.is_regime_entry,
        "G4",
        f"regime {regime} discharges or transits goods of an earlier declaration; "
        "this hub version registers regime entries (5800, 2600) only",
    )
    if regime is Regime.TEMPORARY_EXPORT and cmd.office_kind is OfficeKind.INLAND:
        missing = [
            name
            for name, value in (
                ("transit period", cmd.transit_period_days),
                ("destination office", cmd.destination_office),
                ("vehicle plate", cmd.vehicle_plate),
            )
            if not value
        ]
        _refuse_unless(not missing, "E2", f"a 2600 lodged inland and sent to the border needs {', '.join(missing)}")
    if regime is Regime.TEMPORARY_IMPORT and cmd.office_kind is OfficeKind.INLAND:
        previous = carnet.declarations.get(cmd.previous_declaration or "") if carnet else None
        _refuse_unless(
            previous is not None and previous.regime is Regime.TRANSIT_IN,
            "T3",
            "a 5800 lodged at an inland office must reference an ATA-TR/GİRİŞ transit as previous declaration",
        )
    return regime


def _register(carnet: Carnet, cmd: LodgeDeclaration, regime: Regime, clock: Clock) -> Outcome:
    data = carnet.data
    _refuse_unless(
        clock.today <= data.valid_until,
        "V1",
        f"carnet {data.carnet_number} expired on {data.valid_until.isoformat()}",
    )
    _refuse_unless(
        data.valid_until <= _one_year_after(data.issued_on),
        "V1",
        f"carnet {data.carnet_number} claims validity until {data.valid_until.isoformat()}, "
        f"more than one year after issue on {data.issued_on.isoformat()}",
    )
    lines = _entry_lines(carnet, cmd, regime)
    carnet = copy.deepcopy(carnet)
    declaration = Declaration(
        number=cmd.declaration_number,
        regime=regime,
        customs_office=cmd.customs_office,
        office_kind=cmd.office_kind,
        status=Status.LODGED,
        declarant=Declarant(**cmd.declarant.model_dump()),
        lodged_at=clock.now,
        lines={ln.line_no: DeclarationLine(ln.line_no, ln.quantity) for ln in lines},
        previous_declaration=cmd.previous_declaration,
        destination_office=cmd.destination_office,
        transit_period_days=cmd.transit_period_days,
        vehicle_plate=cmd.vehicle_plate,
    )
    carnet.declarations[declaration.number] = declaration
    descriptions = {g.line_no: g.description for g in data.goods}
    lodged = ev.DeclarationLodged(
        declaration_number=declaration.number,
        carnet_number=data.carnet_number,
        regime=regime.value,
        customs_office=declaration.customs_office,
        office_kind=declaration.office_kind.value,
        status=declaration.status.value,
        declarant=cmd.declarant,
        holder_name=data.holder_name,
        carnet_source=carnet.source.value,
        carnet_valid_until=data.valid_until,
        lines=tuple(
            ev.DeclaredLine(line_no=ln.line_no, description=descriptions[ln.line_no], quantity=ln.quantity)
            for ln in lines
        ),
        previous_declaration=declaration.previous_declaration,
    )
    return Applied(carnet, [lodged])


def _entry_lines(carnet: Carnet, cmd: LodgeDeclaration, regime: Regime) -> list[DeclarationLine]:
    """Quantities entering now: none beyond what the goods list still allows (G7)."""
    room = {g.line_no: g.quantity - carnet.outstanding_entry(regime, g.line_no) for g in carnet.data.goods}
    if not cmd.lines:
        lines = [DeclarationLine(no, left) for no, left in room.items() if left > 0]
        _refuse_unless(bool(lines), "G7", f"every goods-list line of {carnet.number} is already under {regime}")
        return lines
    seen: set[int] = set()
    for ln in cmd.lines:
        _refuse_unless(ln.line_no not in seen, "G7", f"goods-list line {ln.line_no} is declared twice")
        seen.add(ln.line_no)
        _refuse_unless(ln.line_no in room, "G7", f"carnet {carnet.number} has no goods-list line {ln.line_no}")
        _refuse_unless(
            ln.quantity <= room[ln.line_no],
            "G7",
            f"line {ln.line_no}: {ln.quantity} declared, only {room[ln.line_no]} of "
            f"{carnet.goods_list_quantity(ln.line_no)} on the goods list may still enter",
        )
    return [DeclarationLine(ln.line_no, ln.quantity) for ln in cmd.lines]


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- customs office work ---------------------------------------------------------------------


def accept(carnet: Carnet | None, cmd: AcceptDeclaration, clock: Clock) -> Outcome:
    """The liaison service of the lodging office accepts the declaration (C1)."""
    try:
        declaration = _declaration(carnet, cmd.declaration_number)
        _check_actor(cmd.actor, Role.LIAISON, declaration, "accept declarations")
        _refuse_unless(
            declaration.status is Status.LODGED,
            "G1",
            f"declaration {declaration.number} is {declaration.status}, only a lodged one can be accepted",
        )
        assert carnet is not None
        carnet = copy.deepcopy(carnet)
        declaration = carnet.declarations[cmd.declaration_number]
        declaration.status = Status.ACCEPTED
        declaration.accepted_by = cmd.actor.officer_id
        event = ev.DeclarationAccepted(
            declaration_number=declaration.number, status=declaration.status.value, by=cmd.actor
        )
        return Applied(carnet, [event])
    except _Refusal as refusal:
        return refusal.refused


def complete_inspection(carnet: Carnet | None, cmd: CompleteInspection, clock: Clock) -> Outcome:
    """The inspection officer completes inspection and approves the goods list (C1).

    On a regime-entry declaration the goods are now under the regime: the ledger records the
    quantities as entered (G7) and the discharge deadline is the carnet's validity (V1).
    """
    try:
        declaration = _declaration(carnet, cmd.declaration_number)
        _check_actor(cmd.actor, Role.INSPECTION_OFFICER, declaration, "complete inspections")
        _refuse_unless(
            declaration.status is Status.ACCEPTED,
            "G1",
            f"declaration {declaration.number} is {declaration.status}, only an accepted one can be inspected",
        )
        assert carnet is not None
        _refuse_unless(
            clock.today <= carnet.data.valid_until,
            "V1",
            f"carnet {carnet.number} expired on {carnet.data.valid_until.isoformat()}",
        )
        carnet = copy.deepcopy(carnet)
        declaration = carnet.declarations[cmd.declaration_number]
        declaration.status = Status.INSPECTION_COMPLETED
        declaration.inspected_by = cmd.actor.officer_id
        ledger: tuple[ev.LedgerLine, ...] = ()
        if declaration.regime.is_regime_entry:
            declaration.discharge_deadline = carnet.data.valid_until
            ledger = tuple(
                ev.LedgerLine(
                    line_no=ln.line_no,
                    goods_list_quantity=carnet.goods_list_quantity(ln.line_no) or 0,
                    entered=ln.quantity,
                    discharged=ln.discharged,
                    open=ln.open,
                )
                for ln in sorted(declaration.lines.values(), key=lambda x: x.line_no)
            )
        event = ev.InspectionCompleted(
            declaration_number=declaration.number,
            regime=declaration.regime.value,
            status=declaration.status.value,
            by=cmd.actor,
            ledger=ledger,
            discharge_deadline=declaration.discharge_deadline,
        )
        return Applied(carnet, [event])
    except _Refusal as refusal:
        return refusal.refused


def _declaration(carnet: Carnet | None, number: str) -> Declaration:
    declaration = carnet.declarations.get(number) if carnet else None
    _refuse_unless(declaration is not None, "G1", f"no declaration {number} is registered for this carnet")
    assert declaration is not None
    return declaration


def _check_actor(actor: Actor, role: Role, declaration: Declaration, action: str) -> None:
    _refuse_unless(actor.role == role.value, "C1", f"only the {role.value} profile may {action}, not {actor.role!r}")
    _refuse_unless(
        actor.office == declaration.customs_office,
        "C1",
        f"declaration {declaration.number} is at office {declaration.customs_office}, "
        f"officer {actor.officer_id} works at {actor.office}",
    )


__all__ = [
    "AcceptDeclaration",
    "Applied",
    "Clock",
    "CompleteInspection",
    "DeclarantIn",
    "LodgeDeclaration",
    "LookUpCarnet",
    "Outcome",
    "Refused",
    "accept",
    "complete_inspection",
    "lodge",
    "lodge_with_tobb_answer",
    "tobb_unavailable",
]
