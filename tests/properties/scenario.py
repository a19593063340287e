"""Random customs days for the property tests: abstract steps, turned into commands against the state they meet.

A `Step` says what happens (lodge a 3158, accept, complete an inspection, correct, ...), which declaration
it is about (`pick`: an index into the declarations for which that step makes sense *now*), how much
crosses (`qty`), and whether it is deliberately wrong (`fault`). `plan` turns it into concrete commands
for the current state, so that most generated steps reach deep into the flows (lodge → accept → inspect →
discharge → close), and says of each command whether the rules must refuse it. Corrections ask for
quantities on and around the bounds of G7 (what was discharged, what entered, the goods list, one more);
a 2600 may be answered by a TOBB record that lists less on one line than before (G3).

Numbers are fresh per step (`seq`). Two faults (a declaration number of another carnet; a foreign
carnet typed in under a number TOBB knows) once triggered bugs; they are generated like every other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel

from hub.domain import rules
from hub.domain.carnet import CarnetData
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CancelDeclaration,
    Command,
    CompleteInspection,
    DecideRequest,
    DeclarantIn,
    LineQuantity,
    LodgeDeclaration,
    RejectDeclaration,
    RequestCorrection,
    RequestExtension,
)
from hub.domain.model import Carnet, Declaration, OfficeKind, Regime, Status
from tests.domain.builders import BORDER, EXIT_BORDER, HOLDER, INLAND, VALID_TCKN, carnet_data, clock

T = TypeVar("T")

CLOCK = clock()  # every command of a generated day is issued on 2026-11-21, well within the carnets' validity
OTHER_OFFICE = "160100"  # Bursa (inland): none of the generated declarations is lodged or inspected there
INSPECTOR_ID = "muayene-07"
FOREIGN: tuple[CarnetData, ...] = (
    carnet_data("DE/2026/A-1", "DE", quantities=(12, 1)),
    carnet_data("FR/2026/B-7", "FR", quantities=(5, 3, 2)),
    carnet_data("IT/2026/C-3", "IT", quantities=(2,)),
)
TURKISH: tuple[CarnetData, ...] = (
    carnet_data("TR/2026/000123", "TR", quantities=(3, 5)),
    carnet_data("TR/2026/000456", "TR", quantities=(4,)),
)
TOBB: dict[str, CarnetData] = {c.carnet_number: c for c in TURKISH}  # what TOBB answers (G3); foreign: unknown
CARNET_NUMBERS: tuple[str, ...] = tuple(c.carnet_number for c in (*FOREIGN, *TURKISH))
REPRESENTATIVE = DeclarantIn(id_kind="TCKN", id_value=VALID_TCKN, name="Ayşe Yılmaz", acts_as="representative")
STRANGER = DeclarantIn(id_kind="PASSPORT", id_value="U12345678", name="John Doe", acts_as="representative")
MALFORMED = DeclarantIn(id_kind="TCKN", id_value="12345678901", name="Hatalı Kimlik", acts_as="representative")


class Kind(StrEnum):
    ENTRY_5800_BORDER = "5800 at the border"  # T1
    GIRIS_FOREIGN = "GİRİŞ of a foreign carnet"  # T1/T2 (to an inland office) or X1 (through, to the exit border)
    ENTRY_5800_INLAND = "5800 inland after its GİRİŞ"  # T3
    RE_EXPORT_BORDER = "3158 at the border"  # R1
    RE_EXPORT_INLAND = "3158 inland"  # R1, then a ÇIKIŞ (R2, R3)
    ENTRY_2600_BORDER = "2600 at the border"  # E1, via TOBB (G3)
    ENTRY_2600_AMENDED = "2600 at the border, TOBB's record now lists less on one line"  # G3, G7
    ENTRY_2600_INLAND = "2600 inland"  # E1, E2
    CIKIS = "ÇIKIŞ"  # E3 (inland 2600), R2 (inland 3158), X2 (GİRİŞ to the exit border)
    RE_IMPORT_BORDER = "6326 at the border"  # I3
    GIRIS_2600 = "GİRİŞ bringing back a 2600"  # I2
    RE_IMPORT_INLAND = "6326 inland after its GİRİŞ"  # I2
    ACCEPT = "accept"  # C1
    REJECT = "reject"  # C1
    CANCEL = "cancel"  # G2
    COMPLETE = "complete inspection"  # C1, and the closures T4, I2, I3, R1, R3, X3, E4
    CORRECT = "request a correction (and decide it)"  # G6
    EXTEND = "request an extension (and decide it)"  # G6
    DECIDE = "decide a pending request"  # G6, C1


# The paths that need no TOBB (foreign carnets: 5800, 3158 and their transits), for the service level.
FOREIGN_KINDS: tuple[Kind, ...] = (
    Kind.ENTRY_5800_BORDER,
    Kind.GIRIS_FOREIGN,
    Kind.ENTRY_5800_INLAND,
    Kind.RE_EXPORT_BORDER,
    Kind.RE_EXPORT_INLAND,
    Kind.CIKIS,
    Kind.ACCEPT,
    Kind.REJECT,
    Kind.CANCEL,
    Kind.COMPLETE,
    Kind.CORRECT,
    Kind.EXTEND,
    Kind.DECIDE,
)


class Fault(StrEnum):
    """What is deliberately wrong with a step; every fault that applies to a step must be refused."""

    NONE = "none"
    WRONG_ROLE = "wrong role"  # C1
    WRONG_OFFICE = "officer of another office"  # C1
    WRONG_DECLARANT = "someone else than the declarant"  # G2, G6
    MALFORMED_ID = "malformed declarant id"  # G2
    UNKNOWN_REF = "unknown or other carnet's reference"  # G1, T3, R1, I2, I3, E3, X2
    WRONG_STATE = "declaration in the wrong regime or status"  # G1, G6, R1, I3...
    ZERO = "zero quantity"  # G7
    NEGATIVE = "negative quantity"  # G7
    TOO_LARGE = "quantity beyond what entered or is on the list"  # G7
    UNKNOWN_LINE = "line not on the goods list"  # G7
    DUPLICATE = "declaration number already registered"  # G1
    WRONG_CARNET_KIND = "foreign/Turkish carnet on the other's regime"  # G3, G4
    MISSING_TRANSIT_DATA = "inland 2600 without vehicle plate"  # E2
    NOT_LATER = "extension to a deadline not later than the current one"  # G6
    # Once known bugs (fixed): each has a test of its own in test_ledger_properties.py.
    NUMBER_OF_ANOTHER_CARNET = "declaration number registered on another carnet"  # G1, service level only
    FOREIGN_DATA_UNDER_TOBB_NUMBER = "foreign carnet typed in under a number TOBB knows"  # G3, G4, G7


KNOWN_BUGS: frozenset[Fault] = frozenset()  # both fixed; the properties generate every fault
# The rules cannot tell from the carnet alone: a 5800 typed in with a DE carnet under a "TR/..." number
# looks valid; what must not happen is the later 2600 letting TOBB's record overwrite it.
NOT_NECESSARILY_REFUSED = frozenset({Fault.FOREIGN_DATA_UNDER_TOBB_NUMBER})


QUANTITY_FAULTS = (Fault.ZERO, Fault.NEGATIVE, Fault.TOO_LARGE, Fault.UNKNOWN_LINE)
LODGE_FAULTS = (Fault.MALFORMED_ID, Fault.DUPLICATE, *QUANTITY_FAULTS)
_REFERENCING_FAULTS = (*LODGE_FAULTS, Fault.UNKNOWN_REF, Fault.WRONG_STATE)
_OFFICER_FAULTS = (Fault.WRONG_ROLE, Fault.WRONG_OFFICE, Fault.UNKNOWN_REF, Fault.WRONG_STATE)
APPLICABLE: dict[Kind, tuple[Fault, ...]] = {
    Kind.ENTRY_5800_BORDER: (
        *LODGE_FAULTS,
        Fault.WRONG_CARNET_KIND,
        Fault.UNKNOWN_REF,
        Fault.NUMBER_OF_ANOTHER_CARNET,
        Fault.FOREIGN_DATA_UNDER_TOBB_NUMBER,
    ),
    Kind.GIRIS_FOREIGN: (*LODGE_FAULTS, Fault.WRONG_CARNET_KIND),
    Kind.ENTRY_5800_INLAND: _REFERENCING_FAULTS,
    Kind.RE_EXPORT_BORDER: _REFERENCING_FAULTS,
    Kind.RE_EXPORT_INLAND: _REFERENCING_FAULTS,
    Kind.ENTRY_2600_BORDER: (*LODGE_FAULTS, Fault.WRONG_CARNET_KIND),
    Kind.ENTRY_2600_AMENDED: (*LODGE_FAULTS, Fault.WRONG_CARNET_KIND),
    Kind.ENTRY_2600_INLAND: (*LODGE_FAULTS, Fault.WRONG_CARNET_KIND, Fault.MISSING_TRANSIT_DATA),
    Kind.CIKIS: _REFERENCING_FAULTS,
    Kind.RE_IMPORT_BORDER: _REFERENCING_FAULTS,
    Kind.GIRIS_2600: _REFERENCING_FAULTS,
    Kind.RE_IMPORT_INLAND: _REFERENCING_FAULTS,
    Kind.ACCEPT: _OFFICER_FAULTS,
    Kind.REJECT: _OFFICER_FAULTS,
    Kind.CANCEL: (Fault.WRONG_DECLARANT, Fault.UNKNOWN_REF, Fault.WRONG_STATE),
    Kind.COMPLETE: _OFFICER_FAULTS,
    Kind.CORRECT: (
        Fault.WRONG_ROLE,
        Fault.WRONG_OFFICE,
        Fault.WRONG_DECLARANT,
        Fault.UNKNOWN_REF,
        Fault.WRONG_STATE,
        Fault.NEGATIVE,
        Fault.TOO_LARGE,
        Fault.UNKNOWN_LINE,
    ),
    Kind.EXTEND: (
        Fault.WRONG_ROLE,
        Fault.WRONG_OFFICE,
        Fault.WRONG_DECLARANT,
        Fault.UNKNOWN_REF,
        Fault.WRONG_STATE,
        Fault.NOT_LATER,
    ),
    Kind.DECIDE: _OFFICER_FAULTS,
}


@dataclass(frozen=True)
class Step:
    kind: Kind
    pick: int = 0  # which carnet or declaration, modulo the candidates there are
    qty: int = 0  # seed of the quantities; for lodgings, 0 (mod 3) lets the system fill the lines
    fault: Fault = Fault.NONE
    flag: bool = False  # a variant: representative, other destination, decide at once...
    through: bool = False  # a valid lodging is accepted and inspected at once, to reach deeper states faster
    approve: bool = True  # for decisions


@dataclass(frozen=True)
class Planned:
    """One concrete command, for one carnet, and whether the rules must refuse it."""

    carnet_number: str
    command: Command
    must_refuse: bool
    step: Step
    tobb_record: CarnetData | None = None  # TOBB's answer to this 2600, when not its usual record (G3)


World = Mapping[str, Carnet | None]


# --- choosing what a step is about -----------------------------------------------------------


def choose(candidates: Sequence[T], pick: int) -> T | None:
    return candidates[pick % len(candidates)] if candidates else None


def declarations(world: World, numbers: Iterable[str] = CARNET_NUMBERS) -> list[tuple[str, Declaration]]:
    found: list[tuple[str, Declaration]] = []
    for number in numbers:
        carnet = world.get(number)
        if carnet is not None:
            found.extend((number, d) for d in carnet.declarations.values())
    return found


def _where(world: World, test: Callable[[Declaration], bool]) -> list[tuple[str, Declaration]]:
    return [(n, d) for n, d in declarations(world) if test(d)]


def _completed(regime: Regime) -> Callable[[Declaration], bool]:
    return lambda d: d.regime is regime and d.status is Status.INSPECTION_COMPLETED


def _foreign_giris(d: Declaration) -> bool:
    return _completed(Regime.TRANSIT_IN)(d) and d.previous_declaration is None


def _giris_to_inland(d: Declaration) -> bool:
    return _foreign_giris(d) and d.destination_office == INLAND


def _giris_of_2600(d: Declaration) -> bool:
    return _completed(Regime.TRANSIT_IN)(d) and d.previous_declaration is not None


def _cikis_source(d: Declaration) -> bool:
    inland_origin = d.office_kind is OfficeKind.INLAND and (
        _completed(Regime.TEMPORARY_EXPORT)(d) or _completed(Regime.RE_EXPORT)(d)
    )
    through = _foreign_giris(d) and d.destination_office in (BORDER, EXIT_BORDER)
    return inland_origin or through


def _cikis_office(d: Declaration) -> str:
    """A ÇIKIŞ starts where its 2600 or 3158 was inspected (E3, R2), or at the GİRİŞ's exit border (X2)."""
    return (d.destination_office or BORDER) if d.regime is Regime.TRANSIT_IN else d.customs_office


def _lodged(d: Declaration) -> bool:
    return d.status is Status.LODGED


def _accepted(d: Declaration) -> bool:
    return d.status is Status.ACCEPTED


def _open_entry(d: Declaration) -> bool:
    return d.regime.is_regime_entry and d.status is Status.INSPECTION_COMPLETED


def _other_carnets_declaration(world: World, carnet_number: str, pick: int) -> str:
    """A reference that this carnet does not hold: another carnet's declaration, or none at all."""
    others = [d.number for n, d in declarations(world) if n != carnet_number]
    return (choose(others, pick) if pick % 2 else None) or f"NOPE-{pick}"


# --- quantities ------------------------------------------------------------------------------


def _lines(room: Mapping[int, int], cap: Mapping[int, int], step: Step, fault: Fault) -> tuple[LineQuantity, ...]:
    """Lines crossing now. `room`: what should fit; `cap`: a bound anything above which must be refused."""
    first = min(room) if room else 1
    if fault is Fault.ZERO:
        return (LineQuantity(line_no=first, quantity=0),)
    if fault is Fault.NEGATIVE:
        return (LineQuantity(line_no=first, quantity=-(1 + step.qty % 5)),)
    if fault is Fault.TOO_LARGE:
        return (LineQuantity(line_no=first, quantity=cap.get(first, 0) + 1 + step.qty % 3),)
    if fault is Fault.UNKNOWN_LINE:
        return (LineQuantity(line_no=99 if step.qty % 2 else 0, quantity=1),)
    if step.qty % 3 == 0:
        return ()  # let the system fill: everything there is room for
    chosen = [no for i, (no, left) in enumerate(sorted(room.items())) if left > 0 and (step.qty >> i) & 1]
    chosen = chosen or [no for no, left in sorted(room.items()) if left > 0][:1]
    return tuple(LineQuantity(line_no=no, quantity=1 + step.qty % room[no]) for no in chosen)


def _exact_lines(previous: Declaration, step: Step, fault: Fault) -> tuple[LineQuantity, ...]:
    """Lines of a declaration filled from its reference: none, the same ones, or contradicting ones."""
    same = {no: ln.quantity for no, ln in previous.lines.items()}
    if fault in QUANTITY_FAULTS:
        return _lines(same, same, step, fault)
    if step.flag:
        return tuple(LineQuantity(line_no=no, quantity=q) for no, q in sorted(same.items()))
    return ()


def _lowered(data: CarnetData, carnet: Carnet | None, qty: int) -> CarnetData:
    """TOBB's record of a Turkish carnet, changed since (G3): one line (chosen by `qty`) lists less, often
    just what is under the regime on it now, or one less than a declaration still open carries."""
    goods = list(data.goods)
    i = qty % len(goods)
    no, listed = goods[i].line_no, goods[i].quantity
    live = [d for d in carnet.declarations.values() if d.status.is_live] if carnet else []
    under = carnet.outstanding_entry(Regime.TEMPORARY_EXPORT, no) if carnet else 0
    carried = max((d.lines[no].quantity for d in live if no in d.lines), default=listed)
    choices = (under, carried - 1, listed - 1)
    goods[i] = goods[i].model_copy(update={"quantity": max(1, choices[qty // len(goods) % len(choices)])})
    return data.model_copy(update={"goods": tuple(goods)})


def _entry_room(carnet: Carnet | None, data: CarnetData, regime: Regime) -> dict[int, int]:
    return {g.line_no: g.quantity - (carnet.outstanding_entry(regime, g.line_no) if carnet else 0) for g in data.goods}


# --- planning --------------------------------------------------------------------------------


@dataclass
class _Planner:
    world: World
    step: Step
    seq: int
    fault: Fault = field(init=False)
    planned: list[Planned] = field(default_factory=list)

    def __post_init__(self) -> None:
        applicable = APPLICABLE[self.step.kind]
        self.fault = self.step.fault if self.step.fault in applicable else Fault.NONE

    @property
    def number(self) -> str:
        return f"ATA{self.seq:04d}"

    def add(
        self,
        carnet_number: str,
        command: Command,
        must_refuse: bool | None = None,
        tobb_record: CarnetData | None = None,
    ) -> None:
        faulty = self.fault is not Fault.NONE and self.fault not in NOT_NECESSARILY_REFUSED
        refuse = faulty if must_refuse is None else must_refuse
        self.planned.append(Planned(carnet_number, command, refuse, self.step, tobb_record))

    def declarant(self) -> DeclarantIn:
        if self.fault is Fault.MALFORMED_ID:
            return MALFORMED
        return REPRESENTATIVE if self.step.flag else HOLDER

    def declaration_number(self, carnet_number: str) -> str:
        """A fresh number, or (DUPLICATE) one this carnet already has; no duplicate to take: a valid step."""
        if self.fault is Fault.NUMBER_OF_ANOTHER_CARNET:
            elsewhere = [d.number for n, d in declarations(self.world) if n != carnet_number]
            if elsewhere:
                return choose(elsewhere, self.step.pick) or self.number
            self.fault = Fault.NONE
        if self.fault is Fault.DUPLICATE:
            taken = [d.number for _, d in declarations(self.world, [carnet_number])]
            if taken:
                return choose(taken, self.step.pick) or self.number
            self.fault = Fault.NONE
        return self.number

    def lodge(
        self,
        carnet_number: str,
        fields: Mapping[str, object],
        inspected_at: str | None = None,
        tobb_record: CarnetData | None = None,
    ) -> None:
        command = LodgeDeclaration.model_validate(
            {
                "declaration_number": self.declaration_number(carnet_number),
                "carnet_number": carnet_number,
                "declarant": self.declarant(),
                **fields,
            }
        )
        self.add(carnet_number, command, tobb_record=tobb_record)
        if self.step.through and self.fault in (Fault.NONE, *NOT_NECESSARILY_REFUSED):  # may or may not apply
            liaison = Actor(role="liaison", office=command.customs_office, officer_id="irtibat-01")
            inspector = Actor(
                role="inspection_officer", office=inspected_at or command.customs_office, officer_id=INSPECTOR_ID
            )
            number = command.declaration_number
            self.add(carnet_number, AcceptDeclaration(declaration_number=number, actor=liaison), must_refuse=False)
            self.add(carnet_number, CompleteInspection(declaration_number=number, actor=inspector), must_refuse=False)

    # entries with their carnet --------------------------------------------------------------

    def entry(self, regime: Regime, office: str, **extra: object) -> None:
        turkish = regime is Regime.TEMPORARY_EXPORT
        under_tobb_number = self.fault is Fault.FOREIGN_DATA_UNDER_TOBB_NUMBER
        family = TURKISH if turkish != (self.fault is Fault.WRONG_CARNET_KIND) or under_tobb_number else FOREIGN
        data = family[self.step.pick % len(family)]
        if under_tobb_number:  # a DE carnet, typed in, whose number is also a Turkish carnet's at TOBB
            data = carnet_data(data.carnet_number, "DE", quantities=(12, 1))
        amended: CarnetData | None = None
        if self.step.kind is Kind.ENTRY_2600_AMENDED and data.carnet_number in TOBB:
            data = amended = _lowered(data, self.world.get(data.carnet_number), self.step.qty)
        carnet = self.world.get(data.carnet_number)
        goods = {g.line_no: g.quantity for g in data.goods}
        room = goods if regime is Regime.TRANSIT_IN else _entry_room(carnet, data, regime)
        typed_in: CarnetData | None = None
        if not turkish:  # a foreign carnet is typed in; on a Turkish number it is Turkish data: refused (G3)
            typed_in = data if family is FOREIGN or under_tobb_number else carnet_data(data.carnet_number, "TR")
        fields = {
            "regime": regime.value,
            "customs_office": office,
            "carnet": typed_in,
            "lines": _lines(room, goods, self.step, self.fault),
        }
        self.lodge(data.carnet_number, {**fields, **extra}, tobb_record=amended)

    # declarations filled from, or drawing on, an earlier one ----------------------------------

    def referencing(
        self,
        valid: Callable[[Declaration], bool],
        regime: Regime,
        office: Callable[[Declaration], str],
        lines: Callable[[Declaration], tuple[LineQuantity, ...]],
        destination: Callable[[Declaration], str | None] = lambda d: None,
    ) -> None:
        if self.fault is Fault.WRONG_STATE:
            target = choose(_where(self.world, lambda d: not valid(d)), self.step.pick)
        else:
            target = choose(_where(self.world, valid), self.step.pick)
        if target is None:
            if self.fault is not Fault.UNKNOWN_REF:
                return  # nothing to refer to yet: the step does nothing
            carnet_number = CARNET_NUMBERS[self.step.pick % len(CARNET_NUMBERS)]
            unknown = _other_carnets_declaration(self.world, carnet_number, self.step.pick)
            self.lodge(
                carnet_number, {"regime": regime.value, "customs_office": BORDER, "previous_declaration": unknown}
            )
            return
        carnet_number, previous = target
        reference = previous.number
        if self.fault is Fault.UNKNOWN_REF:
            reference = _other_carnets_declaration(self.world, carnet_number, self.step.pick)
        inspected_at = office(previous)
        if regime is Regime.TRANSIT_OUT:  # a ÇIKIŞ is inspected at its destination, the exit border (E4, R3, X3)
            filled = previous.destination_office if previous.regime is Regime.TEMPORARY_EXPORT else inspected_at
            inspected_at = destination(previous) or filled or inspected_at
        fields = {
            "regime": regime.value,
            "customs_office": office(previous),
            "previous_declaration": reference,
            "lines": lines(previous),
            "destination_office": destination(previous),
        }
        self.lodge(carnet_number, fields, inspected_at)

    def discharge_lines(self, entry: Declaration) -> tuple[LineQuantity, ...]:
        open_now = {no: ln.open for no, ln in entry.lines.items()}
        return _lines(open_now, open_now, self.step, self.fault)

    def exact_lines(self, previous: Declaration) -> tuple[LineQuantity, ...]:
        return _exact_lines(previous, self.step, self.fault)

    # officers -------------------------------------------------------------------------------

    def officer(self, role: str, office: str) -> Actor:
        if self.fault is Fault.WRONG_OFFICE:
            office = OTHER_OFFICE
        if self.fault is Fault.WRONG_ROLE:
            others = [r for r in ("liaison", "inspection_officer", "director") if r != role]
            role = others[self.step.pick % 2]
        officer_id = {"liaison": "irtibat-01", "inspection_officer": INSPECTOR_ID, "director": "mudur-01"}[role]
        return Actor(role=role, office=office, officer_id=officer_id)

    def target(self, valid: Callable[[Declaration], bool]) -> tuple[str, Declaration] | tuple[str, None] | None:
        """The declaration an officer's or declarant's step is about; (carnet, None): an unknown number."""
        if self.fault is Fault.UNKNOWN_REF:
            return CARNET_NUMBERS[self.step.pick % len(CARNET_NUMBERS)], None
        test = (lambda d: not valid(d)) if self.fault is Fault.WRONG_STATE else valid
        return choose(_where(self.world, test), self.step.pick)


def _declarant_of(d: Declaration) -> DeclarantIn:
    return DeclarantIn(
        id_kind=d.declarant.id_kind, id_value=d.declarant.id_value, name=d.declarant.name, acts_as=d.declarant.acts_as
    )


def plan(world: World, step: Step, seq: int) -> list[Planned]:
    """The commands a step stands for in this state (none when there is nothing to act on)."""
    p = _Planner(world, step, seq)
    k = step.kind
    if k is Kind.ENTRY_5800_BORDER:
        previous = f"NOPE-{seq}" if p.fault is Fault.UNKNOWN_REF else None  # T1: a border 5800 references nothing
        p.entry(Regime.TEMPORARY_IMPORT, BORDER, previous_declaration=previous)
    elif k is Kind.GIRIS_FOREIGN:
        p.entry(Regime.TRANSIT_IN, BORDER, destination_office=EXIT_BORDER if step.flag else INLAND)
    elif k in (Kind.ENTRY_2600_BORDER, Kind.ENTRY_2600_AMENDED):
        p.entry(Regime.TEMPORARY_EXPORT, BORDER)
    elif k is Kind.ENTRY_2600_INLAND:
        plate = None if p.fault is Fault.MISSING_TRANSIT_DATA else "34 ABC 123"
        p.entry(
            Regime.TEMPORARY_EXPORT,
            INLAND,
            destination_office=BORDER if step.flag else EXIT_BORDER,
            transit_period_days=3,
            vehicle_plate=plate,
        )
    elif k is Kind.ENTRY_5800_INLAND:
        p.referencing(_giris_to_inland, Regime.TEMPORARY_IMPORT, lambda d: INLAND, p.exact_lines)
    elif k in (Kind.RE_EXPORT_BORDER, Kind.RE_EXPORT_INLAND):
        office = INLAND if k is Kind.RE_EXPORT_INLAND else (EXIT_BORDER if step.flag else BORDER)
        p.referencing(_completed(Regime.TEMPORARY_IMPORT), Regime.RE_EXPORT, lambda d: office, p.discharge_lines)
    elif k is Kind.CIKIS:
        p.referencing(
            _cikis_source,
            Regime.TRANSIT_OUT,
            _cikis_office,
            p.exact_lines,
            destination=lambda d: EXIT_BORDER if d.regime is Regime.RE_EXPORT else None,
        )
    elif k is Kind.RE_IMPORT_BORDER:
        p.referencing(_completed(Regime.TEMPORARY_EXPORT), Regime.RE_IMPORT, lambda d: BORDER, p.discharge_lines)
    elif k is Kind.GIRIS_2600:
        p.referencing(
            _completed(Regime.TEMPORARY_EXPORT),
            Regime.TRANSIT_IN,
            lambda d: BORDER,
            p.discharge_lines,
            destination=lambda d: INLAND,
        )
    elif k is Kind.RE_IMPORT_INLAND:
        p.referencing(_giris_of_2600, Regime.RE_IMPORT, lambda d: INLAND, p.exact_lines)
    else:
        _plan_office_work(p)
    return p.planned


def _plan_office_work(p: _Planner) -> None:
    step, k = p.step, p.step.kind
    if k in (Kind.ACCEPT, Kind.REJECT, Kind.CANCEL):
        target = p.target(_lodged)
        if target is None:
            return
        carnet_number, d = target
        number = d.number if d else f"NOPE-{p.seq}"
        command: Command
        if k is Kind.ACCEPT:
            officer = step.flag and p.fault is Fault.NONE
            command = AcceptDeclaration(
                declaration_number=number,
                actor=p.officer("liaison", d.customs_office if d else BORDER),
                inspection_officer=INSPECTOR_ID if officer else None,
            )
        elif k is Kind.REJECT:
            command = RejectDeclaration(
                declaration_number=number,
                actor=p.officer("liaison", d.customs_office if d else BORDER),
                reason="eksik belge",
            )
        else:
            who = STRANGER if p.fault is Fault.WRONG_DECLARANT or d is None else _declarant_of(d)
            command = CancelDeclaration(declaration_number=number, declarant=who, reason="vazgeçildi")
        p.add(carnet_number, command)
    elif k is Kind.COMPLETE:
        target = p.target(_accepted)
        if target is None:
            return
        carnet_number, d = target
        actor = p.officer("inspection_officer", d.inspecting_office if d else BORDER)
        p.add(carnet_number, CompleteInspection(declaration_number=d.number if d else f"NOPE-{p.seq}", actor=actor))
    elif k in (Kind.CORRECT, Kind.EXTEND):
        _plan_request(p)
    else:
        _plan_decision(p)


def _plan_request(p: _Planner) -> None:
    """A correction or an extension (G6), decided by the director at once when `flag` (or to test him)."""
    step = p.step
    target = p.target(_open_entry)
    if target is None:
        return
    carnet_number, d = target
    number = d.number if d else f"NOPE-{p.seq}"
    request_id = f"REQ{p.seq:04d}"
    who = STRANGER if p.fault is Fault.WRONG_DECLARANT or d is None else _declarant_of(d)
    carnet = p.world.get(carnet_number)
    request: Command
    decision_faults = (Fault.WRONG_ROLE, Fault.WRONG_OFFICE, Fault.TOO_LARGE)
    if step.kind is Kind.CORRECT:
        lines: tuple[LineQuantity, ...]
        if d is None or p.fault is Fault.UNKNOWN_LINE:
            lines = (LineQuantity(line_no=99, quantity=1),)
        else:
            no = sorted(d.lines)[step.pick % len(d.lines)]
            line = d.lines[no]
            on_list = (carnet.goods_list_quantity(no) if carnet else None) or 0
            if p.fault is Fault.NEGATIVE:
                quantity = -(1 + step.qty % 5)
            elif p.fault is Fault.TOO_LARGE:  # more than the goods list holds for the line (G7)
                quantity = on_list + 1 + step.qty % 3
            elif step.qty < 10:  # on and around the bounds of G7: discharged, entered, the goods list
                bounds = (line.discharged, line.quantity, line.quantity + 1, on_list, on_list + 1)
                quantity = bounds[step.qty % len(bounds)]
            else:  # anywhere from what was discharged up to one more than the goods list
                quantity = line.discharged + step.qty % (max(on_list, line.quantity) - line.discharged + 2)
            lines = (LineQuantity(line_no=no, quantity=quantity),)
        request = RequestCorrection(
            declaration_number=number, declarant=who, request_id=request_id, lines=lines, reason="sayım farkı"
        )
    else:
        deadline = (d.discharge_deadline if d else None) or CLOCK.today
        days = 0 if p.fault is Fault.NOT_LATER else 1 + step.qty * 7
        request = RequestExtension(
            declaration_number=number,
            declarant=who,
            request_id=request_id,
            until=deadline + timedelta(days=days),
            reason="fuar uzadı",
        )
    request_refused = p.fault not in (Fault.NONE, *decision_faults)
    p.add(carnet_number, request, must_refuse=request_refused)
    if step.flag or p.fault in decision_faults:
        approve = step.approve or p.fault is Fault.TOO_LARGE
        decision = DecideRequest(
            declaration_number=number,
            request_id=request_id,
            approve=approve,
            actor=p.officer("director", d.customs_office if d else BORDER),
        )
        refused = request_refused or p.fault in (Fault.WRONG_ROLE, Fault.WRONG_OFFICE)
        refused = refused or (p.fault is Fault.TOO_LARGE and step.kind is Kind.CORRECT)
        p.add(carnet_number, decision, must_refuse=refused)


def _plan_decision(p: _Planner) -> None:
    """The director decides a pending correction or extension (C1, G6)."""
    requests = [(n, d, r.request_id, r.decision is None) for n, d in declarations(p.world) for r in d.requests.values()]
    if p.fault is Fault.UNKNOWN_REF:
        anyone = choose(declarations(p.world), p.step.pick)
        if anyone is None:
            return
        carnet_number, d = anyone
        chosen: tuple[str, Declaration, str] | None = (carnet_number, d, f"NOPE-{p.seq}")
    else:
        pending = p.fault is not Fault.WRONG_STATE
        found = choose([(n, d, r) for n, d, r, open_ in requests if open_ == pending], p.step.pick)
        chosen = found
    if chosen is None:
        return
    carnet_number, d, request_id = chosen
    actor = p.officer("director", d.customs_office)
    p.add(
        carnet_number,
        DecideRequest(declaration_number=d.number, request_id=request_id, approve=p.step.approve, actor=actor),
    )


# --- the pure core, step by step -------------------------------------------------------------


def decide(
    carnet: Carnet | None,
    command: Command,
    ctx: rules.Context | None = None,
    tobb_record: CarnetData | None = None,
) -> rules.Outcome:
    """rules.decide, with TOBB answering a 2600's look-up from its records, or with `tobb_record` (G3)."""
    outcome = rules.decide(carnet, command, CLOCK, ctx)
    if isinstance(outcome, rules.LookUpCarnet):
        assert isinstance(command, LodgeDeclaration)
        found = tobb_record or TOBB.get(outcome.carnet_number)
        outcome = rules.lodge_with_tobb_answer(carnet, command, found, CLOCK, ctx)
    return outcome


@dataclass
class PureDay:
    """The carnets as the pure core leaves them, and every event it applied, per carnet."""

    carnets: dict[str, Carnet | None] = field(default_factory=lambda: dict.fromkeys(CARNET_NUMBERS))
    log: dict[str, list[BaseModel]] = field(default_factory=lambda: {n: [] for n in CARNET_NUMBERS})

    def handle(self, planned: Planned) -> tuple[Carnet | None, rules.Outcome]:
        """Decide one command; returns the carnet as it was given to the rules (a deep copy) and the outcome."""
        given = self.carnets[planned.carnet_number]
        before = copy.deepcopy(given)
        outcome = decide(given, planned.command, self._context(planned), planned.tobb_record)
        assert given == before, "the rules changed the carnet they were given"
        if isinstance(outcome, rules.Applied):
            self.carnets[planned.carnet_number] = outcome.carnet
            self.log[planned.carnet_number].extend(outcome.events)
        return before, outcome

    def _context(self, planned: Planned) -> rules.Context:
        """What the service tells the rules about other carnets: who has a number or a reference (G1)."""

        def holder(number: str | None) -> str | None:
            for carnet_number, carnet in self.carnets.items():
                if number and carnet and carnet_number != planned.carnet_number and number in carnet.declarations:
                    return carnet_number
            return None

        command = planned.command
        taken = holder(command.declaration_number) if isinstance(command, LodgeDeclaration) else None
        return rules.Context(
            reference_carnet=holder(getattr(command, "previous_declaration", None)), number_taken_by=taken
        )
