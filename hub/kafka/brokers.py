"""One way to make a FastStream Kafka broker, for the core and every adapter alike."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker


def kafka_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    """Producer settings for no loss: wait for all in-sync replicas, idempotent retries."""
    return KafkaBroker(
        bootstrap,
        acks="all",
        enable_idempotence=True,
        client_id=client_id,
        logger=logging.getLogger(f"hub.kafka.{client_id}"),
    )
