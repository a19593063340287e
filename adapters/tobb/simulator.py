"""Simulator of TOBB's ATA carnet look-up service (TOBB ATA karne sorgu servisi).

TOBB cannot be reached from development and CI, so this plays it over real HTTP. It speaks the
interface :mod:`adapters.tobb.client` expects, so the client can be pointed at the real service
by configuration alone (base URL, API key and its header, timeouts).

TOBB interface (modelled; the real contract is not public, see
``schemas/tobb/karne-sorgu-yanit.xsd``):

``GET /karne/{karne_no}``
    ``karne_no`` like ``TR/2026/000123``, percent-encoded by the client (``TR%2F2026%2F000123``);
    the raw form is accepted too. A plain GET: a registry look-up needs no request document, so
    there is no SOAP envelope and no request schema. The API key comes in ``X-Api-Key``
    (the header name is configurable).

    - 200 ``<Sonuc>BULUNDU</Sonuc>`` with the ``<Karne>``, expired or not;
    - 200 ``<Sonuc>BULUNAMADI</Sonuc>`` for a well-formed number TOBB does not hold;
    - 400 ``<Hata kod="GECERSIZ_KARNE_NO">`` for a malformed number;
    - 401 ``<Hata kod="YETKISIZ">`` for a missing or wrong key.

Simulator controls (not TOBB's; for tests and demos, no key needed):

``POST /_sim/faults``
    JSON ``{"fail_next": N, "status": 503, "delay_next": M, "delay_all": false,
    "delay_seconds": 0.0, "invalid_next": K}`` replaces the fault plan. Each look-up is first
    delayed (``delay_seconds``, for the next ``delay_next`` look-ups or all of them with
    ``delay_all``), then failed with ``status`` and a ``<Hata>`` body while ``fail_next`` lasts,
    then answered 200 with a schema-invalid body while ``invalid_next`` lasts.
``GET /_sim/faults``, ``DELETE /_sim/faults``
    Show or clear the plan.
``GET /_sim/requests``, ``DELETE /_sim/requests``
    ``{"count": n, "requests": [...]}``: look-ups seen (all of them, failed ones included),
    newest last; or reset. Tests use the count to prove that retries happened.

Run it: ``python -m adapters.tobb.simulator --port 8701 [--api-key KEY] [--fixtures FILE]``.
"""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from lxml import etree
from pydantic_settings import SettingsConfigDict

from adapters.simulation import (
    XML_MEDIA_TYPE,
    SimulatorProgram,
    SimulatorSettings,
    SimulatorState,
    add_controls,
    error_response,
    xml_response,
)
from adapters.simulation import FaultPlan as SharedFaultPlan
from hub.operations import tracing
from hub.runtime.xmlsafe import XsdSchema, load_schema, parse_untrusted, serialize_validated

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_FIXTURES",
    "DEFAULT_PORT",
    "FaultPlan",
    "create_app",
    "main",
    "serve",
]

DEFAULT_FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "carnets.xml"
DEFAULT_API_KEY: Final = "tobb-sim-key"
DEFAULT_PORT: Final = 8701
# The contract shared with the client is the XSD; the rest below is deliberately not imported
# from the client, so that a wrong assumption there is not silently mirrored here.
SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "schemas" / "tobb" / "karne-sorgu-yanit.xsd"
NS: Final = "urn:tobb:ata:karne-sorgu:1"
_CARNET_NUMBER = re.compile(r"TR/[0-9]{4}/[0-9]{6}")
_TURKIYE_TIME = timezone(timedelta(hours=3))  # no DST since 2016
_MAX_FIXTURE_BYTES: Final = 50 * 1024 * 1024


FaultPlan = SharedFaultPlan


@dataclass
class _State(SimulatorState):
    carnets: dict[str, Any]  # KarneNo -> <Karne> element
    api_key: str
    api_key_header: str
    schema: XsdSchema


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


# The day the bundled fixtures were written for; `shift_days` moves their dates along with the calendar.
FIXTURE_DAY: Final = date(2026, 11, 21)


def _load_carnets(path: Path, schema: XsdSchema, shift_days: int = 0) -> dict[str, Any]:
    root = parse_untrusted(path.read_bytes(), max_bytes=_MAX_FIXTURE_BYTES)
    carnets: dict[str, Any] = {}
    for karne in root.iterfind(_q("Karne")):
        for tag in ("DuzenlemeTarihi", "GecerlilikTarihi"):  # issue and validity dates
            element = karne.find(_q(tag))
            if shift_days and element is not None and element.text:
                element.text = (date.fromisoformat(element.text.strip()) + timedelta(days=shift_days)).isoformat()
        number = (karne.findtext(_q("KarneNo")) or "").strip()
        if number in carnets:
            raise ValueError(f"{path}: carnet {number} appears twice")
        for element in karne.iter():  # drop the file's indentation: answers go out compact
            if element.text is not None and not element.text.strip():
                element.text = None
            if element.tail is not None and not element.tail.strip():
                element.tail = None
        # Check the record by building the very answer it will be served in: a broken fixture
        # fails at start-up, not in the middle of a test.
        serialize_validated(_answer(number, found=karne), schema)
        carnets[number] = karne
    if not carnets:
        raise ValueError(f"{path}: no <Karne> records in namespace {NS}")
    return carnets


def _envelope() -> Any:
    root = etree.Element(_q("KarneSorguYanit"), nsmap={None: NS}, surum="1.0")
    etree.SubElement(root, _q("IslemNo")).text = str(uuid.uuid4())
    etree.SubElement(root, _q("IslemZamani")).text = datetime.now(_TURKIYE_TIME).isoformat(timespec="seconds")
    return root


def _answer(number: str, *, found: Any | None, result: str | None = None) -> Any:
    root = _envelope()
    etree.SubElement(root, _q("SorgulananKarneNo")).text = number
    etree.SubElement(root, _q("Sonuc")).text = result or ("BULUNDU" if found is not None else "BULUNAMADI")
    if found is not None:
        root.append(copy.deepcopy(found))
    return root


def _error(code: str, message: str) -> Any:
    root = _envelope()
    hata = etree.SubElement(root, _q("Hata"), kod=code)
    hata.text = message
    return root


def create_app(
    fixtures_path: Path | None = None,
    *,
    api_key: str = DEFAULT_API_KEY,
    api_key_header: str = "X-Api-Key",
    today: date | None = None,
) -> FastAPI:
    """Build the simulator app serving the carnets in ``fixtures_path`` (default: the bundled set).

    With ``today``, fixture dates move by ``today - FIXTURE_DAY``: a carnet valid for three more
    months stays so, an expired one stays expired, whatever the calendar says (demos, long-lived
    environments). Without it, the dates are served as written (tests judge at FIXTURE_DAY).
    """
    schema = load_schema(SCHEMA_PATH)
    shift = (today - FIXTURE_DAY).days if today else 0
    state = _State(
        carnets=_load_carnets(fixtures_path or DEFAULT_FIXTURES, schema, shift),
        api_key=api_key,
        api_key_header=api_key_header,
        schema=schema,
    )
    app = FastAPI(title="TOBB ATA karne sorgu (simulator)", version="1.0")
    app.state.simulator = state

    def xml(element: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return xml_response(element, state.schema, status, headers)

    def error(status: int, code: str | None = None, message: str | None = None) -> Response:
        return error_response(_error, state.schema, status, code, message)

    @app.get("/karne/{karne_no:path}")
    async def karne_sorgu(karne_no: str, request: Request) -> Response:
        entry: dict[str, Any] = {"method": request.method, "path": request.url.path, "status": None}
        state.requests_seen += 1
        state.request_log.append(entry)
        response = await _lookup(karne_no, request)
        entry["status"] = response.status_code
        return response

    async def _lookup(karne_no: str, request: Request) -> Response:
        plan = state.faults
        if plan.delay_all or plan.delay_next > 0:
            if not plan.delay_all:
                plan.delay_next -= 1
            await asyncio.sleep(plan.delay_seconds)
        if plan.fail_next > 0:
            plan.fail_next -= 1
            return error(plan.status)
        if plan.invalid_next > 0:
            plan.invalid_next -= 1
            # Well-formed but breaking the schema: the client must refuse it, not retry it.
            body = etree.tostring(_answer(karne_no, found=None, result="BELKI"), xml_declaration=True, encoding="UTF-8")
            return Response(body, media_type=XML_MEDIA_TYPE)

        offered = request.headers.get(state.api_key_header, "")
        if not secrets.compare_digest(offered.encode(), state.api_key.encode()):
            return error(401)
        if not _CARNET_NUMBER.fullmatch(karne_no):
            return error(400, "GECERSIZ_KARNE_NO", "Karne numarası TR/YYYY/NNNNNN biçiminde olmalıdır.")
        return xml(_answer(karne_no, found=state.carnets.get(karne_no)))

    add_controls(app, state, FaultPlan)

    tracing.instrument_app(app, tracing.provider("tobb-simulator"))  # a server span per request, when tracing
    return app


class TobbSimulatorSettings(SimulatorSettings):
    """The TOBB simulator run alone."""

    model_config = SettingsConfigDict(env_prefix="TOBB_SIM_")


PROGRAM: Final = SimulatorProgram(
    module="adapters.tobb.simulator",
    description="TOBB ATA carnet look-up simulator.",
    settings=TobbSimulatorSettings,
    default_api_key=DEFAULT_API_KEY,
    default_port=DEFAULT_PORT,
    build=lambda fixtures, key, header: create_app(fixtures, api_key=key, api_key_header=header, today=date.today()),
)
serve, main = PROGRAM.serve, PROGRAM.main


if __name__ == "__main__":
    main()
