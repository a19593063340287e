"""What every lodgement path shares: the lodgement being judged, validity, registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.domain import events as ev
from hub.domain.commands import LineQuantity, LodgeDeclaration
from hub.domain.model import Carnet, Declaration, OfficeKind, Regime, Status
from hub.domain.offices import Office
from hub.domain.rules.base import Clock, Context, Decision, refuse_unless


@dataclass(frozen=True)
class Lodging:
    """One lodgement being judged."""

    cmd: LodgeDeclaration
    regime: Regime
    office: Office
    clock: Clock
    ctx: Context


def refuse_unless_border(office: Office | None, rule: str, what: str) -> None:
    refuse_unless(
        office is not None and office.kind is OfficeKind.BORDER,
        rule,
        f"{what} must be a border office, {office.name if office else 'none'} is not",
    )


def check_validity(carnet: Carnet, clock: Clock, entry: Declaration | None = None) -> None:
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


# --- registration -----------------------------------------------------------------------------


def emit_lodged(
    decision: Decision, lodging: Lodging, lines: list[LineQuantity], destination: str | None = None
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
            summary=cmd.summary,
        )
    )
