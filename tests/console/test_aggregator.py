"""The console's sampler against real operations endpoints (hub/runtime/ops_endpoints.py) on real sockets, and
against an address where nothing answers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from hub.operations.console.aggregator import Aggregator
from hub.runtime.ops_endpoints import CheckResult, Operations

COMMANDS = "ata.declaration.commands"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _closed_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def core_ops() -> AsyncIterator[Operations]:
    ops = Operations("hub-core")
    await ops.start()
    try:
        yield ops
    finally:
        await ops.stop()


async def test_rates_of_a_process_and_a_process_that_does_not_answer(core_ops: Operations) -> None:
    clock = Clock()
    gone = f"http://127.0.0.1:{_closed_port()}"
    targets = {"hub-core": core_ops.base_url, "adapter-tobb": gone}
    consumed = core_ops.metrics.consumed.labels(topic=COMMANDS, type="LodgeDeclaration", group="hub-core")
    async with Aggregator(lambda: targets, sample_s=0.1, keep_every_s=0, clock=clock) as aggregator:
        consumed.inc(5)
        await aggregator.sample_once()
        clock.now += 60
        consumed.inc(90)
        core_ops.metrics.dead_lettered.labels(topic=COMMANDS, type="undecodable", group="hub-core").inc(2)
        backlog, oldest_age = core_ops.metrics.track_outbox()
        backlog.set(3)
        oldest_age.set(42.5)
        await aggregator.sample_once()

        shown = {p["name"]: p for p in aggregator.overview()["processes"]}

    core = shown["hub-core"]
    assert (core["state"], core["health"], core["live"]) == ("ready", "Ready", True)
    last_minute = core["windows"]["1m"]
    assert last_minute["consumed_per_s"] == pytest.approx(1.5)
    assert last_minute["errors_per_min"] == pytest.approx(2.0)
    assert core["totals"]["dead_lettered"] == 2
    assert core["outbox"] == {"backlog": 3, "oldest_unsent_age_s": 42.5}

    tobb = shown["adapter-tobb"]
    assert (tobb["state"], tobb["up"], tobb["ready"]) == ("down", False, None)
    assert tobb["health"].startswith(f"Down: no answer from {gone} (ConnectError")
    assert tobb["last_answer_at"] is None and tobb["windows"]["1m"] is None


async def test_a_process_that_is_not_ready_says_why(core_ops: Operations) -> None:
    async def store_gone() -> CheckResult:
        raise OSError("unable to open database file")

    core_ops.add_check("store", store_gone)
    async with Aggregator(lambda: {"hub-core": core_ops.base_url}) as aggregator:
        await aggregator.sample_once()
        [core] = aggregator.overview()["processes"]

    assert (core["state"], core["ready"], core["live"]) == ("not_ready", False, True)
    assert core["health"] == "Not ready: store: OSError: unable to open database file"
    assert core["checks"] == [
        {"name": "store", "ok": False, "detail": "OSError: unable to open database file", "extra": {}}
    ]


async def test_a_process_that_moved_is_watched_at_its_new_address_from_a_fresh_history() -> None:
    first, second = Operations("adapter-ykts"), Operations("adapter-ykts")
    await first.start()
    await second.start()
    try:
        where = {"adapter-ykts": first.base_url}
        clock = Clock()
        async with Aggregator(lambda: where, keep_every_s=0, clock=clock) as aggregator:
            await aggregator.sample_once()
            clock.now += 10
            await aggregator.sample_once()
            assert aggregator.overview()["processes"][0]["windows"]["1m"] is not None
            where["adapter-ykts"] = second.base_url  # restarted elsewhere: its counters start again
            await aggregator.sample_once()
            [moved] = aggregator.overview()["processes"]
            assert (moved["base_url"], moved["state"]) == (second.base_url, "ready")
            assert moved["windows"]["1m"] is None  # one sample of the new one: no rate yet
            where.clear()
            await aggregator.sample_once()
            assert aggregator.overview()["processes"] == []
    finally:
        await first.stop()
        await second.stop()


async def test_targets_that_cannot_be_read_leave_the_last_ones_watched(core_ops: Operations) -> None:
    answers = [{"hub-core": core_ops.base_url}]

    def targets() -> dict[str, str]:
        if not answers:
            raise RuntimeError("the stack is being restarted")
        return answers.pop()

    async with Aggregator(targets) as aggregator:
        await aggregator.sample_once()
        await aggregator.sample_once()
        assert [p["name"] for p in aggregator.overview()["processes"]] == ["hub-core"]
