"""The security of the broker the launcher runs (hub/devtools/kafka/launcher.py): SASL/SCRAM-SHA-512 on the
clients' listener, over TLS when a certificate is configured, and the StandardAuthorizer with no
access where no ACL says so.

* The clients' listener BROKER is SASL_PLAINTEXT, or SASL_SSL with `HUB_KAFKA_TLS_CERT` and
  `HUB_KAFKA_TLS_KEY` (PEM; the key PKCS#8 and unencrypted, as Kafka's PEM keystore takes it).
* The controller listener stays on 127.0.0.1 but is not open either: SASL/PLAIN with one static user,
  the admin (KRaft cannot check SCRAM there: the credentials live in the metadata it serves).
  Unauthenticated, a broker's controller connection would be User:ANONYMOUS, which would then have
  to be a super user, and the controller port also takes admin requests (KIP-919).
* `super.users=User:admin` only. The admin's SCRAM credential is written at format time
  (`kafka-storage format --add-scram`): without it nobody could log in to create the others. The
  other principals' SCRAM users and every ACL are set through the Admin API once the broker is up
  (hub/operations/kafka/authorization.py), on every start, so that a changed topics.yaml takes effect.
* Development credentials: `ensure_dev_secrets` writes a random password for every principal that
  has none yet, into the secrets directory (default `.data/kafka-secrets/`, not in git). Every broker
  the launcher starts (dev, `make run`, tests, bench) uses the same ones, so a process started by hand
  finds its password without any setting.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import FilePath
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import HubSettings
from hub.configuration.secret_files import write_new_secret
from hub.runtime.kafka.security import ADMIN, MECHANISM, KafkaSecurity, password_variable

HOST = "127.0.0.1"
BROKER_LISTENER = "BROKER"
CONTROLLER_LISTENER = "CONTROLLER"
KEYSTORE_FILE = "broker-keystore.pem"  # in the broker home: key and certificate, as Kafka's PEM keystore
SCRAM_STAMP = ".hub-scram"  # in the data dir: formatted with the admin's SCRAM credential


class BrokerTlsSettings(HubSettings):
    """The certificate `hub kafka start` gives its broker: both files, or none (no TLS)."""

    model_config = SettingsConfigDict(env_prefix="HUB_KAFKA_")

    tls_cert: FilePath | None = None
    """The broker's certificate (PEM, then any intermediates)."""
    tls_key: FilePath | None = None
    """Its private key: PKCS#8 PEM, unencrypted (Kafka's PEM keystore)."""


@dataclass(frozen=True)
class BrokerTls:
    certificate: Path  # PEM: the broker's certificate, then any intermediates
    key: Path  # PEM: its private key, PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted

    @classmethod
    def from_env(cls) -> BrokerTls | None:
        configured = BrokerTlsSettings.from_env()
        cert, key = configured.tls_cert, configured.tls_key
        if not cert and not key:
            return None
        if not cert or not key:
            raise ValueError("HUB_KAFKA_TLS_CERT and HUB_KAFKA_TLS_KEY go together")
        return cls(cert, key)

    def write_keystore(self, home: Path) -> Path:
        key = self.key.read_text(encoding="ascii")
        if "BEGIN PRIVATE KEY" not in key:
            raise ValueError(
                f"{self.key}: Kafka takes an unencrypted PKCS#8 key (BEGIN PRIVATE KEY); "
                "convert it with `openssl pkcs8 -topk8 -nocrypt`"
            )
        path = home / KEYSTORE_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.rstrip() + "\n" + self.certificate.read_text(encoding="ascii"))
        return path


def ensure_dev_secrets(security: KafkaSecurity, principals: Iterable[str]) -> None:
    """A random password for the admin and each principal that has none in the environment or in
    the secrets directory (whichever directory it is: the launcher is a development tool)."""
    for principal in dict.fromkeys([ADMIN, *principals]):
        if not os.environ.get(password_variable(principal)):
            write_new_secret(security.secrets_dir / principal, private_dir=True)


def _jaas(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _properties(value: str) -> str:
    return value.replace("\\", "\\\\")


def listener_properties(
    port: int, controller_port: int, admin_password: str, keystore: Path | None, truststore: Path | None = None
) -> str:
    """The listeners, SASL and authorizer part of server.properties. With TLS, `truststore` is the CA
    the clients check the broker with: Kafka checks at start that a client of its own listener, as
    the broker is on its inter-broker listener, would accept the broker's certificate."""
    protocol = "SASL_SSL" if keystore is not None else "SASL_PLAINTEXT"
    password = _jaas(admin_password)
    scram = (
        f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" password="{password}";'
    )
    plain = (
        f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{ADMIN}" '
        f'password="{password}" user_{ADMIN}="{password}";'
    )
    lines = [
        "# Security (hub/devtools/kafka/broker_security.py): SCRAM for clients, PLAIN for the controller,",
        "# nothing allowed that no ACL allows.",
        f"listeners={BROKER_LISTENER}://{HOST}:{port},{CONTROLLER_LISTENER}://{HOST}:{controller_port}",
        f"advertised.listeners={BROKER_LISTENER}://{HOST}:{port}",
        f"inter.broker.listener.name={BROKER_LISTENER}",
        f"listener.security.protocol.map={BROKER_LISTENER}:{protocol},{CONTROLLER_LISTENER}:SASL_PLAINTEXT",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"listener.name.{BROKER_LISTENER.lower()}.{MECHANISM.lower()}.sasl.jaas.config={_properties(scram)}",
        "sasl.mechanism.controller.protocol=PLAIN",
        f"listener.name.{CONTROLLER_LISTENER.lower()}.sasl.enabled.mechanisms=PLAIN",
        f"listener.name.{CONTROLLER_LISTENER.lower()}.plain.sasl.jaas.config={_properties(plain)}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{ADMIN}",
        "allow.everyone.if.no.acl.found=false",
    ]
    if keystore is not None:
        if truststore is None:
            raise ValueError("a TLS listener needs the CA its clients trust (HUB_KAFKA_CA_FILE)")
        lines += [
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={_properties(str(truststore))}",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={_properties(str(keystore))}",
            # Clients do not present certificates here: they authenticate with SCRAM inside TLS.
            "ssl.client.auth=none",
        ]
    return "\n".join(lines) + "\n"


def format_arguments(admin_password: str) -> list[str]:
    """`kafka-storage format` arguments that create the admin's SCRAM credential."""
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={admin_password}]"]


def formatted_with_scram(data_dir: Path) -> bool:
    return (data_dir / SCRAM_STAMP).is_file()


def mark_formatted_with_scram(data_dir: Path) -> None:
    (data_dir / SCRAM_STAMP).write_text("the admin's SCRAM credential was created at format time\n")
