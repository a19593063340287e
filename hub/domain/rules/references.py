"""Declarations filled from the declaration they reference (E3, I2, I3, R1, R2, R3, T3, X2)."""

from __future__ import annotations

from hub.domain.commands import LineQuantity
from hub.domain.model import Carnet, Declaration, OfficeKind, Regime, Status
from hub.domain.rules.base import Decision, Outcome, Refusal, refuse_unless
from hub.domain.rules.common import Lodging, check_validity, emit_lodged, refuse_unless_border
from hub.domain.rules.ledger import available, discharge_target
from hub.domain.rules.legacy import import_legacy, is_bilge_number


def register_referencing(carnet: Carnet | None, lodging: Lodging) -> Outcome:
    cmd, regime = lodging.cmd, lodging.regime
    path_rule = _path_rule(lodging)
    refuse_unless(
        cmd.previous_declaration is not None, path_rule, f"{_path_name(lodging)} must reference an earlier declaration"
    )
    previous = carnet.declarations.get(cmd.previous_declaration or "") if carnet else None
    decision = Decision(carnet)
    if previous is None and lodging.ctx.reference_carnet is None and is_bilge_number(cmd.previous_declaration):
        previous = import_legacy(decision, lodging)  # L1: a 5800 or 2600 lodged in BİLGE before e-ATA/TR
        carnet = decision.carnet
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
    handler = {
        Regime.TEMPORARY_IMPORT: _inland_5800,
        Regime.RE_EXPORT: _discharge_3158,
        Regime.RE_IMPORT: _reimport_6326,
        Regime.TRANSIT_IN: _transit_in_from_2600,
        Regime.TRANSIT_OUT: _transit_out,
    }[regime]
    lines = handler(carnet, previous, lodging)
    emit_lodged(decision, lodging, lines, destination=_destination(previous, lodging))
    return decision.applied()


def _path_rule(lodging: Lodging) -> str:
    inland = lodging.office.kind is OfficeKind.INLAND
    return {
        Regime.TEMPORARY_IMPORT: "T3",
        Regime.RE_EXPORT: "R1",
        Regime.RE_IMPORT: "I2" if inland else "I3",
        Regime.TRANSIT_IN: "I2",
        Regime.TRANSIT_OUT: "R2",
    }.get(lodging.regime, "G4")


def _path_name(lodging: Lodging) -> str:
    return f"a {lodging.regime} lodged at {lodging.office.kind} office {lodging.office.code}"


def _require(previous: Declaration, regimes: tuple[Regime, ...], rule: str, lodging: Lodging) -> None:
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


def _exactly(previous: Declaration, lodging: Lodging, rule: str) -> list[LineQuantity]:
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


def _within_open(carnet: Carnet, entry: Declaration, lodging: Lodging) -> list[LineQuantity]:
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
    if entry.office_kind is OfficeKind.BORDER or entry.legacy:  # a legacy 2600's exit was BİLGE's (L1)
        return
    left = any(
        d.regime is Regime.TRANSIT_OUT and d.previous_declaration == entry.number and d.status is Status.CLOSED
        for d in carnet.declarations.values()
    )
    refuse_unless(left, rule, f"the goods of {entry.number} have not left Türkiye: its ÇIKIŞ is not completed")


def _inland_5800(carnet: Carnet, previous: Declaration, lodging: Lodging) -> list[LineQuantity]:
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
    check_validity(carnet, lodging.clock)
    lines = _exactly(previous, lodging, "T3")
    for ln in lines:
        room = (carnet.goods_list_quantity(ln.line_no) or 0) - carnet.outstanding_entry(
            Regime.TEMPORARY_IMPORT, ln.line_no
        )
        refuse_unless(ln.quantity <= room, "G7", f"line {ln.line_no}: only {room} may still enter under 5800")
    return lines


def _discharge_3158(carnet: Carnet, previous: Declaration, lodging: Lodging) -> list[LineQuantity]:
    """R1: a 3158 re-exports goods of a 5800, at the border or inland."""
    _require(previous, (Regime.TEMPORARY_IMPORT,), "R1", lodging)
    _require_completed(previous, "R1")
    check_validity(carnet, lodging.clock, previous)
    return _within_open(carnet, previous, lodging)


def _reimport_6326(carnet: Carnet, previous: Declaration, lodging: Lodging) -> list[LineQuantity]:
    """I3 at the border: references the 2600. I2 inland: references the GİRİŞ, filled from it."""
    if lodging.office.kind is OfficeKind.BORDER:
        _require(previous, (Regime.TEMPORARY_EXPORT,), "I3", lodging)
        _require_completed(previous, "I3")
        _goods_abroad(carnet, previous, "I3")
        check_validity(carnet, lodging.clock, previous)
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
    check_validity(carnet, lodging.clock, entry)
    return _exactly(previous, lodging, "I2")


def _transit_in_from_2600(carnet: Carnet, previous: Declaration, lodging: Lodging) -> list[LineQuantity]:
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
    check_validity(carnet, lodging.clock, previous)
    return _within_open(carnet, previous, lodging)


def _transit_out(carnet: Carnet, previous: Declaration, lodging: Lodging) -> list[LineQuantity]:
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
        check_validity(carnet, lodging.clock)
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
    refuse_unless_border(destination, rule, "the destination of a ÇIKIŞ transit")
    if previous.regime is Regime.TEMPORARY_EXPORT:
        check_validity(carnet, lodging.clock)
    else:
        check_validity(carnet, lodging.clock, discharge_target(carnet, previous))
    return _exactly(previous, lodging, rule)


def _destination(previous: Declaration, lodging: Lodging) -> str | None:
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
