"""The records the BİLGE simulator holds, and BİLGE's rules on them: declarations lodged under carnets
(L1, L2) and summary declarations with the packages still open (S1, S2), read from its fixtures with
their dates moved with the calendar; the closures applied to them (S4) and the TCGB answers
recorded (F2), each applied once however often it is sent."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from lxml import etree

from adapters.simulation import (
    ERRORS_BY_STATUS,
    Family,
    fixture_shift,
    move_dates,
    read_fixture,
    shifted,
    strip_indentation,
)
from adapters.system import collapse as _collapse
from hub.runtime.xmlsafe import serialize_validated

_SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "schemas" / "bilge"
_NS_SUMMARY: Final = "urn:gtb:bilge:ozet-beyan-sorgu:1"
_NS_LEGACY: Final = "urn:gtb:bilge:beyanname-sorgu:1"
_NS_CLOSURE: Final = "urn:gtb:bilge:kapanis:1"
_NS_TCGB_ANSWER: Final = "urn:gtb:bilge:tcgb-yanit:1"
ERRORS: Final = {**ERRORS_BY_STATUS, 404: ("BULUNAMADI", "Kayıt bulunamadı.")}
# Each endpoint's answer document (errors travel inside it).
LEGACY: Final = Family(_NS_LEGACY, "BeyannameSorguYanit", _SCHEMA_DIR / "beyanname-sorgu-yanit.xsd", ERRORS)
SUMMARY: Final = Family(_NS_SUMMARY, "OzetBeyanSorguYanit", _SCHEMA_DIR / "ozet-beyan-sorgu-yanit.xsd", ERRORS)
CLOSURE: Final = Family(_NS_CLOSURE, "OzetBeyanKapanisYanit", _SCHEMA_DIR / "kapanis.xsd", ERRORS)
RECEIPT: Final = Family(_NS_TCGB_ANSWER, "TcgbYanitAlindi", _SCHEMA_DIR / "tcgb-yanit.xsd", ERRORS)
# The L2 cut-over the bundled records are written around, on FIXTURE_DAY. Not the legal one (2021-06-02,
# the hub's default): a carnet is valid for a year at most, so no carnet valid today has a declaration
# from before 2021-06-02, and a legacy record on a carnet still valid (L1) needs a cut-over within the
# last year. It moves with the records, so each stays on its side of it.
FIXTURE_CUTOVER: Final = date(2026, 6, 2)


def fixture_cutover(today: date | None = None) -> date:
    """The L2 cut-over the records are written around, moved as ``create_app(today=today)`` moves them."""
    return FIXTURE_CUTOVER + fixture_shift(today)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(parent: Any, ns: str, tag: str) -> str:
    return _collapse(parent.findtext(_q(ns, tag)))


# A declaration's registration date, and its carnet's issue and validity dates.
_KARNE: Final = _q(_NS_LEGACY, "Karne")
_LEGACY_DATES: Final = (
    _q(_NS_LEGACY, "TescilTarihi"),
    f"{_KARNE}/{_q(_NS_LEGACY, 'DuzenlemeTarihi')}",
    f"{_KARNE}/{_q(_NS_LEGACY, 'GecerlilikTarihi')}",
)


@dataclass
class Line:
    packages: int
    open: int


@dataclass
class Document:
    packages: int
    open: int
    lines: dict[int, Line]  # TasimaSatirNo -> line, in the fixture's order


@dataclass
class Summary:
    number: str
    office: str
    registered_on: str
    documents: dict[str, Document]  # TasimaSenediNo -> document, in the fixture's order


@dataclass
class Closure:
    closure_id: str
    declaration_number: str
    summary_number: str
    transport_document: str
    transport_line: int | None
    packages: int
    storage_code: str | None
    receipts: int = 1

    def same_closure(self, other: Closure) -> bool:
        return (
            self.declaration_number,
            self.summary_number,
            self.transport_document,
            self.transport_line,
            self.packages,
            self.storage_code,
        ) == (
            other.declaration_number,
            other.summary_number,
            other.transport_document,
            other.transport_line,
            other.packages,
            other.storage_code,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "closure_id": self.closure_id,
            "declaration_number": self.declaration_number,
            "summary_number": self.summary_number,
            "transport_document": self.transport_document,
            "transport_line": self.transport_line,
            "packages": self.packages,
            "leaves_temporary_storage": self.storage_code is not None,
            "storage_code": self.storage_code,
            "receipts": self.receipts,
        }


class Refused(Exception):
    """BİLGE refuses what it was sent: the HTTP status, its ``<Hata kod>`` and text."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass
class Records:
    """What BİLGE holds, as loaded from the fixtures and changed by the calls since."""

    legacy: dict[str, Any]  # BeyannameNo -> <Beyanname> element
    summaries: dict[str, Summary]
    closures: dict[str, Closure] = field(default_factory=dict)
    tcgb_answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical JSON -> record

    @classmethod
    def load(cls, path: Path, shift: timedelta) -> Records:
        return cls(*load_fixtures(path, shift))

    def close(self, closure: Closure) -> str:
        """Apply `closure` once (S4): its Durum, UYGULANDI or DAHA_ONCE_UYGULANDI; or :class:`Refused`."""
        # No await from the look-up to the change: two concurrent sendings cannot both apply.
        seen = self.closures.get(closure.closure_id)
        if seen is not None:
            if not seen.same_closure(closure):
                raise Refused(409, "KAPANIS_NO_CAKISMASI", f"Kapanış no {closure.closure_id} başka bir kapanışa ait.")
            seen.receipts += 1
            return "DAHA_ONCE_UYGULANDI"
        summary = self.summaries.get(closure.summary_number)
        document = summary.documents.get(closure.transport_document) if summary else None
        if summary is None or document is None:
            raise Refused(404, "BULUNAMADI", "Özet beyan veya taşıma senedi bulunamadı.")
        line = document.lines.get(closure.transport_line) if closure.transport_line is not None else None
        if closure.transport_line is not None and line is None:
            raise Refused(404, "BULUNAMADI", f"Taşıma satırı {closure.transport_line} bulunamadı.")
        open_now = line.open if line is not None else document.open
        if closure.packages > open_now:
            raise Refused(409, "KAP_ADEDI_ASILDI", f"{closure.packages} kap kapatılamaz: {open_now} kap açık.")
        document.open -= closure.packages
        if line is not None:
            line.open -= closure.packages
        else:
            left = closure.packages
            for each in document.lines.values():
                taken = min(each.open, left)
                each.open -= taken
                left -= taken
        self.closures[closure.closure_id] = closure
        return "UYGULANDI"

    def record_answer(self, record: dict[str, Any]) -> str:
        """Record a TCGB answer once (F2): its Durum, KAYDEDILDI or DAHA_ONCE_KAYDEDILDI."""
        key = json.dumps(record, sort_keys=True, ensure_ascii=False)
        seen = self.tcgb_answers.get(key)
        if seen is not None:
            seen["receipts"] += 1
            return "DAHA_ONCE_KAYDEDILDI"
        self.tcgb_answers[key] = {**record, "receipts": 1}
        return "KAYDEDILDI"


def found_answer(family: Family, asked_tag: str, number: str, record: Any | None) -> Any:
    root = family.envelope()
    etree.SubElement(root, family.q(asked_tag)).text = number
    etree.SubElement(root, family.q("Sonuc")).text = "BULUNDU" if record is not None else "BULUNAMADI"
    if record is not None:
        root.append(record)
    return root


def summary_element(summary: Summary) -> Any:
    o = _NS_SUMMARY
    ozet = etree.Element(_q(o, "OzetBeyan"))
    etree.SubElement(ozet, _q(o, "OzetBeyanNo")).text = summary.number
    etree.SubElement(ozet, _q(o, "GumrukIdaresi")).text = summary.office
    etree.SubElement(ozet, _q(o, "TescilTarihi")).text = summary.registered_on
    senetler = etree.SubElement(ozet, _q(o, "TasimaSenetleri"))
    for number, document in summary.documents.items():
        senet = etree.SubElement(senetler, _q(o, "TasimaSenedi"))
        etree.SubElement(senet, _q(o, "TasimaSenediNo")).text = number
        etree.SubElement(senet, _q(o, "KapAdedi")).text = str(document.packages)
        etree.SubElement(senet, _q(o, "AcikKapAdedi")).text = str(document.open)
        if document.lines:
            satirlar = etree.SubElement(senet, _q(o, "TasimaSatirlari"))
            for line_no, line in document.lines.items():
                satir = etree.SubElement(satirlar, _q(o, "TasimaSatiri"))
                etree.SubElement(satir, _q(o, "TasimaSatirNo")).text = str(line_no)
                etree.SubElement(satir, _q(o, "KapAdedi")).text = str(line.packages)
                etree.SubElement(satir, _q(o, "AcikKapAdedi")).text = str(line.open)
    return ozet


def load_fixtures(path: Path, shift: timedelta) -> tuple[dict[str, Any], dict[str, Summary]]:
    """The ``BeyannameKayitlari`` and ``OzetBeyanKayitlari`` among the ``*.xml`` of a directory, or one such
    file, their dates moved by ``shift``."""
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    legacy: dict[str, Any] = {}
    summaries: dict[str, Summary] = {}
    for file in files:
        root = read_fixture(file)
        if root.tag == _q(_NS_LEGACY, "BeyannameKayitlari"):
            for beyanname in root.iterfind(_q(_NS_LEGACY, "Beyanname")):
                strip_indentation(beyanname)
                move_dates(beyanname, _LEGACY_DATES, shift)
                number = _text(beyanname, _NS_LEGACY, "BeyannameNo")
                if number in legacy:
                    raise ValueError(f"{file}: declaration {number} appears twice")
                # Check the record by building the very answer it will be served in: a broken
                # fixture fails at start-up, not in the middle of a test.
                answer = found_answer(LEGACY, "SorgulananBeyannameNo", number, copy.deepcopy(beyanname))
                serialize_validated(answer, LEGACY.schema)
                legacy[number] = beyanname
        elif root.tag == _q(_NS_SUMMARY, "OzetBeyanKayitlari"):
            for ozet in root.iterfind(_q(_NS_SUMMARY, "OzetBeyan")):
                summary = _summary_from(ozet, file, shift)
                if summary.number in summaries:
                    raise ValueError(f"{file}: özet beyan {summary.number} appears twice")
                answer = found_answer(SUMMARY, "SorgulananOzetBeyanNo", summary.number, summary_element(summary))
                serialize_validated(answer, SUMMARY.schema)
                summaries[summary.number] = summary
        elif not path.is_dir():
            raise ValueError(f"{file}: <{etree.QName(root).localname}> holds neither declarations nor summaries")
        # In a directory, other documents (an export sample beside the records) are not ours to load.
    if not legacy and not summaries:
        raise ValueError(f"{path}: no <Beyanname> or <OzetBeyan> records")
    return legacy, summaries


def _summary_from(ozet: Any, file: Path, shift: timedelta) -> Summary:
    o = _NS_SUMMARY
    documents: dict[str, Document] = {}
    for senet in ozet.iterfind(f"{_q(o, 'TasimaSenetleri')}/{_q(o, 'TasimaSenedi')}"):
        number = _text(senet, o, "TasimaSenediNo")
        lines: dict[int, Line] = {}
        for satir in senet.iterfind(f"{_q(o, 'TasimaSatirlari')}/{_q(o, 'TasimaSatiri')}"):
            line_no = int(_text(satir, o, "TasimaSatirNo"))
            if line_no in lines:  # the dict would hide it from the schema's uniqueness check
                raise ValueError(f"{file}: {number}: line {line_no} appears twice")
            lines[line_no] = Line(int(_text(satir, o, "KapAdedi")), int(_text(satir, o, "AcikKapAdedi")))
        if number in documents:
            raise ValueError(f"{file}: transport document {number} appears twice")
        document = Document(int(_text(senet, o, "KapAdedi")), int(_text(senet, o, "AcikKapAdedi")), lines)
        # The simulator keeps a document and its lines in step; a fixture that does not is a typo.
        if document.open > document.packages or any(line.open > line.packages for line in lines.values()):
            raise ValueError(f"{file}: {number}: more packages open than declared")
        if lines and (
            sum(line.packages for line in lines.values()) != document.packages
            or sum(line.open for line in lines.values()) != document.open
        ):
            raise ValueError(f"{file}: {number}: its lines do not add up to the document")
        documents[number] = document
    return Summary(
        number=_text(ozet, o, "OzetBeyanNo"),
        office=_text(ozet, o, "GumrukIdaresi"),
        registered_on=shifted(ozet.findtext(_q(o, "TescilTarihi")), shift),
        documents=documents,
    )


def closure_from(root: Any) -> Closure:
    k = _NS_CLOSURE
    line = root.findtext(_q(k, "TasimaSatirNo"))
    storage = root.find(f"{_q(k, 'GeciciDepolamaCikisi')}/{_q(k, 'DepolamaYeriKodu')}")
    return Closure(
        closure_id=_text(root, k, "KapanisNo"),
        declaration_number=_text(root, k, "AtaBeyanNo"),
        summary_number=_text(root, k, "OzetBeyanNo"),
        transport_document=_text(root, k, "TasimaSenediNo"),
        transport_line=int(line) if line is not None else None,
        packages=int(_text(root, k, "KapAdedi")),
        storage_code=_collapse(storage.text) if storage is not None else None,
    )


def tcgb_answer_from(root: Any) -> dict[str, Any]:
    y = _NS_TCGB_ANSWER
    items = []
    for kalem in root.iterfind(f"{_q(y, 'Kalemler')}/{_q(y, 'Kalem')}"):
        item_no = int(_text(kalem, y, "KalemNo"))
        for acma in kalem.iterfind(_q(y, "TcgbAcma")):
            items.append(
                {
                    "item_no": item_no,
                    "declaration_number": _text(acma, y, "BeyannameNo"),
                    "line_no": int(_text(acma, y, "KalemNo")),
                    "accepted": _text(acma, y, "Sonuc") == "KABUL",
                    "reason": _text(acma, y, "RetNedeni"),
                }
            )
    rule = root.findtext(_q(y, "Kural"))
    return {
        "tcgb_number": _text(root, y, "TcgbNo"),
        "accepted": _text(root, y, "Sonuc") == "KABUL",
        "rule": _collapse(rule) if rule is not None else None,
        "items": items,
    }
