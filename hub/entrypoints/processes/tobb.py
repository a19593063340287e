"""The TOBB adapter process: `tobb.carnet.requests` in, `tobb.carnet.results` out (G3)."""

from __future__ import annotations

from adapters.tobb.client import TobbClient, TobbError, TobbSettings
from adapters.tobb.service import TobbLookupService
from hub.contract.messages.ports import TOBB
from hub.runtime.adapter_process import SystemAdapterProcess
from hub.runtime.kafka.publishing import Publisher

NAME = "adapter-tobb"


class TobbAdapterProcess(SystemAdapterProcess[TobbClient, TobbSettings]):
    NAME = NAME
    PORT = TOBB

    def connect(self, system: TobbSettings) -> TobbClient:
        # All of its settings, the API key header included.
        return TobbClient.from_settings(system, metrics=self.metrics, tracer_provider=self.tracer_provider)

    def answering(self, publisher: Publisher) -> TobbLookupService:
        return TobbLookupService(self.client, publisher, failures=(TobbError,))
