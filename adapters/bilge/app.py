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
from hub.kafka.brokers import kafka_broker
from hub.kafka.consuming import subscribe_reliably
from hub.kafka.publishing import Publisher, document_publications
from hub.topics import TopicCatalog, catalog
from hub.xmlsafe import XmlRejected

NAME = "adapter-bilge"


class BilgeAdapterProcess:
    def __init__(
        self,
        settings: Settings,
        bilge: BilgeSettings,
        topics: TopicCatalog | None = None,
        intake_port: int = 0,
        intake_host: str = "127.0.0.1",
    ) -> None:
        self.catalog = topics or catalog()
        self.settings = settings
        self.broker = kafka_broker(settings.kafka_bootstrap, NAME)
        self._bilge = bilge
        self._client: BilgeClient | None = None
        self._service: BilgeService | None = None
        self._intake_port, self._intake_host = intake_port, intake_host
        self.intake: BackgroundServer | None = None
        for topic, handle, decoder in (
            ("bilge.inbound", self._on_inbound, decode_inbound),
            ("bilge.requests", self._on_request, None),
        ):
            subscribe_reliably(
                self.broker, self.catalog, topic, NAME, handle,
                max_attempts=settings.consumer_max_attempts, decoder=decoder,
            )  # fmt: skip
        document_publications(self.broker, self.catalog, NAME)

    @property
    def service(self) -> BilgeService:
        assert self._service is not None, "start the adapter first"
        return self._service

    async def _on_inbound(self, document: Any) -> None:
        await self.service.handle_inbound(document)

    async def _on_request(self, message: Any) -> None:
        await self.service.handle_request(message)

    async def start(self, cutover: date | None = None) -> None:
        self._client = BilgeClient.from_settings(self._bilge)
        await self._client.__aenter__()
        self._service = BilgeService(
            self._client,
            Publisher(self.broker, self.catalog),
            unavailable=(BilgeUnavailable,),
            failures=(BilgeRejected, XmlRejected),
            cutover=cutover or self.settings.bilge_cutover,
        )
        await self.broker.start()
        intake = create_intake(self.settings.kafka_bootstrap, self.catalog)
        self.intake = BackgroundServer(intake, host=self._intake_host, port=self._intake_port).start()

    async def stop(self) -> None:
        if self.intake is not None:
            self.intake.stop()
        await self.broker.stop()
        if self._client is not None:
            await self._client.__aexit__(None, None, None)
