"""Wiring of the tracking projection to Kafka: exactly once in effect, by message id (hub.kafka.consuming)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from opentelemetry.trace import Tracer

from hub.getapp.tracking.projection import CONSUMER_GROUP, TOPIC, TrackingProjection
from hub.health.metrics import ProcessMetrics
from hub.kafka.consuming import subscribe_reliably
from hub.topics import TopicCatalog


def subscribe_tracking(
    broker: KafkaBroker,
    catalog: TopicCatalog,
    projection: TrackingProjection,
    group_id: str = CONSUMER_GROUP,
    metrics: ProcessMetrics | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Feed the GET-APP read model from `ata.declaration.events` (undecodable events are dead-lettered)."""
    subscribe_reliably(broker, catalog, TOPIC, group_id, projection.handle, metrics=metrics, tracer=tracer)
