"""The quantity ledger of regime-entry declarations (G7): what is open, reserved, available."""

from __future__ import annotations

from hub.domain import events as ev
from hub.domain.model import Carnet, Declaration, Regime


def ledger(carnet: Carnet, declaration: Declaration, only: set[int] | None = None) -> tuple[ev.LedgerLine, ...]:
    return tuple(
        ev.LedgerLine(
            line_no=ln.line_no,
            goods_list_quantity=carnet.goods_list_quantity(ln.line_no) or 0,
            entered=ln.quantity,
            discharged=ln.discharged,
            open=ln.open,
        )
        for ln in sorted(declaration.lines.values(), key=lambda x: x.line_no)
        if only is None or ln.line_no in only
    )


def referenced(carnet: Carnet, declaration: Declaration) -> Declaration | None:
    return carnet.declarations.get(declaration.previous_declaration or "")


def discharge_target(carnet: Carnet, declaration: Declaration) -> Declaration | None:
    """The regime-entry declaration a 3158 or 6326 discharges: directly, or through its GİRİŞ (I2)."""
    if not declaration.regime.is_discharge:
        return None
    previous = referenced(carnet, declaration)
    if previous is not None and previous.regime is Regime.TRANSIT_IN:
        previous = referenced(carnet, previous)
    return previous if previous is not None and previous.regime.is_regime_entry else None


def reserved(carnet: Carnet, entry: Declaration, line_no: int) -> int:
    """Quantities on their way back (lodged, not yet applied): a live 3158 or 6326 referencing the
    entry, or a live GİRİŞ bringing its goods back (the 6326 behind a GİRİŞ is covered by it)."""
    total = 0
    for d in carnet.declarations.values():
        carries_back = d.regime.is_discharge or d.regime is Regime.TRANSIT_IN
        if d.status.is_live and carries_back and d.previous_declaration == entry.number and line_no in d.lines:
            total += d.lines[line_no].quantity
    return total


def available(carnet: Carnet, entry: Declaration, line_no: int) -> int:
    line = entry.lines.get(line_no)
    return 0 if line is None else line.open - reserved(carnet, entry, line_no)


def nothing_open(entry: Declaration) -> bool:
    return all(line.open == 0 for line in entry.lines.values())
