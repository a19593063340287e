"""Extension of the re-export/re-import period and post-inspection correction (G6): lodged by the
declarant, decided by the customs director or deputy (C1)."""

from __future__ import annotations

from hub.domain import events as ev
from hub.domain.commands import DecideRequest, RequestCorrection, RequestExtension
from hub.domain.model import Carnet, Declaration, Role, Status
from hub.domain.rules.base import Clock, Decision, Outcome, decides, refuse_unless
from hub.domain.rules.ledger import ledger, nothing_open, reserved
from hub.domain.rules.office import check_actor, check_declarant, find


def _open_entry(carnet: Carnet | None, number: str, what: str) -> Declaration:
    d = find(carnet, number)
    refuse_unless(
        d.regime.is_regime_entry and d.status is Status.INSPECTION_COMPLETED,
        "G6",
        f"{what} is asked on an open 5800 or 2600 after its inspection; {d.number} is a {d.regime}, {d.status}",
    )
    return d


@decides
def request_correction(carnet: Carnet | None, cmd: RequestCorrection, clock: Clock) -> Outcome:
    d = _open_entry(carnet, cmd.declaration_number, "a correction")
    check_declarant(cmd.declarant, d, "G6")
    refuse_unless(cmd.request_id not in d.requests, "G6", f"request {cmd.request_id} exists already")
    assert carnet is not None  # find() found the declaration on it
    seen: set[int] = set()
    for line in cmd.lines:
        refuse_unless(line.line_no in d.lines, "G7", f"{d.number} has no line {line.line_no}")
        refuse_unless(line.line_no not in seen, "G7", f"line {line.line_no} is corrected twice")
        seen.add(line.line_no)
        refuse_unless(line.quantity >= 0, "G7", f"line {line.line_no}: a quantity cannot be negative")
        _within_goods_list(carnet, d, line.line_no, line.quantity)
    decision = Decision(carnet)
    decision.emit(
        ev.CorrectionRequested(
            declaration_number=d.number,
            request_id=cmd.request_id,
            lines=tuple((ln.line_no, ln.quantity) for ln in cmd.lines),
            reason=cmd.reason,
        )
    )
    return decision.applied()


@decides
def request_extension(carnet: Carnet | None, cmd: RequestExtension, clock: Clock) -> Outcome:
    d = _open_entry(carnet, cmd.declaration_number, "an extension")
    check_declarant(cmd.declarant, d, "G6")
    refuse_unless(cmd.request_id not in d.requests, "G6", f"request {cmd.request_id} exists already")
    refuse_unless(
        d.discharge_deadline is None or cmd.until > d.discharge_deadline,
        "G6",
        f"an extension moves the deadline later than {d.discharge_deadline}",
    )
    decision = Decision(carnet)
    decision.emit(
        ev.ExtensionRequested(
            declaration_number=d.number, request_id=cmd.request_id, until=cmd.until, reason=cmd.reason
        )
    )
    return decision.applied()


@decides
def decide(carnet: Carnet | None, cmd: DecideRequest, clock: Clock) -> Outcome:
    """An approved correction changes quantities through the ledger (G7); an approved extension
    moves the deadline, beyond the carnet's validity if need be (V1 allows it for an extension)."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.DIRECTOR, d.customs_office, "decide corrections and extensions")
    request = d.requests.get(cmd.request_id)
    refuse_unless(request is not None, "G6", f"{d.number} has no request {cmd.request_id}")
    assert request is not None and carnet is not None
    refuse_unless(request.decision is None, "G6", f"request {cmd.request_id} was {request.decision} already")
    decided = ev.RequestDecided(
        declaration_number=d.number, request_id=request.request_id, kind=request.kind, approved=cmd.approve,
        by=cmd.actor, note=cmd.note,
    )  # fmt: skip
    if cmd.approve and request.kind == "correction":
        _check_correction(carnet, d, request.lines)
        corrected = tuple(
            line.model_copy(update={"entered": new, "open": new - line.discharged})
            for line in ledger(carnet, d, set(request.lines))
            for new in (request.lines[line.line_no],)
        )
        decided = decided.model_copy(update={"ledger": corrected})
    elif cmd.approve:
        refuse_unless(d.status is Status.INSPECTION_COMPLETED, "G6", f"{d.number} is {d.status} now")
        refuse_unless(
            d.discharge_deadline is None or (request.until is not None and request.until > d.discharge_deadline),
            "G6",
            f"{request.request_id} asks for {request.until}; the deadline is already {d.discharge_deadline}",
        )
        decided = decided.model_copy(update={"discharge_deadline": request.until})
    decision = Decision(carnet)
    decision.emit(decided)
    after = decision.carnet
    assert after is not None
    if cmd.approve and request.kind == "correction" and nothing_open(after.declarations[d.number]):
        decision.emit(
            ev.DeclarationClosed(
                declaration_number=d.number, status=Status.CLOSED.value, rule="G6",
                reason=f"corrected by {request.request_id}: nothing left open",
            )
        )  # fmt: skip
    return decision.applied()


def _within_goods_list(carnet: Carnet, d: Declaration, line_no: int, quantity: int) -> None:
    # G7: no carnet line may enter beyond its goods-list quantity. A correction says how many entered on
    # this declaration, so it is bounded by the goods list itself, whatever was discharged since.
    on_list = carnet.goods_list_quantity(line_no) or 0
    refuse_unless(
        quantity <= on_list,
        "G7",
        f"line {line_no} of {d.number} cannot be corrected to {quantity}: the goods list of carnet "
        f"{carnet.number} holds {on_list} of it",
    )


def _check_correction(carnet: Carnet, d: Declaration, lines: dict[int, int]) -> None:
    """Checked again when decided: discharges, other entries and TOBB's record may have moved since."""
    refuse_unless(d.status is Status.INSPECTION_COMPLETED, "G6", f"{d.number} is {d.status} now")
    for line_no, quantity in lines.items():
        line = d.lines[line_no]
        floor = line.discharged + reserved(carnet, d, line_no)
        refuse_unless(
            quantity >= floor,
            "G7",
            f"line {line_no}: {quantity} is less than the {floor} already discharged or on its way back",
        )
        _within_goods_list(carnet, d, line_no, quantity)
        # G7: nor may the line be under the regime beyond the goods list, counting the other entries.
        others = carnet.outstanding_entry(d.regime, line_no) - line.open
        on_list = carnet.goods_list_quantity(line_no) or 0
        left_open = quantity - line.discharged
        refuse_unless(
            others + left_open <= on_list,
            "G7",
            f"line {line_no} of {d.number} corrected to {quantity} would leave {left_open} open: with the "
            f"{others} under {d.regime} on other declarations, {others + left_open}: more than the {on_list} "
            "of the goods list",
        )
