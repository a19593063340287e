"""The signals of an external system (TOBB here; BİLGE and YKTS share the code in hub/runtime/edge.py),
provoked against a real simulator over HTTP and read from the adapter's own endpoints."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from adapters.tobb import simulator as tobb_sim
from adapters.tobb.client import TobbSettings, TobbUnavailable
from hub.configuration.settings import Settings
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.runtime.http_server import BackgroundServer
from tests.e2e.helpers import eventually
from tests.health.scrape import value

CARNET = "TR/2026/000123"


class Tobb:
    """A TOBB simulator that can be stopped and started again on the same address."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.app = tobb_sim.create_app(api_key=tobb_sim.DEFAULT_API_KEY)
        self.server: BackgroundServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = BackgroundServer(self.app, port=self.port).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def faults(self, **plan: object) -> None:
        httpx.post(f"{self.base_url}/_sim/faults", json=plan).raise_for_status()


Adapter = Callable[..., Any]


@pytest.fixture
async def tobb_adapter(settings: Settings) -> AsyncIterator[Adapter]:
    """An adapter of its own (only its client and operations endpoints run, not its consumer), so
    that its breaker and prober are not shared with the session's hub."""
    started: list[tuple[TobbAdapterProcess, Tobb]] = []

    async def make(**tuning: Any) -> tuple[TobbAdapterProcess, Tobb]:
        tobb = Tobb()
        tobb.start()
        knobs = {"timeout_s": 0.5, "max_attempts": 2, "backoff_initial_s": 0.01, "backoff_max_s": 0.05, **tuning}
        process = TobbAdapterProcess(
            settings, TobbSettings(base_url=tobb.base_url, api_key=tobb_sim.DEFAULT_API_KEY, **knobs)
        )
        await process.ops.start()
        started.append((process, tobb))
        await eventually(lambda: _true(process.client.health.last_answer_at is not None))  # the first probe
        return process, tobb

    yield make
    for process, tobb in started:
        await process.ops.stop()
        await process.client.aclose()
        tobb.stop()


async def _true(condition: bool) -> bool:
    return condition


async def _tobb_check(process: TobbAdapterProcess) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"{process.ops.base_url}/health/ready")).json()
    check: dict[str, Any] = next(c for c in body["checks"] if c["name"] == "TOBB")
    return check


async def test_a_slow_tobb_moves_the_latency_histogram(tobb_adapter: Adapter) -> None:
    process, tobb = await tobb_adapter(timeout_s=2.0, probe_every_s=3600)
    ops = process.ops.base_url

    async def slower_than_half_a_second() -> float:
        count = await value(ops, "hub_external_call_seconds_count", system="TOBB")
        return count - await value(ops, "hub_external_call_seconds_bucket", system="TOBB", le="0.5")

    before = await slower_than_half_a_second()
    tobb.faults(delay_next=1, delay_seconds=0.7)
    assert await process.client.fetch_carnet(CARNET) is not None
    assert await slower_than_half_a_second() == before + 1
    assert await value(ops, "hub_external_call_seconds_sum", system="TOBB") >= 0.7


async def test_failed_calls_and_retries_are_counted_by_why(tobb_adapter: Adapter) -> None:
    process, tobb = await tobb_adapter(max_attempts=3, probe_every_s=3600)
    ops = process.ops.base_url
    calls = await value(ops, "hub_external_calls_total", system="TOBB")
    tobb.faults(fail_next=2, status=503)
    assert await process.client.fetch_carnet(CARNET) is not None  # the third attempt answers
    assert await value(ops, "hub_external_calls_total", system="TOBB") == calls + 3
    assert await value(ops, "hub_external_call_errors_total", system="TOBB", kind="http_5xx") == 2
    assert await value(ops, "hub_external_retries_total", system="TOBB") == 2


async def test_stopped_tobb_turns_unhealthy_with_an_open_circuit_then_recovers(tobb_adapter: Adapter) -> None:
    process, tobb = await tobb_adapter(probe_every_s=0.2, breaker_failures=2, breaker_open_s=0.5)
    ops = process.ops.base_url
    assert (await _tobb_check(process))["ok"] is True
    tobb.stop()

    async def unhealthy() -> dict[str, Any] | None:
        check = await _tobb_check(process)
        return check if not check["ok"] and check["extra"]["circuit"] == "open" else None

    check = await eventually(unhealthy)
    assert "no answer since" in check["detail"] and "circuit open" in check["detail"]
    assert await value(ops, "hub_external_circuit_state", system="TOBB", state="open") == 1
    assert await value(ops, "hub_external_call_errors_total", system="TOBB", kind="transport") >= 2

    tobb.start()

    async def recovered() -> bool:
        check = await _tobb_check(process)
        return bool(check["ok"]) and check["extra"]["circuit"] == "closed"

    await eventually(recovered)
    assert await value(ops, "hub_external_circuit_state", system="TOBB", state="closed") == 1


async def test_a_knowingly_degraded_tobb_keeps_the_adapter_ready_and_says_so(tobb_adapter: Adapter) -> None:
    process, tobb = await tobb_adapter(probe_every_s=0.2, breaker_failures=1, breaker_open_s=60)
    tobb.stop()

    async def unhealthy() -> bool:
        return not (await _tobb_check(process))["ok"]

    await eventually(unhealthy)
    url = f"{process.ops.base_url}/health/degraded/TOBB"
    async with httpx.AsyncClient() as anyone:  # without the operations token: nothing changes
        assert (await anyone.put(url, json={"reason": "x", "by": "anyone"})).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await anyone.put(url, json={"reason": "x", "by": "anyone"}, headers=wrong)).status_code == 401
        assert (await anyone.delete(url)).status_code == 401
    assert (await _tobb_check(process))["ok"] is False
    console = {"Authorization": f"Bearer {process.settings.ops_token.get_secret_value()}"}
    async with httpx.AsyncClient(headers=console) as http:
        assert (await http.put(url, json={"reason": " ", "by": "nöbetçi"})).status_code == 422
        declared = await http.put(url, json={"reason": "TOBB bakımda 02:00'ye kadar", "by": "nöbetçi memur"})
        assert declared.status_code == 200
        check = await _tobb_check(process)
        assert check["ok"] is True
        assert check["detail"].startswith("knowingly degraded (TOBB bakımda 02:00'ye kadar, by nöbetçi memur)")
        assert check["extra"]["circuit"] == "open"
        assert (await http.delete(url)).status_code == 200
    assert (await _tobb_check(process))["ok"] is False


async def test_not_ready_while_kafka_does_not_answer_and_the_body_says_so(settings: Settings) -> None:
    with socket.socket() as nothing_there:
        nothing_there.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{nothing_there.getsockname()[1]}"
    with BackgroundServer(tobb_sim.create_app(api_key=tobb_sim.DEFAULT_API_KEY)) as tobb:
        process = TobbAdapterProcess(
            settings.model_copy(update={"kafka_bootstrap": dead}),
            TobbSettings(base_url=tobb.base_url, api_key=tobb_sim.DEFAULT_API_KEY),
        )
        await process.ops.start()
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                live = await http.get(f"{process.ops.base_url}/health/live")
                ready = await http.get(f"{process.ops.base_url}/health/ready")
        finally:
            await process.ops.stop()
            await process.client.aclose()
    assert live.status_code == 200
    assert ready.status_code == 503
    assert f"kafka: no answer from Kafka at {dead}" in ready.json()["reason"]


async def test_an_open_circuit_holds_calls_back_without_calling_tobb(tobb_adapter: Adapter) -> None:
    process, tobb = await tobb_adapter(max_attempts=2, probe_every_s=3600, breaker_failures=2, breaker_open_s=60)
    ops = process.ops.base_url
    tobb.stop()
    with pytest.raises(TobbUnavailable) as first:
        await process.client.fetch_carnet(CARNET)
    assert first.value.attempts == 2  # both failed: the circuit opens
    calls = await value(ops, "hub_external_calls_total", system="TOBB")

    with pytest.raises(TobbUnavailable) as held:
        await process.client.fetch_carnet(CARNET)
    assert held.value.attempts == 0
    assert str(held.value).startswith("TOBB unavailable (not called): TOBB: calls held back by the circuit breaker")
    assert await value(ops, "hub_external_calls_total", system="TOBB") == calls
    assert await value(ops, "hub_external_call_errors_total", system="TOBB", kind="circuit_open") == 1
