"""Lodging (tescil) of the six regimes on every path of Circular 2021/17, sections I and II.

A declaration either brings its carnet (a foreign carnet typed in, or a Turkish one from TOBB) and
enters goods under a regime, or references an earlier declaration and is filled from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.domain import events as ev
from hub.domain.carnet import CarnetData
from hub.domain.commands import LineQuantity, LodgeDeclaration
from hub.domain.identity import identity_problem
from hub.domain.model import Carnet, CarnetSource, Declaration, OfficeKind, Regime, Status
from hub.domain.offices import Office
from hub.domain.rules.base import (
    Clock,
    Context,
    Decision,
    LookUpCarnet,
    Outcome,
    Refusal,
    Refused,
    refuse_unless,
)
from hub.domain.rules.ledger import available, discharge_target

_REGIMES = ", ".join(r.value for r in Regime)


@dataclass(frozen=True)
class _Lodging:
    """One lodgement being judged."""

    cmd: LodgeDeclaration
    regime: Regime
    office: Office
    clock: Clock
    ctx: Context


def lodge(carnet: Carnet | None, cmd: LodgeDeclaration, clock: Clock, ctx: Context | None = None) -> Outcome:
    """Refuse what is wrong, ask TOBB for a Turkish carnet, or register the declaration."""
    ctx = ctx or Context()
    try:
        lodging = _check_request(carnet, cmd, clock, ctx)
        regime = lodging.regime
        if regime is Regime.TEMPORARY_EXPORT:
            _check_2600_path(lodging)
            return LookUpCarnet(cmd.carnet_number)
        if regime is Regime.TEMPORARY_IMPORT and lodging.office.kind is OfficeKind.BORDER:
            refuse_unless(cmd.previous_declaration is None, "T1", "a 5800 at a border office references nothing")
            return _register_entry(_carnet_typed_in(carnet, cmd), lodging)
        if regime is Regime.TRANSIT_IN and cmd.previous_declaration is None:
            return _register_transit_in(_carnet_typed_in(carnet, cmd), lodging)
        return _register_referencing(carnet, lodging)
    except Refusal as refusal:
        return refusal.refused


def lodge_with_tobb_answer(
    carnet: Carnet | None, cmd: LodgeDeclaration, found: CarnetData | None, clock: Clock, ctx: Context | None = None
) -> Outcome:
    """Finish a 2600 once TOBB has answered (G3): unknown carnets cannot be used."""
    ctx = ctx or Context()
    try:
        refuse_unless(found is not None, "G3", f"TOBB does not know carnet {cmd.carnet_number}")
        assert found is not None
        refuse_unless(
            found.issuing_country == "TR",
            "G3",
            f"TOBB reports carnet {cmd.carnet_number} as issued in {found.issuing_country}, not in Türkiye",
        )
        lodging = _check_request(carnet, cmd, clock, ctx)  # the carnet may have changed while TOBB answered
        _check_2600_path(lodging)
        decision = Decision(carnet)
        if carnet is None or carnet.data != found or carnet.source is not CarnetSource.TOBB:
            decision.emit(ev.CarnetRecorded(carnet=found, source=CarnetSource.TOBB.value))
        return _register_entry(decision, lodging)
    except Refusal as refusal:
        return refusal.refused


def tobb_unavailable(cmd: LodgeDeclaration, reason: str) -> Refused:
    """TOBB did not answer within the adapter's bound: the carnet cannot be fetched (G3)."""
    return Refused("G3", f"carnet {cmd.carnet_number} could not be fetched from TOBB ({reason}); lodge again later")


# --- what is checked on every lodgement ------------------------------------------------------


def _check_request(carnet: Carnet | None, cmd: LodgeDeclaration, clock: Clock, ctx: Context) -> _Lodging:
    refuse_unless(cmd.regime in set(Regime), "G4", f"regime {cmd.regime!r} is none of {_REGIMES}")
    problem = identity_problem(cmd.declarant.id_kind, cmd.declarant.id_value)
    refuse_unless(problem is None, "G2", f"declarant id refused: {problem}")
    office = ctx.offices.get(cmd.customs_office)
    refuse_unless(office is not None, "G1", f"{cmd.customs_office!r} is not a customs office known to e-ATA/TR")
    assert office is not None
    refuse_unless(
        carnet is None or cmd.declaration_number not in carnet.declarations,
        "G1",
        f"declaration {cmd.declaration_number} is already registered",
    )
    seen: set[int] = set()
    for line in cmd.lines:
        refuse_unless(line.line_no not in seen, "G7", f"goods-list line {line.line_no} is declared twice")
        seen.add(line.line_no)
        refuse_unless(line.line_no >= 1, "G7", f"goods-list line numbers start at 1, not {line.line_no}")
        refuse_unless(line.quantity >= 1, "G7", f"line {line.line_no}: quantity {line.quantity} is not at least 1")
    if cmd.destination_office is not None:
        refuse_unless(
            ctx.offices.get(cmd.destination_office) is not None,
            "G5",
            f"destination {cmd.destination_office!r} is not a customs office known to e-ATA/TR",
        )
    return _Lodging(cmd, Regime(cmd.regime), office, clock, ctx)


def _check_2600_path(lodging: _Lodging) -> None:
    cmd = lodging.cmd
    refuse_unless(cmd.previous_declaration is None, "E1", "a 2600 enters goods under the regime: it references nothing")
    refuse_unless(
        cmd.carnet is None,
        "G3",
        "a carnet issued in Türkiye is fetched from TOBB by its number, not typed in: leave the carnet data out",
    )
    if lodging.office.kind is OfficeKind.INLAND:
        missing = [
            name
            for name, value in (
                ("transit period", cmd.transit_period_days),
                ("destination office", cmd.destination_office),
                ("vehicle plate", cmd.vehicle_plate),
            )
            if not value
        ]
        refuse_unless(not missing, "E2", f"a 2600 lodged inland and sent to the border needs {', '.join(missing)}")
        refuse_unless((cmd.transit_period_days or 0) >= 1, "E2", "the transit period is at least one day")
        _refuse_unless_border(lodging.ctx.offices.get(cmd.destination_office), "E2", "the destination of a 2600")


def _refuse_unless_border(office: Office | None, rule: str, what: str) -> None:
    refuse_unless(
        office is not None and office.kind is OfficeKind.BORDER,
        rule,
        f"{what} must be a border office, {office.name if office else 'none'} is not",
    )


def _check_validity(carnet: Carnet, clock: Clock, entry: Declaration | None = None) -> None:
    """No declaration may use an expired carnet (V1), unless it takes goods back out of a regime
    whose period was extended (G6) to a deadline not yet passed."""
    data = carnet.data
    refuse_unless(
        data.valid_until <= _one_year_after(data.issued_on),
        "V1",
        f"carnet {data.carnet_number} claims validity until {data.valid_until.isoformat()}, "
        f"more than one year after issue on {data.issued_on.isoformat()}",
    )
    if clock.today <= data.valid_until:
        return
    covered = (
        entry is not None
        and entry.extended
        and entry.discharge_deadline is not None
        and clock.today <= entry.discharge_deadline
    )
    refuse_unless(covered, "V1", f"carnet {data.carnet_number} expired on {data.valid_until.isoformat()}")


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- carnets that come with the declaration --------------------------------------------------


def _carnet_typed_in(carnet: Carnet | None, cmd: LodgeDeclaration) -> Decision:
    """A foreign carnet, typed in from the paper carnet (first use), or the one already on record."""
    decision = Decision(carnet)
    if cmd.carnet is None:
        refuse_unless(carnet is not None, "G3", f"carnet {cmd.carnet_number} is not on record: send its data")
        assert carnet is not None
        refuse_unless(
            carnet.source is CarnetSource.DECLARANT,
            "G4",
            f"carnet {cmd.carnet_number} was issued in Türkiye: {cmd.regime} is for foreign carnets",
        )
        return decision
    data = cmd.carnet
    refuse_unless(
        data.issuing_country != "TR",
        "G3",
        "a carnet issued in Türkiye is fetched from TOBB by its number, not typed in: leave the carnet data out",
    )
    refuse_unless(
        data.carnet_number == cmd.carnet_number,
        "G3",
        f"carnet data is for {data.carnet_number}, the declaration names {cmd.carnet_number}",
    )
    if carnet is None:
        decision.emit(ev.CarnetRecorded(carnet=data, source=CarnetSource.DECLARANT.value))
    else:
        refuse_unless(
            carnet.data == data,
            "G3",
            f"the carnet data sent contradicts carnet {cmd.carnet_number} on record: leave it out to use the record",
        )
    return decision


def _entry_room(carnet: Carnet, lodging: _Lodging) -> list[LineQuantity]:
    """Quantities entering now: none beyond what the goods list still allows (G7)."""
    regime = lodging.regime
    room = {g.line_no: g.quantity - carnet.outstanding_entry(regime, g.line_no) for g in carnet.data.goods}
    cmd = lodging.cmd
    if not cmd.lines:
        lines = [LineQuantity(line_no=no, quantity=left) for no, left in room.items() if left > 0]
        refuse_unless(bool(lines), "G7", f"every goods-list line of {carnet.number} is already under {regime}")
        return lines
    for ln in cmd.lines:
        refuse_unless(ln.line_no in room, "G7", f"carnet {carnet.number} has no goods-list line {ln.line_no}")
        refuse_unless(
            ln.quantity <= room[ln.line_no],
            "G7",
            f"line {ln.line_no}: {ln.quantity} declared, only {room[ln.line_no]} of "
            f"{carnet.goods_list_quantity(ln.line_no)} on the goods list may still enter",
        )
    return list(cmd.lines)


def _register_entry(decision: Decision, lodging: _Lodging) -> Outcome:
    """5800 at the border (T1), 2600 at border or inland (E1): goods enter the regime."""
    carnet = decision.carnet
    assert carnet is not None
    _check_validity(carnet, lodging.clock)
    _emit_lodged(decision, lodging, _entry_room(carnet, lodging))
    return decision.applied()


def _register_transit_in(decision: Decision, lodging: _Lodging) -> Outcome:
    """A GİRİŞ from a border office carrying a foreign carnet's goods inland (T1, T2) or across (X1)."""
    carnet = decision.carnet
    assert carnet is not None
    cmd = lodging.cmd
    _check_validity(carnet, lodging.clock)
    refuse_unless(lodging.office.kind is OfficeKind.BORDER, "X1", "a GİRİŞ transit starts at a border office")
    refuse_unless(cmd.destination_office is not None, "T2", "a GİRİŞ transit needs its destination office")
    refuse_unless(cmd.destination_office != cmd.customs_office, "T2", "a transit goes to another office")
    lines = list(cmd.lines) or [LineQuantity(line_no=g.line_no, quantity=g.quantity) for g in carnet.data.goods]
    for ln in lines:
        on_list = carnet.goods_list_quantity(ln.line_no)
        refuse_unless(on_list is not None, "G7", f"carnet {carnet.number} has no goods-list line {ln.line_no}")
        refuse_unless(
            ln.quantity <= (on_list or 0),
            "G7",
            f"line {ln.line_no}: {ln.quantity} declared, the goods list has {on_list}",
        )
    _emit_lodged(decision, lodging, lines)
    return decision.applied()


# --- declarations filled from their reference ------------------------------------------------


def _register_referencing(carnet: Carnet | None, lodging: _Lodging) -> Outcome:
    cmd, regime = lodging.cmd, lodging.regime
    path_rule = _path_rule(lodging)
    refuse_unless(
        cmd.previous_declaration is not None, path_rule, f"{_path_name(lodging)} must reference an earlier declaration"
    )
    previous = carnet.declarations.get(cmd.previous_declaration or "") if carnet else None
    if previous is None:
        elsewhere = lodging.ctx.reference_carnet
        where = f" it belongs to carnet {elsewhere}" if elsewhere else " no such declaration is registered"
        raise Refusal(
            path_rule, f"reference {cmd.previous_declaration} cannot be used for carnet {cmd.carnet_number}:{where}"
        )
    assert carnet is not None
    refuse_unless(
        cmd.carnet is None or cmd.carnet == carnet.data,
        path_rule,
        f"the carnet data sent contradicts {previous.number}'s carnet: leave it out, it is filled from the reference",
    )
    decision = Decision(carnet)
    handler = {
        Regime.TEMPORARY_IMPORT: _inland_5800,
        Regime.RE_EXPORT: _discharge_3158,
        Regime.RE_IMPORT: _reimport_6326,
        Regime.TRANSIT_IN: _transit_in_from_2600,
        Regime.TRANSIT_OUT: _transit_out,
    }[regime]
    lines = handler(carnet, previous, lodging)
    _emit_lodged(decision, lodging, lines, destination=_destination(previous, lodging))
    return decision.applied()


def _path_rule(lodging: _Lodging) -> str:
    inland = lodging.office.kind is OfficeKind.INLAND
    return {
        Regime.TEMPORARY_IMPORT: "T3",
        Regime.RE_EXPORT: "R1",
        Regime.RE_IMPORT: "I2" if inland else "I3",
        Regime.TRANSIT_IN: "I2",
        Regime.TRANSIT_OUT: "R2",
    }.get(lodging.regime, "G4")


def _path_name(lodging: _Lodging) -> str:
    return f"a {lodging.regime} lodged at {lodging.office.kind} office {lodging.office.code}"


def _require(previous: Declaration, regimes: tuple[Regime, ...], rule: str, lodging: _Lodging) -> None:
    names = " or ".join(r.value for r in regimes)
    refuse_unless(
        previous.regime in regimes,
        rule,
        f"{_path_name(lodging)} references a {names}; {previous.number} is a {previous.regime}",
    )


def _require_completed(previous: Declaration, rule: str) -> None:
    refuse_unless(
        previous.status is Status.INSPECTION_COMPLETED,
        rule,
        f"{previous.number} is {previous.status}: its inspection must be completed, and it must still be open",
    )


def _unused(carnet: Carnet, previous: Declaration, regimes: tuple[Regime, ...], rule: str) -> None:
    """A transit is followed by one declaration at its destination: it closes with it."""
    taken = [
        d.number
        for d in carnet.declarations.values()
        if d.previous_declaration == previous.number
        and d.regime in regimes
        and d.status is not Status.CANCELLED
        and d.status is not Status.REJECTED
    ]
    refuse_unless(not taken, rule, f"{previous.number} is already followed by {', '.join(taken)}")


def _exactly(previous: Declaration, lodging: _Lodging, rule: str) -> list[LineQuantity]:
    """Filled from the reference: the same lines and quantities; anything else contradicts it."""
    lines = [LineQuantity(line_no=ln.line_no, quantity=ln.quantity) for ln in previous.lines.values()]
    if lodging.cmd.lines:
        sent = sorted((ln.line_no, ln.quantity) for ln in lodging.cmd.lines)
        refuse_unless(
            sent == sorted((ln.line_no, ln.quantity) for ln in lines),
            rule,
            f"the lines sent {sent} contradict {previous.number}, which carries "
            f"{sorted((ln.line_no, ln.quantity) for ln in lines)}",
        )
    return lines


def _within_open(carnet: Carnet, entry: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """Discharges: what is still open on the entry and not already on its way back (G7)."""
    if not lodging.cmd.lines:
        lines = [
            LineQuantity(line_no=no, quantity=available(carnet, entry, no))
            for no in sorted(entry.lines)
            if available(carnet, entry, no) > 0
        ]
        refuse_unless(bool(lines), "G7", f"nothing is left open on {entry.number}")
        return lines
    for ln in lodging.cmd.lines:
        refuse_unless(ln.line_no in entry.lines, "G7", f"{entry.number} has no line {ln.line_no}")
        left = available(carnet, entry, ln.line_no)
        refuse_unless(
            ln.quantity <= left,
            "G7",
            f"line {ln.line_no}: {ln.quantity} declared, only {left} of the {entry.lines[ln.line_no].quantity} "
            f"entered on {entry.number} may still be discharged",
        )
    return list(lodging.cmd.lines)


def _goods_abroad(carnet: Carnet, entry: Declaration, rule: str) -> None:
    """A 2600 lodged inland has its goods abroad only once its ÇIKIŞ completed at the border (E4)."""
    if entry.office_kind is OfficeKind.BORDER:
        return
    left = any(
        d.regime is Regime.TRANSIT_OUT and d.previous_declaration == entry.number and d.status is Status.CLOSED
        for d in carnet.declarations.values()
    )
    refuse_unless(left, rule, f"the goods of {entry.number} have not left Türkiye: its ÇIKIŞ is not completed")


def _inland_5800(carnet: Carnet, previous: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """T3: an inland 5800 references a GİRİŞ whose destination is this office (T2) and is filled from it."""
    _require(previous, (Regime.TRANSIT_IN,), "T3", lodging)
    refuse_unless(previous.previous_declaration is None, "T3", f"{previous.number} brings re-imported goods")
    _require_completed(previous, "T3")
    refuse_unless(
        previous.destination_office == lodging.office.code,
        "T2",
        f"{previous.number} is destined for {previous.destination_office}, not {lodging.office.code}",
    )
    _unused(carnet, previous, (Regime.TEMPORARY_IMPORT, Regime.TRANSIT_OUT), "T3")
    _check_validity(carnet, lodging.clock)
    lines = _exactly(previous, lodging, "T3")
    for ln in lines:
        room = (carnet.goods_list_quantity(ln.line_no) or 0) - carnet.outstanding_entry(
            Regime.TEMPORARY_IMPORT, ln.line_no
        )
        refuse_unless(ln.quantity <= room, "G7", f"line {ln.line_no}: only {room} may still enter under 5800")
    return lines


def _discharge_3158(carnet: Carnet, previous: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """R1: a 3158 re-exports goods of a 5800, at the border or inland."""
    _require(previous, (Regime.TEMPORARY_IMPORT,), "R1", lodging)
    _require_completed(previous, "R1")
    _check_validity(carnet, lodging.clock, previous)
    return _within_open(carnet, previous, lodging)


def _reimport_6326(carnet: Carnet, previous: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """I3 at the border: references the 2600. I2 inland: references the GİRİŞ, filled from it."""
    if lodging.office.kind is OfficeKind.BORDER:
        _require(previous, (Regime.TEMPORARY_EXPORT,), "I3", lodging)
        _require_completed(previous, "I3")
        _goods_abroad(carnet, previous, "I3")
        _check_validity(carnet, lodging.clock, previous)
        return _within_open(carnet, previous, lodging)
    _require(previous, (Regime.TRANSIT_IN,), "I2", lodging)
    entry = carnet.declarations.get(previous.previous_declaration or "")
    refuse_unless(
        entry is not None and entry.regime is Regime.TEMPORARY_EXPORT,
        "I2",
        f"{previous.number} does not bring back goods of a 2600",
    )
    _require_completed(previous, "I2")
    refuse_unless(
        previous.destination_office == lodging.office.code,
        "I2",
        f"{previous.number} is destined for {previous.destination_office}, not {lodging.office.code}",
    )
    _unused(carnet, previous, (Regime.RE_IMPORT,), "I2")
    assert entry is not None
    _check_validity(carnet, lodging.clock, entry)
    return _exactly(previous, lodging, "I2")


def _transit_in_from_2600(carnet: Carnet, previous: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """I2: a GİRİŞ bringing goods of a 2600 back to an inland office, filled from the 2600."""
    _require(previous, (Regime.TEMPORARY_EXPORT,), "I2", lodging)
    _require_completed(previous, "I2")
    _goods_abroad(carnet, previous, "I2")
    refuse_unless(lodging.office.kind is OfficeKind.BORDER, "I1", "a GİRİŞ transit starts at a border office")
    destination = lodging.ctx.offices.get(lodging.cmd.destination_office)
    refuse_unless(
        destination is not None and destination.kind is OfficeKind.INLAND,
        "I2",
        "a GİRİŞ bringing back a 2600's goods is destined for the inland office of the 6326",
    )
    _check_validity(carnet, lodging.clock, previous)
    return _within_open(carnet, previous, lodging)


def _transit_out(carnet: Carnet, previous: Declaration, lodging: _Lodging) -> list[LineQuantity]:
    """A ÇIKIŞ to the exit border, built from an inland 2600 (E3), an inland 3158 (R2) or a GİRİŞ (X2)."""
    if previous.regime is Regime.TRANSIT_IN:
        refuse_unless(previous.previous_declaration is None, "X2", f"{previous.number} brings re-imported goods")
        _require_completed(previous, "X2")
        refuse_unless(
            previous.destination_office == lodging.office.code and lodging.office.kind is OfficeKind.BORDER,
            "X2",
            f"the ÇIKIŞ of {previous.number} is lodged at its exit border office {previous.destination_office}",
        )
        _unused(carnet, previous, (Regime.TEMPORARY_IMPORT, Regime.TRANSIT_OUT), "X2")
        _check_validity(carnet, lodging.clock)
        return _exactly(previous, lodging, "X2")
    rule = "E3" if previous.regime is Regime.TEMPORARY_EXPORT else "R2"
    _require(previous, (Regime.TEMPORARY_EXPORT, Regime.RE_EXPORT), rule, lodging)
    refuse_unless(
        previous.office_kind is OfficeKind.INLAND,
        rule,
        f"{previous.number} was lodged at a border office: its goods leave there, without a transit",
    )
    _require_completed(previous, rule)
    refuse_unless(
        previous.customs_office == lodging.office.code,
        rule,
        f"the ÇIKIŞ of {previous.number} starts where it was inspected, office {previous.customs_office}",
    )
    _unused(carnet, previous, (Regime.TRANSIT_OUT,), rule)
    destination = lodging.ctx.offices.get(_destination(previous, lodging))
    _refuse_unless_border(destination, rule, "the destination of a ÇIKIŞ transit")
    if previous.regime is Regime.TEMPORARY_EXPORT:
        _check_validity(carnet, lodging.clock)
    else:
        _check_validity(carnet, lodging.clock, discharge_target(carnet, previous))
    return _exactly(previous, lodging, rule)


def _destination(previous: Declaration, lodging: _Lodging) -> str | None:
    """Transits are presented to their destination: filled from the reference where it names one."""
    sent = lodging.cmd.destination_office
    if lodging.regime is not Regime.TRANSIT_OUT:
        return sent
    fill: str | None
    if previous.regime is Regime.TRANSIT_IN:
        fill = lodging.office.code  # X2: lodged at the exit border itself
    elif previous.regime is Regime.TEMPORARY_EXPORT:
        fill = previous.destination_office  # E2/E3: the 2600 named it
    else:
        fill = sent
    refuse_unless(
        sent is None or fill is None or sent == fill,
        "E3" if previous.regime is Regime.TEMPORARY_EXPORT else "X2",
        f"destination {sent} contradicts {previous.number}, which names {fill}",
    )
    refuse_unless((sent or fill) is not None, "R2", "a ÇIKIŞ transit needs its exit border office as destination")
    return sent or fill


# --- registration -----------------------------------------------------------------------------


def _emit_lodged(
    decision: Decision, lodging: _Lodging, lines: list[LineQuantity], destination: str | None = None
) -> None:
    carnet = decision.carnet
    assert carnet is not None
    cmd = lodging.cmd
    decision.emit(
        ev.DeclarationLodged(
            declaration_number=cmd.declaration_number,
            carnet_number=carnet.number,
            regime=lodging.regime.value,
            customs_office=lodging.office.code,
            office_kind=lodging.office.kind.value,
            status=Status.LODGED.value,
            lodged_at=lodging.clock.now,
            declarant=cmd.declarant,
            holder_name=carnet.data.holder_name,
            carnet_source=carnet.source.value,
            carnet_valid_until=carnet.data.valid_until,
            lines=tuple(
                ev.DeclaredLine(line_no=ln.line_no, description=carnet.description(ln.line_no), quantity=ln.quantity)
                for ln in sorted(lines, key=lambda x: x.line_no)
            ),
            previous_declaration=cmd.previous_declaration,
            destination_office=destination or cmd.destination_office,
            transit_period_days=cmd.transit_period_days,
            vehicle_plate=cmd.vehicle_plate,
        )
    )
