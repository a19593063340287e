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

The records and BİLGE's rules on them are :mod:`adapters.bilge.simulated_records`; the push of one
TCGB, :mod:`adapters.bilge.tcgb_push`; this module is the interface above.

Run it: ``python -m adapters.bilge.simulator --port 8702 [--api-key KEY] [--fixtures DIR]``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Self

from fastapi import FastAPI, Request, Response
from lxml import etree
from pydantic import Field, FilePath, model_validator
from pydantic_settings import SettingsConfigDict

from adapters.bilge.simulated_records import (
    CLOSURE,
    FIXTURE_CUTOVER,
    LEGACY,
    RECEIPT,
    SUMMARY,
    Records,
    Refused,
    closure_from,
    fixture_cutover,
    found_answer,
    summary_element,
    tcgb_answer_from,
)
from adapters.bilge.tcgb_life_push import add_tcgb_life_routes
from adapters.bilge.tcgb_push import PushRequest, TcgbSample, add_tcgb_push_route, sample_tcgb_xml
from adapters.simulation import (
    FIXTURE_DAY,
    Family,
    SimulatorProgram,
    SimulatorSettings,
    SimulatorState,
    fixture_shift,
    simulator_app,
)
from adapters.simulation import FaultPlan as SharedFaultPlan
from hub.configuration.settings import signing_key as key_of  # create_app's `signing_key` is the key itself
from hub.contract.signing import SigningKey
from hub.runtime.tls import ClientTls, tls_of
from hub.runtime.xmlsafe import XmlRejected, parse_and_validate

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
_BILGE_NUMBER = re.compile(r"[0-9]{8}[A-Z]{2}[0-9]{6}")
# Run alone, the simulator's client certificate for pushing documents, its key, and the intake's CA.
SENDER_TLS_ENV: Final = ("BILGE_SIM_TLS_CERT", "BILGE_SIM_TLS_KEY", "BILGE_SIM_INTAKE_CA")
SIGNING_KEY_ENV: Final = "BILGE_SIM_SIGNING_KEY"  # BİLGE's key file, run alone
SENDER: Final = "bilge"  # the sending system BİLGE is in topics.yaml `senders:`


class FaultPlan(SharedFaultPlan):
    """Faults the simulator injects into the next BİLGE calls (``POST /_sim/faults``)."""

    drop_answer_next: int = Field(
        default=0, ge=0, description="Serve this many calls, then answer `status` instead (answer lost)."
    )

    def loses_answer(self) -> bool:
        if self.drop_answer_next > 0:
            self.drop_answer_next -= 1
            return True
        return False


@dataclass
class _State(SimulatorState):
    fixtures_path: Path
    shift: timedelta  # how far the records' dates are moved (today - FIXTURE_DAY)
    records: Records
    faults: FaultPlan = field(default_factory=FaultPlan, kw_only=True)  # with this simulator's own faults


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
    path = fixtures_path or DEFAULT_FIXTURES
    shift = fixture_shift(today)
    state = _State(
        fixtures_path=path,
        shift=shift,
        records=Records.load(path, shift),
        api_key=api_key,
        api_key_header=api_key_header,
    )
    app = simulator_app("BİLGE (simulator)", state, FaultPlan, "bilge-simulator")

    @app.get("/beyanname/{beyanname_no:path}")
    async def beyanname_sorgu(beyanname_no: str, request: Request) -> Response:
        async def handle() -> Response:
            if not _BILGE_NUMBER.fullmatch(beyanname_no):
                return LEGACY.refuse(400, "GECERSIZ_BEYANNAME_NO", "Beyanname numarası 16 karakter olmalıdır.")
            found = state.records.legacy.get(beyanname_no)
            record = copy.deepcopy(found) if found is not None else None
            return LEGACY.xml(found_answer(LEGACY, "SorgulananBeyannameNo", beyanname_no, record))

        return await state.take(request, LEGACY, handle)

    @app.get("/ozet-beyan/{ozet_beyan_no:path}")
    async def ozet_beyan_sorgu(ozet_beyan_no: str, request: Request) -> Response:
        async def handle() -> Response:
            if not _BILGE_NUMBER.fullmatch(ozet_beyan_no):
                return SUMMARY.refuse(400, "GECERSIZ_BEYANNAME_NO", "Özet beyan numarası 16 karakter olmalıdır.")
            summary = state.records.summaries.get(ozet_beyan_no)
            record = summary_element(summary) if summary is not None else None
            return SUMMARY.xml(found_answer(SUMMARY, "SorgulananOzetBeyanNo", ozet_beyan_no, record))

        return await state.take(request, SUMMARY, handle)

    @app.post("/ozet-beyan/kapanis")
    async def ozet_beyan_kapanis(request: Request) -> Response:
        async def handle() -> Response:
            root = await _request_document(request, CLOSURE, "OzetBeyanKapanisIstegi")
            if isinstance(root, Response):
                return root
            closure = closure_from(root)
            try:
                status = state.records.close(closure)
            except Refused as refused:
                return CLOSURE.refuse(refused.status, refused.code, refused.message)
            answer = CLOSURE.envelope()
            etree.SubElement(answer, CLOSURE.q("KapanisNo")).text = closure.closure_id
            etree.SubElement(answer, CLOSURE.q("OzetBeyanNo")).text = closure.summary_number
            etree.SubElement(answer, CLOSURE.q("Durum")).text = status
            return CLOSURE.xml(answer)

        return await state.take(request, CLOSURE, handle)

    @app.post("/tcgb/yanit")
    async def tcgb_yanit(request: Request) -> Response:
        async def handle() -> Response:
            root = await _request_document(request, RECEIPT, "TcgbYanit")
            if isinstance(root, Response):
                return root
            record = tcgb_answer_from(root)
            durum = state.records.record_answer(record)
            receipt = RECEIPT.envelope()
            etree.SubElement(receipt, RECEIPT.q("TcgbNo")).text = record["tcgb_number"]
            etree.SubElement(receipt, RECEIPT.q("Durum")).text = durum
            return RECEIPT.xml(receipt)

        return await state.take(request, RECEIPT, handle)

    @app.get("/_sim/closures")
    async def get_closures() -> dict[str, Any]:
        closures = [closure.as_json() for closure in state.records.closures.values()]
        return {"count": len(closures), "closures": closures}

    @app.get("/_sim/tcgb-answers")
    async def get_tcgb_answers() -> dict[str, Any]:
        answers = list(state.records.tcgb_answers.values())
        return {"count": len(answers), "answers": answers}

    @app.post("/_sim/reset", status_code=204)
    async def reset() -> None:
        state.records = Records.load(state.fixtures_path, state.shift)
        state.faults = FaultPlan()
        state.requests_seen = 0
        state.request_log.clear()

    add_tcgb_push_route(app, push_tls, signing_key)
    add_tcgb_life_routes(app, push_tls, signing_key)
    return app


async def _request_document(request: Request, family: Family, root_tag: str) -> Any | Response:
    """The request's document, valid against the family's schema and of the kind expected, or a 400."""
    try:
        root = parse_and_validate(await request.body(), family.schema)
    except XmlRejected as exc:
        return family.refuse(400, "GECERSIZ_ISTEK", exc.reason)
    if root.tag != family.q(root_tag):
        return family.refuse(400, "GECERSIZ_ISTEK", f"{root_tag} bekleniyordu.")
    return root


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
