"""Where BİLGE delivers its documents: an HTTPS endpoint that puts them on `bilge.inbound` as they are.

    POST /bilge/belgeler   body: the document (BİLGE's XML), header X-Belge-No: its number (the key)

Who may call it: only a caller presenting a client certificate issued by the CA configured for
BİLGE (mutual TLS, hub/runtime/tls.py); anyone else fails the TLS handshake. The certificate's subject is
logged with every document and travels with it on the record (header `bilge.sender`). Each document
also carries BİLGE's signature over its exact bytes (header X-Signature: a detached JWS, hub/contract/signing),
checked against the registry of sending systems: it travels on the record (header `signature`), and
the adapter checks it again before it parses a byte, so a document on `bilge.inbound` is BİLGE's
whoever could write to the topic.

What it answers, and the promise behind each:

- **202** only once the broker has acknowledged the record (acks=all, idempotent producer): a 202
  means the document is on `bilge.inbound`.
- **413** for a document over MAX_TCGB_BYTES (5 MiB), decided from Content-Length before any of the
  body is read, or by counting as it streams in (chunked): nothing beyond the limit is ever held.
  uvicorn reads and discards the rest of the upload after the answer, so the caller gets the 413
  rather than a reset connection.
- **400** for an empty document or an unusable X-Belge-No or Content-Length; **401** if no
  certificate identity reached the app (it is served without TLS: a configuration error), or the
  document is unsigned or its signature is not a registered sender's over these bytes; **403** if
  the signer is a sending system that may not send documents (topics.yaml `senders:`).
- **503** with Retry-After when the record could not be handed to Kafka within the send timeout
  (broker away, not acknowledged): the document may or may not be on the topic, so BİLGE sends it
  again; the same TCGB twice draws down once (F2, adapters/bilge/service.py drawdown_id).
  Anything unexpected answers 503 too, never 500: no answer here may let BİLGE believe a document
  was taken, or that retrying is pointless.

Nothing is parsed here: the adapter's consumer validates each document (hostile or invalid ones
are dead-lettered, whole: hub.deadletter takes records of this size).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, FilePath, model_validator
from pydantic_settings import SettingsConfigDict
from starlette.requests import ClientDisconnect

from adapters.bilge.xml import MAX_TCGB_BYTES
from hub.configuration.base import ConfigurationError, HubSettings
from hub.contract.signing import HTTP_SIGNATURE_HEADER, SIGNATURE_HEADER, RegistryFile, SignatureRefused
from hub.contract.topic_names import BILGE_INBOUND
from hub.contract.topics import TopicCatalog
from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.kafka.security import BILGE_INTAKE, client_options
from hub.runtime.tls import ServerTls, client_cert_name, tls_of

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = MAX_TCGB_BYTES
# Room on the record for everything but the document: the key (at most MAX_NUMBER_CHARS), the
# sender header (a certificate subject, cut to MAX_SENDER_BYTES) and the record batch's overhead.
RECORD_OVERHEAD_BYTES = 16 * 1024
MAX_NUMBER_CHARS = 64
MAX_SENDER_BYTES = 4096
SENDER_HEADER = "bilge.sender"
TLS_ENV = ("BILGE_INTAKE_TLS_CERT", "BILGE_INTAKE_TLS_KEY", "BILGE_INTAKE_CLIENT_CA")


class BilgeIntakeSettings(HubSettings):
    """The BİLGE intake: its mutual TLS (all three files, or none and `--dev-pki`) and its answers."""

    model_config = SettingsConfigDict(env_prefix="BILGE_INTAKE_")

    tls_cert: FilePath | None = None
    """The intake's certificate (PEM, with its chain), issued for its host name."""
    tls_key: FilePath | None = None
    """Its private key (PEM, mode 0600)."""
    client_ca: FilePath | None = None
    """The CA that issues BİLGE's client certificates: only those may call."""
    send_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    """Seconds from the request to the broker's acknowledgement; none by then answers 503."""
    retry_after_s: Annotated[int, Field(ge=1)] = 30
    """What a 503 tells BİLGE to wait (Retry-After, seconds)."""

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        self.server_tls()
        return self

    def server_tls(self) -> ServerTls | None:
        return tls_of(ServerTls, (self.tls_cert, self.tls_key, self.client_ca), TLS_ENV)


@dataclass(frozen=True)
class IntakeSettings:
    """What the intake serves with: its TLS (configured, or the development PKI) and its answers."""

    tls: ServerTls
    send_timeout_s: float = 10.0  # from the request to the broker's acknowledgement, then 503
    retry_after_s: int = 30  # what a 503 tells BİLGE to wait

    @classmethod
    def from_env(cls, fallback_tls: ServerTls | None = None) -> IntakeSettings:
        """From `BILGE_INTAKE_TLS_CERT`, `_KEY`, `BILGE_INTAKE_CLIENT_CA` (PEM files), or `fallback_tls`
        (the development PKI, when the command was asked for it); neither is an error, never plain HTTP."""
        configured = BilgeIntakeSettings.from_env()
        tls = configured.server_tls() or fallback_tls
        if tls is None:
            raise ConfigurationError(
                [f"the BİLGE intake serves mutual TLS only: set {', '.join(TLS_ENV)} (or use --dev-pki)"]
            )
        return cls(tls=tls, send_timeout_s=configured.send_timeout_s, retry_after_s=configured.retry_after_s)


class _Producer:
    """The intake's producer, started on first need: an intake that came up while Kafka was away
    answers 503 until it is back, rather than not coming up at all."""

    def __init__(self, bootstrap: str, max_request_size: int, timeout_s: float) -> None:
        self._bootstrap, self._max_request_size, self._timeout_s = bootstrap, max_request_size, timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    enable_idempotence=True,
                    acks="all",
                    max_request_size=self._max_request_size,
                    # A batch not acknowledged within the send timeout expires instead of going out
                    # long after BİLGE was told 503.
                    request_timeout_ms=int(self._timeout_s * 1000),
                    # A principal of its own: it may only put documents on bilge.inbound.
                    **client_options(BILGE_INTAKE),
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


def _answer(status: int, reason: str, **headers: str) -> JSONResponse:
    return JSONResponse({"reason": reason}, status_code=status, headers=headers)


def create_intake(
    bootstrap: str,
    catalog: TopicCatalog,
    metrics: ProcessMetrics | None = None,
    *,
    senders: RegistryFile,
    send_timeout_s: float = 10.0,
    retry_after_s: int = 30,
) -> FastAPI:
    spec = catalog.topic(BILGE_INBOUND)
    may_send = {name for name, sender in catalog.senders.items() if set(spec.messages) & sender.signs}
    if spec.record_limit < MAX_DOCUMENT_BYTES + RECORD_OVERHEAD_BYTES:
        raise ValueError(
            f"topics.yaml gives {BILGE_INBOUND} max_message_bytes {spec.record_limit}: less than a document of "
            f"{MAX_DOCUMENT_BYTES} bytes with {RECORD_OVERHEAD_BYTES} of key, headers and overhead"
        )
    delivered = (metrics or ProcessMetrics("bilge-intake")).produced.labels(topic=BILGE_INBOUND, type="BilgeDocument")
    producer = _Producer(bootstrap, spec.record_limit, send_timeout_s)
    unavailable = {"Retry-After": str(retry_after_s)}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(send_timeout_s):
                await producer.get()
        except Exception as exc:  # the intake serves 503s until Kafka is reached
            log.warning("BİLGE intake started without Kafka (%s): it answers 503 until Kafka is reached", exc)
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(title="BİLGE document intake of the e-ATA/TR hub", lifespan=lifespan)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Not 500: BİLGE must neither believe the document taken nor give up on it.
        log.error("BİLGE intake failed on a document: %r", exc, exc_info=exc)
        return _answer(503, "the intake could not take the document; send it again later", **unavailable)

    app.add_exception_handler(Exception, unexpected)

    @app.post("/bilge/belgeler", status_code=202)
    async def receive(request: Request) -> Response:
        sender = client_cert_name(request.scope)
        if sender is None:
            return _answer(401, "a client certificate issued to BİLGE is required")
        number = request.headers.get("X-Belge-No", "")
        if len(number) > MAX_NUMBER_CHARS:
            return _answer(400, f"X-Belge-No is longer than {MAX_NUMBER_CHARS} characters")
        declared = request.headers.get("Content-Length")
        if declared is not None:
            if not declared.isdigit():
                return _answer(400, "Content-Length is not a number")
            if int(declared) > MAX_DOCUMENT_BYTES:
                return _too_large(number, sender, int(declared))
        try:
            body = await _read_at_most(request, MAX_DOCUMENT_BYTES)
        except ClientDisconnect:
            log.warning("BİLGE document %s from %s: the upload was broken off", number or "-", sender)
            return _answer(400, "the upload was broken off")
        if body is None:
            return _too_large(number, sender, None)
        if not body:
            return _answer(400, "empty document")
        signature = request.headers.get(HTTP_SIGNATURE_HEADER)
        try:
            signer = senders.current().verify(body, signature, datetime.now(UTC))
        except SignatureRefused as refused:
            log.warning("BİLGE document %s from %s refused: %s", number or "-", sender, refused)
            return _answer(401, f"signature refused: {refused}")
        if signer not in may_send:
            log.warning("BİLGE document %s from %s signed by %s: no sender of documents", number or "-", sender, signer)
            return _answer(403, f"{signer} may not send documents to the intake (topics.yaml senders)")
        assert signature is not None  # verified
        headers = [(SENDER_HEADER, sender.encode()[:MAX_SENDER_BYTES]), (SIGNATURE_HEADER, signature.encode())]
        try:
            async with asyncio.timeout(send_timeout_s):
                kafka = await producer.get()
                sent = await kafka.send_and_wait(BILGE_INBOUND, body, key=number.encode() or None, headers=headers)
        except Exception as exc:  # whatever kept it from the broker: BİLGE must send again
            log.warning("BİLGE document %s (%d bytes) from %s not delivered to %s: %r",
                        number or "without X-Belge-No", len(body), sender, BILGE_INBOUND, exc)  # fmt: skip
            return _answer(503, "the document could not be queued; send it again later", **unavailable)
        delivered.inc()
        # Parsed only by the consumer; the document number (and the bytes' place) trace it until then.
        log.info("BİLGE document %s (%d bytes) from %s delivered to %s/%s@%s", number or "without X-Belge-No",
                 len(body), sender, BILGE_INBOUND, sent.partition, sent.offset)  # fmt: skip
        return Response(status_code=202)

    return app


def _too_large(number: str, sender: str, size: int | None) -> JSONResponse:
    told = f"{size} bytes, more" if size is not None else "more"
    log.warning("BİLGE document %s from %s refused: %s than %d bytes", number or "-", sender, told, MAX_DOCUMENT_BYTES)
    return _answer(413, f"the document has {told} than the {MAX_DOCUMENT_BYTES} bytes a document may have")


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (the rest is left unread)."""
    body = bytearray()
    stream: Any = request.stream()
    async for chunk in stream:
        if len(body) + len(chunk) > limit:
            return None
        body += chunk
    return bytes(body)
