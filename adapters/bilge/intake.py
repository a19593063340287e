"""Where BİLGE delivers its documents: an HTTP endpoint that puts them on `bilge.inbound` as they are.

Nothing is parsed here: the document is on Kafka, acknowledged by the broker, before BİLGE gets
its 202, and the adapter's consumer validates it (hostile or invalid ones are dead-lettered).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response

from hub.topics import TopicCatalog

INBOUND_TOPIC = "bilge.inbound"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def create_intake(bootstrap: str, catalog: TopicCatalog) -> FastAPI:
    catalog.topic(INBOUND_TOPIC)
    producer: dict[str, AIOKafkaProducer] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        producer["p"] = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
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
        key = request.headers.get("X-Belge-No", "").encode() or None
        await producer["p"].send_and_wait(INBOUND_TOPIC, body, key=key)
        return Response(status_code=202)

    return app
