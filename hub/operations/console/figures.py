"""What the console makes of one process's answers: pure functions, no I/O.

    sample = read_sample(at, taken_at, live, ready, metrics_text, error=None)
    window = rates(older, newer)          # messages/s, errors/min, p95... between two samples

A sample keeps only what the console shows: the counters it turns into rates (summed over the labels
it does not show), and the latest values of the gauges (lag, outbox, circuit states). Counters are
keyed by tuples: ``("consumed",)``, ``("refused", rule)``, ``("calls", system)``,
``("call_bucket", system, le)``...
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from prometheus_client.parser import text_string_to_metric_families

from hub.operations.health.metrics import CIRCUIT_STATES

CounterKey = tuple[str, ...]
Counters = Mapping[CounterKey, float]

P95: Final = 0.95


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    lag: float

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group, "topic": self.topic, "partition": self.partition, "lag": int(self.lag)}


@dataclass(frozen=True)
class Sample:
    """One look at a process: what its ops endpoints answered at `at` (monotonic seconds)."""

    at: float
    taken_at: datetime
    live: Mapping[str, Any] | None = None
    ready: Mapping[str, Any] | None = None
    error: str | None = None  # why an endpoint did not answer (None: all three did)
    counters: Counters = field(default_factory=dict)
    lag: tuple[Lag, ...] = ()
    outbox_backlog: float | None = None
    outbox_oldest_age_s: float | None = None
    circuits: Mapping[str, str] = field(default_factory=dict)  # system -> closed, half_open, open
    last_answers: Mapping[str, float] = field(default_factory=dict)  # system -> Unix time
    has_metrics: bool = False

    @property
    def answered(self) -> bool:
        return self.ready is not None or self.live is not None or self.has_metrics


# --- reading /metrics ---------------------------------------------------------------------------------


def _counter_key(name: str, labels: Mapping[str, str]) -> CounterKey | None:
    """The counter a series adds to, or None for a series the console does not keep."""
    simple = {
        "hub_messages_consumed_total": "consumed",
        "hub_messages_produced_total": "produced",
        "hub_messages_dead_lettered_total": "dead_lettered",
        "hub_message_handling_errors_total": "handling_errors",
        "hub_message_handling_seconds_count": "handled",
    }
    if name in simple:
        return (simple[name],)
    if name == "hub_messages_refused_total":
        return ("refused", labels.get("rule", ""))
    if name == "hub_message_handling_seconds_bucket":
        return ("handling_bucket", labels.get("le", ""))
    system = labels.get("system", "")
    if name == "hub_external_calls_total":
        return ("calls", system)
    if name == "hub_external_call_errors_total":
        return ("call_errors", system, labels.get("kind", ""))
    if name == "hub_external_retries_total":
        return ("retries", system)
    if name == "hub_external_call_seconds_bucket":
        return ("call_bucket", system, labels.get("le", ""))
    return None


def read_sample(
    at: float,
    taken_at: datetime,
    live: Mapping[str, Any] | None,
    ready: Mapping[str, Any] | None,
    metrics_text: str | None,
    error: str | None = None,
) -> Sample:
    """A sample from the three answers (any of them None when it did not come)."""
    counters: dict[CounterKey, float] = {}
    lag: list[Lag] = []
    gauges: dict[str, float] = {}
    circuits: dict[str, str] = {}
    last_answers: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text or ""):
        for s in family.samples:
            labels = dict(s.labels)
            key = _counter_key(s.name, labels)
            if key is not None:
                counters[key] = counters.get(key, 0.0) + s.value
            elif s.name == "hub_consumer_lag":
                partition = int(labels.get("partition", "0") or 0)
                lag.append(Lag(labels.get("group", ""), labels.get("topic", ""), partition, s.value))
            elif s.name in ("hub_outbox_backlog", "hub_outbox_oldest_unsent_age_seconds"):
                gauges[s.name] = s.value
            elif s.name == "hub_external_circuit_state" and s.value == 1 and labels.get("state") in CIRCUIT_STATES:
                circuits[labels.get("system", "")] = labels["state"]
            elif s.name == "hub_external_last_answer_timestamp_seconds" and s.value > 0:
                last_answers[labels.get("system", "")] = s.value
    return Sample(
        at=at,
        taken_at=taken_at,
        live=live,
        ready=ready,
        error=error,
        counters=counters,
        lag=tuple(sorted(lag, key=lambda x: (x.group, x.topic, x.partition))),
        outbox_backlog=gauges.get("hub_outbox_backlog"),
        outbox_oldest_age_s=gauges.get("hub_outbox_oldest_unsent_age_seconds"),
        circuits=circuits,
        last_answers=last_answers,
        has_metrics=metrics_text is not None,
    )


# --- two samples: rates ---------------------------------------------------------------------------------


def increase(older: Counters, newer: Counters) -> dict[CounterKey, float]:
    """How much each counter grew from `older` to `newer`. A counter that went down was reset (the
    process restarted): it grew by its whole new value, as Prometheus's `increase` reckons it; one that
    is new started from nothing."""
    grown: dict[CounterKey, float] = {}
    for key, now in newer.items():
        before = older.get(key, 0.0)
        grown[key] = now - before if now >= before else now
    return grown


def _sum(grown: Counters, kind: str, *first: str) -> float:
    n = len(first)
    return sum(v for k, v in grown.items() if k[0] == kind and k[1 : 1 + n] == first)


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """The q-quantile of a histogram given as (upper bound, cumulative count) pairs, interpolated
    linearly inside its bucket as Prometheus's `histogram_quantile` does; None without observations.
    In the +Inf bucket, the largest finite bound."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def _buckets(grown: Counters, kind: str, *first: str) -> list[tuple[float, float]]:
    n = len(first)
    return [(float(k[1 + n]), v) for k, v in grown.items() if k[0] == kind and k[1 : 1 + n] == first]


@dataclass(frozen=True)
class SystemRates:
    calls: float
    errors: float
    errors_by_kind: dict[str, float]
    retries: float
    p95_s: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "errors": self.errors,
            "errors_by_kind": self.errors_by_kind,
            "retries": self.retries,
            "p95_s": self.p95_s,
        }


@dataclass(frozen=True)
class Rates:
    """What happened between two samples `seconds` apart."""

    seconds: float
    consumed: float
    consumed_per_s: float
    handling_errors: float
    dead_lettered: float
    errors_per_min: float  # failed handling attempts and dead letters, per minute
    refused: dict[str, float]  # rule -> commands refused
    handling_p95_s: float | None
    systems: dict[str, SystemRates]

    def as_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "consumed": self.consumed,
            "consumed_per_s": self.consumed_per_s,
            "handling_errors": self.handling_errors,
            "dead_lettered": self.dead_lettered,
            "errors_per_min": self.errors_per_min,
            "refused": self.refused,
            "handling_p95_s": self.handling_p95_s,
            "systems": {name: r.as_json() for name, r in self.systems.items()},
        }


def rates(older: Sample, newer: Sample) -> Rates | None:
    """The rates between two samples of one process; None if they are not apart in time."""
    seconds = newer.at - older.at
    if seconds <= 0:
        return None
    grown = increase(older.counters, newer.counters)
    consumed = _sum(grown, "consumed")
    handling_errors = _sum(grown, "handling_errors")
    dead_lettered = _sum(grown, "dead_lettered")
    systems = {k[1] for k in grown if k[0] in ("calls", "call_errors", "call_bucket")}
    return Rates(
        seconds=seconds,
        consumed=consumed,
        consumed_per_s=consumed / seconds,
        handling_errors=handling_errors,
        dead_lettered=dead_lettered,
        errors_per_min=(handling_errors + dead_lettered) * 60 / seconds,
        refused={k[1]: v for k, v in grown.items() if k[0] == "refused" and v > 0},
        handling_p95_s=histogram_quantile(P95, _buckets(grown, "handling_bucket")),
        systems={
            system: SystemRates(
                calls=_sum(grown, "calls", system),
                errors=_sum(grown, "call_errors", system),
                errors_by_kind={k[2]: v for k, v in grown.items() if k[:2] == ("call_errors", system) and v > 0},
                retries=_sum(grown, "retries", system),
                p95_s=histogram_quantile(P95, _buckets(grown, "call_bucket", system)),
            )
            for system in sorted(systems)
        },
    )


def window(history: Sequence[Sample], seconds: float) -> Rates | None:
    """The rates over (about) the last `seconds` of a history, oldest sample first: from the oldest
    sample with metrics within the window (or the oldest there is, for a shorter history) to the newest."""
    with_metrics = [s for s in history if s.has_metrics]
    if len(with_metrics) < 2:
        return None
    newest = with_metrics[-1]
    older = next((s for s in with_metrics if s.at >= newest.at - seconds), newest)
    return rates(older, newest) if older is not newest else None


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
