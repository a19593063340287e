"""Events: what happened, as the hub tells every other system."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from hub.domain.carnet import CarnetData
from hub.domain.commands import Actor, DeclarantIn


class DeclaredLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_no: int
    description: str
    quantity: int = Field(description="Quantity crossing on this declaration.")


class LedgerLine(BaseModel):
    """Where one goods-list line stands on a regime-entry declaration (G7)."""

    model_config = ConfigDict(frozen=True)

    line_no: int
    goods_list_quantity: int
    entered: int = Field(description="Entered on this declaration.")
    discharged: int = Field(description="Re-exported, re-imported or drawn down so far.")
    open: int = Field(description="entered - discharged: still under the regime.")


class DeclarationLodged(BaseModel):
    """A declaration is registered (tescil) in e-ATA/TR."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    carnet_number: str
    regime: str
    customs_office: str
    office_kind: str
    status: str
    declarant: DeclarantIn
    holder_name: str
    carnet_source: str = Field(description="TOBB (fetched by number, G3) or declarant (foreign carnet).")
    carnet_valid_until: date
    lines: tuple[DeclaredLine, ...]
    previous_declaration: str | None = None


class DeclarationAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    declaration_number: str
    status: str
    by: Actor


class InspectionCompleted(BaseModel):
    """Inspection completed; on a regime-entry declaration the goods are now under the regime."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    regime: str
    status: str
    by: Actor
    ledger: tuple[LedgerLine, ...] = Field(default=(), description="Regime-entry declarations only (G7).")
    discharge_deadline: date | None = Field(
        default=None, description="Re-export/re-import deadline, never after the carnet's validity (V1)."
    )


class CommandRefused(BaseModel):
    """The one outcome of a command that was not applied: which rule, and why, in words."""

    model_config = ConfigDict(frozen=True)

    command_id: UUID
    command_type: str
    declaration_number: str | None
    rule: str = Field(description="Rule id of DOMAIN.md, e.g. G3, V1, C1.")
    reason: str


class CarnetLookupRequested(BaseModel):
    """The core asks TOBB, through the TOBB adapter, for a Turkish carnet (G3)."""

    model_config = ConfigDict(frozen=True)

    request_id: UUID = Field(description="Answers carry it back; it is the lodging command's id.")
    carnet_number: str


class CarnetLookupSucceeded(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: UUID
    carnet: CarnetData


class CarnetNotFound(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: UUID
    carnet_number: str


class CarnetLookupFailed(BaseModel):
    """TOBB did not answer within the adapter's bound of attempts."""

    model_config = ConfigDict(frozen=True)

    request_id: UUID
    carnet_number: str
    reason: str
    attempts: int


Event = DeclarationLodged | DeclarationAccepted | InspectionCompleted | CommandRefused
CarnetLookupResult = CarnetLookupSucceeded | CarnetNotFound | CarnetLookupFailed
