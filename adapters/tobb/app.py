"""The TOBB adapter process: `tobb.carnet.requests` in, `tobb.carnet.results` out."""

from __future__ import annotations

from typing import Any

from adapters.tobb.client import TobbClient, TobbError, TobbSettings
from adapters.tobb.service import TobbLookupService
from hub.config import Settings
from hub.kafka.brokers import kafka_broker
from hub.kafka.consuming import subscribe_reliably
from hub.kafka.publishing import Publisher, document_publications
from hub.messages.envelope import Envelope
from hub.topics import TopicCatalog, catalog

NAME = "adapter-tobb"
REQUESTS_TOPIC = "tobb.carnet.requests"


class TobbAdapterProcess:
    def __init__(self, settings: Settings, tobb: TobbSettings, topics: TopicCatalog | None = None) -> None:
        self.catalog = topics or catalog()
        self.broker = kafka_broker(settings.kafka_bootstrap, NAME)
        self._tobb = tobb
        self._client: TobbClient | None = None
        self._service: TobbLookupService | None = None
        subscribe_reliably(
            self.broker,
            self.catalog,
            REQUESTS_TOPIC,
            NAME,
            self._on_request,
            max_attempts=settings.consumer_max_attempts,
        )
        document_publications(self.broker, self.catalog, NAME)

    async def _on_request(self, message: Envelope[Any]) -> None:
        assert self._service is not None, "start the adapter first"
        await self._service.handle_request(message)

    async def start(self) -> None:
        self._client = TobbClient.from_settings(self._tobb)  # all of it, the API key header included
        await self._client.__aenter__()
        self._service = TobbLookupService(self._client, Publisher(self.broker, self.catalog), failures=(TobbError,))
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        if self._client is not None:
            await self._client.__aexit__(None, None, None)
