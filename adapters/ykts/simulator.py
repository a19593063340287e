"""Simulator of YKTS's authority look-up (Yükümlü Kayıt ve Takip Sistemi, yetki sorgu).

YKTS cannot be reached from development and CI, so this plays it over real HTTP. It speaks the
interface :mod:`adapters.ykts.client` expects, so the client can be pointed at the real service
by configuration alone (base URL, API key and its header, timeouts).

YKTS interface (modelled; the real contract is not public, see
``schemas/ykts/yetki-sorgu-yanit.xsd``):

``GET /firma/{vkn}/yetkili/{tckn}``
    Does this person (TCKN) hold an authority for this firm (VKN)? A plain GET: a registry look-up
    needs no request document. The API key comes in ``X-Api-Key`` (the header name is configurable).

    - 200 ``<Firma>`` (VKN, name, registered e-mail) and every ``<Yetki>`` of that person for that
      firm, whatever its kind and validity: judging them is the caller's business (A4);
    - 200 ``<Sonuc>FIRMA_BULUNAMADI</Sonuc>`` for a well-formed VKN YKTS does not hold;
    - 200 ``<Sonuc>YETKI_BULUNAMADI</Sonuc>`` when the firm is known but the person holds no
      authority for it (the firm's data is then not disclosed);
    - 400 ``<Hata kod="GECERSIZ_VKN">`` / ``<Hata kod="GECERSIZ_TCKN">`` for an id that is not
      10 / 11 ASCII digits with valid check digits;
    - 401 ``<Hata kod="YETKISIZ">`` for a missing or wrong key.

Simulator controls (not YKTS's; for tests and demos, no key needed):

``POST /_sim/faults``
    JSON ``{"fail_next": N, "status": 503, "delay_next": M, "delay_all": false,
    "delay_seconds": 0.0, "invalid_next": K, "hostile_next": H}`` replaces the fault plan. Each
    look-up is first delayed (``delay_seconds``, for the next ``delay_next`` look-ups or all of
    them with ``delay_all``), then failed with ``status`` and a ``<Hata>`` body while ``fail_next``
    lasts, then answered 200 with a schema-invalid body while ``invalid_next`` lasts, then 200
    with a hostile body (a DOCTYPE declaring an entity bomb) while ``hostile_next`` lasts.
``GET /_sim/faults``, ``DELETE /_sim/faults``
    Show or clear the plan.
``GET /_sim/requests``, ``DELETE /_sim/requests``
    ``{"count": n, "requests": [{"method", "path", "vkn", "tckn", "status"}, ...]}``: look-ups
    seen (all of them, failed ones included), newest last; or reset. Tests use the count to prove
    that retries happened, or that none did.

Run it: ``python -m adapters.ykts.simulator --port 8704 [--api-key KEY] [--fixtures FILE]``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from lxml import etree
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from adapters.simulation import (
    FIXTURE_DAY,
    XML_MEDIA_TYPE,
    Family,
    SimulatorProgram,
    SimulatorSettings,
    SimulatorState,
    fixture_shift,
    move_dates,
    read_fixture,
    simulator_app,
    strip_indentation,
)
from adapters.simulation import FaultPlan as SharedFaultPlan
from hub.domain.identity import tckn_is_valid
from hub.runtime.xmlsafe import serialize_validated

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_FIXTURES",
    "DEFAULT_PORT",
    "FIXTURE_DAY",
    "FaultPlan",
    "create_app",
    "main",
    "serve",
    "vkn_is_valid",
]

DEFAULT_FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "firmalar.xml"
DEFAULT_API_KEY: Final = "ykts-sim-key"
DEFAULT_PORT: Final = 8704
# The contract shared with the client is the XSD; the rest below is deliberately not imported
# from the client, so that a wrong assumption there is not silently mirrored here.
SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "schemas" / "ykts" / "yetki-sorgu-yanit.xsd"
NS: Final = "urn:gtb:ykts:yetki-sorgu:1"
_ANSWER: Final = Family(NS, "YetkiSorguYanit", SCHEMA_PATH)
_q = _ANSWER.q
_ASCII_VKN = re.compile(r"[0-9]{10}")
_ASCII_TCKN = re.compile(r"[0-9]{11}")
_HOSTILE_BODY: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE YetkiSorguYanit [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
    f'<YetkiSorguYanit xmlns="{NS}" surum="1.0"><IslemNo>&d;</IslemNo></YetkiSorguYanit>'
).encode()


def vkn_is_valid(value: str) -> bool:
    """The public VKN algorithm: 10 ASCII digits, the last a check digit over the first nine."""
    if not _ASCII_VKN.fullmatch(value):
        return False
    digits = [int(c) for c in value]
    total = 0
    for i, digit in enumerate(digits[:9]):
        shifted = (digit + 9 - i) % 10
        weighted = (shifted * 2 ** (9 - i)) % 9
        total += 9 if shifted != 0 and weighted == 0 else weighted
    return (10 - total % 10) % 10 == digits[9]


def _tckn_ok(value: str) -> bool:
    # tckn_is_valid alone would take non-ASCII digits ("١٠٠..." passes str.isdigit()).
    return _ASCII_TCKN.fullmatch(value) is not None and tckn_is_valid(value)


class FaultPlan(SharedFaultPlan):
    """Faults the simulator injects into the next look-ups (``POST /_sim/faults``)."""

    hostile_next: int = Field(default=0, ge=0, description="Answer this many with a DOCTYPE entity bomb (200).")

    def own_answer(self) -> Response | None:
        if self.hostile_next > 0:
            self.hostile_next -= 1
            return Response(_HOSTILE_BODY, media_type=XML_MEDIA_TYPE)
        return None


@dataclass(frozen=True)
class _Firm:
    firma: Any  # the <Firma> element
    authorities: dict[str, list[Any]]  # TCKN -> that person's <Yetki> elements, in file order


@dataclass
class _State(SimulatorState):
    firms: dict[str, _Firm]  # VKN -> firm
    faults: FaultPlan = field(default_factory=FaultPlan, kw_only=True)  # with this simulator's own faults


def _load_firms(path: Path, shift: timedelta) -> dict[str, _Firm]:
    root = read_fixture(path)
    firms: dict[str, _Firm] = {}
    for record in root.iterfind(_q("FirmaKaydi")):
        strip_indentation(record)
        firma = record.find(_q("Firma"))
        if firma is None:
            raise ValueError(f"{path}: a <FirmaKaydi> without <Firma>")
        vkn = (firma.findtext(_q("Vkn")) or "").strip()
        if not vkn_is_valid(vkn):
            raise ValueError(f"{path}: VKN {vkn!r} is not 10 digits with a valid check digit")
        if vkn in firms:
            raise ValueError(f"{path}: firm {vkn} appears twice")
        authorities: dict[str, list[Any]] = {}
        for yetki in record.iterfind(_q("Yetki")):
            move_dates(yetki, (_q("BaslangicTarihi"), _q("BitisTarihi")), shift)
            tckn = (yetki.findtext(_q("Tckn")) or "").strip()
            if not _tckn_ok(tckn):
                raise ValueError(f"{path}: firm {vkn}: TCKN {tckn!r} is not 11 digits with valid check digits")
            authorities.setdefault(tckn, []).append(yetki)
        firm = _Firm(firma=firma, authorities=authorities)
        # Check the record by building the very answers it will be served in: a broken fixture
        # fails at start-up, not in the middle of a test.
        for tckn in authorities:
            serialize_validated(_found(vkn, tckn, firm), _ANSWER.schema)
        firms[vkn] = firm
    if not firms:
        raise ValueError(f"{path}: no <FirmaKaydi> records in namespace {NS}")
    return firms


def _asked(vkn: str, tckn: str) -> Any:
    root = _ANSWER.envelope()
    etree.SubElement(root, _q("SorgulananVkn")).text = vkn
    etree.SubElement(root, _q("SorgulananTckn")).text = tckn
    return root


def _found(vkn: str, tckn: str, firm: _Firm) -> Any:
    root = _asked(vkn, tckn)
    root.append(copy.deepcopy(firm.firma))
    for yetki in firm.authorities[tckn]:
        root.append(copy.deepcopy(yetki))
    return root


def _result(vkn: str, tckn: str, result: str) -> Any:
    root = _asked(vkn, tckn)
    etree.SubElement(root, _q("Sonuc")).text = result
    return root


def create_app(
    fixtures_path: Path | None = None,
    *,
    api_key: str = DEFAULT_API_KEY,
    api_key_header: str = "X-Api-Key",
    today: date | None = None,
) -> FastAPI:
    """Build the simulator app serving the firms in ``fixtures_path`` (default: the bundled set).

    With ``today``, fixture dates move by ``today - FIXTURE_DAY``: an authority valid for two more
    months stays so, an expired one stays expired, whatever the calendar says (demos, long-lived
    environments). Without it, the dates are served as written (tests judge at FIXTURE_DAY).
    """
    firms = _load_firms(fixtures_path or DEFAULT_FIXTURES, fixture_shift(today))
    state = _State(firms=firms, api_key=api_key, api_key_header=api_key_header)
    app = simulator_app("YKTS yetki sorgu (simulator)", state, FaultPlan, "ykts-simulator")

    @app.get("/firma/{vkn}/yetkili/{tckn}")
    async def yetki_sorgu(vkn: str, tckn: str, request: Request) -> Response:
        async def lookup() -> Response:
            if not vkn_is_valid(vkn):
                message = "Vergi kimlik numarası 10 haneli ve kontrol hanesi doğru olmalıdır."
                return _ANSWER.refuse(400, "GECERSIZ_VKN", message)
            if not _tckn_ok(tckn):
                message = "T.C. kimlik numarası 11 haneli ve kontrol haneleri doğru olmalıdır."
                return _ANSWER.refuse(400, "GECERSIZ_TCKN", message)
            firm = state.firms.get(vkn)
            if firm is None:
                return _ANSWER.xml(_result(vkn, tckn, "FIRMA_BULUNAMADI"))
            if tckn not in firm.authorities:
                return _ANSWER.xml(_result(vkn, tckn, "YETKI_BULUNAMADI"))
            return _ANSWER.xml(_found(vkn, tckn, firm))

        return await state.take(
            request, _ANSWER, lookup, invalid=lambda: _result(vkn, tckn, "BELKI"), vkn=vkn, tckn=tckn
        )

    return app


class YktsSimulatorSettings(SimulatorSettings):
    """The YKTS simulator run alone."""

    model_config = SettingsConfigDict(env_prefix="YKTS_SIM_")


PROGRAM: Final = SimulatorProgram(
    module="adapters.ykts.simulator",
    description="YKTS authority look-up simulator.",
    settings=YktsSimulatorSettings,
    default_api_key=DEFAULT_API_KEY,
    default_port=DEFAULT_PORT,
    build=lambda fixtures, key, header: create_app(fixtures, api_key=key, api_key_header=header, today=date.today()),
)
serve, main = PROGRAM.serve, PROGRAM.main


if __name__ == "__main__":
    main()
