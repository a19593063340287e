"""Summary declarations (özet beyan, S1–S4): arriving goods open a transport document or line of
it; the opening is checked against what BİLGE says is open; inspection closes it in BİLGE."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from pydantic import BaseModel

from hub.domain import events as ev
from hub.domain.bilge import SummaryClosureRequested, SummaryOpening
from hub.domain.model import Carnet, Regime
from hub.domain.rules.base import Context, refuse_unless

# Declarations of goods arriving in Türkiye: the ones an özet beyan can cover (S1).
ARRIVALS = (Regime.TEMPORARY_IMPORT, Regime.RE_IMPORT, Regime.TRANSIT_IN)
_CLOSURES = uuid.UUID("6f1c2e4a-0d1b-4d7e-9a55-3c2f8e7b1a90")  # namespace of closure ids


def check_opening(regime: Regime, opening: SummaryOpening) -> None:
    """What can be refused before BİLGE is asked (S1, S3)."""
    refuse_unless(regime in ARRIVALS, "S1", f"a {regime} declares no arriving goods: it opens no özet beyan")
    refuse_unless(opening.packages >= 1, "S2", f"{opening.packages} packages: at least one is opened")
    refuse_unless(
        opening.temporary_storage == bool((opening.storage_code or "").strip()),
        "S3",
        "goods in temporary storage name the storage location code, and only they do",
    )


def check_open_packages(opening: SummaryOpening, ctx: Context) -> None:
    """S2: no more packages than the document or line has open in BİLGE, less what hub
    declarations already opened and BİLGE has not yet been told of."""
    summary = ctx.summary
    assert summary is not None
    part = next(
        (
            p
            for p in summary.parts
            if p.transport_document == opening.transport_document and p.transport_line == opening.transport_line
        ),
        None,
    )
    where = f"{opening.transport_document}" + (
        f" line {opening.transport_line}" if opening.transport_line is not None else ""
    )
    refuse_unless(part is not None, "S2", f"özet beyan {summary.summary_number} has no transport document {where}")
    assert part is not None
    left = part.open_packages - ctx.summary_opened_in_hub
    refuse_unless(
        opening.packages <= left,
        "S2",
        f"{opening.packages} packages opened on {summary.summary_number} {where}, only {left} are open",
    )


def closure_id(declaration_number: str) -> uuid.UUID:
    """One closure per declaration, whoever sends it how often: BİLGE applies an id once (S4)."""
    return uuid.uuid5(_CLOSURES, declaration_number)


def closures(carnet: Carnet, events: Iterable[BaseModel]) -> list[SummaryClosureRequested]:
    """S4: each declaration whose inspection completed in these events closes its özet beyan part."""
    out = []  # rule: S4
    for event in events:
        if isinstance(event, ev.InspectionCompleted):
            d = carnet.declarations[event.declaration_number]
            if d.summary is not None and not d.summary_closed:
                out.append(
                    SummaryClosureRequested(
                        closure_id=closure_id(d.number), declaration_number=d.number, opening=d.summary
                    )
                )
    return out
