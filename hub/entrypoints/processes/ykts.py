"""The YKTS adapter process: `ykts.requests` in, `ykts.results` out (G2, A4, A5)."""

from __future__ import annotations

from adapters.ykts.client import YktsClient, YktsError, YktsSettings
from adapters.ykts.service import YktsService
from hub.contract.messages.ports import YKTS
from hub.runtime.adapter_process import SystemAdapterProcess
from hub.runtime.kafka.publishing import Publisher

NAME = "adapter-ykts"


class YktsAdapterProcess(SystemAdapterProcess[YktsClient, YktsSettings]):
    NAME = NAME
    PORT = YKTS

    def connect(self, system: YktsSettings) -> YktsClient:
        return YktsClient.from_settings(system, metrics=self.metrics, tracer_provider=self.tracer_provider)

    def answering(self, publisher: Publisher) -> YktsService:
        return YktsService(self.client, publisher, failures=(YktsError,))
