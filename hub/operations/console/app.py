"""The operator console's application: the page and the JSON it reads, on one origin.

    app = create_console_app(aggregator, bootstrap, engine, sessions, asyncapi_yaml_path=ASYNCAPI)

- ``POST /api/login`` {"name", "password"}, ``POST /api/logout``, ``GET /api/session`` (auth.py, which
  also guards every route below: a session for all, the Origin and CSRF token for changes, the role
  ``act`` for every change).
- ``GET /api/overview``: each process's health, lag, throughput, errors, systems and outbox (Aggregator).
- ``GET /api/dead-letters[?all=1]``; ``POST /api/dead-letters/{id}/replay`` {"again"} and
  ``POST /api/dead-letters/{id}/discard`` {"reason"} (hub/operations/dlq.py). An id is ``<partition>:<offset>``.
- ``PUT`` / ``DELETE /api/processes/{process}/degraded/{system}``: forwarded to that process's
  ``/health/degraded/{system}``; ``GET /api/processes/{process}/metrics``: its Prometheus text.
- ``GET /api/reconciliations``: the latest runs of ``hub reconcile bilge``.
- ``GET /asyncapi.yaml`` and ``GET /asyncapi`` (the document as a page), naming the brokers of ``bootstrap``
  (hub/operations/console/asyncapi.py); ``/``: the page (static/).

Every decision (replay, discard, declare degraded) is recorded under the logged-in operator's name; a
``by`` in a request's body, which older pages sent, is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx
from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.topics import UndeclaredTopic
from hub.operations.console.aggregator import Aggregator
from hub.operations.console.asyncapi import AsyncApiDocument
from hub.operations.console.auth import DEFAULT_LOGIN_LIMIT, CurrentOperator, install_login
from hub.operations.console.sessions import Sessions
from hub.operations.dlq import DeadLetterError, dead_letters, discard, replay
from hub.runtime.kafka.security import KafkaSecurity
from hub.web import serve_page

log = logging.getLogger(__name__)

TITLE: Final = "ATA hub operator console"
STATIC_DIR: Final = Path(__file__).parent / "static"
DLQ_WAIT_S: Final = 10.0
FORWARD_TIMEOUT_S: Final = 5.0

# The AsyncAPI page is one self-contained document: its own inline style, no script at all.
ASYNCAPI_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


class ReplayBody(BaseModel):
    again: bool = False  # replay one already replayed or discarded


class ReasonBody(BaseModel):
    reason: str = Field(max_length=1000, description="why: recorded with the decision")

    @field_validator("reason")
    @classmethod
    def _said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("say why")
        return reason.strip()


def _dlq_failure(exc: Exception) -> HTTPException:
    if isinstance(exc, DeadLetterError):
        text = str(exc)
        unknown = text.startswith("no dead letter") or "is not a dead-letter id" in text
        return HTTPException(404 if unknown else 409, text)
    if isinstance(exc, UndeclaredTopic):
        return HTTPException(409, str(exc))
    if isinstance(exc, KafkaError | TimeoutError):
        why = f"{type(exc).__name__}: {exc}" if str(exc) else f"no answer within {DLQ_WAIT_S + 5:g}s"
        return HTTPException(503, f"Kafka did not answer ({why})")
    if isinstance(exc, SQLAlchemyError):
        return HTTPException(503, f"the store did not answer ({type(exc).__name__})")
    raise exc


class _DeadLetters:
    """hub.deadletter as the page asks for it every few seconds: one read at a time, shared by every
    caller for `fresh_s`, read again at once after a decision."""

    def __init__(self, bootstrap: str, engine: AsyncEngine, fresh_s: float = 1.0) -> None:
        self.bootstrap, self.engine, self.fresh_s = bootstrap, engine, fresh_s
        self._lock = asyncio.Lock()
        self._cached: tuple[float, list[dict[str, Any]]] | None = None
        self._decisions = 0  # decisions taken: a read begun before one is not kept

    async def listed(self) -> list[dict[str, Any]]:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            if self._cached is not None and now - self._cached[0] <= self.fresh_s:
                return self._cached[1]
            decisions = self._decisions
            async with asyncio.timeout(DLQ_WAIT_S + 5):  # Kafka away: say so, never hang the page
                found = await dead_letters(self.bootstrap, self.engine, include_decided=True, wait_s=DLQ_WAIT_S)
            shown = [_shown(d.as_json()) for d in found]
            if decisions == self._decisions:
                self._cached = (now, shown)
            return shown

    def forget(self) -> None:
        self._decisions += 1
        self._cached = None


def _shown(letter: dict[str, Any]) -> dict[str, Any]:
    letter.pop("headers", None)  # the page shows what the headers say, field by field
    return letter


def create_console_app(
    aggregator: Aggregator,
    bootstrap: str,
    engine: AsyncEngine,
    sessions: Sessions,
    *,
    asyncapi_yaml_path: Path,
    ops_token: str = "",
    login_limit: str = DEFAULT_LOGIN_LIMIT,
) -> FastAPI:
    """`ops_token`: what the console shows the processes to change their health (hub/runtime/ops_endpoints.py);
    `login_limit`: logins per client address (a `limits` string)."""
    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    # Before serve_page: its headers cover the guard's refusals too.
    install_login(app, sessions, login_limit=login_limit)
    letters = _DeadLetters(bootstrap, engine)
    # The brokers this console's own Kafka clients use (dead letters): the ones its document names.
    asyncapi = AsyncApiDocument(asyncapi_yaml_path, bootstrap, tls=KafkaSecurity.from_env().ca_file is not None)

    @app.get("/api/overview")
    async def overview() -> dict[str, Any]:
        return aggregator.overview()

    @app.get("/api/dead-letters")
    async def list_dead_letters(all_: bool = Query(False, alias="all")) -> dict[str, Any]:
        try:
            found = await letters.listed()
        except Exception as exc:
            raise _dlq_failure(exc) from None
        shown = found if all_ else [d for d in found if d["status"] == "waiting"]
        waiting = sum(1 for d in found if d["status"] == "waiting")
        return {"dead_letters": list(reversed(shown)), "waiting": waiting, "total": len(found)}

    @app.post("/api/dead-letters/{dead_letter_id}/replay")
    async def replay_one(
        dead_letter_id: str, operator: CurrentOperator, body: ReplayBody | None = None
    ) -> dict[str, Any]:
        body = body or ReplayBody()
        try:
            (done,) = await replay(bootstrap, engine, [dead_letter_id], operator.name, again=body.again)
        except Exception as exc:
            raise _dlq_failure(exc) from None
        finally:
            letters.forget()
        to = f"{done.topic}:{done.partition}@{done.offset}"
        log.info("operator %s replayed dead letter %s to %s", operator.name, done.dead_letter.id, to)
        return {
            "id": done.dead_letter.id,
            "status": "replayed",
            "replayed_to": to,
            "message": f"Dead letter {done.dead_letter.id} sent back to {done.topic} "
            f"(partition {done.partition}, offset {done.offset}).",
        }

    @app.post("/api/dead-letters/{dead_letter_id}/discard")
    async def discard_one(dead_letter_id: str, body: ReasonBody, operator: CurrentOperator) -> dict[str, Any]:
        try:
            letter = await discard(bootstrap, engine, dead_letter_id, body.reason, operator.name)
        except Exception as exc:
            raise _dlq_failure(exc) from None
        finally:
            letters.forget()
        log.info("operator %s discarded dead letter %s: %s", operator.name, letter.id, body.reason)
        return {
            "id": letter.id,
            "status": "discarded",
            "reason": body.reason,
            "message": f"Dead letter {letter.id} discarded: {body.reason}",
        }

    def target(process: str) -> str:
        url = aggregator.target_url(process)
        if url is None:
            raise HTTPException(404, f"the console watches no process named {process}")
        return url

    authorization = {"Authorization": f"Bearer {ops_token}"}

    async def forward(process: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = target(process)
        try:
            async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S, trust_env=False) as http:
                return await http.request(method, url + path, json=body, headers=authorization)
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"{process} did not answer at {url} ({type(exc).__name__})") from None

    @app.put("/api/processes/{process}/degraded/{system}")
    async def degrade(process: str, system: str, body: ReasonBody, operator: CurrentOperator) -> Response:
        answer = await forward(
            process, "PUT", f"/health/degraded/{quote(system, safe='')}", {"reason": body.reason, "by": operator.name}
        )
        if answer.is_success:
            log.info("operator %s declared %s degraded for %s: %s", operator.name, system, process, body.reason)
        await aggregator.sample_target(process)  # the page shows the change at its next refresh
        return _passed_on(answer)

    @app.delete("/api/processes/{process}/degraded/{system}")
    async def undegrade(process: str, system: str, operator: CurrentOperator) -> Response:
        answer = await forward(process, "DELETE", f"/health/degraded/{quote(system, safe='')}")
        if answer.is_success:
            log.info("operator %s cleared %s degraded for %s", operator.name, system, process)
        await aggregator.sample_target(process)
        return _passed_on(answer)

    @app.get("/api/processes/{process}/metrics")
    async def metrics(process: str) -> Response:
        answer = await forward(process, "GET", "/metrics")
        return PlainTextResponse(answer.text, status_code=answer.status_code)

    @app.get("/api/reconciliations")
    async def reconciliations(limit: int = 10) -> dict[str, Any]:
        try:
            from hub.store.reconciliations import recent_reconciliations
        except ImportError:
            raise HTTPException(503, "this version of the hub keeps no reconciliation runs") from None
        try:
            runs = await recent_reconciliations(engine, limit=max(1, min(limit, 100)))
        except SQLAlchemyError as exc:
            raise _dlq_failure(exc) from None
        return {"runs": [run.as_json() for run in runs]}

    @app.get("/asyncapi.yaml")
    async def asyncapi_yaml() -> PlainTextResponse:
        text = await asyncio.to_thread(asyncapi.yaml)
        return PlainTextResponse(text, media_type="text/yaml; charset=utf-8")

    @app.get("/asyncapi", response_class=HTMLResponse)
    async def asyncapi_page() -> HTMLResponse:
        page = await asyncio.to_thread(asyncapi.html)
        return HTMLResponse(page, headers={"Content-Security-Policy": ASYNCAPI_POLICY})

    serve_page(app, STATIC_DIR, "console-page")  # last: its mount at "/" takes every other path
    return app


def _passed_on(answer: httpx.Response) -> Response:
    try:
        return JSONResponse(answer.json(), status_code=answer.status_code)
    except ValueError:
        return PlainTextResponse(answer.text, status_code=answer.status_code)
