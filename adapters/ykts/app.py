"""The YKTS adapter process: `ykts.requests` in, `ykts.results` out (A4, A5)."""

from __future__ import annotations

from typing import Any

from adapters.ykts.client import YktsClient, YktsError, YktsSettings
from adapters.ykts.service import YktsService
from hub.config import Settings
from hub.messages.envelope import Envelope
from hub.process import KafkaProcess
from hub.topics import TopicCatalog

NAME = "adapter-ykts"
REQUESTS_TOPIC = "ykts.requests"


class YktsAdapterProcess(KafkaProcess):
    NAME = NAME

    def __init__(
        self, settings: Settings, ykts: YktsSettings, topics: TopicCatalog | None = None, ops_port: int = 0
    ) -> None:
        super().__init__(settings, topics, ops_port)
        self.client = YktsClient.from_settings(ykts, metrics=self.metrics)
        self.ops.watch_system(self.client)
        self._service = YktsService(self.client, self.publisher(), failures=(YktsError,))
        self.subscribe(REQUESTS_TOPIC, self._on_request)
        self.document_publications()

    async def _on_request(self, message: Envelope[Any]) -> None:
        await self._service.handle_request(message)

    async def start(self) -> None:
        await self.start_serving()

    async def stop(self) -> None:
        await self.stop_serving()
        await self.client.aclose()
