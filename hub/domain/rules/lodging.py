"""Lodging (tescil) of the six regimes on every path of Circular 2021/17, sections I and II.

A declaration either brings its carnet (a foreign carnet typed in, or a Turkish one from TOBB) and
enters goods under a regime, or references an earlier declaration and is filled from it.
"""

from __future__ import annotations

from dataclasses import replace

from hub.domain import events as ev
from hub.domain.carnet import CarnetData
from hub.domain.commands import LineQuantity, LodgeDeclaration
from hub.domain.identity import identity_problem
from hub.domain.model import Carnet, CarnetSource, OfficeKind, Regime
from hub.domain.rules.base import (
    Applied,
    Clock,
    Context,
    Decision,
    LookUpCarnet,
    LookUpSummary,
    Outcome,
    Refused,
    TobbAnswer,
    decides,
    refuse_unless,
)
from hub.domain.rules.common import Lodging, check_validity, emit_lodged, refuse_unless_border
from hub.domain.rules.references import register_referencing
from hub.domain.rules.representation import check_declarant
from hub.domain.rules.summary import check_open_packages, check_opening

_REGIMES = ", ".join(r.value for r in Regime)


@decides
def lodge(carnet: Carnet | None, cmd: LodgeDeclaration, clock: Clock, ctx: Context | None = None) -> Outcome:
    """Refuse what is wrong, ask TOBB, BİLGE or YKTS what the rules need, or register the declaration.

    A look-up's answer comes back in `ctx` and the lodgement is decided again from the start:
    nothing is kept half-decided in between.
    """
    ctx = ctx or Context()
    lodging = _check_request(carnet, cmd, clock, ctx)
    if cmd.summary is not None:
        check_opening(lodging.regime, cmd.summary)
    outcome = _by_path(carnet, lodging)
    if isinstance(outcome, Applied):
        check_declarant(outcome.carnet, cmd, ctx)
        if cmd.summary is not None:
            if ctx.summary is None or ctx.summary.summary_number != cmd.summary.summary_number:
                return LookUpSummary(cmd.summary.summary_number)
            check_open_packages(cmd.summary, ctx)
    return outcome


def _by_path(carnet: Carnet | None, lodging: Lodging) -> Outcome:
    cmd, regime = lodging.cmd, lodging.regime
    if regime is Regime.TEMPORARY_EXPORT:
        _check_2600_path(lodging)
        _not_foreign(carnet)
        if lodging.ctx.tobb is None:  # Turkish carnets are fetched again at every lodgement (G3)
            return LookUpCarnet(cmd.carnet_number)
        return _register_from_tobb(carnet, lodging, lodging.ctx.tobb.found)
    if regime is Regime.TEMPORARY_IMPORT and lodging.office.kind is OfficeKind.BORDER:
        refuse_unless(cmd.previous_declaration is None, "T1", "a 5800 at a border office references nothing")
        return _register_entry(_carnet_typed_in(carnet, cmd), lodging)
    if regime is Regime.TRANSIT_IN and cmd.previous_declaration is None:
        return _register_transit_in(_carnet_typed_in(carnet, cmd), lodging)
    return register_referencing(carnet, lodging)


def lodge_with_tobb_answer(
    carnet: Carnet | None, cmd: LodgeDeclaration, found: CarnetData | None, clock: Clock, ctx: Context | None = None
) -> Outcome:
    """Decide a 2600 with TOBB's answer (G3): `found` is TOBB's record, None when TOBB does not know it."""
    return lodge(carnet, cmd, clock, replace(ctx or Context(), tobb=TobbAnswer(found)))


def _register_from_tobb(carnet: Carnet | None, lodging: Lodging, found: CarnetData | None) -> Outcome:
    """Finish a 2600 once TOBB has answered (G3): unknown carnets cannot be used."""
    cmd = lodging.cmd
    refuse_unless(found is not None, "G3", f"TOBB does not know carnet {cmd.carnet_number}")
    assert found is not None
    refuse_unless(
        found.issuing_country == "TR",
        "G3",
        f"TOBB reports carnet {cmd.carnet_number} as issued in {found.issuing_country}, not in Türkiye",
    )
    _record_still_covers(carnet, found)
    decision = Decision(carnet)
    if carnet is None or carnet.data != found or carnet.source is not CarnetSource.TOBB:
        decision.emit(ev.CarnetRecorded(carnet=found, source=CarnetSource.TOBB.value))
    return _register_entry(decision, lodging)


def _turkish_from_bilge(carnet: Carnet) -> bool:
    """A Turkish carnet first recorded from a legacy BİLGE 2600 (L1): TOBB's record takes over (G3)."""
    return carnet.source is CarnetSource.BILGE and carnet.data.issuing_country == "TR"


def _not_foreign(carnet: Carnet | None) -> None:
    """A carnet on record as foreign (typed in for a 5800 or GİRİŞ) is not TOBB's to overwrite (G4)."""
    refuse_unless(
        carnet is None or carnet.source is CarnetSource.TOBB or _turkish_from_bilge(carnet),
        "G4",
        f"carnet {carnet.number if carnet else ''} is on record as issued in "
        f"{carnet.data.issuing_country if carnet else ''}: a 2600 is for carnets issued in Türkiye",
    )


def _record_still_covers(carnet: Carnet | None, found: CarnetData) -> None:
    """TOBB's record may change, but not below what is under the regime on it, nor below what a
    declaration still open carried (G3, G7): such a record is refused rather than taken, until customs
    and TOBB clear the difference. Finished declarations are history: the record is the truth from now."""
    if carnet is None:
        return
    listed = {g.line_no: g.quantity for g in found.goods}
    for regime in (Regime.TEMPORARY_EXPORT, Regime.TEMPORARY_IMPORT):
        for line in carnet.data.goods:
            under = carnet.outstanding_entry(regime, line.line_no)
            refuse_unless(
                under <= listed.get(line.line_no, 0),
                "G3",
                f"TOBB's record of {found.carnet_number} lists {listed.get(line.line_no, 0)} on line {line.line_no}, "
                f"but {under} are under {regime}: the carnet cannot be used until the difference is cleared",
            )
    for d in carnet.declarations.values():
        if not d.status.is_live:
            continue
        for carried in d.lines.values():
            # G7: no carnet line enters beyond its goods-list quantity; an open declaration that carried
            # more than the new record lists would be beyond it, whatever of it has come back since.
            no = carried.line_no
            refuse_unless(
                no in listed and carried.quantity <= listed[no],
                "G3",
                f"TOBB's record of {found.carnet_number} lists {listed.get(no, 'nothing')} on line {no}, but "
                f"{d.number}, still open, carries {carried.quantity} of it under {d.regime}: the carnet cannot "
                "be used until the difference is cleared",
            )


def tobb_unavailable(cmd: LodgeDeclaration, reason: str) -> Refused:
    """TOBB did not answer within the adapter's bound: the carnet cannot be fetched (G3)."""
    return Refused("G3", f"carnet {cmd.carnet_number} could not be fetched from TOBB ({reason}); lodge again later")


# --- what is checked on every lodgement ------------------------------------------------------


def _check_request(carnet: Carnet | None, cmd: LodgeDeclaration, clock: Clock, ctx: Context) -> Lodging:
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
    refuse_unless(
        ctx.number_taken_by is None,
        "G1",
        f"declaration number {cmd.declaration_number} is already registered on carnet {ctx.number_taken_by}",
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
    return Lodging(cmd, Regime(cmd.regime), office, clock, ctx)


def _check_2600_path(lodging: Lodging) -> None:
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
        refuse_unless_border(lodging.ctx.offices.get(cmd.destination_office), "E2", "the destination of a 2600")


# --- carnets that come with the declaration --------------------------------------------------


def _carnet_typed_in(carnet: Carnet | None, cmd: LodgeDeclaration) -> Decision:
    """A foreign carnet, typed in from the paper carnet (first use), or the one already on record."""
    decision = Decision(carnet)
    if cmd.carnet is None:
        refuse_unless(carnet is not None, "G3", f"carnet {cmd.carnet_number} is not on record: send its data")
        assert carnet is not None
        refuse_unless(
            carnet.source is CarnetSource.DECLARANT
            or (carnet.source is CarnetSource.BILGE and not _turkish_from_bilge(carnet)),
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


def _entry_room(carnet: Carnet, lodging: Lodging) -> list[LineQuantity]:
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


def _register_entry(decision: Decision, lodging: Lodging) -> Outcome:
    """5800 at the border (T1), 2600 at border or inland (E1): goods enter the regime."""
    carnet = decision.carnet
    assert carnet is not None
    check_validity(carnet, lodging.clock)
    emit_lodged(decision, lodging, _entry_room(carnet, lodging))
    return decision.applied()


def _register_transit_in(decision: Decision, lodging: Lodging) -> Outcome:
    """A GİRİŞ from a border office carrying a foreign carnet's goods inland (T1, T2) or across (X1)."""
    carnet = decision.carnet
    assert carnet is not None
    cmd = lodging.cmd
    check_validity(carnet, lodging.clock)
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
    emit_lodged(decision, lodging, lines)
    return decision.applied()
