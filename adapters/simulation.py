"""What every simulator of an external system (TOBB, BİLGE, YKTS) shares: the faults it can be told
to inject, the log of the calls it saw, and the `/_sim/...` endpoints that control both."""

# No `from __future__ import annotations`: FastAPI reads the plan type of the routes below at runtime.

import argparse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.configuration.base import HubSettings, variable
from hub.runtime.xmlsafe import XsdSchema, serialize_validated

REQUEST_LOG_SIZE = 200  # newest calls kept for tests and demos
XML_MEDIA_TYPE: Final = "application/xml; charset=utf-8"

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


def xml_response(element: Any, schema: XsdSchema, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Every answer that leaves is checked against the contract, as the real system's own would be."""
    body = serialize_validated(element, schema)
    return Response(body, status_code=status, media_type=XML_MEDIA_TYPE, headers=headers)


def error_response(
    error_element: Callable[[str, str], Any],
    schema: XsdSchema,
    status: int,
    code: str | None = None,
    message: str | None = None,
    errors: dict[int, tuple[str, str]] = ERRORS_BY_STATUS,
) -> Response:
    """An error answer in the system's own document (`error_element(code, message)`); 429 and 503 say when to retry."""
    default_code, default_message = error_for_status(status, errors)
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return xml_response(error_element(code or default_code, message or default_message), schema, status, headers)


class FaultPlan(BaseModel):
    """Faults a simulator injects into its next calls (``POST /_sim/faults`` replaces the plan)."""

    model_config = ConfigDict(extra="forbid")

    fail_next: int = Field(default=0, ge=0, description="Fail this many next calls with `status`, applying nothing.")
    status: int = Field(default=503, ge=400, le=599, description="HTTP status of injected failures.")
    delay_next: int = Field(default=0, ge=0, description="Delay this many next calls.")
    delay_all: bool = Field(default=False, description="Delay every call until cleared.")
    delay_seconds: float = Field(default=0.0, ge=0.0, le=120.0, description="Length of each delay.")
    invalid_next: int = Field(default=0, ge=0, description="Answer this many with a schema-invalid 200.")


@dataclass(kw_only=True)
class SimulatorState:
    """The fault plan and the call log; each simulator's state adds its own records."""

    faults: FaultPlan = field(default_factory=FaultPlan)
    requests_seen: int = 0
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))


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
