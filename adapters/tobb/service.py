"""TOBB adapter, inbound side: a carnet look-up request in, TOBB's answer (or a failure) out.

Every adapter has this shape: `client.py` speaks to the external system, `service.py` translates
one Kafka message into calls and answers, `app.py` wires it to Kafka. The offset of a request is
committed only once its answer is on Kafka, so a restarted adapter loses no request; an answer
sent twice is harmless because the core takes the first answer and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from hub.contract.messages.envelope import Envelope, reply
from hub.contract.messages.ports import TOBB
from hub.domain.carnet import CarnetData
from hub.domain.events import CarnetLookupFailed, CarnetLookupRequested, CarnetLookupSucceeded, CarnetNotFound

RESULTS_TOPIC = TOBB.results_topic


class CarnetRegistry(Protocol):
    async def fetch_carnet(self, carnet_number: str) -> CarnetData | None: ...


class Publishes(Protocol):
    async def publish(self, topic: str, message: Envelope[Any]) -> None: ...


class TobbLookupService:
    def __init__(
        self,
        registry: CarnetRegistry,
        publisher: Publishes,
        failures: tuple[type[Exception], ...],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._registry = registry
        self._publisher = publisher
        # Errors that end a look-up without an answer from TOBB: no answer within the bound of
        # retries, or an answer that cannot be used. Retrying them later changes nothing.
        self._failures = failures
        self._now = now

    async def handle_request(self, message: Envelope[Any]) -> None:
        request: CarnetLookupRequested = message.payload
        answer: CarnetLookupSucceeded | CarnetNotFound | CarnetLookupFailed
        try:
            carnet = await self._registry.fetch_carnet(request.carnet_number)
        except self._failures as exc:
            answer = CarnetLookupFailed(
                request_id=request.request_id,
                carnet_number=request.carnet_number,
                reason=str(exc),
                attempts=int(getattr(exc, "attempts", 0)),
            )
        else:
            if carnet is None:
                answer = CarnetNotFound(request_id=request.request_id, carnet_number=request.carnet_number)
            else:
                answer = CarnetLookupSucceeded(request_id=request.request_id, carnet=carnet)
        await self._publisher.publish(RESULTS_TOPIC, reply(answer, to=message, occurred_at=self._now()))
