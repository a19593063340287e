"""One way to make a FastStream Kafka broker, for the core and every adapter alike."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from hub.operations.health.metrics import ProcessMetrics
from hub.operations.logs import FASTSTREAM_NOISE
from hub.runtime.kafka.security import faststream_security

DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024  # aiokafka's own default


def kafka_broker(
    bootstrap: str,
    client_id: str,
    metrics: ProcessMetrics | None = None,
    max_request_size: int = DEFAULT_MAX_REQUEST_BYTES,
    principal: str | None = None,
) -> KafkaBroker:
    """Connected as `principal` (by default the process's name, `client_id`: hub/runtime/kafka/security.py).
    Producer settings for no loss: wait for all in-sync replicas, idempotent retries. With
    `metrics`, FastStream's own Prometheus middleware reports into the process's registry too
    (faststream_received_messages_total, ..._duration_seconds: by topic, not by message type).
    `max_request_size`: raised only by a process that must dead-letter records larger than 1 MiB
    whole (the BİLGE adapter, whose TCGBs go up to 5 MiB)."""
    middlewares = (KafkaPrometheusMiddleware(registry=metrics.registry, app_name=client_id),) if metrics else ()
    logger = logging.getLogger(f"hub.runtime.kafka.{client_id}")
    logger.addFilter(FASTSTREAM_NOISE)  # once per logger: a filter already there is not added again
    return KafkaBroker(
        # A cluster's "host:port,host:port,...": aiokafka splits such a string, FastStream would hand it
        # over as one host.
        [server.strip() for server in bootstrap.split(",") if server.strip()],
        acks="all",
        enable_idempotence=True,
        client_id=client_id,
        logger=logger,
        middlewares=middlewares,
        security=faststream_security(principal or client_id),
        max_request_size=max_request_size,
        # Topics come from topics.yaml (`hub topics apply`); a process may not create one, and with the
        # authorizer on it would only be refused.
        allow_auto_create_topics=False,
    )
