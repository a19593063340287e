"""What crosses between BİLGE and the hub (Circular 2021/17 sections III, IV, VI: F1–F2, S1–S4, L1–L2).

BİLGE speaks XML (schemas/bilge/); the BİLGE adapter translates it to and from these models.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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


# The namespace of DrawDownByTcgb message ids (published: docs/messages.md, "Correlating a TCGB with
# what the hub did"). Never change it: the hub applies a message id once, so a new namespace would
# draw every TCGB BİLGE sends again down a second time.
TCGB_COMMAND_NAMESPACE = UUID("0b8e6c1e-58a6-4f0e-a8c2-3f7d2b9c4e11")


def tcgb_command_id(tcgb_number: str, carnet_number: str) -> UUID:
    """The message id of the DrawDownByTcgb of this TCGB for this carnet: uuid5(namespace, "<tcgb>|<carnet>").

    The same TCGB for the same carnet is the same command however often it is sent (F2), and an
    integrator who knows the TCGB computes the id its outcome answers (`causation_id`)."""
    return uuid5(TCGB_COMMAND_NAMESPACE, f"{tcgb_number}|{carnet_number}")


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


# --- the life of every import and export TCGB, for GET-APP (A1, A2) ---------------------------


class TcgbDirection(StrEnum):
    """Which way the goods go: an import TCGB (ithalat) or an export TCGB (ihracat)."""

    IMPORT = "import"
    EXPORT = "export"


class TcgbStage(StrEnum):
    """The stages of a TCGB's life in BİLGE, as GET-APP shows them (A1, A2; docs/decisions.md).

    In order: tescil, kanal, muayene, ödeme, serbest bırakma (onay / çekme), and for an export the
    goods' exit at the border office (fiili ihracat / çıkış). A green-channel TCGB has no examination;
    an import has no exit.
    """

    REGISTERED = "registered"  # tescil edildi
    CHANNEL_ASSIGNED = "channel_assigned"  # kanal belirlendi (yeşil, sarı, kırmızı, mavi)
    EXAMINED = "examined"  # muayene / belge kontrolü tamamlandı
    PAID = "paid"  # vergiler ödendi (or secured)
    RELEASED = "released"  # serbest bırakıldı: the goods may leave customs
    EXITED = "exited"  # çıkış yapıldı: an export's goods left Türkiye


class TcgbChannel(StrEnum):
    """The control channel BİLGE's risk analysis assigned (kontrol kanalı)."""

    GREEN = "green"  # yeşil: no document check, no examination
    YELLOW = "yellow"  # sarı: document check
    RED = "red"  # kırmızı: document check and physical examination
    BLUE = "blue"  # mavi: released now, checked afterwards (authorised economic operators)


class TcgbStageReached(_Model):
    """A TCGB lodged in BİLGE reached a stage of its life (A2): what GET-APP shows its consignee and consignor.

    Published by the BİLGE adapter on `bilge.tcgb.events`, keyed by the TCGB number, so one TCGB's
    stages are ordered on one partition. Each carries the TCGB's header, so any one of them is enough
    to show the TCGB to its firms whatever order they arrive in.

    One event per TCGB and stage, however often BİLGE sends it: its message id is
    uuid5(5d1f0a4e-7c2b-4b8e-9a51-2f6c3e8d7b14, "<tcgb_number>|<stage>"), e.g. "26220100IM000123|released";
    every stage of a TCGB shares the correlation id uuid5(that namespace, "<tcgb_number>"), and its
    occurred_at is reached_at.
    """

    tcgb_number: str = Field(min_length=1, max_length=40, description="BİLGE's declaration number of the TCGB.")
    direction: TcgbDirection
    regime: str = Field(
        pattern=r"^[0-9]{4}$", description="The TCGB's regime code, e.g. 4000 final import, 1000 export."
    )
    customs_office: str = Field(min_length=1, max_length=16, description="Where the TCGB was registered.")
    consignee_vkn: str | None = Field(
        default=None, pattern=r"^[0-9]{10}$", description="Alıcı: the consignee's VKN, when a firm in Türkiye (A3)."
    )
    consignor_vkn: str | None = Field(
        default=None, pattern=r"^[0-9]{10}$", description="Gönderici: the consignor's VKN, when a firm in Türkiye (A3)."
    )
    stage: TcgbStage
    reached_at: AwareDatetime = Field(description="When BİLGE recorded the stage (BİLGE's clock).")
    office: str | None = Field(
        default=None,
        max_length=16,
        description="Where the stage happened, when not its own office (an exit).",
    )
    channel: TcgbChannel | None = Field(default=None, description="The control channel; set on channel_assigned.")


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
