"""Legacy declarations (L1, L2): a carnet whose 5800 or 2600 was lodged in BİLGE before e-ATA/TR is
finished in e-ATA/TR by referencing the BİLGE declaration number."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from hub.domain import events as ev
from hub.domain.bilge import ATA_REGIMES_IN_BILGE
from hub.domain.model import CarnetSource, Declaration, OfficeKind, Regime
from hub.domain.rules.base import Decision, LookUpLegacy, Pending, refuse_unless
from hub.domain.rules.common import Lodging

# BİLGE declaration numbers: year (2), office code (6), declaration type (2 letters), sequence (6).
TURKEY = ZoneInfo("Europe/Istanbul")
_BILGE_NUMBER = re.compile(r"^\d{8}[A-Z]{2}\d{6}$")


def is_bilge_number(number: str | None) -> bool:
    return number is not None and _BILGE_NUMBER.fullmatch(number) is not None


def import_legacy(decision: Decision, lodging: Lodging) -> Declaration:
    """Take the BİLGE declaration as the regime entry to discharge, once BİLGE has given it (L1)."""
    cmd, ctx = lodging.cmd, lodging.ctx
    number = cmd.previous_declaration or ""
    legacy = ctx.legacy
    if legacy is None or legacy.bilge_number != number:
        raise Pending(LookUpLegacy(number))
    refuse_unless(
        legacy.regime in ("5800", "2600"),
        "L1",
        f"BİLGE declaration {number} is a {legacy.regime}: only a 5800 or 2600 is finished in e-ATA/TR",
    )
    refuse_unless(
        legacy.carnet.carnet_number == cmd.carnet_number,
        "L1",
        f"BİLGE declaration {number} is for carnet {legacy.carnet.carnet_number}, not {cmd.carnet_number}",
    )
    refuse_unless(
        legacy.regime not in ATA_REGIMES_IN_BILGE or legacy.registered_on < ctx.cutover,
        "L2",
        f"BİLGE declaration {number} was registered on {legacy.registered_on}, after BİLGE stopped taking "
        f"ATA regime codes on {ctx.cutover}: reported as an anomaly, not applied",
    )
    if decision.carnet is None:
        decision.emit(ev.CarnetRecorded(carnet=legacy.carnet, source=CarnetSource.BILGE.value))
    carnet = decision.carnet
    assert carnet is not None
    for line in legacy.lines:
        listed = carnet.goods_list_quantity(line.line_no)
        room = (listed or 0) - carnet.outstanding_entry(Regime(legacy.regime), line.line_no)
        refuse_unless(
            listed is not None and 1 <= line.quantity <= room,
            "G7",
            f"BİLGE declaration {number} line {line.line_no}: {line.quantity}, but only {room} of the "
            f"{listed} on the goods list may be under {legacy.regime}",
        )
    office = ctx.offices.get(legacy.customs_office)
    decision.emit(
        ev.LegacyDeclarationImported(
            declaration_number=number,
            regime=legacy.regime,
            customs_office=legacy.customs_office,
            office_kind=(office.kind if office else OfficeKind.BORDER).value,
            registered_at=datetime.combine(legacy.registered_on, time(), TURKEY),
            holder_name=carnet.data.holder_name,
            lines=tuple(
                ev.DeclaredLine(line_no=ln.line_no, description=carnet.description(ln.line_no), quantity=ln.quantity)
                for ln in legacy.lines
            ),
            discharge_deadline=carnet.data.valid_until,
        )
    )
    assert decision.carnet is not None
    return decision.carnet.declarations[number]
