"""The carnet aggregate: one ATA carnet with every declaration lodged under it.

All of one carnet's traffic is ordered on one Kafka partition (keyed by carnet number), so the
carnet is the unit of consistency: rules load it whole, decide, and it is stored whole. Every
change to it is an event (hub/domain/evolve.py), so the event log rebuilds it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hub.domain.bilge import SummaryOpening
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
    def is_discharge(self) -> bool:
        return self in (Regime.RE_EXPORT, Regime.RE_IMPORT)

    @property
    def is_transit(self) -> bool:
        return self in (Regime.TRANSIT_IN, Regime.TRANSIT_OUT)


class OfficeKind(StrEnum):
    BORDER = "border"  # sınır gümrüğü
    INLAND = "inland"  # iç gümrük


class Status(StrEnum):
    """What an officer sees in e-ATA/TR, in the order a declaration moves through them."""

    LODGED = "lodged"  # tescil edildi: may be accepted, rejected or cancelled
    ACCEPTED = "accepted"  # kabul edildi: may be inspected; its inspection officer reassigned
    INSPECTION_COMPLETED = "inspection_completed"  # muayene tamamlandı: open regime, or transit presented
    CLOSED = "closed"  # kapanmış: discharged or finished; nothing more happens
    REJECTED = "rejected"  # refused at acceptance by the liaison service
    CANCELLED = "cancelled"  # iptal: withdrawn by the declarant before acceptance

    @property
    def is_live(self) -> bool:
        return self not in _ENDED


class Role(StrEnum):
    """Customs office profiles of Circular 2021/17 section V (C1)."""

    LIAISON = "liaison"  # irtibat servisi: accepts declarations
    INSPECTION_OFFICER = "inspection_officer"  # muayene memuru: inspects, approves goods lists
    DIRECTOR = "director"  # gümrük müdürü/yardımcısı: decides corrections, reassigns


class CarnetSource(StrEnum):
    TOBB = "TOBB"  # Turkish carnet, fetched by number (G3)
    DECLARANT = "declarant"  # foreign carnet, typed in from the paper carnet
    BILGE = "BİLGE"  # recorded from a legacy BİLGE declaration (L1)


@dataclass
class LineDocument:
    """A document attached to a goods line (C3): where it is, and its checksum to prove it unchanged."""

    name: str
    document_type: str
    sha256: str
    location: str
    attached_by: str


@dataclass
class DeclarationLine:
    """One goods-list line on a declaration: the quantity crossing now (G7)."""

    line_no: int
    quantity: int
    discharged: int = 0  # on regime-entry declarations: re-exported, re-imported or drawn down
    documents: list[LineDocument] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # explanations of the inspection officer (C3)

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
class Request:
    """A correction or extension request (G6), decided by the director (C1)."""

    request_id: str
    kind: str  # "correction" | "extension"
    reason: str
    lines: dict[int, int] = field(default_factory=dict)  # correction: line -> corrected quantity
    until: date | None = None  # extension: the new deadline asked for
    decision: str | None = None  # None while pending, then "approved" | "rejected"


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
    inspection_officer: str | None = None  # assigned at acceptance, reassigned by the director
    inspected_by: str | None = None
    voucher_number: str | None = None  # the paper voucher stamped by hand at inspection (G8)
    discharge_deadline: date | None = None  # re-export/re-import deadline of a regime-entry declaration
    extended: bool = False  # the deadline was moved by an approved extension (G6)
    deadline_warned: bool = False  # V2: "deadline approaching" published
    deadline_passed: bool = False  # V2: "deadline passed, undischarged" published
    closed_by: str | None = None  # rule id that closed it (I2, I3, T4, R3, X3, E4, F2, ...)
    summary: SummaryOpening | None = None  # the özet beyan part it opened (S1–S3)
    summary_closed: bool = False  # BİLGE confirmed the closure of that part (S4)
    legacy: bool = False  # a 5800/2600 lodged in BİLGE before e-ATA/TR, imported to be discharged (L1)
    requests: dict[str, Request] = field(default_factory=dict)

    @property
    def inspecting_office(self) -> str:
        """Where inspection completes: a ÇIKIŞ completes at its destination (E4, R3, X3)."""
        if self.regime is Regime.TRANSIT_OUT and self.destination_office:
            return self.destination_office
        return self.customs_office


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

    def description(self, line_no: int) -> str:
        for line in self.data.goods:
            if line.line_no == line_no:
                return line.description
        return ""

    def outstanding_entry(self, regime: Regime, line_no: int) -> int:
        """How much of a goods-list line is under this regime now: entered or being entered, not discharged.

        Counts lodged declarations too, not only completed ones, so that two declarations lodged
        side by side cannot together exceed the goods list (G7).
        """
        return self.entries().get((regime, line_no), 0)

    def entries(self) -> dict[tuple[Regime, int], int]:
        """What every live declaration holds open, per regime and goods-list line (G7).

        Derived from the declarations, and kept beside them rather than summed over them at each
        question: a carnet is never changed in place (hub/domain/evolve.py copies on write), so this
        is computed once per carnet and carried forward by evolve for the one declaration an event
        touches. A carnet's cost per command therefore does not grow with its history.
        """
        cached: dict[tuple[Regime, int], int] | None = self.__dict__.get(ENTRIES_KEY)
        if cached is None:
            cached = {}
            for d in self.declarations.values():
                add_entries(cached, d, +1)
            self.__dict__[ENTRIES_KEY] = cached
        return cached


_ENDED = frozenset((Status.CLOSED, Status.REJECTED, Status.CANCELLED))
ENTRIES_KEY = "_entries"  # where Carnet.entries() keeps what it derived (not a field: never stored or compared)


def add_entries(entries: dict[tuple[Regime, int], int], declaration: Declaration, sign: int) -> None:
    """Add (sign +1) or take away (-1) what one declaration holds open, if it is live."""
    if declaration.status in _ENDED:
        return
    for line_no, line in declaration.lines.items():
        key = (declaration.regime, line_no)
        entries[key] = entries.get(key, 0) + sign * line.open
