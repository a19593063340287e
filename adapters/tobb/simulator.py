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

import copy
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from lxml import etree
from pydantic_settings import SettingsConfigDict

from adapters.simulation import (
    FIXTURE_DAY,
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
]

DEFAULT_FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "carnets.xml"
DEFAULT_API_KEY: Final = "tobb-sim-key"
DEFAULT_PORT: Final = 8701
# The contract shared with the client is the XSD; the rest below is deliberately not imported
# from the client, so that a wrong assumption there is not silently mirrored here.
SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "schemas" / "tobb" / "karne-sorgu-yanit.xsd"
NS: Final = "urn:tobb:ata:karne-sorgu:1"
_ANSWER: Final = Family(NS, "KarneSorguYanit", SCHEMA_PATH)
_q = _ANSWER.q
_CARNET_NUMBER = re.compile(r"TR/[0-9]{4}/[0-9]{6}")


FaultPlan = SharedFaultPlan


@dataclass
class _State(SimulatorState):
    carnets: dict[str, Any]  # KarneNo -> <Karne> element


def _load_carnets(path: Path, shift: timedelta) -> dict[str, Any]:
    root = read_fixture(path)
    carnets: dict[str, Any] = {}
    for karne in root.iterfind(_q("Karne")):
        move_dates(karne, (_q("DuzenlemeTarihi"), _q("GecerlilikTarihi")), shift)  # issue and validity dates
        number = (karne.findtext(_q("KarneNo")) or "").strip()
        if number in carnets:
            raise ValueError(f"{path}: carnet {number} appears twice")
        strip_indentation(karne)
        # Check the record by building the very answer it will be served in: a broken fixture
        # fails at start-up, not in the middle of a test.
        serialize_validated(_answer(number, found=karne), _ANSWER.schema)
        carnets[number] = karne
    if not carnets:
        raise ValueError(f"{path}: no <Karne> records in namespace {NS}")
    return carnets


def _answer(number: str, *, found: Any | None, result: str | None = None) -> Any:
    root = _ANSWER.envelope()
    etree.SubElement(root, _q("SorgulananKarneNo")).text = number
    etree.SubElement(root, _q("Sonuc")).text = result or ("BULUNDU" if found is not None else "BULUNAMADI")
    if found is not None:
        root.append(copy.deepcopy(found))
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
    carnets = _load_carnets(fixtures_path or DEFAULT_FIXTURES, fixture_shift(today))
    state = _State(carnets=carnets, api_key=api_key, api_key_header=api_key_header)
    app = simulator_app("TOBB ATA karne sorgu (simulator)", state, FaultPlan, "tobb-simulator")

    @app.get("/karne/{karne_no:path}")
    async def karne_sorgu(karne_no: str, request: Request) -> Response:
        async def lookup() -> Response:
            if not _CARNET_NUMBER.fullmatch(karne_no):
                return _ANSWER.refuse(400, "GECERSIZ_KARNE_NO", "Karne numarası TR/YYYY/NNNNNN biçiminde olmalıdır.")
            return _ANSWER.xml(_answer(karne_no, found=state.carnets.get(karne_no)))

        return await state.take(request, _ANSWER, lookup, invalid=lambda: _answer(karne_no, found=None, result="BELKI"))

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
