"""Commands: what back-end systems ask the hub to do. Each gets exactly one outcome."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.domain.carnet import CarnetData
from hub.domain.model import OfficeKind


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
    """A goods-list line and the quantity crossing now (peyderpey, G7)."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1)
    quantity: int = Field(ge=1)


class LodgeDeclaration(BaseModel):
    """Lodge (tescil) an ATA declaration in e-ATA/TR (G1).

    For a carnet issued in Türkiye leave `carnet` empty: its data comes from TOBB by number (G3).
    For a foreign carnet, `carnet` carries what is written on the paper carnet.
    """

    model_config = ConfigDict(frozen=True)

    declaration_number: str = Field(min_length=1, max_length=40, description="e-ATA/TR declaration number.")
    carnet_number: str = Field(min_length=1, max_length=40)
    regime: str = Field(description="5800 | 3158 | 2600 | 6326 | ATA-TR/GİRİŞ | ATA-TR/ÇIKIŞ (G4).")
    customs_office: str = Field(min_length=1, description="Office where it is lodged.")
    office_kind: OfficeKind
    declarant: DeclarantIn
    carnet: CarnetData | None = Field(default=None, description="Foreign carnets only; Turkish ones via TOBB (G3).")
    lines: tuple[LineQuantity, ...] = Field(
        default=(), description="Lines crossing now; empty means every line still open on the goods list (G7)."
    )
    previous_declaration: str | None = Field(default=None, description="Referenced declaration (önceki beyan).")
    destination_office: str | None = None
    transit_period_days: int | None = Field(default=None, ge=1)
    vehicle_plate: str | None = None


class AcceptDeclaration(BaseModel):
    """The liaison service accepts (kabul) a lodged declaration (C1)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor


class CompleteInspection(BaseModel):
    """The inspection officer completes inspection (muayene tamamlandı) and approves the goods list (C1)."""

    model_config = ConfigDict(frozen=True)

    declaration_number: str
    actor: Actor


Command = LodgeDeclaration | AcceptDeclaration | CompleteInspection
