"""Direct publishing, for adapters that keep no store: publish, await the broker, then commit.

The core never publishes directly: its messages go through the outbox (hub/relay.py).
"""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from hub.health.metrics import ProcessMetrics
from hub.messages.envelope import Envelope
from hub.messages.types import all_types
from hub.topics import TopicCatalog


class Publisher:
    def __init__(self, broker: KafkaBroker, catalog: TopicCatalog, metrics: ProcessMetrics | None = None) -> None:
        self._broker = broker
        self._catalog = catalog
        self._metrics = metrics or ProcessMetrics("publisher")

    async def publish(self, topic: str, message: Envelope[Any]) -> None:
        """Returns once the broker has acknowledged (acks=all): only then may the input be committed."""
        self._catalog.check_carries(topic, message.type)
        await self._broker.publish(message.encode(), topic=topic, key=message.key, headers=message.headers())
        self._metrics.produced.labels(topic=topic, type=message.type).inc()


def document_publications(broker: KafkaBroker, catalog: TopicCatalog, producer: str) -> None:
    """Declare, for the AsyncAPI document, what this process publishes according to topics.yaml."""
    types = all_types()
    for spec in catalog:
        if producer not in spec.producers or not spec.messages or spec.format != "json":
            continue
        models: list[type[BaseModel]] = [Envelope[types[name][0]] for name in spec.messages]  # type: ignore[misc]
        schema: Any = models[0]
        for model in models[1:]:
            schema = schema | model
        broker.publisher(spec.name, title=f"{producer}:{spec.name}", description=spec.description, schema=schema)
