"""Customs office work (C1): acceptance, rejection, cancellation, reassignment, inspection, and the
closures an inspection triggers (I2, I3, T4, R3, X3, E4), decided in the same step."""

from __future__ import annotations

from hub.domain import events as ev
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CancelDeclaration,
    CompleteInspection,
    DeclarantIn,
    ReassignInspection,
    RejectDeclaration,
)
from hub.domain.model import Carnet, Declaration, OfficeKind, Regime, Role, Status
from hub.domain.rules.base import Clock, Decision, Outcome, decides, refuse_unless
from hub.domain.rules.ledger import ledger, nothing_open, referenced


def find(carnet: Carnet | None, number: str) -> Declaration:
    declaration = carnet.declarations.get(number) if carnet else None
    refuse_unless(declaration is not None, "G1", f"no declaration {number} is registered for this carnet")
    assert declaration is not None
    return declaration


def check_actor(actor: Actor, role: Role, office: str, action: str) -> None:
    refuse_unless(actor.role == role.value, "C1", f"only the {role.value} profile may {action}, not {actor.role!r}")
    refuse_unless(
        actor.office == office, "C1", f"this is for office {office}; officer {actor.officer_id} is at {actor.office}"
    )


def check_declarant(declarant: DeclarantIn, declaration: Declaration, rule: str) -> None:
    refuse_unless(
        (declarant.id_kind, declarant.id_value) == (declaration.declarant.id_kind, declaration.declarant.id_value),
        rule,
        f"only the declarant of {declaration.number} may do this",
    )


def _status(declaration: Declaration, allowed: Status, action: str) -> None:
    refuse_unless(
        declaration.status is allowed,
        "G1",
        f"declaration {declaration.number} is {declaration.status}; only a {allowed} one can be {action}",
    )


@decides
def accept(carnet: Carnet | None, cmd: AcceptDeclaration, clock: Clock) -> Outcome:
    """The liaison service of the lodging office accepts it (C1), naming its inspector if it wishes."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.LIAISON, d.customs_office, "accept declarations")
    _status(d, Status.LODGED, "accepted")
    decision = Decision(carnet)
    decision.emit(
        ev.DeclarationAccepted(
            declaration_number=d.number,
            status=Status.ACCEPTED.value,
            by=cmd.actor,
            # A director's earlier reassignment stands unless the liaison names someone (C1).
            inspection_officer=cmd.inspection_officer or d.inspection_officer,
        )
    )
    return decision.applied()


@decides
def reject(carnet: Carnet | None, cmd: RejectDeclaration, clock: Clock) -> Outcome:
    """The liaison service refuses a lodged declaration (C1); what it held is released."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.LIAISON, d.customs_office, "reject declarations")
    _status(d, Status.LODGED, "rejected")
    decision = Decision(carnet)
    decision.emit(
        ev.DeclarationRejected(
            declaration_number=d.number, status=Status.REJECTED.value, by=cmd.actor, reason=cmd.reason
        )
    )
    return decision.applied()


@decides
def cancel(carnet: Carnet | None, cmd: CancelDeclaration, clock: Clock) -> Outcome:
    """The declarant withdraws a declaration before it is accepted (G2: only who lodged it)."""
    d = find(carnet, cmd.declaration_number)
    check_declarant(cmd.declarant, d, "G2")
    _status(d, Status.LODGED, "cancelled")
    decision = Decision(carnet)
    decision.emit(
        ev.DeclarationCancelled(declaration_number=d.number, status=Status.CANCELLED.value, reason=cmd.reason)
    )
    return decision.applied()


@decides
def reassign(carnet: Carnet | None, cmd: ReassignInspection, clock: Clock) -> Outcome:
    """The director (or deputy) of the inspecting office gives the inspection to another officer (C1)."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.DIRECTOR, d.inspecting_office, "reassign the inspection officer")
    refuse_unless(
        d.status in (Status.LODGED, Status.ACCEPTED),
        "C1",
        f"declaration {d.number} is {d.status}: its inspection can no longer be reassigned",
    )
    decision = Decision(carnet)
    decision.emit(
        ev.InspectionReassigned(declaration_number=d.number, inspection_officer=cmd.inspection_officer, by=cmd.actor)
    )
    return decision.applied()


@decides
def complete_inspection(carnet: Carnet | None, cmd: CompleteInspection, clock: Clock) -> Outcome:
    """The inspection officer completes inspection and approves the goods list (C1), and whatever it
    closes closes with it: T4, I2, I3, R3, X3, E4."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.INSPECTION_OFFICER, d.inspecting_office, "complete inspections")
    refuse_unless(
        d.inspection_officer in (None, cmd.actor.officer_id),
        "C1",
        f"the inspection of {d.number} is assigned to {d.inspection_officer}",
    )
    _status(d, Status.ACCEPTED, "inspected")
    assert carnet is not None
    decision = Decision(carnet)
    entry = d.regime.is_regime_entry
    refuse_unless(
        not entry or clock.today <= carnet.data.valid_until,
        "V1",
        f"carnet {carnet.number} expired on {carnet.data.valid_until.isoformat()}",
    )
    decision.emit(
        ev.InspectionCompleted(
            declaration_number=d.number,
            regime=d.regime.value,
            status=Status.INSPECTION_COMPLETED.value,
            by=cmd.actor,
            ledger=ledger(carnet, d) if entry else (),
            discharge_deadline=carnet.data.valid_until if entry else None,
            voucher_number=cmd.voucher_number,  # rule: G8, the paper voucher is recorded, not replaced
        )
    )
    _cascade(decision, d.number)
    return decision.applied()


def _close(decision: Decision, number: str, rule: str, reason: str, tcgb: ev.TcgbReference | None = None) -> None:
    decision.emit(
        ev.DeclarationClosed(declaration_number=number, status=Status.CLOSED.value, rule=rule, reason=reason, tcgb=tcgb)
    )


def discharge(decision: Decision, entry_number: str, by: Declaration, rule: str) -> None:
    """Draw the entry down by `by`'s quantities (G7), and close it once nothing is open."""
    draw_down(decision, entry_number, {n: ln.quantity for n, ln in by.lines.items()}, by.number, rule)


def draw_down(
    decision: Decision,
    entry_number: str,
    quantities: dict[int, int],
    by: str,
    rule: str,
    tcgb: ev.TcgbReference | None = None,
) -> None:
    """The one way quantities leave a regime entry: 3158, 6326 and TCGBs alike (G7, F2). A TCGB's
    drawing-down names the TCGB and its items (`tcgb`) in the discharge, and in the closure it causes."""
    carnet = decision.carnet
    assert carnet is not None
    entry = carnet.declarations[entry_number]
    decision.emit(
        ev.GoodsDischarged(
            declaration_number=entry.number,
            discharged_by=by,
            rule=rule,
            ledger=tuple(
                line.model_copy(
                    update={
                        "discharged": line.discharged + quantities[line.line_no],
                        "open": line.open - quantities[line.line_no],
                    }
                )
                for line in ledger(carnet, entry, set(quantities))
            ),
            tcgb=tcgb,
        )
    )
    carnet = decision.carnet
    assert carnet is not None
    if nothing_open(carnet.declarations[entry_number]):
        _close(decision, entry_number, rule, f"nothing left open: the last goods discharged by {by}", tcgb)


def _cascade(decision: Decision, number: str) -> None:
    carnet = decision.carnet
    assert carnet is not None
    d = carnet.declarations[number]
    previous = referenced(carnet, d)
    match d.regime:
        case Regime.TEMPORARY_IMPORT if previous is not None:  # inland 5800: its GİRİŞ closes (T4)
            _close(decision, previous.number, "T4", f"the inland 5800 {d.number} completed inspection")
        case Regime.RE_EXPORT if d.office_kind is OfficeKind.BORDER and previous is not None:
            discharge(decision, previous.number, d, "R1")  # goods left at the border
            _close(decision, d.number, "R1", f"re-exported at border office {d.customs_office}")
        case Regime.RE_IMPORT if previous is not None and previous.regime is Regime.TEMPORARY_EXPORT:
            discharge(decision, previous.number, d, "I3")  # at the border, straight on the 2600
            _close(decision, d.number, "I3", f"re-imported at border office {d.customs_office}")
        case Regime.RE_IMPORT if previous is not None and previous.regime is Regime.TRANSIT_IN:
            _close(decision, previous.number, "I2", f"the inland 6326 {d.number} completed inspection")
            discharge(decision, previous.previous_declaration or "", d, "I2")
            _close(decision, d.number, "I2", f"re-imported at inland office {d.customs_office}")
        case Regime.TRANSIT_OUT if previous is not None:
            _transit_out_completed(decision, d, previous)
        case _:
            pass  # regime entries stay open; GİRİŞ is presented to its destination; inland 3158 waits (R3)


def _transit_out_completed(decision: Decision, transit: Declaration, previous: Declaration) -> None:
    where = transit.destination_office
    if previous.regime is Regime.TRANSIT_IN:  # X3: through Türkiye, in at one border, out at another
        _close(decision, previous.number, "X3", f"the goods left Türkiye at {where}")
        _close(decision, transit.number, "X3", f"the goods left Türkiye at {where}")
    elif previous.regime is Regime.RE_EXPORT:  # R3: only now the inland 3158 closes and discharges
        _close(decision, transit.number, "R3", f"the goods left Türkiye at {where}")
        entry = previous.previous_declaration or ""
        discharge(decision, entry, previous, "R3")
        _close(decision, previous.number, "R3", f"its ÇIKIŞ {transit.number} completed at {where}")
    else:  # E4: the goods of the 2600 are abroad; the 2600 stays open until they come back
        _close(decision, transit.number, "E4", f"the goods of {previous.number} left Türkiye at {where}")
