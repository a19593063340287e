"""Commands: what back-end systems ask the hub to do. Each gets exactly one outcome.

Every command names the declaration (or carnet) it is about and who acts: a customs officer with
a profile (C1), or the declarant (G2).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.domain.bilge import DrawDownByTcgb, SummaryOpening
from hub.domain.carnet import CarnetData


class Actor(BaseModel):
    """The customs officer acting, with the profile they act under (C1)."""

    model_config = ConfigDict(frozen=True)

    role: str = Field(description="liaison | inspection_officer | director (C1).")
    office: str = Field(min_length=1, description="Customs office code of the officer (gümrük idaresi).")
    officer_id: str = Field(min_length=1, description="The officer's staff id.")


class DeclarantIn(BaseModel):
    """Who lodges: the holder or a representative, by exactly one id (G2)."""

    model_config = ConfigDict(frozen=True)

    id_kind: str = Field(description="TCKN | VKN | PASSPORT (G2).")
    id_value: str = Field(description="The id itself; checked per kind (G2).")
    name: str = Field(min_length=1)
    acts_as: str = Field(default="holder", pattern="^(holder|representative)$")


class LineQuantity(BaseModel):
    """A goods-list line and a quantity: crossing now (G7), or corrected (G6)."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(description="Goods-list line number (sıra no).")
    quantity: int = Field(description="Pieces; must be at least 1 (G7).")


class LodgeDeclaration(BaseModel):
    """Lodge (tescil) an ATA declaration in e-ATA/TR (G1, G4).

    - 5800 at a border office, or ATA-TR/GİRİŞ without a reference: a foreign carnet, typed in.
    - 2600: a Turkish carnet; leave `carnet` empty, its data comes from TOBB by number (G3).
    - Every other path references an earlier declaration and is filled from it (E3, I2, T3, R2, X2):
      `carnet` and `lines` may be left empty; what is sent must agree with the reference.
    """

    model_config = ConfigDict(frozen=True)

    declaration_number: str = Field(min_length=1, max_length=40, description="e-ATA/TR declaration number.")
    carnet_number: str = Field(min_length=1, max_length=40)
    regime: str = Field(description="5800 | 3158 | 2600 | 6326 | ATA-TR/GİRİŞ | ATA-TR/ÇIKIŞ (G4).")
    customs_office: str = Field(min_length=1, description="Office code where it is lodged.")
    declarant: DeclarantIn
    carnet: CarnetData | None = Field(default=None, description="Foreign carnets only; Turkish ones via TOBB (G3).")
    lines: tuple[LineQuantity, ...] = Field(
        default=(), description="Lines crossing now; empty: what the goods list or the reference allows (G7)."
    )
    previous_declaration: str | None = Field(default=None, description="Referenced declaration (önceki beyan).")
    destination_office: str | None = Field(default=None, description="Transits and inland 2600 (E2, T2, R2).")
    transit_period_days: int | None = Field(default=None, description="Inland 2600 sent to the border (E2).")
    vehicle_plate: str | None = Field(default=None, description="Inland 2600 sent to the border (E2).")
    summary: SummaryOpening | None = Field(
        default=None, description="The özet beyan document or line the arriving goods came under (S1–S3)."
    )


class AcceptDeclaration(BaseModel):
    """The liaison service accepts (kabul) a lodged declaration (C1), optionally assigning its inspector."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor
    inspection_officer: str | None = Field(default=None, description="Who is to inspect it; any if empty.")


class RejectDeclaration(BaseModel):
    """The liaison service refuses to accept a lodged declaration (C1), with the reason."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor
    reason: str = Field(min_length=1)


class CancelDeclaration(BaseModel):
    """The declarant withdraws a declaration not yet accepted."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    declarant: DeclarantIn
    reason: str = Field(min_length=1)


class ReassignInspection(BaseModel):
    """The customs director or deputy gives the inspection to another officer (C1)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor
    inspection_officer: str = Field(min_length=1)


class CompleteInspection(BaseModel):
    """The inspection officer completes inspection (muayene tamamlandı) and approves the goods list (C1).

    Triggers the closures of the circular in the same transaction (I2, I3, T4, R3, X3, E4).
    """

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor
    voucher_number: str | None = Field(
        default=None,
        description="The carnet voucher (yaprak) the officer signed and stamped by hand; recorded, not replaced (G8).",
    )


class RequestCorrection(BaseModel):
    """Post-inspection correction (muayene sonrası düzeltme) of quantities on a regime entry (G6)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    declarant: DeclarantIn
    request_id: str = Field(min_length=1, max_length=40)
    lines: tuple[LineQuantity, ...] = Field(min_length=1, description="Corrected quantities per line.")
    reason: str = Field(min_length=1)


class RequestExtension(BaseModel):
    """Extension of the re-export/re-import period (süre uzatımı) of a regime entry (G6)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    declarant: DeclarantIn
    request_id: str = Field(min_length=1, max_length=40)
    until: date = Field(description="The new deadline asked for.")
    reason: str = Field(min_length=1)


class DecideRequest(BaseModel):
    """The customs director or deputy approves or rejects a correction or extension (C1, G6)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    request_id: str
    approve: bool
    actor: Actor
    note: str = ""


class AttachLineDocument(BaseModel):
    """Attach a document to a goods line (C3): a reference to where it is stored, with its checksum."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    line_no: int
    name: str = Field(min_length=1)
    document_type: str = Field(min_length=1, description="e.g. invoice, photo, packing list.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    location: str = Field(min_length=1, description="Where the document is stored (URI).")
    declarant: DeclarantIn | None = Field(
        default=None, description="The declaration's declarant, attaching it (C3); or else `actor`."
    )
    actor: Actor | None = Field(
        default=None, description="A customs officer of the declaration's office or of its inspecting office (C1, C3)."
    )

    @model_validator(mode="after")
    def _one_party(self) -> AttachLineDocument:
        if (self.declarant is None) == (self.actor is None):
            raise ValueError("a document is attached by the declarant or by an officer: name exactly one")
        return self


class ExplainLine(BaseModel):
    """The inspection officer's explanation on a goods line: identity checks of the goods (C3)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    line_no: int
    note: str = Field(min_length=1)
    actor: Actor


Command = (
    LodgeDeclaration
    | AcceptDeclaration
    | RejectDeclaration
    | CancelDeclaration
    | ReassignInspection
    | CompleteInspection
    | RequestCorrection
    | RequestExtension
    | DecideRequest
    | AttachLineDocument
    | ExplainLine
    | DrawDownByTcgb
)
COMMANDS: tuple[type[BaseModel], ...] = (
    LodgeDeclaration,
    AcceptDeclaration,
    RejectDeclaration,
    CancelDeclaration,
    ReassignInspection,
    CompleteInspection,
    RequestCorrection,
    RequestExtension,
    DecideRequest,
    AttachLineDocument,
    ExplainLine,
    DrawDownByTcgb,
)
