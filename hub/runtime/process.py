"""What every process of the hub (the core, each adapter, GET-APP) is made of: a Kafka broker whose
subscriptions are reliable (hub/runtime/kafka/consuming.py), its operations endpoints (metrics, health), and
its tracer (hub/operations/tracing.py: None unless OTEL_* configures tracing), named after the process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from hub.configuration.settings import Settings, signing_key
from hub.contract.signing import RegistryFile
from hub.contract.topics import TopicCatalog, catalog
from hub.operations import tracing
from hub.runtime.kafka.brokers import DEFAULT_MAX_REQUEST_BYTES, kafka_broker
from hub.runtime.kafka.consuming import Decoder, subscribe_reliably
from hub.runtime.kafka.publishing import Publisher, document_publications
from hub.runtime.ops_endpoints import Operations


class KafkaProcess:
    NAME: ClassVar[str]  # the client id and consumer group; the `process` of its metrics and health

    def __init__(self, settings: Settings, topics: TopicCatalog | None = None, ops_port: int = 0) -> None:
        self.settings = settings
        self.catalog = topics or catalog()
        self.ops = Operations(self.NAME, token=settings.ops_token.get_secret_value())
        self.metrics = self.ops.metrics
        self.tracer_provider = tracing.provider(self.NAME)
        self.tracer = tracing.tracer(self.NAME)
        self.broker = kafka_broker(
            settings.kafka_bootstrap, self.NAME, self.metrics, max_request_size=self.max_request_bytes(self.catalog)
        )
        self.ops.watch_kafka(self.broker, settings.kafka_bootstrap)
        self._ops_port = ops_port

    def max_request_bytes(self, topics: TopicCatalog) -> int:
        """The largest record this process's producer sends (its dead letters included): aiokafka's
        1 MiB, unless the process reads a topic whose records are larger."""
        return DEFAULT_MAX_REQUEST_BYTES

    def subscribe(
        self,
        topic: str,
        handle: Callable[[Any], Awaitable[None]],
        decoder: Decoder | None = None,
        senders: RegistryFile | None = None,
    ) -> None:
        subscribe_reliably(
            self.broker, self.catalog, topic, self.NAME, handle,
            max_attempts=self.settings.consumer_max_attempts, decoder=decoder, metrics=self.metrics, senders=senders,
            tracer=self.tracer,
        )  # fmt: skip

    def publisher(self) -> Publisher:
        """A process that is one of topics.yaml's `senders` signs what it sends with its key."""
        key = signing_key(self.NAME) if self.NAME in self.catalog.senders else None
        return Publisher(self.broker, self.catalog, self.metrics, signing_key=key, tracer=self.tracer)

    def document_publications(self) -> None:
        document_publications(self.broker, self.catalog, self.NAME)

    async def start_serving(self) -> None:
        """Consume, then show health: ready is only ever said of a process that consumes."""
        await self.broker.start()
        await self.ops.start(self.settings.ops_host, self._ops_port)

    async def stop_serving(self) -> None:
        await self.ops.stop()
        await self.broker.stop()
