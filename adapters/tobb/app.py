"""The TOBB adapter process: `tobb.carnet.requests` in, `tobb.carnet.results` out."""

from __future__ import annotations

from typing import Any

from adapters.tobb.client import TobbClient, TobbError, TobbSettings
from adapters.tobb.service import TobbLookupService
from hub.config import Settings
from hub.messages.envelope import Envelope
from hub.process import KafkaProcess
from hub.topics import TopicCatalog

NAME = "adapter-tobb"
REQUESTS_TOPIC = "tobb.carnet.requests"


class TobbAdapterProcess(KafkaProcess):
    NAME = NAME

    def __init__(
        self, settings: Settings, tobb: TobbSettings, topics: TopicCatalog | None = None, ops_port: int = 0
    ) -> None:
        super().__init__(settings, topics, ops_port)
        self.client = TobbClient.from_settings(tobb, metrics=self.metrics)  # all of it, the API key header included
        self.ops.watch_system(self.client)
        self._service = TobbLookupService(self.client, self.publisher(), failures=(TobbError,))
        self.subscribe(REQUESTS_TOPIC, self._on_request)
        self.document_publications()

    async def _on_request(self, message: Envelope[Any]) -> None:
        await self._service.handle_request(message)

    async def start(self) -> None:
        await self.start_serving()

    async def stop(self) -> None:
        await self.stop_serving()
        await self.client.aclose()
