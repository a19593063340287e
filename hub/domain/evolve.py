"""How each event changes a carnet. The rules decide events; this is the only place state changes.

Replaying a carnet's events from its first CarnetRecorded rebuilds exactly the stored carnet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from pydantic import BaseModel

from hub.domain import events as ev
from hub.domain.model import (
    ENTRIES_KEY,
    Carnet,
    CarnetSource,
    Declarant,
    Declaration,
    DeclarationLine,
    LineDocument,
    OfficeKind,
    Regime,
    Request,
    Status,
    add_entries,
)


class CannotApply(ValueError):
    """An event that does not fit the state: the log and the state disagree."""


def evolve(carnet: Carnet | None, event: BaseModel) -> Carnet:
    """Apply one event to a copy of the carnet; the carnet given is left as it was.

    Copy on write: the copy shares every declaration the event does not touch, and the one it touches
    is copied before it changes. So a carnet's cost per event does not grow with its history, and
    the store finds what changed by identity (hub/store/carnets.py).
    """
    if isinstance(event, ev.CarnetRecorded):
        if carnet is None:
            return Carnet(data=event.carnet, source=CarnetSource(event.source))
        return dataclasses.replace(
            carnet, data=event.carnet, source=CarnetSource(event.source), declarations=dict(carnet.declarations)
        )
    if carnet is None:
        raise CannotApply(f"{type(event).__name__} before the carnet was recorded")
    before = carnet
    carnet = dataclasses.replace(carnet, declarations=dict(carnet.declarations))
    _apply(carnet, event)
    _carry_entries(before, carnet, getattr(event, "declaration_number", None))
    return carnet


def _carry_entries(before: Carnet, after: Carnet, number: str | None) -> None:
    """Carry what is held open per line (Carnet.entries) forward for the one declaration that changed."""
    if number is None or ENTRIES_KEY not in before.__dict__:
        return  # nothing derived yet: the new carnet derives it when first asked
    entries = dict(before.entries())
    if (was := before.declarations.get(number)) is not None:
        add_entries(entries, was, -1)
    if (now := after.declarations.get(number)) is not None:
        add_entries(entries, now, +1)
    after.__dict__[ENTRIES_KEY] = entries


def replay(events: Iterable[BaseModel], carnet: Carnet | None = None) -> Carnet | None:
    for event in events:
        carnet = evolve(carnet, event)
    return carnet


def _declaration(carnet: Carnet, number: str) -> Declaration:
    """The declaration an event changes, copied into the carnet's copy first (copy on write)."""
    try:
        touched = _copy(carnet.declarations[number])
    except KeyError:
        raise CannotApply(f"no declaration {number} on carnet {carnet.number}") from None
    carnet.declarations[number] = touched
    return touched


def _copy(d: Declaration) -> Declaration:
    """A copy of everything `_apply` may change in a declaration (far cheaper than a deepcopy): its
    fields, its lines with their document and note lists, its requests with their lines."""
    return dataclasses.replace(
        d,
        lines={
            n: dataclasses.replace(ln, documents=list(ln.documents), notes=list(ln.notes)) for n, ln in d.lines.items()
        },
        requests={k: dataclasses.replace(r, lines=dict(r.lines)) for k, r in d.requests.items()},
    )


def _set_ledger(declaration: Declaration, ledger: tuple[ev.LedgerLine, ...]) -> None:
    for line in ledger:
        target = declaration.lines[line.line_no]
        target.quantity, target.discharged = line.entered, line.discharged


def _apply(carnet: Carnet, event: BaseModel) -> None:
    match event:
        case ev.DeclarationLodged():
            carnet.declarations[event.declaration_number] = Declaration(
                number=event.declaration_number,
                regime=Regime(event.regime),
                customs_office=event.customs_office,
                office_kind=OfficeKind(event.office_kind),
                status=Status(event.status),
                declarant=Declarant(**event.declarant.model_dump()),
                lodged_at=event.lodged_at,
                lines={ln.line_no: DeclarationLine(ln.line_no, ln.quantity) for ln in event.lines},
                previous_declaration=event.previous_declaration,
                destination_office=event.destination_office,
                transit_period_days=event.transit_period_days,
                vehicle_plate=event.vehicle_plate,
                summary=event.summary,
            )
        case ev.LegacyDeclarationImported():
            carnet.declarations[event.declaration_number] = Declaration(
                number=event.declaration_number,
                regime=Regime(event.regime),
                customs_office=event.customs_office,
                office_kind=OfficeKind(event.office_kind),
                status=Status.INSPECTION_COMPLETED,
                declarant=Declarant("BİLGE", event.declaration_number, event.holder_name, "holder"),
                lodged_at=event.registered_at,
                lines={ln.line_no: DeclarationLine(ln.line_no, ln.quantity) for ln in event.lines},
                discharge_deadline=event.discharge_deadline,
                legacy=True,
            )
        case ev.SummaryClosureRecorded():
            _declaration(carnet, event.declaration_number).summary_closed = True
        case ev.DeclarationAccepted():
            d = _declaration(carnet, event.declaration_number)
            d.status, d.accepted_by, d.inspection_officer = (
                Status(event.status),
                event.by.officer_id,
                event.inspection_officer,
            )
        case ev.DeclarationRejected() | ev.DeclarationCancelled():
            _declaration(carnet, event.declaration_number).status = Status(event.status)
        case ev.InspectionReassigned():
            _declaration(carnet, event.declaration_number).inspection_officer = event.inspection_officer
        case ev.InspectionCompleted():
            d = _declaration(carnet, event.declaration_number)
            d.status, d.inspected_by = Status(event.status), event.by.officer_id
            d.discharge_deadline, d.voucher_number = event.discharge_deadline, event.voucher_number
            _set_ledger(d, event.ledger)
        case ev.GoodsDischarged():
            _set_ledger(_declaration(carnet, event.declaration_number), event.ledger)
        case ev.DeclarationClosed():
            d = _declaration(carnet, event.declaration_number)
            d.status, d.closed_by = Status(event.status), event.rule
        case ev.CorrectionRequested():
            _declaration(carnet, event.declaration_number).requests[event.request_id] = Request(
                event.request_id, "correction", event.reason, lines=dict(event.lines)
            )
        case ev.ExtensionRequested():
            _declaration(carnet, event.declaration_number).requests[event.request_id] = Request(
                event.request_id, "extension", event.reason, until=event.until
            )
        case ev.RequestDecided():
            d = _declaration(carnet, event.declaration_number)
            d.requests[event.request_id].decision = "approved" if event.approved else "rejected"
            if event.approved:
                _set_ledger(d, event.ledger)
                if event.discharge_deadline is not None:
                    d.discharge_deadline, d.extended = event.discharge_deadline, True
                    d.deadline_warned = d.deadline_passed = False  # a new deadline gets its own warnings
        case ev.LineDocumentAttached():
            _declaration(carnet, event.declaration_number).lines[event.line_no].documents.append(
                LineDocument(event.name, event.document_type, event.sha256, event.location, event.attached_by)
            )
        case ev.LineExplained():
            _declaration(carnet, event.declaration_number).lines[event.line_no].notes.append(event.note)
        case ev.DeadlineApproaching():
            _declaration(carnet, event.declaration_number).deadline_warned = True
        case ev.DeadlinePassed():
            _declaration(carnet, event.declaration_number).deadline_passed = True
        case _:
            raise CannotApply(f"{type(event).__name__} does not change a carnet")
