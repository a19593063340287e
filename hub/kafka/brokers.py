"""One way to make a FastStream Kafka broker, for the core and every adapter alike."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from hub.health.metrics import ProcessMetrics
from hub.kafka.security import faststream_security


def kafka_broker(
    bootstrap: str, client_id: str, metrics: ProcessMetrics | None = None, principal: str | None = None
) -> KafkaBroker:
    """Connected as `principal` (by default the process's name, `client_id`: hub/kafka/security.py).
    Producer settings for no loss: wait for all in-sync replicas, idempotent retries. With
    `metrics`, FastStream's own Prometheus middleware reports into the process's registry too
    (faststream_received_messages_total, ..._duration_seconds: by topic, not by message type)."""
    middlewares = (KafkaPrometheusMiddleware(registry=metrics.registry, app_name=client_id),) if metrics else ()
    return KafkaBroker(
        bootstrap,
        acks="all",
        enable_idempotence=True,
        client_id=client_id,
        logger=logging.getLogger(f"hub.kafka.{client_id}"),
        middlewares=middlewares,
        security=faststream_security(principal or client_id),
    )
