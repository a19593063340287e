"""The Prometheus metrics of one process (core, an adapter, GET-APP).

Each process keeps its own registry, so processes that share one Python interpreter (``hub run``,
the tests) still expose only their own figures, exactly as they would as separate processes. The
names below are the contract of the operator console and the Grafana dashboard.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # the *_created series double every counter for no use on a dashboard

# Handling a message is milliseconds; waiting on an external system can be seconds.
HANDLING_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CALL_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CIRCUIT_STATES: Final = ("closed", "half_open", "open")
UNDECODED: Final = "undecodable"  # the type label of a record that could not be read as a message


class ProcessMetrics:
    """Every signal a process reports; one instance (and registry) per process."""

    def __init__(self, process: str) -> None:
        self.process = process
        self.subscriptions: set[tuple[str, str]] = set()  # (group, topic): whose lag this process reports
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # --- messages -------------------------------------------------------------------------
        self.consumed = Counter(
            "hub_messages_consumed", "Messages handled to the end (applied or a duplicate), by topic and type",
            ["topic", "type", "group"], registry=r,
        )  # fmt: skip
        self.produced = Counter(
            "hub_messages_produced", "Messages acknowledged by Kafka, by topic and type", ["topic", "type"], registry=r
        )
        self.refused = Counter(
            "hub_messages_refused", "Commands refused by a rule (CommandRefused), by the command's type and rule",
            ["topic", "type", "rule"], registry=r,
        )  # fmt: skip
        self.dead_lettered = Counter(
            "hub_messages_dead_lettered", "Messages set aside on hub.deadletter, by original topic and type",
            ["topic", "type", "group"], registry=r,
        )  # fmt: skip
        self.handling_errors = Counter(
            "hub_message_handling_errors", "Failed attempts at handling a message (retried, then dead-lettered)",
            ["topic", "type", "group"], registry=r,
        )  # fmt: skip
        self.handling_seconds = Histogram(
            "hub_message_handling_seconds", "Time to handle one message, by topic and type",
            ["topic", "type", "group"], buckets=HANDLING_BUCKETS, registry=r,
        )  # fmt: skip
        self.outbox_backlog: Gauge | None = None  # only a process with an outbox reports one: track_outbox
        self.outbox_oldest_age: Gauge | None = None
        # --- consumer lag -----------------------------------------------------------------------
        self.lag = Gauge(
            "hub_consumer_lag", "Records on the partition after the group's committed offset",
            ["group", "topic", "partition"], registry=r,
        )  # fmt: skip
        # --- external systems (TOBB, BİLGE, YKTS) -------------------------------------------------
        self.calls = Counter(
            "hub_external_calls", "Calls (attempts) made to an external system", ["system"], registry=r
        )
        self.call_errors = Counter(
            "hub_external_call_errors", "Calls that failed, by why (timeout, transport, http_5xx, http_429, "
            "rejected, circuit_open)", ["system", "kind"], registry=r,
        )  # fmt: skip
        self.call_seconds = Histogram(
            "hub_external_call_seconds", "Duration of one call to an external system",
            ["system"], buckets=CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self.retries = Counter(
            "hub_external_retries", "Calls made again after a retryable failure", ["system"], registry=r
        )
        self.circuit = Gauge(
            "hub_external_circuit_state", "1 for the circuit breaker's current state (closed, half_open, open)",
            ["system", "state"], registry=r,
        )  # fmt: skip
        self.last_answer = Gauge(
            "hub_external_last_answer_timestamp_seconds", "When the external system last answered (Unix time)",
            ["system"], registry=r,
        )  # fmt: skip

    def track_outbox(self) -> tuple[Gauge, Gauge]:
        """The core's outbox: rows committed and not yet on Kafka, and the age of the oldest of them."""
        if self.outbox_backlog is None or self.outbox_oldest_age is None:
            self.outbox_backlog = Gauge(
                "hub_outbox_backlog", "Committed outbox rows not yet sent to Kafka", registry=self.registry
            )
            self.outbox_oldest_age = Gauge(
                "hub_outbox_oldest_unsent_age_seconds",
                "Age of the oldest outbox row not yet sent (0: none)",
                registry=self.registry,
            )
        return self.outbox_backlog, self.outbox_oldest_age

    def set_circuit(self, system: str, state: str) -> None:
        for each in CIRCUIT_STATES:
            self.circuit.labels(system=system, state=each).set(1 if each == state else 0)
