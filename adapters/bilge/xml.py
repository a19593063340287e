"""BİLGE XML: the documents of ``schemas/bilge/`` to and from the models of :mod:`hub.domain.bilge`.

One namespace and one schema (``schemas/bilge/``) per document family:

- ``urn:gtb:bilge:tcgb:1``, ``tcgb.xsd``: ``<Tcgb>``, BİLGE → hub (F1, F2);
- ``urn:gtb:bilge:tcgb-durum:1``, ``tcgb-durum.xsd``: ``<TcgbDurumBildirimi>``, BİLGE → hub, the life
  of import and export TCGBs (A1, A2; read by :mod:`adapters.bilge.tcgb_stages`);
- ``urn:gtb:bilge:ozet-beyan-sorgu:1``, ``ozet-beyan-sorgu-yanit.xsd``: ``<OzetBeyanSorguYanit>`` (S1, S2);
- ``urn:gtb:bilge:beyanname-sorgu:1``, ``beyanname-sorgu-yanit.xsd``: ``<BeyannameSorguYanit>`` (L1, L2);
- ``urn:gtb:bilge:kapanis:1``, ``kapanis.xsd``: ``<OzetBeyanKapanisIstegi>`` hub → BİLGE and
  ``<OzetBeyanKapanisYanit>`` back (S3, S4);
- ``urn:gtb:bilge:tcgb-yanit:1``, ``tcgb-yanit.xsd``: ``<TcgbYanit>`` hub → BİLGE and
  ``<TcgbYanitAlindi>`` back (F2).

All include ``ortak-tipler.xsd`` (numbers, dates, ``<Hata kod="...">``).

Every inbound document goes through :func:`hub.runtime.xmlsafe.parse_and_validate` and every outbound one
through :func:`hub.runtime.xmlsafe.serialize_validated`. :class:`~hub.runtime.xmlsafe.XmlRejected` propagates:
malformed, hostile, oversize and schema-invalid documents, and also valid ones that break what XSD
1.0 cannot say (``reason`` starts with ``inconsistent:``), e.g. a BULUNDU answer without its
record. The caller dead-letters or refuses; nothing here retries or guesses.

The answers' parse functions return a small record whose ``error`` holds BİLGE's ``<Hata>`` if the
answer is one; whether an answer fits the question asked (echoed numbers) is the client's check.

About 600 lines on purpose: the six document families share their namespace handling, number and
date types and `<Hata>` reading (ortak-tipler.xsd), which split modules would have to make public.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from lxml import etree
from pydantic import ValidationError

from hub.domain.bilge import (
    DrawDownByTcgb,
    LegacyDeclaration,
    LegacyLine,
    SummaryClosureRequested,
    SummaryPart,
    TcgbAnswered,
    TcgbRow,
)
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.runtime.xmlsafe import (
    DEFAULT_MAX_BYTES,
    XmlRejected,
    XsdSchema,
    load_schema,
    parse_and_validate,
    serialize_validated,
)

__all__ = [
    "BILGE_NUMBER_PATTERN",
    "CLOSURE_SCHEMA_PATH",
    "LEGACY_ANSWER_SCHEMA_PATH",
    "MAX_TCGB_BYTES",
    "NS_CLOSURE",
    "NS_LEGACY",
    "NS_SUMMARY",
    "NS_TCGB",
    "NS_TCGB_ANSWER",
    "SCHEMA_DIR",
    "SUMMARY_ANSWER_SCHEMA_PATH",
    "TCGB_ANSWER_SCHEMA_PATH",
    "TCGB_SCHEMA_PATH",
    "BilgeHata",
    "ClosureAnswer",
    "LegacyAnswer",
    "ParsedTcgb",
    "SummaryAnswer",
    "TcgbHeader",
    "TcgbItem",
    "TcgbOpening",
    "TcgbReceipt",
    "closure_request_xml",
    "drawdowns_by_carnet",
    "parse_closure_answer",
    "parse_legacy_answer",
    "parse_summary_answer",
    "parse_tcgb",
    "parse_tcgb_receipt",
    "tcgb_answer_xml",
    "tcgb_from",
]

SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "schemas" / "bilge"
TCGB_SCHEMA_PATH: Final = SCHEMA_DIR / "tcgb.xsd"
SUMMARY_ANSWER_SCHEMA_PATH: Final = SCHEMA_DIR / "ozet-beyan-sorgu-yanit.xsd"
LEGACY_ANSWER_SCHEMA_PATH: Final = SCHEMA_DIR / "beyanname-sorgu-yanit.xsd"
CLOSURE_SCHEMA_PATH: Final = SCHEMA_DIR / "kapanis.xsd"
TCGB_ANSWER_SCHEMA_PATH: Final = SCHEMA_DIR / "tcgb-yanit.xsd"

NS_TCGB: Final = "urn:gtb:bilge:tcgb:1"
NS_SUMMARY: Final = "urn:gtb:bilge:ozet-beyan-sorgu:1"
NS_LEGACY: Final = "urn:gtb:bilge:beyanname-sorgu:1"
NS_CLOSURE: Final = "urn:gtb:bilge:kapanis:1"
NS_TCGB_ANSWER: Final = "urn:gtb:bilge:tcgb-yanit:1"

# BİLGE declaration (and özet beyan) number: year (2), office (6), type letters (2), sequence (6),
# e.g. 26220100IM000123. [0-9], not \d: \d would also accept non-ASCII digits.
BILGE_NUMBER_PATTERN: Final = re.compile(r"[0-9]{2}[0-9]{6}[A-Z]{2}[0-9]{6}")

# RetNedeni is at most 500 characters in tcgb-yanit.xsd; a longer reason is cut, not refused.
_MAX_REASON: Final = 500


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TcgbOpening:
    """One ``TcgbAcma`` row: a TCGB item draws down a goods line of an e-ATA/TR declaration."""

    item_no: int  # the TCGB item (Kalem/KalemNo) the row belongs to
    declaration_number: str  # BeyannameNo: the e-ATA/TR declaration
    carnet_number: str  # KarneNo: the carnet it belongs to (routes the drawing-down)
    line_no: int  # KalemNo: the goods line of the e-ATA/TR declaration
    quantity: int  # Miktar: pieces drawn down
    note: str = ""  # Aciklama


@dataclass(frozen=True, slots=True)
class TcgbItem:
    """One TCGB item (kalem). The hub acts on ``openings`` only; the rest is kept for logs and views."""

    item_no: int
    tariff_code: str  # GTİP, 12 digits
    description: str  # ticari tanım
    quantity: Decimal
    unit: str  # UN/ECE Rec. 20 code, e.g. C62 piece
    gross_kg: Decimal
    net_kg: Decimal
    statistical_value_usd: Decimal  # istatistiki kıymet
    openings: tuple[TcgbOpening, ...]


@dataclass(frozen=True, slots=True)
class TcgbHeader:
    """The TCGB's header (beyanname başlığı)."""

    transaction_id: str  # IslemNo: BİLGE's id of the sending
    number: str  # BeyannameNo: the TCGB's BİLGE number
    regime: str  # Rejim: 4000 final import, 1000 final export, 7100 warehousing...
    customs_office: str  # GumrukIdaresi
    registered_on: date  # TescilTarihi
    packages: int  # KapAdedi
    goods_location: str | None  # EsyaninBulunduguYer
    carnet_number: str | None  # KarneNo: only a declaration lodged under a carnet (5800/2600) names one


@dataclass(frozen=True, slots=True)
class ParsedTcgb:
    """A TCGB as BİLGE sent it: header and items."""

    header: TcgbHeader
    items: tuple[TcgbItem, ...]

    @property
    def rows(self) -> tuple[TcgbOpening, ...]:
        """Every ``TcgbAcma`` row of every item, in document order."""
        return tuple(opening for item in self.items for opening in item.openings)


@dataclass(frozen=True, slots=True)
class BilgeHata:
    """BİLGE's ``<Hata kod="...">``."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class LegacyAnswer:
    """A ``BeyannameSorguYanit``: found (``declaration``), not found (neither) or ``error``."""

    transaction_id: str
    requested: str | None  # SorgulananBeyannameNo; None in an error answer
    declaration: LegacyDeclaration | None
    error: BilgeHata | None


@dataclass(frozen=True, slots=True)
class SummaryAnswer:
    """An ``OzetBeyanSorguYanit``: found (``customs_office`` and ``parts``), not found, or ``error``.

    ``parts`` has one entry per transport document (``transport_line`` None) followed by one per
    line of it: a declaration may open either (S2).
    """

    transaction_id: str
    requested: str | None
    summary_number: str | None
    customs_office: str | None
    parts: tuple[SummaryPart, ...]
    error: BilgeHata | None

    @property
    def found(self) -> bool:
        return self.summary_number is not None


@dataclass(frozen=True, slots=True)
class ClosureAnswer:
    """An ``OzetBeyanKapanisYanit``: the closure confirmed (applied now or before), or ``error``."""

    transaction_id: str
    closure_id: UUID | None
    summary_number: str | None
    already_applied: bool  # Durum DAHA_ONCE_UYGULANDI: a repeat, confirmed again, not applied twice
    error: BilgeHata | None


@dataclass(frozen=True, slots=True)
class TcgbReceipt:
    """A ``TcgbYanitAlindi``: BİLGE recorded the hub's answer (now or before), or ``error``."""

    transaction_id: str
    tcgb_number: str | None
    already_recorded: bool
    error: BilgeHata | None


# --- helpers ----------------------------------------------------------------------------------


def _qualifier(ns: str) -> Callable[[str], str]:
    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}"

    return q


def _collapse(text: str | None) -> str:
    # Text fields are xs:token or patterned: compare and store them whitespace-collapsed.
    return " ".join((text or "").split())


def _text(parent: Any, q: Callable[[str], str], tag: str) -> str:
    return _collapse(parent.findtext(q(tag)))


def _optional_text(parent: Any, q: Callable[[str], str], tag: str) -> str | None:
    element = parent.find(q(tag))
    return None if element is None else _collapse(element.text)


def _inbound(data: bytes, schema_path: Path, root_tag: str, max_bytes: int) -> Any:
    root = parse_and_validate(data, load_schema(schema_path), max_bytes=max_bytes)
    # kapanis.xsd and tcgb-yanit.xsd declare two roots each (request and answer): a valid document
    # of the other kind must not pass for this one.
    if root.tag != root_tag:
        raise XmlRejected(f"unexpected document: <{etree.QName(root).localname}> where <{_local(root_tag)}> belongs")
    return root


def _local(qname: str) -> str:
    return qname.rpartition("}")[2]


def _hata(root: Any, q: Callable[[str], str]) -> BilgeHata | None:
    hata = root.find(q("Hata"))
    if hata is None:
        return None
    return BilgeHata(code=_collapse(hata.get("kod")), message=_collapse(hata.text))


def _model_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "value"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _outbound(root: Any, schema_path: Path) -> bytes:
    schema: XsdSchema = load_schema(schema_path)
    return serialize_validated(root, schema)


# --- TCGB in (F1, F2) -------------------------------------------------------------------------

_T = _qualifier(NS_TCGB)


# The one size limit of a document BİLGE sends (a TCGB of up to 999 goods items fits well within it):
# the intake answers 413 above it (adapters/bilge/intake.py), bilge.inbound's max.message.bytes in
# topics.yaml takes it with its key and headers, and the adapter parses up to it.
MAX_TCGB_BYTES: Final = 5 * 1024 * 1024


def parse_tcgb(data: bytes, *, max_bytes: int = MAX_TCGB_BYTES) -> ParsedTcgb:
    """Parse and validate a ``<Tcgb>`` pushed by BİLGE (F1). Raises :class:`XmlRejected`."""
    return tcgb_from(_inbound(data, TCGB_SCHEMA_PATH, _T("Tcgb"), max_bytes))


def tcgb_from(root: Any) -> ParsedTcgb:
    """A ``<Tcgb>`` already parsed (hardened) and validated against ``tcgb.xsd``, read."""
    header = TcgbHeader(
        transaction_id=_text(root, _T, "IslemNo"),
        number=_text(root, _T, "BeyannameNo"),
        regime=_text(root, _T, "Rejim"),
        customs_office=_text(root, _T, "GumrukIdaresi"),
        registered_on=date.fromisoformat(_text(root, _T, "TescilTarihi")),
        packages=int(_text(root, _T, "KapAdedi")),
        goods_location=_optional_text(root, _T, "EsyaninBulunduguYer"),
        carnet_number=_optional_text(root, _T, "KarneNo"),
    )
    items = tuple(_tcgb_item(kalem) for kalem in root.find(_T("Kalemler")).iterfind(_T("Kalem")))
    return ParsedTcgb(header=header, items=items)


def _tcgb_item(kalem: Any) -> TcgbItem:
    miktar = kalem.find(_T("Miktar"))
    item_no = int(_text(kalem, _T, "KalemNo"))
    return TcgbItem(
        item_no=item_no,
        tariff_code=_text(kalem, _T, "Gtip"),
        description=_text(kalem, _T, "TicariTanim"),
        quantity=Decimal(_collapse(miktar.text)),
        unit=_collapse(miktar.get("birim")),
        gross_kg=Decimal(_text(kalem, _T, "BrutAgirlik")),
        net_kg=Decimal(_text(kalem, _T, "NetAgirlik")),
        statistical_value_usd=Decimal(_text(kalem, _T, "IstatistikiKiymet")),
        openings=tuple(
            TcgbOpening(
                item_no=item_no,
                declaration_number=_text(acma, _T, "BeyannameNo"),
                carnet_number=_text(acma, _T, "KarneNo"),
                line_no=int(_text(acma, _T, "KalemNo")),
                quantity=int(_text(acma, _T, "Miktar")),
                note=_text(acma, _T, "Aciklama"),
            )
            for acma in kalem.iterfind(_T("TcgbAcma"))
        ),
    )


def drawdowns_by_carnet(parsed: ParsedTcgb) -> dict[str, DrawDownByTcgb]:
    """One :class:`DrawDownByTcgb` per carnet the TCGB's ``TcgbAcma`` rows name, keyed by KarneNo (F1, F2).

    The hub keeps one aggregate per carnet, so a TCGB drawing down declarations of two carnets
    becomes two commands. Carnets and rows keep the TCGB's order. Items without a ``TcgbAcma``
    (goods not under a carnet) draw nothing down; a TCGB with none at all gives an empty dict.
    Whether a declaration really belongs to the carnet named beside it is the core's check.
    """
    rows: dict[str, list[TcgbRow]] = {}
    for opening in parsed.rows:
        rows.setdefault(opening.carnet_number, []).append(
            TcgbRow(
                item_no=opening.item_no,
                declaration_number=opening.declaration_number,
                line_no=opening.line_no,
                quantity=opening.quantity,
                note=opening.note,
            )
        )
    header = parsed.header
    return {
        carnet: DrawDownByTcgb(
            tcgb_number=header.number,
            regime=header.regime,
            customs_office=header.customs_office,
            registered_on=header.registered_on,
            rows=tuple(carnet_rows),
        )
        for carnet, carnet_rows in rows.items()
    }


# --- legacy declaration look-up (L1, L2) ------------------------------------------------------

_B = _qualifier(NS_LEGACY)


def parse_legacy_answer(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LegacyAnswer:
    """Parse BİLGE's ``<BeyannameSorguYanit>``. Raises :class:`XmlRejected`.

    A declaration of any regime and date is returned as BİLGE holds it: whether it is a usable
    regime entry (L1) or an anomaly dated after the cut-over (L2) is the core's decision.
    """
    root = _inbound(data, LEGACY_ANSWER_SCHEMA_PATH, _B("BeyannameSorguYanit"), max_bytes)
    transaction_id = _text(root, _B, "IslemNo")
    error = _hata(root, _B)
    if error is not None:
        return LegacyAnswer(transaction_id, requested=None, declaration=None, error=error)
    requested = _text(root, _B, "SorgulananBeyannameNo")
    beyanname = root.find(_B("Beyanname"))
    found = _text(root, _B, "Sonuc") == "BULUNDU"
    if found != (beyanname is not None):
        raise XmlRejected(
            "inconsistent: BULUNDU without a <Beyanname>" if found else "inconsistent: BULUNAMADI with a <Beyanname>"
        )
    declaration = None if beyanname is None else _legacy_declaration(beyanname)
    return LegacyAnswer(transaction_id, requested=requested, declaration=declaration, error=None)


def _legacy_declaration(beyanname: Any) -> LegacyDeclaration:
    karne = beyanname.find(_B("Karne"))
    hamil = karne.find(_B("Hamil"))
    try:
        carnet = CarnetData(
            carnet_number=_text(karne, _B, "KarneNo"),
            holder_name=_text(hamil, _B, "Unvan"),
            holder_id=_optional_text(hamil, _B, "VergiNo") or _optional_text(hamil, _B, "TCKimlikNo"),
            issuing_country=_text(karne, _B, "DuzenleyenUlke"),
            issuing_chamber=_text(karne, _B, "DuzenleyenOda"),
            issued_on=date.fromisoformat(_text(karne, _B, "DuzenlemeTarihi")),
            valid_until=date.fromisoformat(_text(karne, _B, "GecerlilikTarihi")),
            goods=tuple(_goods_line(kalem) for kalem in karne.find(_B("EsyaListesi")).iterfind(_B("Kalem"))),
        )
        return LegacyDeclaration(
            bilge_number=_text(beyanname, _B, "BeyannameNo"),
            regime=_text(beyanname, _B, "Rejim"),
            customs_office=_text(beyanname, _B, "GumrukIdaresi"),
            registered_on=date.fromisoformat(_text(beyanname, _B, "TescilTarihi")),
            carnet=carnet,
            # The declaration's items as the hub tracks them: pieces per goods-list line (KarneSiraNo).
            lines=tuple(
                LegacyLine(line_no=int(_text(kalem, _B, "KarneSiraNo")), quantity=int(_text(kalem, _B, "Miktar")))
                for kalem in beyanname.find(_B("Kalemler")).iterfind(_B("Kalem"))
            ),
        )
    except ValidationError as exc:
        # Valid against the schema yet not a declaration the hub can hold.
        raise XmlRejected(f"inconsistent: does not fit the hub's model: {_model_problem(exc)}") from None


def _goods_line(kalem: Any) -> GoodsListLine:
    deger = kalem.find(_B("Deger"))
    return GoodsListLine(
        line_no=int(_text(kalem, _B, "SiraNo")),
        description=_text(kalem, _B, "TicariTanim"),
        quantity=int(_text(kalem, _B, "Miktar")),
        weight_kg=Decimal(_text(kalem, _B, "Agirlik")),  # birim is always KG (schema)
        value=Decimal(_collapse(deger.text)),
        currency=_collapse(deger.get("dovizCinsi")),
        origin_country=_text(kalem, _B, "MenseUlke"),
    )


# --- summary declaration look-up (S1, S2) -----------------------------------------------------

_O = _qualifier(NS_SUMMARY)


def parse_summary_answer(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SummaryAnswer:
    """Parse BİLGE's ``<OzetBeyanSorguYanit>``. Raises :class:`XmlRejected`, also when a document
    or line has more packages open than declared."""
    root = _inbound(data, SUMMARY_ANSWER_SCHEMA_PATH, _O("OzetBeyanSorguYanit"), max_bytes)
    transaction_id = _text(root, _O, "IslemNo")
    error = _hata(root, _O)
    if error is not None:
        return SummaryAnswer(transaction_id, None, None, None, (), error)
    requested = _text(root, _O, "SorgulananOzetBeyanNo")
    ozet = root.find(_O("OzetBeyan"))
    found = _text(root, _O, "Sonuc") == "BULUNDU"
    if found != (ozet is not None):
        raise XmlRejected(
            "inconsistent: BULUNDU without an <OzetBeyan>" if found else "inconsistent: BULUNAMADI with an <OzetBeyan>"
        )
    if ozet is None:
        return SummaryAnswer(transaction_id, requested, None, None, (), None)
    parts: list[SummaryPart] = []
    for senet in ozet.find(_O("TasimaSenetleri")).iterfind(_O("TasimaSenedi")):
        document = _text(senet, _O, "TasimaSenediNo")
        parts.append(_part(senet, document, None))
        satirlar = senet.find(_O("TasimaSatirlari"))
        if satirlar is not None:
            parts.extend(
                _part(satir, document, int(_text(satir, _O, "TasimaSatirNo")))
                for satir in satirlar.iterfind(_O("TasimaSatiri"))
            )
    return SummaryAnswer(
        transaction_id,
        requested,
        summary_number=_text(ozet, _O, "OzetBeyanNo"),
        customs_office=_text(ozet, _O, "GumrukIdaresi"),
        parts=tuple(parts),
        error=None,
    )


def _part(element: Any, document: str, line: int | None) -> SummaryPart:
    packages = int(_text(element, _O, "KapAdedi"))
    open_packages = int(_text(element, _O, "AcikKapAdedi"))
    if open_packages > packages:
        where = document + (f" line {line}" if line is not None else "")
        raise XmlRejected(f"inconsistent: {where} has {open_packages} packages open of {packages} declared")
    return SummaryPart(transport_document=document, transport_line=line, packages=packages, open_packages=open_packages)


# --- closure out, confirmation in (S3, S4) ----------------------------------------------------

_K = _qualifier(NS_CLOSURE)


def closure_request_xml(request: SummaryClosureRequested) -> bytes:
    """The ``<OzetBeyanKapanisIstegi>`` for ``request`` (S4), validated against ``kapanis.xsd``.

    Raises :class:`XmlRejected` for a request the hub should never have built: goods in temporary
    storage without the storage code, or a code for goods not in storage (S3).
    """
    opening = request.opening
    if opening.temporary_storage != (opening.storage_code is not None):
        raise XmlRejected(
            f"inconsistent outbound closure {request.closure_id}: temporary storage "
            f"{'without' if opening.temporary_storage else 'not used, yet'} a storage code (S3)"
        )
    root = etree.Element(_K("OzetBeyanKapanisIstegi"), nsmap={None: NS_CLOSURE}, surum="1.0")
    etree.SubElement(root, _K("KapanisNo")).text = str(request.closure_id)
    etree.SubElement(root, _K("AtaBeyanNo")).text = request.declaration_number
    etree.SubElement(root, _K("OzetBeyanNo")).text = opening.summary_number
    etree.SubElement(root, _K("TasimaSenediNo")).text = opening.transport_document
    if opening.transport_line is not None:
        etree.SubElement(root, _K("TasimaSatirNo")).text = str(opening.transport_line)
    etree.SubElement(root, _K("KapAdedi")).text = str(opening.packages)
    if opening.storage_code is not None:
        cikis = etree.SubElement(root, _K("GeciciDepolamaCikisi"))
        etree.SubElement(cikis, _K("DepolamaYeriKodu")).text = opening.storage_code
    return _outbound(root, CLOSURE_SCHEMA_PATH)


def parse_closure_answer(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ClosureAnswer:
    """Parse BİLGE's ``<OzetBeyanKapanisYanit>``. Raises :class:`XmlRejected`."""
    root = _inbound(data, CLOSURE_SCHEMA_PATH, _K("OzetBeyanKapanisYanit"), max_bytes)
    transaction_id = _text(root, _K, "IslemNo")
    error = _hata(root, _K)
    if error is not None:
        return ClosureAnswer(transaction_id, None, None, already_applied=False, error=error)
    return ClosureAnswer(
        transaction_id,
        closure_id=UUID(_text(root, _K, "KapanisNo")),
        summary_number=_text(root, _K, "OzetBeyanNo"),
        already_applied=_text(root, _K, "Durum") == "DAHA_ONCE_UYGULANDI",
        error=None,
    )


# --- TCGB answer out, receipt in (F2) ---------------------------------------------------------

_Y = _qualifier(NS_TCGB_ANSWER)


def tcgb_answer_xml(answer: TcgbAnswered) -> bytes:
    """The ``<TcgbYanit>`` for ``answer`` (F2), validated against ``tcgb-yanit.xsd``.

    Rows are grouped under their TCGB item as in the TCGB (items in order of first appearance).
    A reason longer than the schema's 500 characters is cut with "…". Raises :class:`XmlRejected`
    for an answer without rows (our bug: every TCGB command has at least one).
    """
    root = etree.Element(_Y("TcgbYanit"), nsmap={None: NS_TCGB_ANSWER}, surum="1.0")
    etree.SubElement(root, _Y("TcgbNo")).text = answer.tcgb_number
    etree.SubElement(root, _Y("Sonuc")).text = _decision(answer.accepted)
    if answer.rule is not None:
        etree.SubElement(root, _Y("Kural")).text = answer.rule
    kalemler = etree.SubElement(root, _Y("Kalemler"))
    by_item: dict[int, Any] = {}
    for row in answer.items:
        kalem = by_item.get(row.item_no)
        if kalem is None:
            kalem = by_item[row.item_no] = etree.SubElement(kalemler, _Y("Kalem"))
            etree.SubElement(kalem, _Y("KalemNo")).text = str(row.item_no)
        acma = etree.SubElement(kalem, _Y("TcgbAcma"))
        etree.SubElement(acma, _Y("BeyannameNo")).text = row.declaration_number
        etree.SubElement(acma, _Y("KalemNo")).text = str(row.line_no)
        etree.SubElement(acma, _Y("Sonuc")).text = _decision(row.accepted)
        reason = _collapse(row.reason)
        if reason:
            etree.SubElement(acma, _Y("RetNedeni")).text = (
                reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 1] + "…"
            )
    return _outbound(root, TCGB_ANSWER_SCHEMA_PATH)


def _decision(accepted: bool) -> str:
    return "KABUL" if accepted else "RET"


def parse_tcgb_receipt(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> TcgbReceipt:
    """Parse BİLGE's ``<TcgbYanitAlindi>``. Raises :class:`XmlRejected`."""
    root = _inbound(data, TCGB_ANSWER_SCHEMA_PATH, _Y("TcgbYanitAlindi"), max_bytes)
    transaction_id = _text(root, _Y, "IslemNo")
    error = _hata(root, _Y)
    if error is not None:
        return TcgbReceipt(transaction_id, None, already_recorded=False, error=error)
    return TcgbReceipt(
        transaction_id,
        tcgb_number=_text(root, _Y, "TcgbNo"),
        already_recorded=_text(root, _Y, "Durum") == "DAHA_ONCE_KAYDEDILDI",
        error=None,
    )
