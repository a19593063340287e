"""The console's figures: two samples of a process's /metrics turned into rates an operator reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import generate_latest

from hub.operations.console.figures import Sample, histogram_quantile, increase, rates, read_sample, window
from hub.operations.console.overview import health_words, process_overview
from hub.operations.health.metrics import ProcessMetrics

T0 = datetime(2026, 3, 2, 19, 20, 1, tzinfo=UTC)
COMMANDS = "ata.declaration.commands"


def _sample(metrics: ProcessMetrics, at: float, ready: bool = True) -> Sample:
    body = {"process": metrics.process, "ready": ready, "reason": "every check passed", "checks": []}
    return read_sample(at, T0, {"live": True}, body, generate_latest(metrics.registry).decode())


def _consume(metrics: ProcessMetrics, n: int, topic: str = COMMANDS) -> None:
    metrics.consumed.labels(topic=topic, type="LodgeDeclaration", group="hub-core").inc(n)


def test_throughput_and_error_rate_between_two_samples_a_minute_apart() -> None:
    metrics = ProcessMetrics("hub-core")
    _consume(metrics, 10)
    before = _sample(metrics, at=1000.0)
    _consume(metrics, 20)
    _consume(metrics, 10, topic="tobb.carnet.results")
    metrics.handling_errors.labels(topic=COMMANDS, type="LodgeDeclaration", group="hub-core").inc(2)
    metrics.dead_lettered.labels(topic=COMMANDS, type="undecodable", group="hub-core").inc()
    metrics.refused.labels(topic=COMMANDS, type="LodgeDeclaration", rule="rule-a").inc(3)
    after = _sample(metrics, at=1060.0)

    r = rates(before, after)

    assert r is not None
    assert r.seconds == 60
    assert r.consumed == 30 and r.consumed_per_s == pytest.approx(0.5)
    assert (r.handling_errors, r.dead_lettered) == (2, 1)
    assert r.errors_per_min == pytest.approx(3.0)  # failed attempts and dead letters, per minute
    assert r.refused == {"rule-a": 3}


def test_a_process_that_restarted_counts_from_zero_not_backwards() -> None:
    first_run = ProcessMetrics("adapter-tobb")
    _consume(first_run, 500)
    before = _sample(first_run, at=0.0)
    restarted = ProcessMetrics("adapter-tobb")
    _consume(restarted, 12)
    after = _sample(restarted, at=30.0)

    r = rates(before, after)

    assert r is not None and r.consumed == 12 and r.consumed_per_s == pytest.approx(0.4)
    assert increase({("consumed",): 5.0}, {("consumed",): 7.0, ("refused", "rule-b"): 1.0}) == {
        ("consumed",): 2.0,
        ("refused", "rule-b"): 1.0,
    }


def test_samples_at_the_same_moment_give_no_rate() -> None:
    metrics = ProcessMetrics("hub-core")
    assert rates(_sample(metrics, 5.0), _sample(metrics, 5.0)) is None


def test_p95_of_external_calls_comes_from_the_buckets_filled_between_the_samples() -> None:
    metrics = ProcessMetrics("adapter-tobb")
    for _ in range(100):  # slow calls before the window: they must not count
        metrics.call_seconds.labels(system="TOBB").observe(20.0)
    before = _sample(metrics, at=0.0)
    for _ in range(90):
        metrics.call_seconds.labels(system="TOBB").observe(0.02)
    for _ in range(10):
        metrics.call_seconds.labels(system="TOBB").observe(0.7)
    metrics.calls.labels(system="TOBB").inc(100)
    metrics.call_errors.labels(system="TOBB", kind="timeout").inc(4)
    after = _sample(metrics, at=60.0)

    r = rates(before, after)

    assert r is not None
    tobb = r.systems["TOBB"]
    assert (tobb.calls, tobb.errors, tobb.errors_by_kind) == (100, 4, {"timeout": 4})
    assert tobb.p95_s is not None and 0.5 < tobb.p95_s <= 1.0  # in the (0.5, 1] bucket, not 20 s


def test_histogram_quantile_interpolates_inside_its_bucket() -> None:
    buckets = [(0.1, 50.0), (0.2, 100.0), (float("inf"), 100.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert histogram_quantile(0.75, buckets) == pytest.approx(0.15)
    assert histogram_quantile(0.95, [(0.1, 0.0), (float("inf"), 0.0)]) is None
    assert histogram_quantile(0.99, [(0.1, 1.0), (float("inf"), 10.0)]) == pytest.approx(0.1)  # +Inf: largest bound


def test_the_window_starts_at_the_oldest_sample_within_it() -> None:
    metrics = ProcessMetrics("hub-core")
    history = []
    for minute in range(6):  # 30 handled per minute, then 120 in the last one
        _consume(metrics, 30 if minute < 5 else 120)
        history.append(_sample(metrics, at=minute * 60.0))

    last_minute = window(history, 60)
    five_minutes = window(history, 300)
    short = window(history[:2], 300)  # less history than the window: what there is

    assert last_minute is not None and last_minute.consumed_per_s == pytest.approx(2.0)
    assert five_minutes is not None and five_minutes.consumed == 4 * 30 + 120
    assert short is not None and short.seconds == 60
    assert window(history[:1], 60) is None


def test_health_in_plain_words() -> None:
    down = Sample(at=10.0, taken_at=T0, error="no answer from http://127.0.0.1:9 (ConnectError)")
    answered = Sample(at=5.0, taken_at=T0, live={"live": True}, ready={"ready": True, "checks": []})
    assert health_words(None, None) == ("unknown", "Not looked at yet")
    assert health_words(down, answered) == (
        "down",
        "Down: no answer from http://127.0.0.1:9 (ConnectError) (last answer at 19:20:01 UTC)",
    )
    failing = {
        "ready": False,
        "reason": "TOBB: no answer since 19:20:01 UTC; circuit open, next trial in 12s",
        "checks": [],
    }
    not_ready = Sample(at=11.0, taken_at=T0, live={"live": True}, ready=failing)
    assert health_words(not_ready, not_ready) == (
        "not_ready",
        "Not ready: TOBB: no answer since 19:20:01 UTC; circuit open, next trial in 12s",
    )
    check = {"name": "TOBB", "ok": True, "detail": "knowingly degraded (maintenance, by ayse); no answer yet"}
    degraded = Sample(at=12.0, taken_at=T0, ready={"ready": True, "checks": [check]})
    assert health_words(degraded, degraded) == (
        "degraded",
        "Ready; TOBB: knowingly degraded (maintenance, by ayse); no answer yet",
    )


def test_an_adapter_shows_its_system_its_lag_and_no_outbox() -> None:
    metrics = ProcessMetrics("adapter-tobb")
    metrics.set_circuit("TOBB", "open")
    metrics.lag.labels(group="adapter-tobb", topic="tobb.carnet.requests", partition="0").set(4)
    metrics.lag.labels(group="adapter-tobb", topic="tobb.carnet.requests", partition="1").set(3)
    check = {
        "name": "TOBB",
        "ok": False,
        "detail": "no answer since 19:20:01 UTC; circuit open, next trial in 1s",
        "extra": {"system": "TOBB", "circuit": "open", "last_answer_at": T0.isoformat(), "degraded": None},
    }
    body = {"process": "adapter-tobb", "ready": False, "reason": "TOBB: ...", "checks": [check]}
    text = generate_latest(metrics.registry).decode()
    sample = read_sample(1.0, T0, {"live": True, "uptime_s": 3.0}, body, text)

    shown = process_overview("adapter-tobb", "http://127.0.0.1:8782", [sample])

    assert shown["state"] == "not_ready" and shown["lag"]["total"] == 7 and shown["outbox"] is None
    [tobb] = shown["systems"]
    assert tobb["summary"] == "TOBB: no answer since 19:20:01 UTC; circuit open, next trial in 1s"
    assert (tobb["circuit"], tobb["ok"], tobb["last_answer_at"], tobb["stale"]) == (
        "open",
        False,
        T0.isoformat(),
        False,
    )
