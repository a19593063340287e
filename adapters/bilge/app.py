"""The BİLGE adapter process: `bilge.inbound` and `bilge.requests` in; commands, results and
anomalies out; and the intake endpoint BİLGE delivers to."""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.bilge.client import BilgeClient, BilgeRejected, BilgeSettings, BilgeUnavailable
from adapters.bilge.intake import create_intake
from adapters.bilge.service import BilgeService, decode_inbound
from hub.config import Settings
from hub.http_server import BackgroundServer
from hub.process import KafkaProcess
from hub.topics import TopicCatalog
from hub.xmlsafe import XmlRejected

NAME = "adapter-bilge"


class BilgeAdapterProcess(KafkaProcess):
    NAME = NAME

    def __init__(
        self,
        settings: Settings,
        bilge: BilgeSettings,
        topics: TopicCatalog | None = None,
        intake_port: int = 0,
        intake_host: str = "127.0.0.1",
        ops_port: int = 0,
    ) -> None:
        super().__init__(settings, topics, ops_port)
        self.client = BilgeClient.from_settings(bilge, metrics=self.metrics)
        self.ops.watch_system(self.client)
        self._service: BilgeService | None = None
        self._intake_port, self._intake_host = intake_port, intake_host
        self.intake: BackgroundServer | None = None
        self.subscribe("bilge.inbound", self._on_inbound, decoder=decode_inbound)
        self.subscribe("bilge.requests", self._on_request)
        self.document_publications()

    @property
    def service(self) -> BilgeService:
        assert self._service is not None, "start the adapter first"
        return self._service

    async def _on_inbound(self, document: Any) -> None:
        await self.service.handle_inbound(document)

    async def _on_request(self, message: Any) -> None:
        await self.service.handle_request(message)

    async def start(self, cutover: date | None = None) -> None:
        self._service = BilgeService(
            self.client,
            self.publisher(),
            unavailable=(BilgeUnavailable,),
            failures=(BilgeRejected, XmlRejected),
            cutover=cutover or self.settings.bilge_cutover,
        )
        await self.start_serving()
        intake = create_intake(self.settings.kafka_bootstrap, self.catalog, self.metrics)
        self.intake = BackgroundServer(intake, host=self._intake_host, port=self._intake_port).start()

    async def stop(self) -> None:
        if self.intake is not None:
            self.intake.stop()
        await self.stop_serving()
        await self.client.aclose()
