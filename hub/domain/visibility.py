"""Which office may see which declaration (C2).

Every office sees every declaration whose inspection is completed (and so every carnet that has
one). A declaration not yet accepted and approved is seen only where it was lodged, except that a
ÇIKIŞ transit, once accepted, is presented to its destination office, which inspects it (E3).
"""

from __future__ import annotations

from hub.domain.model import Declaration, Regime, Status

SEEN_EVERYWHERE = (Status.INSPECTION_COMPLETED, Status.CLOSED)


def may_see(declaration: Declaration, office: str) -> bool:
    # rule: C2
    if declaration.status in SEEN_EVERYWHERE or declaration.customs_office == office:
        return True
    return (
        declaration.regime is Regime.TRANSIT_OUT
        and declaration.status is Status.ACCEPTED
        and declaration.destination_office == office
    )
