"""Wiring of the tracking projections to Kafka: exactly once in effect, by message id.

The ATA events one at a time (hub.runtime.kafka.consuming); the TCGB events, millions a year, a poll at a time
in one transaction (hub.runtime.kafka.batches)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from opentelemetry.trace import Tracer

from hub.contract.topic_names import ATA_DECLARATION_EVENTS, BILGE_TCGB_EVENTS
from hub.contract.topics import TopicCatalog
from hub.getapp.tracking.projection import CONSUMER_GROUP, TrackingProjection
from hub.getapp.tracking.tcgb_projection import TCGB_CONSUMER_GROUP, TcgbProjection
from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.kafka.batches import BatchLimits, subscribe_in_batches
from hub.runtime.kafka.consuming import subscribe_reliably


def subscribe_tracking(
    broker: KafkaBroker,
    catalog: TopicCatalog,
    projection: TrackingProjection,
    group_id: str = CONSUMER_GROUP,
    metrics: ProcessMetrics | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Feed the GET-APP read model from `ata.declaration.events` (undecodable events are dead-lettered)."""
    subscribe_reliably(
        broker, catalog, ATA_DECLARATION_EVENTS, group_id, projection.handle, metrics=metrics, tracer=tracer
    )


# A poll of up to 2,000 TCGB events, or what came within 100 ms: GET-APP is informational (A8), so a
# fuller batch (fewer commits, a TCGB's events merged before they are written) is worth more than the
# milliseconds it waits (bench/tracking_bench.py).
TCGB_LIMITS = BatchLimits(max_records=2000, timeout_ms=100)


def subscribe_tcgbs(
    broker: KafkaBroker,
    catalog: TopicCatalog,
    projection: TcgbProjection,
    group_id: str = TCGB_CONSUMER_GROUP,
    limits: BatchLimits = TCGB_LIMITS,
    metrics: ProcessMetrics | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Feed the TCGB read model from `bilge.tcgb.events` (A2); undecodable events are dead-lettered."""
    subscribe_in_batches(
        broker,
        catalog,
        BILGE_TCGB_EVENTS,
        group_id,
        projection.handle_batch,
        limits=limits,
        metrics=metrics,
        tracer=tracer,
    )
