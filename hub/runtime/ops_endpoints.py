"""The operations endpoints of one process: ``/metrics`` for Prometheus, ``/health/live`` and
``/health/ready`` for whoever runs it (systemd, Kubernetes, the operator console).

Live means the process's event loop answers. Ready means it can do its work: Kafka answers, its
store answers, and its external system answered recently or an operator declared it knowingly
degraded; the body says which check failed and why.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import Body, Depends, FastAPI, Header, HTTPException, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.operations.health.external import ExternalSystemHealth
from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.http_server import LoopServer
from hub.runtime.kafka.lag import ConsumerLag

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


Check = Callable[[], Awaitable[CheckResult]]
Refresher = Callable[[], Awaitable[Any]]


class WatchedSystem(Protocol):
    """A client of an external system (hub/runtime/edge.py ExternalSystemClient)."""

    health: ExternalSystemHealth

    def refresh_metrics(self) -> None: ...
    async def keep_probing(self) -> None: ...


def kafka_check(broker: KafkaBroker, bootstrap: str) -> Check:
    async def check() -> CheckResult:
        started = time.monotonic()
        if await broker.ping(timeout=CHECK_TIMEOUT_S - 0.5):
            return CheckResult("kafka", True, f"broker at {bootstrap} answered in {_ms(started)} ms")
        return CheckResult("kafka", False, f"no answer from Kafka at {bootstrap}")

    return check


def store_check(engine: AsyncEngine) -> Check:
    async def check() -> CheckResult:
        started = time.monotonic()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return CheckResult("store", True, f"{engine.dialect.name} answered in {_ms(started)} ms")

    return check


def external_check(health: ExternalSystemHealth) -> Check:
    async def check() -> CheckResult:
        status = health.status()
        return CheckResult(health.system, status.ok, status.detail, status.as_json())

    return check


class Operations:
    """A process's checks, metrics and the HTTP server that shows them."""

    def __init__(self, process: str, metrics: ProcessMetrics | None = None, *, token: str = "") -> None:
        """`token`: what a caller must show (`Authorization: Bearer …`) to change this process's health;
        empty, nobody may (reading /metrics and /health/* stays open to the site's monitoring)."""
        self.process = process
        self._token = token
        self.metrics = metrics or ProcessMetrics(process)
        self._checks: list[tuple[str, Check]] = []
        self._refreshers: list[Refresher] = []
        self.systems: dict[str, ExternalSystemHealth] = {}
        self.started_at = datetime.now(UTC)
        self._server: LoopServer | None = None
        self._lag: ConsumerLag | None = None
        self._probers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.app = self._create_app()

    def add_check(self, name: str, check: Check) -> None:
        self._checks.append((name, check))

    def add_refresher(self, refresh: Refresher) -> None:
        """Something to bring up to date just before each scrape (a backlog counted in the store, the lag)."""
        self._refreshers.append(refresh)

    def watch_kafka(self, broker: KafkaBroker, bootstrap: str) -> None:
        """Ready only while Kafka answers; report the lag of the groups this process consumes in."""
        self.add_check("kafka", kafka_check(broker, bootstrap))
        self._lag = ConsumerLag(bootstrap, self.metrics)
        self.add_refresher(self._lag.measure)

    def watch_store(self, engine: AsyncEngine) -> None:
        self.add_check("store", store_check(engine))

    def watch_system(self, client: WatchedSystem) -> None:
        """Ready only while the system answers (or is knowingly degraded); probe it when idle."""
        health = client.health
        self.systems[health.system] = health
        self.add_check(health.system, external_check(health))

        async def refresh() -> None:
            client.refresh_metrics()

        self.add_refresher(refresh)
        self._probers.append(client.keep_probing)

    async def readiness(self) -> dict[str, Any]:
        results = await asyncio.gather(*(_bounded(name, check) for name, check in self._checks))
        failing = [r for r in results if not r.ok]
        return {
            "process": self.process,
            "ready": not failing,
            "reason": "; ".join(f"{r.name}: {r.detail}" for r in failing) or "every check passed",
            "checks": [asdict(r) for r in results],
        }

    async def scrape(self) -> bytes:
        for refresh in self._refreshers:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_S):
                    await refresh()
            except Exception as exc:  # a scrape still shows everything else
                log.warning("%s: a metric could not be brought up to date: %r", self.process, exc)
        return generate_latest(self.metrics.registry)

    def _create_app(self) -> FastAPI:
        app = FastAPI(title=f"{self.process} operations", docs_url=None, redoc_url=None, openapi_url=None)

        @app.get("/metrics")
        async def metrics() -> Response:
            return Response(await self.scrape(), media_type=CONTENT_TYPE_LATEST)

        @app.get("/health/live")
        async def live() -> dict[str, Any]:
            uptime = (datetime.now(UTC) - self.started_at).total_seconds()
            return {
                "process": self.process,
                "live": True,
                "started_at": self.started_at.isoformat(),
                "uptime_s": uptime,
            }

        @app.get("/health/ready")
        async def ready() -> JSONResponse:
            body = await self.readiness()
            return JSONResponse(body, status_code=200 if body["ready"] else 503)

        @app.put("/health/degraded/{system}", dependencies=[Depends(self._authorized)])
        async def degrade(system: str, reason: str = Body(embed=True), by: str = Body("operator", embed=True)) -> Any:
            """Declare an external system knowingly degraded: the process stays ready while it fails."""
            health = self._system(system)
            if not reason.strip():
                raise HTTPException(422, "say why the system is accepted as degraded")
            health.declare_degraded(reason.strip(), by.strip() or "operator")
            log.warning("%s declared knowingly degraded by %s: %s", system, by, reason)
            return health.status().as_json()

        @app.delete("/health/degraded/{system}", dependencies=[Depends(self._authorized)])
        async def undegrade(system: str) -> Any:
            health = self._system(system)
            health.clear_degraded()
            return health.status().as_json()

        return app

    def _authorized(self, authorization: str = Header("")) -> None:
        """Only the console (or an operator with the token) changes a process's health."""
        scheme, _, offered = authorization.partition(" ")
        if (
            not self._token
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(offered.encode(), self._token.encode())
        ):
            raise HTTPException(401, "the operations token is required", headers={"WWW-Authenticate": "Bearer"})

    def _system(self, system: str) -> ExternalSystemHealth:
        for name, health in self.systems.items():
            if name.casefold() == system.casefold() or _ascii(name) == _ascii(system):
                return health
        raise HTTPException(404, f"{self.process} calls no external system named {system}")

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the operations server first"
        return self._server.base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.started_at = datetime.now(UTC)
        self._tasks = [asyncio.create_task(probe(), name=f"{self.process}-probe") for probe in self._probers]
        self._server = await LoopServer(self.app, host=host, port=port).start()
        log.info("%s operations endpoints at %s (/metrics, /health/live, /health/ready)", self.process, self.base_url)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._server is not None:
            await self._server.stop()
            self._server = None
        if self._lag is not None:
            await self._lag.close()


async def _bounded(name: str, check: Check) -> CheckResult:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return await check()
    except TimeoutError:
        return CheckResult(name, False, f"no answer within {CHECK_TIMEOUT_S:.0f}s")
    except Exception as exc:
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}")


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _ascii(name: str) -> str:
    return name.casefold().replace("i̇", "i").replace("ı", "i")
