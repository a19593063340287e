"""The one shape of an adapter process: an external system behind Kafka.

Each system's port (hub/contract/messages/ports.py) names its requests topic; the adapter consumes it, asks the
system through its client (`client.py`, over HTTP/XML, retried, behind a circuit breaker) and publishes
the answer through its service (`service.py`). TOBB, BİLGE and YKTS are this process with their own
client and service; BİLGE adds what is its own (the intake of BİLGE's documents).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from hub.configuration.settings import Settings
from hub.contract.messages.envelope import Envelope
from hub.contract.messages.ports import Port
from hub.contract.topics import TopicCatalog
from hub.runtime.edge import ExternalSystemClient, ExternalSystemSettings
from hub.runtime.kafka.publishing import Publisher
from hub.runtime.process import KafkaProcess

C = TypeVar("C", bound=ExternalSystemClient)
S = TypeVar("S", bound=ExternalSystemSettings)


class AnswersRequests(Protocol):
    async def handle_request(self, message: Envelope[Any]) -> None: ...


class SystemAdapterProcess(KafkaProcess, Generic[C, S]):
    """The port's requests in, the system's answers out; ready only while the system answers."""

    PORT: ClassVar[Port]

    def __init__(self, settings: Settings, system: S, topics: TopicCatalog | None = None, ops_port: int = 0) -> None:
        super().__init__(settings, topics, ops_port)
        self.client: C = self.connect(system)
        self.ops.watch_system(self.client)
        self._service: AnswersRequests | None = None
        self.subscribe(self.PORT.requests_topic, self._on_request)
        self.document_publications()

    @abstractmethod
    def connect(self, system: S) -> C:
        """The system's client, from all its settings, reporting to this process's metrics."""

    @abstractmethod
    def answering(self, publisher: Publisher) -> AnswersRequests:
        """The system's service, which turns a request into calls and an answer on the port's results."""

    @property
    def service(self) -> AnswersRequests:
        assert self._service is not None, "start the adapter first"
        return self._service

    async def _on_request(self, message: Envelope[Any]) -> None:
        await self.service.handle_request(message)

    async def start(self) -> None:
        self._service = self.answering(self.publisher())
        await self.start_serving()

    async def stop(self) -> None:
        await self.stop_serving()
        await self.client.aclose()
