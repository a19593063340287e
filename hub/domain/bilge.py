"""What crosses between BİLGE and the hub (Circular 2021/17 sections III, IV, VI: F1–F2, S1–S4, L1–L2).

BİLGE speaks XML (schemas/bilge/); the BİLGE adapter translates it to and from these models.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from hub.domain.carnet import CarnetData

# BİLGE stopped taking the ATA regime codes on the circular's effective date (L2).
ATA_REGIMES_IN_BILGE = ("5800", "2600", "3158", "6326")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- TCGB drawing down ATA declarations (F1, F2) ----------------------------------------------


class TcgbRow(_Model):
    """One "TCGB Açma" row of a TCGB item: draws down a line of an e-ATA/TR declaration."""

    item_no: int = Field(description="TCGB item (kalem) number.")
    declaration_number: str = Field(description="The e-ATA/TR declaration drawn down (BeyannameNo).")
    line_no: int = Field(description="Its goods line (KalemNo).")
    quantity: int = Field(description="Quantity drawn down (Miktar).")
    note: str = Field(default="", description="Aciklama.")


class DrawDownByTcgb(_Model):
    """A TCGB lodged in BİLGE draws down regime-entry declarations of one carnet (F1, F2).

    Final import/export, warehousing (antrepo) or exemption. One command per carnet the TCGB names;
    its message id is derived from the TCGB and the carnet, so the same TCGB draws down once.
    """

    tcgb_number: str = Field(description="BİLGE declaration number of the TCGB.")
    regime: str = Field(description="The TCGB's regime code, e.g. 4000 final import, 7100 warehousing.")
    customs_office: str
    registered_on: date
    rows: tuple[TcgbRow, ...] = Field(min_length=1)


class TcgbItemAnswer(_Model):
    item_no: int
    declaration_number: str
    line_no: int
    accepted: bool
    reason: str = ""


class TcgbAnswered(_Model):
    """The hub's answer to BİLGE about a TCGB's drawing-down: all rows applied, or refused with why (F2)."""

    tcgb_number: str
    accepted: bool
    rule: str | None = Field(default=None, description="The rule of a refusal (F2, G7...).")
    items: tuple[TcgbItemAnswer, ...]


# --- summary declarations (S1–S4) -------------------------------------------------------------


class SummaryOpening(_Model):
    """The part of a summary declaration (özet beyan) an ATA declaration opens (S1–S3)."""

    summary_number: str = Field(description="OzetBeyanNo.")
    transport_document: str = Field(description="TasimaSenediNo: the bill of lading or waybill.")
    transport_line: int | None = Field(default=None, description="TasimaSatirNo; empty opens the whole document.")
    packages: int = Field(description="Packages (kap adedi) opened by this declaration (S2).")
    temporary_storage: bool = Field(default=False, description="The goods are in temporary storage (S3).")
    storage_code: str | None = Field(default=None, description="Geçici depolama yeri kodu (S3).")


class SummaryPart(_Model):
    """Packages of one transport document or line as BİLGE holds them."""

    transport_document: str
    transport_line: int | None = None
    packages: int = Field(description="Packages declared on it.")
    open_packages: int = Field(description="Packages not yet opened by any declaration in BİLGE.")


class SummaryLookupRequested(_Model):
    """The core asks BİLGE, through the BİLGE adapter, for an özet beyan a declaration opens (S1, S2)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    summary_number: str


class SummaryFound(_Model):
    """BİLGE's özet beyan: its office and parts, with the packages each still has open (S2)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    summary_number: str
    customs_office: str
    parts: tuple[SummaryPart, ...]


class SummaryNotFound(_Model):
    """BİLGE has no özet beyan of that number: the declaration that names it is refused (S1)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    summary_number: str


class SummaryClosureRequested(_Model):
    """S4: the declaration's inspection completed: close the ÖB part and release the goods from storage.

    Sent until BİLGE confirms; BİLGE applies a closure id once, so retries close it once.
    """

    closure_id: UUID
    declaration_number: str
    opening: SummaryOpening


class SummaryClosureConfirmed(_Model):
    """BİLGE closed the özet beyan part and released the goods from temporary storage (S4)."""

    closure_id: UUID
    declaration_number: str
    summary_number: str


# --- legacy declarations (L1, L2) -------------------------------------------------------------


class LegacyLine(_Model):
    line_no: int
    quantity: int


class LegacyDeclaration(_Model):
    """A 5800 or 2600 lodged in BİLGE before e-ATA/TR (L1), with the carnet it was made under."""

    bilge_number: str
    regime: str
    customs_office: str
    registered_on: date
    carnet: CarnetData
    lines: tuple[LegacyLine, ...]


class LegacyLookupRequested(_Model):
    """The core asks BİLGE for a declaration lodged there before e-ATA/TR that a declaration refers to (L1)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    bilge_number: str


class LegacyFound(_Model):
    """BİLGE's legacy declaration, with the carnet it was made under (L1)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    declaration: LegacyDeclaration


class LegacyNotFound(_Model):
    """BİLGE has no declaration of that number: the reference is refused (L1)."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    bilge_number: str


class BilgeLookupFailed(_Model):
    """BİLGE did not answer a look-up within the adapter's bound, or answered unusably."""

    request_id: UUID = Field(description="The look-up this answers; it is the lodging command's id.")
    reference: str
    reason: str
    attempts: int


class BilgeAnomalyReported(_Model):
    """L2: a BİLGE declaration with an ATA regime code after the cut-over: reported, not applied."""

    bilge_number: str
    regime: str
    registered_on: date
    reason: str
