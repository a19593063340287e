"""Discharge monitoring (V2): open regime entries near or past their deadline, each flagged once."""

from __future__ import annotations

from hub.domain import events as ev
from hub.domain.model import Carnet, Status
from hub.domain.rules.base import Applied, Clock, Decision
from hub.domain.rules.ledger import ledger


def check_deadlines(carnet: Carnet, clock: Clock, warn_days: int) -> Applied:
    """'Deadline approaching' from `warn_days` before, 'deadline passed, undischarged' after: once each."""
    decision = Decision(carnet)  # rule: V2
    for d in sorted(carnet.declarations.values(), key=lambda x: x.number):
        if not (d.regime.is_regime_entry and d.status is Status.INSPECTION_COMPLETED and d.discharge_deadline):
            continue
        days_left = (d.discharge_deadline - clock.today).days
        open_lines = tuple(line for line in ledger(carnet, d) if line.open > 0)
        if days_left < 0 and not d.deadline_passed:
            decision.emit(
                ev.DeadlinePassed(
                    declaration_number=d.number,
                    discharge_deadline=d.discharge_deadline,
                    open_lines=open_lines,
                    guaranteeing_association=carnet.data.issuing_chamber,
                )
            )
        elif 0 <= days_left <= warn_days and not d.deadline_warned and not d.deadline_passed:
            decision.emit(
                ev.DeadlineApproaching(
                    declaration_number=d.number,
                    discharge_deadline=d.discharge_deadline,
                    days_left=days_left,
                    open_lines=open_lines,
                )
            )
    return Applied(decision.carnet or carnet, decision.events)
