"""A broker of its own with a TLS listener (SASL_SSL), from a certificate generated here: clients that
trust its CA connect and authenticate; a client speaking plaintext, or not trusting the CA, does not."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.devtools.kafka.broker_security import BrokerTls
from hub.devtools.kafka.launcher import KafkaBroker, find_project_root
from hub.runtime.kafka.security import ADMIN, KafkaSecurity, client_options
from tests.kafka_fixture import kafka_test_home

pytestmark = pytest.mark.kafka


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_test_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a broker certificate for 127.0.0.1 signed by it: (ca.pem, broker.pem, broker-key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("hub test CA")).issuer_name(_name("hub test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = directory / "ca.pem", directory / "broker.pem", directory / "broker-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KafkaBroker, KafkaSecurity]]:
    ca, cert, key = write_test_pki(tmp_path_factory.mktemp("pki"))
    security = KafkaSecurity(ca_file=ca)  # the development passwords, over TLS
    root = find_project_root()
    home = kafka_test_home(root, "tls")
    shutil.rmtree(home, ignore_errors=True)
    broker = KafkaBroker(home, project_root=root, security=security, tls=BrokerTls(cert, key))
    broker.start()  # fails the test with the broker's log if the TLS listener does not come up
    try:
        yield broker, security
    finally:
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)


async def test_a_client_trusting_the_ca_connects_over_tls_as_its_principal(
    tls_broker: tuple[KafkaBroker, KafkaSecurity],
) -> None:
    broker, security = tls_broker
    options = client_options("frontend", security)
    assert options["security_protocol"] == "SASL_SSL"
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, **options)
    await producer.start()
    try:
        # No topics on this broker: what matters is an authenticated answer over TLS.
        assert await producer.client.fetch_all_metadata() is not None
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers, **client_options(ADMIN, security))
    await admin.start()
    try:
        assert len((await admin.describe_cluster())["brokers"]) == 1
    finally:
        await admin.close()


async def test_plaintext_or_an_untrusted_certificate_is_refused(tls_broker: tuple[KafkaBroker, KafkaSecurity]) -> None:
    broker, security = tls_broker
    plaintext = client_options("frontend") | {"security_protocol": "SASL_PLAINTEXT", "ssl_context": None}
    untrusted = client_options("frontend", security) | {"ssl_context": ssl.create_default_context()}
    for options in (plaintext, untrusted):
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers, request_timeout_ms=3000, **options)
        with pytest.raises(KafkaError):
            await admin.start()
        await admin.close()
