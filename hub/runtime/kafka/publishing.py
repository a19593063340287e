"""Direct publishing, for adapters that keep no store: publish, await the broker, then commit.

The core never publishes directly: its messages go through the outbox (hub/runtime/relay.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.trace import Tracer

from hub.contract.messages.carried import carried_type
from hub.contract.messages.envelope import Envelope
from hub.contract.signing import SIGNATURE_HEADER, SigningKey, sign
from hub.contract.topics import TopicCatalog, TopicSpec
from hub.operations import tracing
from hub.operations.health.metrics import ProcessMetrics


class NoSigningKey(LookupError):
    """A process without a signing key publishing to a topic whose records must be signed."""


def record_headers(spec: TopicSpec, message: Envelope[Any], body: bytes, key: SigningKey | None) -> dict[str, str]:
    """The headers a message travels with; on a signed topic, its sender's signature of `body`."""
    headers = message.headers()
    if spec.signed:
        if key is None:
            raise NoSigningKey(f"{spec.name} takes only signed records, and this process has no signing key")
        headers[SIGNATURE_HEADER] = sign(body, key)
    return headers


class Publisher:
    def __init__(
        self,
        broker: KafkaBroker,
        catalog: TopicCatalog,
        metrics: ProcessMetrics | None = None,
        signing_key: SigningKey | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._broker = broker
        self._catalog = catalog
        self._metrics = metrics or ProcessMetrics("publisher")
        self._key = signing_key  # what this process signs commands with, if it sends any
        self._tracer = tracer

    async def publish(self, topic: str, message: Envelope[Any]) -> None:
        """Returns once the broker has acknowledged (acks=all): only then may the input be committed."""
        spec = self._catalog.check_carries(topic, message.type)
        body = message.encode()
        headers = record_headers(spec, message, body, self._key)
        # The signature is over the value alone: the trace context added to the headers keeps it.
        with tracing.sending(self._tracer, topic, message, headers) if self._tracer else nullcontext():
            await self._broker.publish(body, topic=topic, key=message.key, headers=headers)
        self._metrics.produced.labels(topic=topic, type=message.type).inc()

    async def publish_many(self, topic: str, messages: Sequence[Envelope[Any]]) -> None:
        """Publish every message, then await every acknowledgement (acks=all) at once: one round trip
        to the broker for the lot instead of one each, as the producer batches them. Returns once the
        broker has them all (raises if any failed: the input is then read and published again, which
        is why what is published this way carries ids derived from its content). Messages of one key
        keep their order (idempotent producer)."""
        deliveries: list[asyncio.Future[Any]] = []
        try:
            for message in messages:
                spec = self._catalog.check_carries(topic, message.type)
                body = message.encode()
                headers = record_headers(spec, message, body, self._key)
                with tracing.sending(self._tracer, topic, message, headers) if self._tracer else nullcontext():
                    deliveries.append(
                        await self._broker.publish(body, topic=topic, key=message.key, headers=headers, no_confirm=True)
                    )
        finally:  # what was handed over is awaited even when handing over the rest failed
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        if failed := next((o for o in outcomes if isinstance(o, BaseException)), None):
            raise failed
        for kind, count in Counter(message.type for message in messages).items():
            self._metrics.produced.labels(topic=topic, type=kind).inc(count)


def document_publications(broker: KafkaBroker, catalog: TopicCatalog, producer: str) -> None:
    """Declare, for the AsyncAPI document, what this process publishes according to topics.yaml."""
    for spec in catalog:
        if producer in spec.producers and spec.messages:
            schema = carried_type(spec)
            broker.publisher(spec.name, title=f"{producer}:{spec.name}", description=spec.description, schema=schema)
