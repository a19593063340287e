"""The YKTS adapter process: `ykts.requests` in, `ykts.results` out (A4, A5)."""

from __future__ import annotations

from typing import Any

from adapters.ykts.client import YktsClient, YktsError, YktsSettings
from adapters.ykts.service import YktsService
from hub.config import Settings
from hub.kafka.brokers import kafka_broker
from hub.kafka.consuming import subscribe_reliably
from hub.kafka.publishing import Publisher, document_publications
from hub.messages.envelope import Envelope
from hub.topics import TopicCatalog, catalog

NAME = "adapter-ykts"
REQUESTS_TOPIC = "ykts.requests"


class YktsAdapterProcess:
    def __init__(self, settings: Settings, ykts: YktsSettings, topics: TopicCatalog | None = None) -> None:
        self.catalog = topics or catalog()
        self.broker = kafka_broker(settings.kafka_bootstrap, NAME)
        self._ykts = ykts
        self._client: YktsClient | None = None
        self._service: YktsService | None = None
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
        self._client = YktsClient.from_settings(self._ykts)
        await self._client.__aenter__()
        self._service = YktsService(self._client, Publisher(self.broker, self.catalog), failures=(YktsError,))
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        if self._client is not None:
            await self._client.__aexit__(None, None, None)
            self._client = None
