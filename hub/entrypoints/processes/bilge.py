"""The BİLGE adapter process: the core's requests to BİLGE in, BİLGE's answers out, like every
adapter (hub/runtime/adapter_process.py); and what is BİLGE's own: the intake endpoint BİLGE delivers its
documents to, and `bilge.inbound`, whose TCGBs become commands and anomalies, and whose status
batches (the life of every import and export TCGB) become events on `bilge.tcgb.events` (A2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.bilge.client import BilgeClient, BilgeRejected, BilgeSettings, BilgeUnavailable
from adapters.bilge.intake import IntakeSettings, create_intake
from adapters.bilge.service import BilgeService, decode_inbound
from hub.configuration.settings import Settings, senders_registry
from hub.contract.messages.ports import BILGE
from hub.contract.signing import RegistryFile
from hub.contract.topic_names import BILGE_INBOUND, HUB_DEADLETTER
from hub.contract.topics import TopicCatalog
from hub.runtime.adapter_process import SystemAdapterProcess
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.publishing import Publisher
from hub.runtime.xmlsafe import XmlRejected

NAME = "adapter-bilge"


class BilgeAdapterProcess(SystemAdapterProcess[BilgeClient, BilgeSettings]):
    NAME = NAME
    PORT = BILGE

    def __init__(
        self,
        settings: Settings,
        bilge: BilgeSettings,
        topics: TopicCatalog | None = None,
        intake_port: int = 0,
        intake_host: str = "127.0.0.1",
        ops_port: int = 0,
        intake: IntakeSettings | None = None,
    ) -> None:
        super().__init__(settings, bilge, topics, ops_port)
        self._cutover = settings.bilge_cutover
        self._intake_port, self._intake_host = intake_port, intake_host
        self._intake_settings = intake
        self.intake: BackgroundServer | None = None
        # BİLGE signs its documents: the intake and this consumer check the signature (topics.yaml).
        self._senders = RegistryFile(senders_registry())
        self.subscribe(BILGE_INBOUND, self._on_inbound, decoder=decode_inbound, senders=self._senders)

    def max_request_bytes(self, topics: TopicCatalog) -> int:
        # A TCGB of bilge.inbound (up to 5 MiB) that fails is dead-lettered whole, so it can be replayed.
        return topics.topic(HUB_DEADLETTER).record_limit

    def connect(self, system: BilgeSettings) -> BilgeClient:
        return BilgeClient.from_settings(system, metrics=self.metrics, tracer_provider=self.tracer_provider)

    def answering(self, publisher: Publisher) -> BilgeService:
        return BilgeService(
            self.client,
            publisher,
            unavailable=(BilgeUnavailable,),
            failures=(BilgeRejected, XmlRejected),
            cutover=self._cutover,
        )

    @property
    def bilge(self) -> BilgeService:
        service = self.service
        assert isinstance(service, BilgeService)
        return service

    async def _on_inbound(self, document: Any) -> None:
        await self.bilge.handle_inbound(document)

    async def start(self, cutover: date | None = None) -> None:
        self._cutover = cutover or self._cutover
        config = self._intake_settings or IntakeSettings.from_env()  # misconfigured: fail before consuming
        await super().start()
        intake = create_intake(
            self.settings.kafka_bootstrap, self.catalog, self.metrics, senders=self._senders,
            send_timeout_s=config.send_timeout_s, retry_after_s=config.retry_after_s,
        )  # fmt: skip
        self.intake = BackgroundServer(intake, host=self._intake_host, port=self._intake_port, tls=config.tls).start()

    async def stop(self) -> None:
        if self.intake is not None:
            self.intake.stop()
        await super().stop()
