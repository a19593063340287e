"""The carnet aggregate: one ATA carnet with every declaration lodged under it.

All of one carnet's traffic is ordered on one Kafka partition (keyed by carnet number), so the
carnet is the unit of consistency: rules load it whole, decide, and it is stored whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hub.domain.carnet import CarnetData


class Regime(StrEnum):
    """The six e-ATA/TR regimes (G4)."""

    TEMPORARY_IMPORT = "5800"  # geçici ithalat, foreign carnet
    RE_EXPORT = "3158"  # yeniden ihracat of a 5800
    TEMPORARY_EXPORT = "2600"  # geçici ihracat, Turkish carnet
    RE_IMPORT = "6326"  # yeniden ithalat of a 2600
    TRANSIT_IN = "ATA-TR/GİRİŞ"
    TRANSIT_OUT = "ATA-TR/ÇIKIŞ"

    @property
    def is_regime_entry(self) -> bool:
        """Quantities are tracked on 5800 and 2600 declarations (G7)."""
        return self in (Regime.TEMPORARY_IMPORT, Regime.TEMPORARY_EXPORT)

    @property
    def needs_turkish_carnet(self) -> bool:
        return self in (Regime.TEMPORARY_EXPORT, Regime.RE_IMPORT)


class OfficeKind(StrEnum):
    BORDER = "border"  # sınır gümrüğü
    INLAND = "inland"  # iç gümrük


class Status(StrEnum):
    """What an officer sees in e-ATA/TR."""

    LODGED = "lodged"  # tescil edildi
    ACCEPTED = "accepted"  # kabul edildi (irtibat servisi)
    INSPECTION_COMPLETED = "inspection_completed"  # muayene tamamlandı
    CLOSED = "closed"  # kapanmış: the regime is discharged
    CANCELLED = "cancelled"  # iptal


class Role(StrEnum):
    """Customs office profiles of Circular 2021/17 section V (C1)."""

    LIAISON = "liaison"  # irtibat servisi: accepts declarations
    INSPECTION_OFFICER = "inspection_officer"  # muayene memuru: inspects, approves goods lists
    DIRECTOR = "director"  # gümrük müdürü/yardımcısı: decides corrections, reassigns


class CarnetSource(StrEnum):
    TOBB = "TOBB"  # Turkish carnet, fetched by number (G3)
    DECLARANT = "declarant"  # foreign carnet, typed in from the paper carnet


@dataclass
class DeclarationLine:
    """One goods-list line on a declaration: the quantity crossing now (G7)."""

    line_no: int
    quantity: int
    discharged: int = 0  # on regime-entry declarations: re-exported, re-imported or drawn down

    @property
    def open(self) -> int:
        return self.quantity - self.discharged


@dataclass
class Declarant:
    id_kind: str
    id_value: str
    name: str
    acts_as: str  # "holder" or "representative"


@dataclass
class Declaration:
    number: str
    regime: Regime
    customs_office: str
    office_kind: OfficeKind
    status: Status
    declarant: Declarant
    lodged_at: datetime
    lines: dict[int, DeclarationLine]
    previous_declaration: str | None = None
    destination_office: str | None = None
    transit_period_days: int | None = None
    vehicle_plate: str | None = None
    accepted_by: str | None = None
    inspected_by: str | None = None
    discharge_deadline: date | None = None  # re-export/re-import deadline of a regime-entry declaration


@dataclass
class Carnet:
    """The aggregate (karne dosyası): the carnet's data and its declarations."""

    data: CarnetData
    source: CarnetSource
    declarations: dict[str, Declaration] = field(default_factory=dict)
    version: int = 0

    @property
    def number(self) -> str:
        return self.data.carnet_number

    def goods_list_quantity(self, line_no: int) -> int | None:
        for line in self.data.goods:
            if line.line_no == line_no:
                return line.quantity
        return None

    def outstanding_entry(self, regime: Regime, line_no: int) -> int:
        """How much of a goods-list line is under this regime now: entered or being entered, not discharged.

        Counts lodged declarations too, not only completed ones, so that two declarations lodged
        side by side cannot together exceed the goods list (G7).
        """
        return sum(
            d.lines[line_no].open
            for d in self.declarations.values()
            if d.regime is regime and d.status is not Status.CANCELLED and line_no in d.lines
        )
