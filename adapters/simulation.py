"""What every simulator of an external system (TOBB, BİLGE, YKTS) shares: its answer documents and
their errors, the way a call is taken (logged, faulted, its API key checked), the faults it can be
told to inject, the log of the calls it saw, the `/_sim/...` endpoints that control both, its
fixtures' dates moved with the calendar, and how it runs alone. Each simulator keeps its endpoints
and records."""

# No `from __future__ import annotations`: FastAPI reads the plan type of the routes below at runtime.

import argparse
import asyncio
import secrets
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import uvicorn
from fastapi import FastAPI, Request, Response
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.configuration.base import HubSettings, variable
from hub.operations import tracing
from hub.runtime.xmlsafe import XsdSchema, load_schema, parse_untrusted, serialize_validated

REQUEST_LOG_SIZE = 200  # newest calls kept for tests and demos
XML_MEDIA_TYPE: Final = "application/xml; charset=utf-8"
TURKIYE_TIME: Final = timezone(timedelta(hours=3))  # no DST since 2016
MAX_FIXTURE_BYTES: Final = 50 * 1024 * 1024
_MAX_HATA: Final = 250  # MetinTipi's maxLength
# The day the bundled records of every simulator were written for; `today` moves their dates along.
FIXTURE_DAY: Final = date(2026, 11, 21)

# The error codes and texts the Ministry's and TOBB's XML services answer with, by HTTP status; a
# system's XSD may allow more (BİLGE: 404 BULUNAMADI), passed as `errors`.
ERRORS_BY_STATUS: Final[dict[int, tuple[str, str]]] = {
    400: ("GECERSIZ_ISTEK", "İstek işlenemedi."),
    401: ("YETKISIZ", "API anahtarı eksik veya geçersiz."),
    403: ("YETKISIZ", "Bu servise erişim yetkiniz yok."),
    429: ("COK_FAZLA_ISTEK", "Çok fazla istek; lütfen daha sonra yeniden deneyin."),
    503: ("HIZMET_KULLANILAMIYOR", "Hizmet geçici olarak kullanılamıyor."),
}


def error_for_status(status: int, errors: dict[int, tuple[str, str]] = ERRORS_BY_STATUS) -> tuple[str, str]:
    if status in errors:
        return errors[status]
    if status >= 500:
        return ("SISTEM_HATASI", "Beklenmeyen bir sistem hatası oluştu.")
    return errors[400]


@dataclass(frozen=True)
class Family:
    """One answer document of a system: its namespace, root element and schema; errors travel inside
    it as ``<Hata kod>``, with the codes ``errors`` gives each HTTP status."""

    ns: str
    root: str
    schema_path: Path
    errors: dict[int, tuple[str, str]] = field(default_factory=lambda: ERRORS_BY_STATUS)

    @property
    def schema(self) -> XsdSchema:
        return load_schema(self.schema_path)

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def envelope(self) -> Any:
        """The root every answer starts with: a transaction id and the time, in Türkiye."""
        root = etree.Element(self.q(self.root), nsmap={None: self.ns}, surum="1.0")
        etree.SubElement(root, self.q("IslemNo")).text = str(uuid.uuid4())
        etree.SubElement(root, self.q("IslemZamani")).text = now_in_turkiye()
        return root

    def error(self, code: str, message: str) -> Any:
        root = self.envelope()
        hata = etree.SubElement(root, self.q("Hata"), kod=code)
        message = " ".join(message.split())
        hata.text = message if len(message) <= _MAX_HATA else message[: _MAX_HATA - 1] + "…"
        return root

    def xml(self, element: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """Every answer that leaves is checked against the contract, as the real system's own would be."""
        body = serialize_validated(element, self.schema)
        return Response(body, status_code=status, media_type=XML_MEDIA_TYPE, headers=headers)

    def refuse(self, status: int, code: str | None = None, message: str | None = None) -> Response:
        """An error answer in this document; 429 and 503 say when to retry."""
        default_code, default_message = error_for_status(status, self.errors)
        headers = {"Retry-After": "1"} if status in (429, 503) else None
        return self.xml(self.error(code or default_code, message or default_message), status, headers)

    def invalid(self) -> Any:
        """Well-formed but breaking the schema."""
        root = self.envelope()
        etree.SubElement(root, self.q("Sonuc")).text = "BELKI"
        return root


def now_in_turkiye() -> str:
    return datetime.now(TURKIYE_TIME).isoformat(timespec="seconds")


class FaultPlan(BaseModel):
    """Faults a simulator injects into its next calls (``POST /_sim/faults`` replaces the plan)."""

    model_config = ConfigDict(extra="forbid")

    fail_next: int = Field(default=0, ge=0, description="Fail this many next calls with `status`, applying nothing.")
    status: int = Field(default=503, ge=400, le=599, description="HTTP status of injected failures.")
    delay_next: int = Field(default=0, ge=0, description="Delay this many next calls.")
    delay_all: bool = Field(default=False, description="Delay every call until cleared.")
    delay_seconds: float = Field(default=0.0, ge=0.0, le=120.0, description="Length of each delay.")
    invalid_next: int = Field(default=0, ge=0, description="Answer this many with a schema-invalid 200.")

    def own_answer(self) -> Response | None:
        """A fault of a simulator's own, answered instead of the call before its key is checked."""
        return None

    def loses_answer(self) -> bool:
        """Whether the answer of a call served is lost on the way back (the caller sees `status`)."""
        return False


@dataclass(kw_only=True)
class SimulatorState:
    """The key every call must carry, the fault plan and the call log; each simulator's state adds its
    own records."""

    api_key: str
    api_key_header: str = "X-Api-Key"
    faults: FaultPlan = field(default_factory=FaultPlan)
    requests_seen: int = 0
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))

    async def take(
        self,
        request: Request,
        family: Family,
        handler: Callable[[], Awaitable[Response]],
        *,
        invalid: Callable[[], Any] | None = None,
        **logged: Any,
    ) -> Response:
        """One call as the system takes it: logged (failed ones too, with `logged`), then the planned
        faults, the API key, `handler`. `invalid` builds the schema-invalid answer (default: Sonuc BELKI)."""
        entry: dict[str, Any] = {"method": request.method, "path": request.url.path, **logged, "status": None}
        self.requests_seen += 1
        self.request_log.append(entry)
        response = await self._faulted(request, family, handler, invalid or family.invalid)
        entry["status"] = response.status_code
        return response

    async def _faulted(
        self,
        request: Request,
        family: Family,
        handler: Callable[[], Awaitable[Response]],
        invalid: Callable[[], Any],
    ) -> Response:
        plan = self.faults
        if plan.delay_all or plan.delay_next > 0:
            if not plan.delay_all:
                plan.delay_next -= 1
            await asyncio.sleep(plan.delay_seconds)
        if plan.fail_next > 0:
            plan.fail_next -= 1
            return family.refuse(plan.status)
        if plan.invalid_next > 0:
            plan.invalid_next -= 1
            # Well-formed but breaking the schema: the client must refuse it, not retry it.
            body = etree.tostring(invalid(), xml_declaration=True, encoding="UTF-8")
            return Response(body, media_type=XML_MEDIA_TYPE)
        own = plan.own_answer()
        if own is not None:
            return own
        offered = request.headers.get(self.api_key_header, "")
        if not secrets.compare_digest(offered.encode(), self.api_key.encode()):
            return family.refuse(401)
        response = await handler()
        if plan.loses_answer():
            return family.refuse(plan.status)  # served, but the caller never sees the answer
        return response


def simulator_app(title: str, state: SimulatorState, plan_type: type[FaultPlan], traced_as: str) -> FastAPI:
    """The app of a simulator: its state, the `/_sim/` controls, a server span per request when tracing."""
    app = FastAPI(title=title, version="1.0")
    app.state.simulator = state
    add_controls(app, state, plan_type)
    tracing.instrument_app(app, tracing.provider(traced_as))
    return app


# --- fixtures: the records a simulator serves, their dates moved with the calendar -----------------


def read_fixture(path: Path) -> Any:
    """The root of a fixtures file, parsed as safely as anything from outside."""
    return parse_untrusted(path.read_bytes(), max_bytes=MAX_FIXTURE_BYTES)


def strip_indentation(element: Any) -> None:
    """Drop the file's indentation: answers go out compact."""
    for node in element.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None


def fixture_shift(today: date | None) -> timedelta:
    """How far the records' dates move: to keep each as far from `today` as from FIXTURE_DAY."""
    return today - FIXTURE_DAY if today is not None else timedelta(0)


def shifted(day: str | None, shift: timedelta) -> str:
    """An xs:date of the records, moved by `shift`."""
    text = " ".join((day or "").split())
    return (date.fromisoformat(text) + shift).isoformat() if shift else text


def move_dates(parent: Any, paths: Iterable[str], shift: timedelta) -> None:
    """The dates at `paths` (ElementPath) below `parent`, moved by `shift`; absent ones are skipped."""
    for path in paths:
        element = parent.find(path)
        if shift and element is not None:
            element.text = shifted(element.text, shift)


def add_controls(app: FastAPI, state: SimulatorState, plan_type: type[FaultPlan] = FaultPlan) -> None:
    """``GET/POST/DELETE /_sim/faults`` and ``GET/DELETE /_sim/requests`` (not part of the real system)."""

    async def set_faults(plan: plan_type) -> FaultPlan:  # type: ignore[valid-type]
        replaced: FaultPlan = plan.model_copy()  # type: ignore[attr-defined]
        state.faults = replaced
        return replaced

    async def get_faults() -> FaultPlan:
        return state.faults

    async def clear_faults() -> None:
        state.faults = plan_type()

    async def get_requests() -> dict[str, Any]:
        return {"count": state.requests_seen, "requests": list(state.request_log)}

    async def clear_requests() -> None:
        state.requests_seen = 0
        state.request_log.clear()

    app.post("/_sim/faults", response_model=plan_type)(set_faults)
    app.get("/_sim/faults", response_model=plan_type)(get_faults)
    app.delete("/_sim/faults", status_code=204)(clear_faults)
    app.get("/_sim/requests")(get_requests)
    app.delete("/_sim/requests", status_code=204)(clear_requests)


class SimulatorSettings(HubSettings):
    """A simulator run alone (`hub <system>-simulator`); each system's names its prefix (TOBB_SIM_, ...)."""

    api_key: SecretStr | None = Field(None, json_schema_extra={"default_shown": "the built-in demo key"})
    """The API key it expects from the adapter."""


@dataclass(frozen=True)
class SimulatorProgram:
    """How a simulator runs on its own: `hub <system>-simulator` and `python -m adapters.<system>.simulator`."""

    module: str  # adapters.tobb.simulator
    description: str
    settings: type[SimulatorSettings]  # what it reads from the environment (its API key, ...)
    default_api_key: str
    default_port: int
    build: Callable[[Path | None, str, str], FastAPI]  # (fixtures, api key, api key header) -> app

    @property
    def key_variable(self) -> str:
        return variable(self.settings, "api_key")

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        fixtures_path: Path | None = None,
        api_key: str | None = None,
        api_key_header: str = "X-Api-Key",
        log_level: str = "info",
    ) -> None:
        """In the foreground with uvicorn; the key is `api_key`, else $<key_variable>, else the built-in one."""
        configured = self.settings.from_env().api_key
        key = api_key or (configured.get_secret_value() if configured else None) or self.default_api_key
        app = self.build(fixtures_path, key, api_key_header)
        uvicorn.run(app, host=host, port=port or self.default_port, log_level=log_level)

    def main(self, argv: list[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m {self.module}", description=self.description)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=self.default_port)
        parser.add_argument("--fixtures", type=Path, default=None, help="records to serve (default: bundled set)")
        parser.add_argument("--api-key", default=None, help=f"expected key (default: ${self.key_variable} or built-in)")
        parser.add_argument("--api-key-header", default="X-Api-Key")
        parser.add_argument("--log-level", default="info")
        args = parser.parse_args(argv)
        self.serve(
            args.host,
            args.port,
            fixtures_path=args.fixtures,
            api_key=args.api_key,
            api_key_header=args.api_key_header,
            log_level=args.log_level,
        )
