"""TCGBs lodged in BİLGE drawing down e-ATA/TR declarations (F1, F2): final import or export,
warehousing or exemption, through the same quantity ledger as re-export and re-import."""

from __future__ import annotations

from collections import defaultdict

from hub.domain.bilge import DrawDownByTcgb, TcgbAnswered, TcgbItemAnswer, TcgbRow
from hub.domain.events import TcgbItemDrawn, TcgbReference
from hub.domain.model import Carnet, Status
from hub.domain.rules.base import Clock, Decision, Outcome, Refused, decides
from hub.domain.rules.ledger import available
from hub.domain.rules.office import draw_down


def _row_problem(carnet: Carnet | None, row: TcgbRow, drawn: int) -> str | None:
    """Why this row cannot be applied, given `drawn` already taken from its line by earlier rows."""
    d = carnet.declarations.get(row.declaration_number) if carnet else None
    if d is None:
        return f"e-ATA/TR declaration {row.declaration_number} is not registered for this carnet"
    if not d.regime.is_regime_entry:
        return f"{d.number} is a {d.regime}: a TCGB draws down a 5800 or 2600"
    if d.status is not Status.INSPECTION_COMPLETED:
        return f"{d.number} is {d.status}: only an open regime entry can be drawn down"
    if row.line_no not in d.lines:
        return f"{d.number} has no goods line {row.line_no}"
    if row.quantity < 1:
        return f"quantity {row.quantity} is not at least 1"
    assert carnet is not None
    left = available(carnet, d, row.line_no) - drawn
    if row.quantity > left:
        return f"{row.quantity} drawn down, only {left} open on {d.number} line {row.line_no}"
    return None


def _problems(carnet: Carnet | None, cmd: DrawDownByTcgb) -> list[tuple[TcgbRow, str | None]]:
    drawn: dict[tuple[str, int], int] = defaultdict(int)
    out = []
    for row in cmd.rows:
        problem = _row_problem(carnet, row, drawn[(row.declaration_number, row.line_no)])
        if problem is None:
            drawn[(row.declaration_number, row.line_no)] += row.quantity
        out.append((row, problem))
    return out


def _item(row: TcgbRow, problem: str | None = None) -> TcgbItemDrawn:
    return TcgbItemDrawn(
        item_no=row.item_no,
        declaration_number=row.declaration_number,
        line_no=row.line_no,
        quantity=row.quantity,
        problem=problem,
    )


def named(cmd: DrawDownByTcgb) -> TcgbReference:
    """The TCGB a command draws down by, without items: what a refusal of the whole command names (V1...)."""
    return TcgbReference(tcgb_number=cmd.tcgb_number)


@decides
def draw_down_by_tcgb(carnet: Carnet | None, cmd: DrawDownByTcgb, clock: Clock) -> Outcome:
    """All rows for this carnet, or none: a TCGB is registered in BİLGE as a whole (F2).

    Its outcome names the TCGB: each GoodsDischarged (and the DeclarationClosed it causes) carries the
    TCGB's number and its items on that declaration; a refusal names the items that failed, and why."""
    failing = [(row, why) for row, why in _problems(carnet, cmd) if why is not None]
    if failing:  # rule: F2, the TCGB and its failing items named in the refusal
        reason = f"TCGB {cmd.tcgb_number}: " + "; ".join(f"item {row.item_no}: {why}" for row, why in failing)
        items = tuple(_item(row, why) for row, why in failing)
        return Refused("F2", reason, TcgbReference(tcgb_number=cmd.tcgb_number, items=items))
    decision = Decision(carnet)  # rule: F1, final import/export, warehousing or exemption in BİLGE
    by_entry: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows_of: dict[str, list[TcgbRow]] = defaultdict(list)
    for row in cmd.rows:
        by_entry[row.declaration_number][row.line_no] += row.quantity
        rows_of[row.declaration_number].append(row)
    for entry, quantities in by_entry.items():
        tcgb = TcgbReference(tcgb_number=cmd.tcgb_number, items=tuple(_item(row) for row in rows_of[entry]))
        draw_down(decision, entry, dict(quantities), f"TCGB {cmd.tcgb_number}", "F2", tcgb)
    return decision.applied()


def answer(carnet: Carnet | None, cmd: DrawDownByTcgb, outcome: Outcome) -> TcgbAnswered:
    """What BİLGE is told, per item: applied, or refused with the reason (F2). A command refused as a
    whole before its rows were looked at (V1 on the hub's clock, G1) gives every item that reason."""
    refused = outcome if isinstance(outcome, Refused) else None
    whole = refused.reason if refused is not None and refused.rule != "F2" else None

    def reason(why: str | None) -> str:
        if refused is None:
            return ""
        return whole or why or "not applied: another item of the TCGB was refused"

    items = tuple(
        TcgbItemAnswer(
            item_no=row.item_no,
            declaration_number=row.declaration_number,
            line_no=row.line_no,
            accepted=refused is None,
            reason=reason(why),
        )
        for row, why in _problems(carnet, cmd)
    )
    rule = refused.rule if refused is not None else None
    return TcgbAnswered(tcgb_number=cmd.tcgb_number, accepted=refused is None, rule=rule, items=items)
