"""Events: what happened, as the hub tells every other system.

Every change to a carnet is one of these, so replaying a carnet's events rebuilds it
(hub/domain/evolve.py). An outcome's events share the causation id of their command.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from hub.domain.bilge import SummaryOpening
from hub.domain.carnet import CarnetData
from hub.domain.commands import Actor, DeclarantIn


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeclaredLine(_Event):
    line_no: int
    description: str
    quantity: int = Field(description="Quantity crossing on this declaration.")


class LedgerLine(_Event):
    """Where one goods-list line stands on a regime-entry declaration (G7)."""

    line_no: int
    goods_list_quantity: int
    entered: int = Field(description="Entered on this declaration.")
    discharged: int = Field(description="Re-exported, re-imported or drawn down so far.")
    open: int = Field(description="entered - discharged: still under the regime.")


class CarnetRecorded(_Event):
    """The carnet's data as the hub now holds it: first use, or TOBB's record changed (G3)."""

    carnet: CarnetData
    source: str = Field(description="TOBB or declarant.")


class DeclarationLodged(_Event):
    """A declaration is registered (tescil) in e-ATA/TR (G1), filled from its reference where it has one."""

    declaration_number: str
    carnet_number: str
    regime: str
    customs_office: str
    office_kind: str
    status: str
    lodged_at: datetime
    declarant: DeclarantIn
    holder_name: str
    carnet_source: str = Field(description="TOBB (fetched by number, G3) or declarant (foreign carnet).")
    carnet_valid_until: date
    lines: tuple[DeclaredLine, ...]
    previous_declaration: str | None = None
    destination_office: str | None = Field(default=None, description="Transits: presented there (E3, T2, R2).")
    transit_period_days: int | None = None
    vehicle_plate: str | None = None
    summary: SummaryOpening | None = Field(default=None, description="The özet beyan part opened (S1–S3).")


class LegacyDeclarationImported(_Event):
    """L1: a 5800/2600 lodged in BİLGE before e-ATA/TR, fetched from BİLGE, now tracked as a regime entry."""

    declaration_number: str = Field(description="The BİLGE declaration number.")
    regime: str
    customs_office: str
    office_kind: str
    registered_at: datetime
    holder_name: str
    lines: tuple[DeclaredLine, ...]
    discharge_deadline: date


class SummaryClosureRecorded(_Event):
    """S4: BİLGE confirmed the closure of the özet beyan part and the release from temporary storage."""

    declaration_number: str
    summary_number: str
    closure_id: UUID


class DeclarationAccepted(_Event):
    """Accepted by the liaison service of its office (C1); an inspection officer may be named with it."""

    declaration_number: str
    status: str
    by: Actor
    inspection_officer: str | None = None


class DeclarationRejected(_Event):
    """Rejected by its office (C1), with the reason; what it reserved on the goods list is released (G7)."""

    declaration_number: str
    status: str
    by: Actor
    reason: str


class DeclarationCancelled(_Event):
    """Cancelled by its declarant before acceptance, with the reason; what it reserved is released (G7)."""

    declaration_number: str
    status: str
    reason: str


class InspectionReassigned(_Event):
    """The inspection handed to another officer of the office (C1)."""

    declaration_number: str
    inspection_officer: str
    by: Actor


class InspectionCompleted(_Event):
    """Inspection completed; on a regime-entry declaration the goods are now under the regime."""

    declaration_number: str
    regime: str
    status: str
    by: Actor
    ledger: tuple[LedgerLine, ...] = Field(default=(), description="Regime-entry declarations only (G7).")
    discharge_deadline: date | None = Field(
        default=None, description="Re-export/re-import deadline, never after the carnet's validity (V1)."
    )
    voucher_number: str | None = Field(default=None, description="The paper voucher stamped by hand (G8).")


class TcgbItemDrawn(_Event):
    """One item (kalem) of a TCGB and the line of an e-ATA/TR declaration it draws down (F1, F2)."""

    item_no: int = Field(description="TCGB item (kalem) number, as BİLGE numbers it.")
    declaration_number: str = Field(description="The e-ATA/TR declaration the item draws down.")
    line_no: int = Field(description="Its goods line.")
    quantity: int = Field(description="Quantity the item draws down from that line.")
    problem: str | None = Field(default=None, description="In a refusal only: why this item could not be applied.")


class TcgbReference(_Event):
    """The TCGB lodged in BİLGE behind an outcome (F1, F2): its number and the items concerned.

    Present only on outcomes of a `DrawDownByTcgb`; see "Correlating a TCGB with what the hub did"."""

    tcgb_number: str = Field(description="BİLGE declaration number of the TCGB.")
    items: tuple[TcgbItemDrawn, ...] = Field(
        default=(),
        description="GoodsDischarged, DeclarationClosed: the TCGB's items that drew down this declaration. "
        "CommandRefused: the items that failed, each with its problem (none when the TCGB was refused as a "
        "whole, e.g. V1).",
    )


class GoodsDischarged(_Event):
    """Quantities of a regime-entry declaration discharged by a re-export, re-import (or TCGB) (G7, F2)."""

    declaration_number: str = Field(description="The regime-entry declaration (5800 or 2600).")
    discharged_by: str = Field(description="The declaration that discharged it.")
    rule: str
    ledger: tuple[LedgerLine, ...] = Field(description="The lines after the discharge.")
    tcgb: TcgbReference | None = Field(
        default=None,
        description="When a TCGB drew the goods down (F2): the TCGB and its items, each naming the ledger line "
        "it drew from; null for a 3158 or 6326.",
    )


class DeclarationClosed(_Event):
    """A declaration reaches 'kapanmış': its regime is discharged or its transit finished."""

    declaration_number: str
    status: str
    rule: str = Field(description="The rule that closed it: I2, I3, T4, R3, X3, E4, G7...")
    reason: str
    tcgb: TcgbReference | None = Field(
        default=None, description="When a TCGB's drawing-down closed it (F2): that TCGB and its items on it."
    )


class CorrectionRequested(_Event):
    """A correction of quantities on an accepted declaration, waiting for the director's decision (G6)."""

    declaration_number: str
    request_id: str
    lines: tuple[tuple[int, int], ...] = Field(description="(line number, corrected quantity).")
    reason: str


class ExtensionRequested(_Event):
    """A later re-export or re-import deadline asked for, waiting for the director's decision (G6)."""

    declaration_number: str
    request_id: str
    until: date
    reason: str


class RequestDecided(_Event):
    """The director's decision on a correction or extension (G6); approved ones are applied with it."""

    declaration_number: str
    request_id: str
    kind: str
    approved: bool
    by: Actor
    note: str = ""
    ledger: tuple[LedgerLine, ...] = Field(default=(), description="Approved corrections: the corrected lines.")
    discharge_deadline: date | None = Field(default=None, description="Approved extensions: the new deadline.")


class LineDocumentAttached(_Event):
    """A document attached to a goods line (C3): its name, type, SHA-256, where it is kept and who attached it."""

    declaration_number: str
    line_no: int
    name: str
    document_type: str
    sha256: str
    location: str
    attached_by: str


class LineExplained(_Event):
    """An explanation written on a goods line by an officer (C3)."""

    declaration_number: str
    line_no: int
    note: str
    by: Actor


class DeadlineApproaching(_Event):
    """V2: a regime-entry declaration still open, its deadline within the warning period."""

    declaration_number: str
    discharge_deadline: date
    days_left: int
    open_lines: tuple[LedgerLine, ...]


class DeadlinePassed(_Event):
    """V2: deadline passed with goods undischarged: customs may claim against the guaranteeing association."""

    declaration_number: str
    discharge_deadline: date
    open_lines: tuple[LedgerLine, ...]
    guaranteeing_association: str


class CommandRefused(_Event):
    """The one outcome of a command that was not applied: which rule, and why, in words."""

    command_id: UUID
    command_type: str
    declaration_number: str | None
    rule: str = Field(description="Rule id of DOMAIN.md, e.g. G3, V1, C1.")
    reason: str
    tcgb: TcgbReference | None = Field(
        default=None,
        description="A refused DrawDownByTcgb: the TCGB, and its items that failed with why (F2).",
    )


class CarnetLookupRequested(_Event):
    """The core asks TOBB, through the TOBB adapter, for a Turkish carnet (G3)."""

    request_id: UUID = Field(description="Answers carry it back; it is the lodging command's id.")
    carnet_number: str


class CarnetLookupSucceeded(_Event):
    """TOBB's record of a Turkish carnet, the answer to a look-up (G3)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    carnet: CarnetData


class CarnetNotFound(_Event):
    """TOBB does not know the carnet: a 2600 on it is refused (G3)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    carnet_number: str


class CarnetLookupFailed(_Event):
    """TOBB did not answer within the adapter's bound of attempts, or answered unusably."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    carnet_number: str
    reason: str
    attempts: int


# Events that change a carnet, in the order evolve() knows them.
CARNET_EVENTS: tuple[type[BaseModel], ...] = (
    CarnetRecorded,
    DeclarationLodged,
    LegacyDeclarationImported,
    SummaryClosureRecorded,
    DeclarationAccepted,
    DeclarationRejected,
    DeclarationCancelled,
    InspectionReassigned,
    InspectionCompleted,
    GoodsDischarged,
    DeclarationClosed,
    CorrectionRequested,
    ExtensionRequested,
    RequestDecided,
    LineDocumentAttached,
    LineExplained,
    DeadlineApproaching,
    DeadlinePassed,
)
