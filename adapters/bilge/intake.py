"""Where BİLGE delivers its documents: an HTTP endpoint that puts them on `bilge.inbound` as they are.

Nothing is parsed here: the document is on Kafka, acknowledged by the broker, before BİLGE gets
its 202, and the adapter's consumer validates it (hostile or invalid ones are dead-lettered).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response

from hub.health.metrics import ProcessMetrics
from hub.kafka.security import BILGE_INTAKE, client_options
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

INBOUND_TOPIC = "bilge.inbound"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def create_intake(bootstrap: str, catalog: TopicCatalog, metrics: ProcessMetrics | None = None) -> FastAPI:
    catalog.topic(INBOUND_TOPIC)
    delivered = (metrics or ProcessMetrics("bilge-intake")).produced.labels(topic=INBOUND_TOPIC, type="BilgeDocument")
    producer: dict[str, AIOKafkaProducer] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # A principal of its own: it may only put documents on bilge.inbound, whoever reaches it.
        producer["p"] = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **client_options(BILGE_INTAKE)
        )
        await producer["p"].start()
        try:
            yield
        finally:
            await producer["p"].stop()

    app = FastAPI(title="BİLGE document intake of the e-ATA/TR hub", lifespan=lifespan)

    @app.post("/bilge/belgeler", status_code=202)
    async def receive(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_DOCUMENT_BYTES:
            return Response("document too large", status_code=413)
        number = request.headers.get("X-Belge-No", "")
        sent = await producer["p"].send_and_wait(INBOUND_TOPIC, body, key=number.encode() or None)
        delivered.inc()
        # Parsed only by the consumer; the document number (and the bytes' place) trace it until then.
        log.info("BİLGE delivered document %s (%d bytes) to %s/%s@%s", number or "without X-Belge-No",
                 len(body), INBOUND_TOPIC, sent.partition, sent.offset)  # fmt: skip
        return Response(status_code=202)

    return app
