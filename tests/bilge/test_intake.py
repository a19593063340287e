"""The BİLGE intake on the real broker, over real mutual TLS: who may deliver, how much, and that a
2xx is only ever said of a document that is on `bilge.inbound` (issue 12, part 4)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from adapters.bilge.intake import MAX_DOCUMENT_BYTES, RECORD_OVERHEAD_BYTES, SENDER_HEADER, create_intake
from hub.configuration.dev_senders import DevSenders, ensure_dev_senders
from hub.contract.signing import HTTP_SIGNATURE_HEADER, SIGNATURE_HEADER, RegistryFile
from hub.contract.topic_names import BILGE_INBOUND, HUB_DEADLETTER
from hub.contract.topics import TopicCatalog, catalog
from hub.devtools.pki import SIMULATOR_SUBJECT, DevPki, ensure_dev_pki
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.consuming import DEAD_LETTER_MARGIN_BYTES
from hub.runtime.kafka.security import ADMIN
from hub.runtime.tls import ClientTls
from tests.e2e.helpers import read_topic, signature_of, unique

pytestmark = pytest.mark.kafka

PATH = "/bilge/belgeler"


@pytest.fixture(scope="module")
def pki() -> DevPki:
    return ensure_dev_pki()


@pytest.fixture(scope="module")
def senders() -> DevSenders:
    return ensure_dev_senders()


@pytest.fixture(scope="module")
def intake(bootstrap: str, pki: DevPki, senders: DevSenders) -> Iterator[BackgroundServer]:
    app = create_intake(bootstrap, catalog(), senders=RegistryFile(senders.registry_path), send_timeout_s=10)
    with BackgroundServer(app, tls=pki.intake_tls()) as server:
        yield server


class _Bilge(httpx.Client):
    """BİLGE as the simulator is: its client certificate, the intake checked against the CA, and each
    document signed with BİLGE's key (or `signer`'s, or unsigned)."""

    def __init__(self, pki: DevPki, signer: str | None = "bilge", **options: Any) -> None:
        super().__init__(verify=pki.sender_tls().context(), timeout=30, **options)
        self._signer = signer

    def deliver(self, url: str, content: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        headers = dict(headers or {})
        if self._signer is not None and isinstance(content, bytes):
            headers[HTTP_SIGNATURE_HEADER] = signature_of(content, self._signer)
        return self.post(url, content=content, headers=headers)


def _bilge(pki: DevPki, signer: str | None = "bilge", **options: Any) -> _Bilge:
    return _Bilge(pki, signer, **options)


def _padded(size: int) -> bytes:
    """A document of exactly `size` bytes (the intake parses nothing: any bytes will do)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><Tcgb xmlns="urn:gtb:bilge:tcgb:1">'
    tail = b"</Tcgb>"
    return head + b" " * (size - len(head) - len(tail)) + tail


async def _on_topic(bootstrap: str, key: str) -> list[Any]:
    return [r for r in await read_topic(bootstrap, BILGE_INBOUND, wait_s=30, principal=ADMIN) if r.key == key.encode()]


def test_topics_yaml_takes_a_document_at_the_limit_and_its_dead_letter_whole() -> None:
    inbound = catalog().topic(BILGE_INBOUND)
    assert inbound.configs["max.message.bytes"] == str(MAX_DOCUMENT_BYTES + RECORD_OVERHEAD_BYTES)
    dead = catalog().topic(HUB_DEADLETTER).record_limit
    assert dead - DEAD_LETTER_MARGIN_BYTES >= inbound.record_limit + 8 * 1024  # room for the dlq.* headers


def test_an_intake_whose_topic_takes_less_than_the_limit_does_not_start(bootstrap: str) -> None:
    spec = dataclasses.replace(catalog().topic(BILGE_INBOUND), max_message_bytes=None)  # Kafka's default
    smaller = TopicCatalog([*(t for t in catalog() if t.name != BILGE_INBOUND), spec])
    with pytest.raises(ValueError, match="max_message_bytes 1048588"):
        create_intake(bootstrap, smaller, senders=RegistryFile(ensure_dev_senders().registry_path))


def test_a_caller_without_a_client_certificate_is_refused(intake: BackgroundServer, pki: DevPki) -> None:
    with pytest.raises(httpx.TransportError):  # the TLS handshake fails: no request reaches the app
        trusting = ssl.create_default_context(cafile=pki.ca_cert)  # trusts the intake, presents nothing
        httpx.post(f"{intake.base_url}{PATH}", content=b"<Tcgb/>", verify=trusting, timeout=10)


def test_a_certificate_from_another_ca_is_refused(
    intake: BackgroundServer, pki: DevPki, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = ensure_dev_pki(Path(tmp_path_factory.mktemp("other")) / "pki", common_name="Not BİLGE's CA")
    # Its own client certificate and key, but the intake's CA to trust the server: only the client is foreign.
    foreign = ClientTls(other.sender_tls().cert_file, other.sender_tls().key_file, pki.ca_cert)
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{intake.base_url}{PATH}", content=b"<Tcgb/>", verify=foreign.context(), timeout=10)


async def test_a_document_at_the_limit_lands_whole_with_its_sender(
    intake: BackgroundServer, pki: DevPki, bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    key, document = unique("LIMIT-"), _padded(MAX_DOCUMENT_BYTES)
    with caplog.at_level(logging.INFO, logger="adapters.bilge.intake"), _bilge(pki) as http:
        answer = http.deliver(f"{intake.base_url}{PATH}", document, headers={"X-Belge-No": key})
    assert answer.status_code == 202, answer.text
    (record,) = await _on_topic(bootstrap, key)
    assert hashlib.sha256(record.value).digest() == hashlib.sha256(document).digest()
    assert dict(record.headers)[SIGNATURE_HEADER]  # BİLGE's signature travels on: the adapter checks it again
    sender = dict(record.headers)[SENDER_HEADER].decode()
    assert sender.startswith("CN=BİLGE simulator") and "O=e-ATA/TR hub" in sender
    assert any(key in m and "CN=BİLGE simulator" in m for m in caplog.messages)  # who sent it, logged


@pytest.mark.parametrize("framing", ["Content-Length", "chunked"])
async def test_a_document_over_the_limit_gets_413_and_nothing_reaches_the_topic(
    intake: BackgroundServer, pki: DevPki, bootstrap: str, framing: str
) -> None:
    key, document = unique("BIG-"), _padded(6 * 1000 * 1000)
    # Chunked: no Content-Length, the intake counts as the body streams in.
    chunks = (document[i : i + 65536] for i in range(0, len(document), 65536))
    content: Any = document if framing == "Content-Length" else chunks
    with _bilge(pki) as http:
        answer = http.deliver(f"{intake.base_url}{PATH}", content, headers={"X-Belge-No": key})
    assert answer.status_code == 413
    assert f"than the {MAX_DOCUMENT_BYTES} bytes a document may have" in answer.json()["reason"]
    assert await _on_topic(bootstrap, key) == []


def test_one_byte_over_the_limit_gets_413(intake: BackgroundServer, pki: DevPki) -> None:
    with _bilge(pki) as http:
        answer = http.deliver(f"{intake.base_url}{PATH}", _padded(MAX_DOCUMENT_BYTES + 1))
    assert answer.status_code == 413 and str(MAX_DOCUMENT_BYTES + 1) in answer.json()["reason"]


def test_an_empty_document_or_an_outsized_number_is_refused(intake: BackgroundServer, pki: DevPki) -> None:
    with _bilge(pki) as http:
        empty = http.deliver(f"{intake.base_url}{PATH}", b"")
        long_key = http.deliver(f"{intake.base_url}{PATH}", b"<Tcgb/>", headers={"X-Belge-No": "9" * 65})
    assert (empty.status_code, empty.json()["reason"]) == (400, "empty document")
    assert long_key.status_code == 400 and "X-Belge-No" in long_key.json()["reason"]


async def test_an_unsigned_or_altered_document_gets_401_and_nothing_reaches_the_topic(
    intake: BackgroundServer, pki: DevPki, bootstrap: str
) -> None:
    unsigned_key, altered_key = unique("UNSIGNED-"), unique("ALTERED-")
    document = _padded(2048)
    with _bilge(pki, signer=None) as http:
        unsigned = http.deliver(f"{intake.base_url}{PATH}", document, headers={"X-Belge-No": unsigned_key})
        other_bytes = signature_of(document + b" ", "bilge")  # BİLGE's key, other bytes
        altered = http.deliver(
            f"{intake.base_url}{PATH}",
            document,
            headers={"X-Belge-No": altered_key, HTTP_SIGNATURE_HEADER: other_bytes},
        )
    assert unsigned.status_code == 401 and unsigned.json()["reason"].startswith("signature refused: unsigned")
    assert altered.status_code == 401 and "match" in altered.json()["reason"]
    assert await _on_topic(bootstrap, unsigned_key) == [] and await _on_topic(bootstrap, altered_key) == []


async def test_a_document_signed_by_a_system_that_sends_no_documents_gets_403(
    intake: BackgroundServer, pki: DevPki, bootstrap: str
) -> None:
    """The front end's key is in the registry, but topics.yaml lets only BİLGE send documents."""
    key = unique("FRONTEND-")
    with _bilge(pki, signer="frontend") as http:
        answer = http.deliver(f"{intake.base_url}{PATH}", _padded(2048), headers={"X-Belge-No": key})
    assert answer.status_code == 403 and answer.json()["reason"].startswith("frontend may not send documents")
    assert await _on_topic(bootstrap, key) == []


def test_broker_unreachable_gives_503_with_retry_after(pki: DevPki) -> None:
    with socket.socket() as sock:  # a port nobody listens on: no broker there
        sock.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{sock.getsockname()[1]}"
    registry = RegistryFile(ensure_dev_senders().registry_path)
    app = create_intake(nowhere, catalog(), senders=registry, send_timeout_s=2, retry_after_s=17)
    with BackgroundServer(app, tls=pki.intake_tls()) as server, _bilge(pki) as http:
        answer = http.deliver(f"{server.base_url}{PATH}", b"<Tcgb/>", headers={"X-Belge-No": "26220100IM000001"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "17"
    assert "send it again" in answer.json()["reason"]


def test_the_simulator_subject_is_the_development_client_certificate(pki: DevPki) -> None:
    cert = x509.load_pem_x509_certificate(pki.sender_tls().cert_file.read_bytes())
    assert cert.subject.rfc4514_string() == x509.Name.from_rfc4514_string(SIMULATOR_SUBJECT).rfc4514_string()
