"""Simulator of BİLGE's web service for the hub (BİLGE gümrük beyannamesi sistemi).

BİLGE cannot be reached from development and CI, so this plays it over real HTTP. It speaks the
interface :mod:`adapters.bilge.client` expects (documents in ``schemas/bilge/``), so the client can
be pointed at the real service by configuration alone (base URL, API key and its header, timeouts).
It reads and writes XML itself, from the schemas, without :mod:`adapters.bilge.xml`: a wrong
assumption in the adapter's mapping is then not silently mirrored here.

BİLGE interface (modelled; the real contract is not public). API key in ``X-Api-Key`` (the
header name is configurable); every answer ``application/xml; charset=utf-8``, errors as
``<Hata kod="...">`` inside the endpoint's answer document:

``GET /beyanname/{BeyannameNo}``
    A declaration lodged under an ATA carnet (L1): 200 ``<BeyannameSorguYanit>`` BULUNDU with the
    ``<Beyanname>``, whatever its regime and date (an L2 anomaly is served as BİLGE holds it), or
    BULUNAMADI; 400 ``GECERSIZ_BEYANNAME_NO`` for a malformed number.
``GET /ozet-beyan/{OzetBeyanNo}``
    A summary declaration with its documents and lines and the packages still open (S1, S2): 200
    ``<OzetBeyanSorguYanit>`` BULUNDU/BULUNAMADI; 400 ``GECERSIZ_BEYANNAME_NO``.
``POST /ozet-beyan/kapanis``
    ``<OzetBeyanKapanisIstegi>`` (S4): 200 ``<OzetBeyanKapanisYanit>`` UYGULANDI, or
    DAHA_ONCE_UYGULANDI for a closure id applied before (confirmed again, applied once: the open
    packages go down once); 400 ``GECERSIZ_ISTEK``; 404 ``BULUNAMADI`` (no such ÖB, document or
    line); 409 ``KAP_ADEDI_ASILDI`` (more packages than open, S2) or ``KAPANIS_NO_CAKISMASI`` (the
    id already closed something else). A line's closure lowers the line and its document; a whole
    document's closure lowers the document and its lines, first line first.
``POST /tcgb/yanit``
    ``<TcgbYanit>`` (F2): 200 ``<TcgbYanitAlindi>`` KAYDEDILDI, or DAHA_ONCE_KAYDEDILDI for an
    identical answer recorded before; 400 ``GECERSIZ_ISTEK``. The simulator does not check that it
    sent the TCGB answered.
All four: 401 ``YETKISIZ`` for a missing or wrong key.

Simulator controls (not BİLGE's; for tests and demos, no key needed):

``POST /_sim/faults``
    JSON ``{"fail_next": N, "status": 503, "delay_next": M, "delay_all": false,
    "delay_seconds": 0.0, "invalid_next": K, "drop_answer_next": D}`` replaces the fault plan for
    the four endpoints above. Each call is first delayed (``delay_seconds``, for the next
    ``delay_next`` calls or all of them with ``delay_all``), then failed with ``status`` and a
    ``<Hata>`` while ``fail_next`` lasts (nothing applied), then answered 200 with a schema-invalid
    body while ``invalid_next`` lasts (nothing applied). ``drop_answer_next`` serves the call
    (a closure is applied) and then answers ``status`` anyway: the answer lost on the way back.
``GET /_sim/faults``, ``DELETE /_sim/faults``
    Show or clear the plan.
``GET /_sim/requests``, ``DELETE /_sim/requests``
    ``{"count": n, "requests": [{"method", "path", "status"}...]}``: calls seen, failed ones
    included, newest last; or reset.
``GET /_sim/closures``
    ``{"count": n, "closures": [...]}``: closures applied, each with its ``receipts`` (how many
    times it was sent and confirmed).
``GET /_sim/tcgb-answers``
    ``{"count": n, "answers": [...]}``: TCGB answers recorded, each with its ``receipts``.
``POST /_sim/push-tcgb``
    JSON ``{"target_url": "...", "xml": "<Tcgb ...>", "headers": {...}}`` or, instead of ``xml``,
    ``"sample": {"tcgb_number", "regime", "office", "rows": [[item_no, declaration_number,
    carnet_number, line_no, quantity], ...], "registered_on", "carnet_number"}``: BİLGE sends a
    registered TCGB to the hub, POSTing it to ``target_url`` as ``application/xml`` (a sample also
    with ``X-Belge-No: <TCGB number>``). ``xml`` is sent as given, invalid or hostile included (to
    test the receiver). Answers ``{"status": ..., "body": ...}`` with the
    receiver's reply, or 502 if it could not be reached. Bind the simulator to localhost: it posts
    wherever it is told.
``POST /_sim/push-tcgb-life``, ``/_sim/tcgb-feed``
    BİLGE delivers the life of import and export TCGBs (``<TcgbDurumBildirimi>`` status batches,
    ``tcgb-durum.xsd``) to the hub's intake: a past day at once, or live as their stages are reached
    (:mod:`adapters.bilge.tcgb_life_push`).
``POST /_sim/reset``
    Back to the fixtures: open packages restored, closures, answers, faults and the log cleared.

Its dates move with the calendar: ``create_app(today=...)`` serves every date of the records moved
by ``today - FIXTURE_DAY``, and :func:`fixture_cutover` is the L2 cut-over they are written around,
moved alike. A hub beside the simulator judges L2 at that cut-over (``HUB_BILGE_CUTOVER``) for a
legacy record to mean what it says (``hub run`` does so, :mod:`hub.entrypoints.stack`).

To an ``https://`` target it presents its client certificate (mutual TLS, like BİLGE):
``create_app(sender_tls=...)``, or run alone ``$BILGE_SIM_TLS_CERT``, ``$BILGE_SIM_TLS_KEY`` and
``$BILGE_SIM_INTAKE_CA`` (the CA the intake's certificate must chain to). It signs each document it
pushes with BİLGE's key (``create_app(signing_key=...)``; run alone, the key file
``$BILGE_SIM_SIGNING_KEY`` names, else the development key of the sender ``bilge``).

Run it: ``python -m adapters.bilge.simulator --port 8702 [--api-key KEY] [--fixtures DIR]``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final, Self

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, FilePath, model_validator
from pydantic_settings import SettingsConfigDict

from adapters.bilge.tcgb_life_push import add_tcgb_life_routes
from adapters.simulation import (
    ERRORS_BY_STATUS,
    XML_MEDIA_TYPE,
    SimulatorProgram,
    SimulatorSettings,
    SimulatorState,
    add_controls,
    error_response,
    xml_response,
)
from adapters.simulation import FaultPlan as SharedFaultPlan
from hub.configuration.settings import signing_key as key_of  # create_app's `signing_key` is the key itself
from hub.contract.signing import HTTP_SIGNATURE_HEADER, SigningKey, sign
from hub.operations import tracing
from hub.runtime.tls import ClientTls, tls_of
from hub.runtime.xmlsafe import (
    XmlRejected,
    XsdSchema,
    load_schema,
    parse_and_validate,
    parse_untrusted,
    serialize_validated,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_FIXTURES",
    "DEFAULT_PORT",
    "FIXTURE_CUTOVER",
    "FIXTURE_DAY",
    "SENDER",
    "SENDER_TLS_ENV",
    "SIGNING_KEY_ENV",
    "FaultPlan",
    "PushRequest",
    "TcgbSample",
    "create_app",
    "fixture_cutover",
    "main",
    "sample_tcgb_xml",
    "serve",
]

DEFAULT_FIXTURES: Final = Path(__file__).resolve().parent / "fixtures"
DEFAULT_API_KEY: Final = "bilge-sim-key"
DEFAULT_PORT: Final = 8702

_SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "schemas" / "bilge"
_NS_TCGB: Final = "urn:gtb:bilge:tcgb:1"
_NS_SUMMARY: Final = "urn:gtb:bilge:ozet-beyan-sorgu:1"
_NS_LEGACY: Final = "urn:gtb:bilge:beyanname-sorgu:1"
_NS_CLOSURE: Final = "urn:gtb:bilge:kapanis:1"
_NS_TCGB_ANSWER: Final = "urn:gtb:bilge:tcgb-yanit:1"
_BILGE_NUMBER = re.compile(r"[0-9]{8}[A-Z]{2}[0-9]{6}")
_TURKIYE_TIME = timezone(timedelta(hours=3))  # no DST since 2016
_MAX_FIXTURE_BYTES: Final = 50 * 1024 * 1024
_MAX_HATA: Final = 250  # MetinTipi's maxLength
_PUSH_TIMEOUT_S: Final = 10.0
# Run alone, the simulator's client certificate for pushing documents, its key, and the intake's CA.
SENDER_TLS_ENV: Final = ("BILGE_SIM_TLS_CERT", "BILGE_SIM_TLS_KEY", "BILGE_SIM_INTAKE_CA")
SIGNING_KEY_ENV: Final = "BILGE_SIM_SIGNING_KEY"  # BİLGE's key file, run alone
SENDER: Final = "bilge"  # the sending system BİLGE is in topics.yaml `senders:`
# The day the bundled records were written for; `today` moves their dates along with the calendar.
FIXTURE_DAY: Final = date(2026, 11, 21)
# The L2 cut-over the bundled records are written around, on FIXTURE_DAY. Not the legal one (2021-06-02,
# the hub's default): a carnet is valid for a year at most, so no carnet valid today has a declaration
# from before 2021-06-02, and a legacy record on a carnet still valid (L1) needs a cut-over within the
# last year. It moves with the records, so each stays on its side of it.
FIXTURE_CUTOVER: Final = date(2026, 6, 2)


class FaultPlan(SharedFaultPlan):
    """Faults the simulator injects into the next BİLGE calls (``POST /_sim/faults``)."""

    drop_answer_next: int = Field(
        default=0, ge=0, description="Serve this many calls, then answer `status` instead (answer lost)."
    )


class TcgbSample(BaseModel):
    """The arguments of :func:`sample_tcgb_xml`, as JSON for ``POST /_sim/push-tcgb``."""

    model_config = ConfigDict(extra="forbid")

    tcgb_number: str
    regime: str = "4000"
    office: str
    rows: list[tuple[int, str, str, int, int]] = Field(
        default_factory=list, description="(item_no, declaration_number, carnet_number, line_no, quantity)"
    )
    registered_on: date | None = None
    carnet_number: str | None = Field(default=None, description="Header KarneNo (a declaration under a carnet).")


class PushRequest(BaseModel):
    """``POST /_sim/push-tcgb``: what to send to the hub, and where."""

    model_config = ConfigDict(extra="forbid")

    target_url: str = Field(description="The hub's endpoint receiving TCGBs from BİLGE.")
    xml: str | None = Field(default=None, description="The document, sent as given (invalid ones too).")
    sample: TcgbSample | None = Field(default=None, description="Or build a valid sample TCGB.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers, e.g. the hub's API key.")

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.xml is None) == (self.sample is None):
            raise ValueError("give exactly one of `xml` and `sample`")
        return self


# --- state ------------------------------------------------------------------------------------


@dataclass
class _Line:
    packages: int
    open: int


@dataclass
class _Document:
    packages: int
    open: int
    lines: dict[int, _Line]  # TasimaSatirNo -> line, in the fixture's order


@dataclass
class _Summary:
    number: str
    office: str
    registered_on: str
    documents: dict[str, _Document]  # TasimaSenediNo -> document, in the fixture's order


@dataclass
class _Closure:
    closure_id: str
    declaration_number: str
    summary_number: str
    transport_document: str
    transport_line: int | None
    packages: int
    storage_code: str | None
    receipts: int = 1

    def same_closure(self, other: _Closure) -> bool:
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


@dataclass(frozen=True)
class _Family:
    """One endpoint's answer document: its root element and schema (errors travel inside it)."""

    ns: str
    root: str
    schema: XsdSchema

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"


@dataclass
class _State(SimulatorState):
    fixtures_path: Path
    shift: timedelta  # how far the records' dates are moved (today - FIXTURE_DAY)
    api_key: str
    api_key_header: str
    legacy: dict[str, Any]  # BeyannameNo -> <Beyanname> element
    summaries: dict[str, _Summary]
    closures: dict[str, _Closure] = field(default_factory=dict)
    tcgb_answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical JSON -> record
    faults: FaultPlan = field(default_factory=FaultPlan, kw_only=True)  # with this simulator's own faults


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(parent: Any, ns: str, tag: str) -> str:
    return _collapse(parent.findtext(_q(ns, tag)))


def _now() -> str:
    return datetime.now(_TURKIYE_TIME).isoformat(timespec="seconds")


def _envelope(family: _Family) -> Any:
    root = etree.Element(family.q(family.root), nsmap={None: family.ns}, surum="1.0")
    etree.SubElement(root, family.q("IslemNo")).text = str(uuid.uuid4())
    etree.SubElement(root, family.q("IslemZamani")).text = _now()
    return root


def _error(family: _Family, code: str, message: str) -> Any:
    root = _envelope(family)
    hata = etree.SubElement(root, family.q("Hata"), kod=code)
    message = _collapse(message)
    hata.text = message if len(message) <= _MAX_HATA else message[: _MAX_HATA - 1] + "…"
    return root


def _found_answer(family: _Family, asked_tag: str, number: str, record: Any | None) -> Any:
    root = _envelope(family)
    etree.SubElement(root, family.q(asked_tag)).text = number
    etree.SubElement(root, family.q("Sonuc")).text = "BULUNDU" if record is not None else "BULUNAMADI"
    if record is not None:
        root.append(record)
    return root


def _summary_element(summary: _Summary) -> Any:
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


def _strip_indentation(element: Any) -> None:
    # Drop the file's indentation: answers go out compact.
    for node in element.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None


# --- fixtures ---------------------------------------------------------------------------------


def _shift(today: date | None) -> timedelta:
    return today - FIXTURE_DAY if today is not None else timedelta(0)


def fixture_cutover(today: date | None = None) -> date:
    """The L2 cut-over the records are written around, moved as ``create_app(today=today)`` moves them."""
    return FIXTURE_CUTOVER + _shift(today)


def _moved(text: str | None, shift: timedelta) -> str:
    day = _collapse(text)
    return (date.fromisoformat(day) + shift).isoformat() if shift else day


def _move_dates(beyanname: Any, shift: timedelta) -> None:
    """A declaration's registration date and its carnet's issue and validity dates, moved by ``shift``."""
    b, karne = _NS_LEGACY, _q(_NS_LEGACY, "Karne")
    for path in (_q(b, "TescilTarihi"), f"{karne}/{_q(b, 'DuzenlemeTarihi')}", f"{karne}/{_q(b, 'GecerlilikTarihi')}"):
        element = beyanname.find(path)
        if element is not None:
            element.text = _moved(element.text, shift)


def _load_fixtures(
    path: Path, legacy_family: _Family, summary_family: _Family, shift: timedelta
) -> tuple[dict[str, Any], dict[str, _Summary]]:
    """The ``BeyannameKayitlari`` and ``OzetBeyanKayitlari`` among the ``*.xml`` of a directory, or one such
    file, their dates moved by ``shift``."""
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    legacy: dict[str, Any] = {}
    summaries: dict[str, _Summary] = {}
    for file in files:
        root = parse_untrusted(file.read_bytes(), max_bytes=_MAX_FIXTURE_BYTES)
        if root.tag == _q(_NS_LEGACY, "BeyannameKayitlari"):
            for beyanname in root.iterfind(_q(_NS_LEGACY, "Beyanname")):
                _strip_indentation(beyanname)
                if shift:
                    _move_dates(beyanname, shift)
                number = _text(beyanname, _NS_LEGACY, "BeyannameNo")
                if number in legacy:
                    raise ValueError(f"{file}: declaration {number} appears twice")
                # Check the record by building the very answer it will be served in: a broken
                # fixture fails at start-up, not in the middle of a test.
                answer = _found_answer(legacy_family, "SorgulananBeyannameNo", number, copy.deepcopy(beyanname))
                serialize_validated(answer, legacy_family.schema)
                legacy[number] = beyanname
        elif root.tag == _q(_NS_SUMMARY, "OzetBeyanKayitlari"):
            for ozet in root.iterfind(_q(_NS_SUMMARY, "OzetBeyan")):
                summary = _summary_from(ozet, file, shift)
                if summary.number in summaries:
                    raise ValueError(f"{file}: özet beyan {summary.number} appears twice")
                answer = _found_answer(
                    summary_family, "SorgulananOzetBeyanNo", summary.number, _summary_element(summary)
                )
                serialize_validated(answer, summary_family.schema)
                summaries[summary.number] = summary
        elif not path.is_dir():
            raise ValueError(f"{file}: <{etree.QName(root).localname}> holds neither declarations nor summaries")
        # In a directory, other documents (an export sample beside the records) are not ours to load.
    if not legacy and not summaries:
        raise ValueError(f"{path}: no <Beyanname> or <OzetBeyan> records")
    return legacy, summaries


def _summary_from(ozet: Any, file: Path, shift: timedelta) -> _Summary:
    o = _NS_SUMMARY
    documents: dict[str, _Document] = {}
    for senet in ozet.iterfind(f"{_q(o, 'TasimaSenetleri')}/{_q(o, 'TasimaSenedi')}"):
        number = _text(senet, o, "TasimaSenediNo")
        lines: dict[int, _Line] = {}
        for satir in senet.iterfind(f"{_q(o, 'TasimaSatirlari')}/{_q(o, 'TasimaSatiri')}"):
            line_no = int(_text(satir, o, "TasimaSatirNo"))
            if line_no in lines:  # the dict would hide it from the schema's uniqueness check
                raise ValueError(f"{file}: {number}: line {line_no} appears twice")
            lines[line_no] = _Line(int(_text(satir, o, "KapAdedi")), int(_text(satir, o, "AcikKapAdedi")))
        if number in documents:
            raise ValueError(f"{file}: transport document {number} appears twice")
        document = _Document(int(_text(senet, o, "KapAdedi")), int(_text(senet, o, "AcikKapAdedi")), lines)
        # The simulator keeps a document and its lines in step; a fixture that does not is a typo.
        if document.open > document.packages or any(line.open > line.packages for line in lines.values()):
            raise ValueError(f"{file}: {number}: more packages open than declared")
        if lines and (
            sum(line.packages for line in lines.values()) != document.packages
            or sum(line.open for line in lines.values()) != document.open
        ):
            raise ValueError(f"{file}: {number}: its lines do not add up to the document")
        documents[number] = document
    return _Summary(
        number=_text(ozet, o, "OzetBeyanNo"),
        office=_text(ozet, o, "GumrukIdaresi"),
        registered_on=_moved(ozet.findtext(_q(o, "TescilTarihi")), shift),
        documents=documents,
    )


# --- sample TCGB ------------------------------------------------------------------------------


def sample_tcgb_xml(
    tcgb_number: str,
    regime: str,
    office: str,
    rows: Sequence[tuple[int, str, str, int, int]],
    *,
    registered_on: date | None = None,
    carnet_number: str | None = None,
) -> bytes:
    """A valid ``<Tcgb>`` as BİLGE would push it, for demos and tests (F1).

    ``rows`` are ``(item_no, declaration_number, carnet_number, line_no, quantity)``: each becomes a
    ``TcgbAcma`` of item ``item_no`` (rows with the same item number share the item). Without rows
    the TCGB has one item drawing nothing down. ``carnet_number`` goes in the header: a declaration
    lodged under a carnet, e.g. a 5800 BİLGE took after the cut-over (L2). Tariff code,
    description, weights and value of the items are placeholders. Raises
    :class:`~hub.runtime.xmlsafe.XmlRejected` if an argument breaks the schema (e.g. a malformed number).
    """
    t = _NS_TCGB
    by_item: dict[int, list[tuple[str, str, int, int]]] = {}
    for item_no, declaration_number, row_carnet, line_no, quantity in rows:
        by_item.setdefault(item_no, []).append((declaration_number, row_carnet, line_no, quantity))
    if not by_item:
        by_item[1] = []
    root = etree.Element(_q(t, "Tcgb"), nsmap={None: t}, surum="1.0")
    etree.SubElement(root, _q(t, "IslemNo")).text = str(uuid.uuid4())
    etree.SubElement(root, _q(t, "IslemZamani")).text = _now()
    etree.SubElement(root, _q(t, "BeyannameNo")).text = tcgb_number
    etree.SubElement(root, _q(t, "Rejim")).text = regime
    etree.SubElement(root, _q(t, "GumrukIdaresi")).text = office
    etree.SubElement(root, _q(t, "TescilTarihi")).text = (registered_on or date.today()).isoformat()
    etree.SubElement(root, _q(t, "KapAdedi")).text = str(len(by_item))
    etree.SubElement(root, _q(t, "EsyaninBulunduguYer")).text = "Gümrük sahası"
    if carnet_number is not None:
        etree.SubElement(root, _q(t, "KarneNo")).text = carnet_number
    kalemler = etree.SubElement(root, _q(t, "Kalemler"))
    for item_no, openings in by_item.items():
        pieces = sum(quantity for *_, quantity in openings) or 1
        kalem = etree.SubElement(kalemler, _q(t, "Kalem"))
        etree.SubElement(kalem, _q(t, "KalemNo")).text = str(item_no)
        etree.SubElement(kalem, _q(t, "Gtip")).text = "847989970000"
        etree.SubElement(kalem, _q(t, "TicariTanim")).text = "ATA karnesi kapsamı eşya"
        etree.SubElement(kalem, _q(t, "Miktar"), birim="C62").text = str(pieces)
        etree.SubElement(kalem, _q(t, "BrutAgirlik")).text = f"{pieces * 10}.000"
        etree.SubElement(kalem, _q(t, "NetAgirlik")).text = f"{pieces * 8}.000"
        etree.SubElement(kalem, _q(t, "IstatistikiKiymet")).text = f"{pieces * 1000}.00"
        for declaration_number, row_carnet, line_no, quantity in openings:
            acma = etree.SubElement(kalem, _q(t, "TcgbAcma"))
            etree.SubElement(acma, _q(t, "BeyannameNo")).text = declaration_number
            etree.SubElement(acma, _q(t, "KarneNo")).text = row_carnet
            etree.SubElement(acma, _q(t, "KalemNo")).text = str(line_no)
            etree.SubElement(acma, _q(t, "Miktar")).text = str(quantity)
    return serialize_validated(root, load_schema(_SCHEMA_DIR / "tcgb.xsd"))


# --- the app ----------------------------------------------------------------------------------


_ERRORS: Final = {**ERRORS_BY_STATUS, 404: ("BULUNAMADI", "Kayıt bulunamadı.")}


def create_app(
    fixtures_path: Path | None = None,
    *,
    api_key: str = DEFAULT_API_KEY,
    api_key_header: str = "X-Api-Key",
    sender_tls: ClientTls | None = None,
    today: date | None = None,
    signing_key: SigningKey | None = None,
) -> FastAPI:
    """Build the simulator serving the records in ``fixtures_path`` (a directory of ``*.xml`` or one
    file; default: the bundled ``adapters/bilge/fixtures``). ``sender_tls``: the client certificate
    BİLGE presents when it pushes a document to an ``https://`` intake (and the CA it checks the
    intake's certificate against), as the real BİLGE does (mutual TLS). ``signing_key``: BİLGE's key,
    with which it signs each document it pushes (header X-Signature); without one, it pushes unsigned.

    With ``today``, every date of the records moves by ``today - FIXTURE_DAY``: a carnet valid for
    three more months stays so, and a record stays on its side of :func:`fixture_cutover` (the
    cut-over moves alike: judge L2 at ``fixture_cutover(today)``). Without it, the dates are served
    as written (judged at FIXTURE_DAY, with the cut-over FIXTURE_CUTOVER).
    """
    # One context for every push: loading the key and the CA once, not per document.
    push_tls = sender_tls.context() if sender_tls is not None else True
    legacy_family = _Family(_NS_LEGACY, "BeyannameSorguYanit", load_schema(_SCHEMA_DIR / "beyanname-sorgu-yanit.xsd"))
    summary_family = _Family(
        _NS_SUMMARY, "OzetBeyanSorguYanit", load_schema(_SCHEMA_DIR / "ozet-beyan-sorgu-yanit.xsd")
    )
    closure_family = _Family(_NS_CLOSURE, "OzetBeyanKapanisYanit", load_schema(_SCHEMA_DIR / "kapanis.xsd"))
    receipt_family = _Family(_NS_TCGB_ANSWER, "TcgbYanitAlindi", load_schema(_SCHEMA_DIR / "tcgb-yanit.xsd"))
    path = fixtures_path or DEFAULT_FIXTURES
    shift = _shift(today)
    legacy, summaries = _load_fixtures(path, legacy_family, summary_family, shift)
    state = _State(path, shift, api_key, api_key_header, legacy, summaries)
    app = FastAPI(title="BİLGE (simulator)", version="1.0")
    app.state.simulator = state

    def xml(family: _Family, element: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return xml_response(element, family.schema, status, headers)

    def error(family: _Family, status: int, code: str | None = None, message: str | None = None) -> Response:
        return error_response(lambda c, m: _error(family, c, m), family.schema, status, code, message, _ERRORS)

    async def serve_call(request: Request, family: _Family, handler: Callable[[], Awaitable[Response]]) -> Response:
        entry: dict[str, Any] = {"method": request.method, "path": request.url.path, "status": None}
        state.requests_seen += 1
        state.request_log.append(entry)
        response = await faulted(request, family, handler)
        entry["status"] = response.status_code
        return response

    async def faulted(request: Request, family: _Family, handler: Callable[[], Awaitable[Response]]) -> Response:
        plan = state.faults
        if plan.delay_all or plan.delay_next > 0:
            if not plan.delay_all:
                plan.delay_next -= 1
            await asyncio.sleep(plan.delay_seconds)
        if plan.fail_next > 0:
            plan.fail_next -= 1
            return error(family, plan.status)
        if plan.invalid_next > 0:
            plan.invalid_next -= 1
            # Well-formed but breaking the schema: the client must refuse it, not retry it.
            root = _envelope(family)
            etree.SubElement(root, family.q("Sonuc")).text = "BELKI"
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            return Response(body, media_type=XML_MEDIA_TYPE)
        offered = request.headers.get(state.api_key_header, "")
        if not secrets.compare_digest(offered.encode(), state.api_key.encode()):
            return error(family, 401)
        response = await handler()
        if plan.drop_answer_next > 0:
            plan.drop_answer_next -= 1
            return error(family, plan.status)  # served, but the caller never sees the answer
        return response

    @app.get("/beyanname/{beyanname_no:path}")
    async def beyanname_sorgu(beyanname_no: str, request: Request) -> Response:
        async def handle() -> Response:
            if not _BILGE_NUMBER.fullmatch(beyanname_no):
                return error(legacy_family, 400, "GECERSIZ_BEYANNAME_NO", "Beyanname numarası 16 karakter olmalıdır.")
            found = state.legacy.get(beyanname_no)
            record = copy.deepcopy(found) if found is not None else None
            return xml(legacy_family, _found_answer(legacy_family, "SorgulananBeyannameNo", beyanname_no, record))

        return await serve_call(request, legacy_family, handle)

    @app.get("/ozet-beyan/{ozet_beyan_no:path}")
    async def ozet_beyan_sorgu(ozet_beyan_no: str, request: Request) -> Response:
        async def handle() -> Response:
            if not _BILGE_NUMBER.fullmatch(ozet_beyan_no):
                return error(summary_family, 400, "GECERSIZ_BEYANNAME_NO", "Özet beyan numarası 16 karakter olmalıdır.")
            summary = state.summaries.get(ozet_beyan_no)
            record = _summary_element(summary) if summary is not None else None
            return xml(summary_family, _found_answer(summary_family, "SorgulananOzetBeyanNo", ozet_beyan_no, record))

        return await serve_call(request, summary_family, handle)

    @app.post("/ozet-beyan/kapanis")
    async def ozet_beyan_kapanis(request: Request) -> Response:
        async def handle() -> Response:
            try:
                root = parse_and_validate(await request.body(), closure_family.schema)
            except XmlRejected as exc:
                return error(closure_family, 400, "GECERSIZ_ISTEK", exc.reason)
            if root.tag != closure_family.q("OzetBeyanKapanisIstegi"):
                return error(closure_family, 400, "GECERSIZ_ISTEK", "OzetBeyanKapanisIstegi bekleniyordu.")
            return close(_closure_from(root))

        return await serve_call(request, closure_family, handle)

    def close(closure: _Closure) -> Response:
        # No await from the look-up to the change: two concurrent sendings cannot both apply.
        seen = state.closures.get(closure.closure_id)
        if seen is not None:
            if not seen.same_closure(closure):
                return error(
                    closure_family,
                    409,
                    "KAPANIS_NO_CAKISMASI",
                    f"Kapanış no {closure.closure_id} başka bir kapanışa ait.",
                )
            seen.receipts += 1
            return confirmed(closure, "DAHA_ONCE_UYGULANDI")
        summary = state.summaries.get(closure.summary_number)
        document = summary.documents.get(closure.transport_document) if summary else None
        if summary is None or document is None:
            return error(closure_family, 404, "BULUNAMADI", "Özet beyan veya taşıma senedi bulunamadı.")
        line = document.lines.get(closure.transport_line) if closure.transport_line is not None else None
        if closure.transport_line is not None and line is None:
            return error(closure_family, 404, "BULUNAMADI", f"Taşıma satırı {closure.transport_line} bulunamadı.")
        open_now = line.open if line is not None else document.open
        if closure.packages > open_now:
            return error(
                closure_family, 409, "KAP_ADEDI_ASILDI", f"{closure.packages} kap kapatılamaz: {open_now} kap açık."
            )
        document.open -= closure.packages
        if line is not None:
            line.open -= closure.packages
        else:
            left = closure.packages
            for each in document.lines.values():
                taken = min(each.open, left)
                each.open -= taken
                left -= taken
        state.closures[closure.closure_id] = closure
        return confirmed(closure, "UYGULANDI")

    def confirmed(closure: _Closure, status: str) -> Response:
        root = _envelope(closure_family)
        etree.SubElement(root, closure_family.q("KapanisNo")).text = closure.closure_id
        etree.SubElement(root, closure_family.q("OzetBeyanNo")).text = closure.summary_number
        etree.SubElement(root, closure_family.q("Durum")).text = status
        return xml(closure_family, root)

    @app.post("/tcgb/yanit")
    async def tcgb_yanit(request: Request) -> Response:
        async def handle() -> Response:
            try:
                root = parse_and_validate(await request.body(), receipt_family.schema)
            except XmlRejected as exc:
                return error(receipt_family, 400, "GECERSIZ_ISTEK", exc.reason)
            if root.tag != receipt_family.q("TcgbYanit"):
                return error(receipt_family, 400, "GECERSIZ_ISTEK", "TcgbYanit bekleniyordu.")
            record = _tcgb_answer_from(root)
            key = json.dumps(record, sort_keys=True, ensure_ascii=False)
            seen = state.tcgb_answers.get(key)
            if seen is not None:
                seen["receipts"] += 1
            else:
                state.tcgb_answers[key] = {**record, "receipts": 1}
            receipt = _envelope(receipt_family)
            etree.SubElement(receipt, receipt_family.q("TcgbNo")).text = record["tcgb_number"]
            durum = "DAHA_ONCE_KAYDEDILDI" if seen is not None else "KAYDEDILDI"
            etree.SubElement(receipt, receipt_family.q("Durum")).text = durum
            return xml(receipt_family, receipt)

        return await serve_call(request, receipt_family, handle)

    add_controls(app, state, FaultPlan)

    @app.get("/_sim/closures")
    async def get_closures() -> dict[str, Any]:
        closures = [closure.as_json() for closure in state.closures.values()]
        return {"count": len(closures), "closures": closures}

    @app.get("/_sim/tcgb-answers")
    async def get_tcgb_answers() -> dict[str, Any]:
        answers = list(state.tcgb_answers.values())
        return {"count": len(answers), "answers": answers}

    @app.post("/_sim/reset", status_code=204)
    async def reset() -> None:
        state.legacy, state.summaries = _load_fixtures(state.fixtures_path, legacy_family, summary_family, state.shift)
        state.closures.clear()
        state.tcgb_answers.clear()
        state.faults = FaultPlan()
        state.requests_seen = 0
        state.request_log.clear()

    @app.post("/_sim/push-tcgb")
    async def push_tcgb(push: PushRequest) -> Response:
        if push.sample is not None:
            s = push.sample
            try:
                body = sample_tcgb_xml(
                    s.tcgb_number,
                    s.regime,
                    s.office,
                    s.rows,
                    registered_on=s.registered_on,
                    carnet_number=s.carnet_number,
                )
            except XmlRejected as exc:
                return JSONResponse({"error": f"sample TCGB refused: {exc.reason}"}, status_code=422)
            # BİLGE names the document it delivers; the hub's intake keys its queue by it.
            headers = {"Content-Type": XML_MEDIA_TYPE, "X-Belge-No": s.tcgb_number}
        else:
            assert push.xml is not None  # the model requires one of the two
            body = push.xml.encode("utf-8")
            headers = {"Content-Type": XML_MEDIA_TYPE}
        if signing_key is not None:
            headers[HTTP_SIGNATURE_HEADER] = sign(body, signing_key)
        headers.update(push.headers)
        try:
            async with httpx.AsyncClient(timeout=_PUSH_TIMEOUT_S, follow_redirects=False, verify=push_tls) as http:
                reply = await http.post(push.target_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=502)
        return JSONResponse({"status": reply.status_code, "body": reply.text})

    add_tcgb_life_routes(app, push_tls, signing_key)
    tracing.instrument_app(app, tracing.provider("bilge-simulator"))  # a server span per request, when tracing
    return app


def _closure_from(root: Any) -> _Closure:
    k = _NS_CLOSURE
    line = root.findtext(_q(k, "TasimaSatirNo"))
    storage = root.find(f"{_q(k, 'GeciciDepolamaCikisi')}/{_q(k, 'DepolamaYeriKodu')}")
    return _Closure(
        closure_id=_text(root, k, "KapanisNo"),
        declaration_number=_text(root, k, "AtaBeyanNo"),
        summary_number=_text(root, k, "OzetBeyanNo"),
        transport_document=_text(root, k, "TasimaSenediNo"),
        transport_line=int(line) if line is not None else None,
        packages=int(_text(root, k, "KapAdedi")),
        storage_code=_collapse(storage.text) if storage is not None else None,
    )


def _tcgb_answer_from(root: Any) -> dict[str, Any]:
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


class BilgeSimulatorSettings(SimulatorSettings):
    """The BİLGE simulator run alone: its key, and what it presents when it pushes to the intake."""

    model_config = SettingsConfigDict(env_prefix="BILGE_SIM_")

    tls_cert: FilePath | None = None
    """The client certificate (PEM) it presents to an https:// intake, as BİLGE does."""
    tls_key: FilePath | None = None
    """Its private key."""
    intake_ca: FilePath | None = None
    """The CA it checks the intake's certificate against."""
    signing_key: FilePath | None = Field(
        None, json_schema_extra={"default_shown": "the development key in .data/signing"}
    )
    """BİLGE's signing key (PEM) for the documents it pushes."""

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        self.sender_tls()
        return self

    def sender_tls(self) -> ClientTls | None:
        return tls_of(ClientTls, (self.tls_cert, self.tls_key, self.intake_ca), SENDER_TLS_ENV)


PROGRAM: Final = SimulatorProgram(
    module="adapters.bilge.simulator",
    description="BİLGE simulator.",
    settings=BilgeSimulatorSettings,
    default_api_key=DEFAULT_API_KEY,
    default_port=DEFAULT_PORT,
    build=lambda fixtures, key, header: create_app(
        fixtures,
        api_key=key,
        api_key_header=header,
        sender_tls=BilgeSimulatorSettings.from_env().sender_tls(),
        today=date.today(),
        signing_key=key_of(SENDER, SIGNING_KEY_ENV),  # run alone: $BILGE_SIM_SIGNING_KEY, else the dev key
    ),
)
serve, main = PROGRAM.serve, PROGRAM.main


if __name__ == "__main__":
    main()
