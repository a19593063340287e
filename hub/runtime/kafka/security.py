"""The one way a Kafka client of the hub says who it is: SASL/SCRAM-SHA-512 as a principal, over TLS
when a CA is configured.

Every aiokafka client and FastStream broker of hub/, adapters/, bench/ and tests takes its security
options from `client_options` / `faststream_security`, for the principal of the process (or tool)
it serves. A principal's password comes from the environment (`HUB_KAFKA_PASSWORD_<PRINCIPAL>`,
upper case, `-` as `_`) or from a secret file `<HUB_KAFKA_SECRETS_DIR>/<principal>` (Docker and
Kubernetes mount secrets that way); never from the repository. Without `HUB_KAFKA_SECRETS_DIR`,
the development secrets under `.data/kafka-secrets/` are used, generated on first use (by the broker
launcher's start, or by whichever client asks first), so `make run`, `hub kafka start` and the tests
need no setting. `HUB_KAFKA_CA_FILE` (a PEM bundle) switches clients to SASL_SSL, verifying the broker's
certificate and host name against it.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.security import SASLScram512
from pydantic import Field, FilePath
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import HubSettings
from hub.configuration.secret_files import write_new_secret
from hub.contract.topics import PROJECT_ROOT

MECHANISM = "SCRAM-SHA-512"
# The launcher's and operators' super user (`super.users`): topic admin, ACLs, SCRAM users.
ADMIN = "admin"
# Principals of topics.yaml that code names itself (the processes name theirs: KafkaProcess.NAME).
FRONTEND = "frontend"  # the e-ATA/TR front end; HubClient's default, as the demo plays it
OPERATORS = "operators"  # hub dlq and the operator console
BILGE_RECONCILIATION = "bilge-reconciliation"
BILGE_INTAKE = "bilge-intake"
DEV_SECRETS_DIR = PROJECT_ROOT / ".data" / "kafka-secrets"

log = logging.getLogger(__name__)


class MissingKafkaCredentials(LookupError):
    """No password for a principal in the environment nor in the secrets directory."""


def password_variable(principal: str) -> str:
    return "HUB_KAFKA_PASSWORD_" + principal.upper().replace("-", "_").replace(".", "_")


class KafkaClientSettings(HubSettings):
    """How every Kafka client of a process proves who it is (SASL/SCRAM-SHA-512) and checks the broker.
    A principal's password: `HUB_KAFKA_PASSWORD_<PRINCIPAL>` (upper case, `-` as `_`), else the file
    `<HUB_KAFKA_SECRETS_DIR>/<principal>`, looked up when the client connects."""

    model_config = SettingsConfigDict(env_prefix="HUB_KAFKA_")

    secrets_dir: Path | None = Field(
        None,
        json_schema_extra={
            "expected": "a directory",
            "default_shown": ".data/kafka-secrets (development passwords, generated)",
        },
    )
    """The directory of one password file per principal (mounted secrets in Docker or Kubernetes)."""
    ca_file: FilePath | None = None
    """A PEM bundle: set, clients use SASL_SSL and check the broker's certificate and host name against it."""


@dataclass(frozen=True)
class KafkaSecurity:
    secrets_dir: Path = DEV_SECRETS_DIR
    ca_file: Path | None = None  # set: SASL_SSL, the broker's certificate checked against this CA

    @classmethod
    def from_env(cls) -> KafkaSecurity:
        configured = KafkaClientSettings.from_env()
        return cls(secrets_dir=configured.secrets_dir or DEV_SECRETS_DIR, ca_file=configured.ca_file)

    @property
    def protocol(self) -> str:
        return "SASL_SSL" if self.ca_file is not None else "SASL_PLAINTEXT"

    def password(self, principal: str) -> str:
        from_env = os.environ.get(password_variable(principal))
        if from_env:
            return from_env
        path = self.secrets_dir / principal
        if self.secrets_dir == DEV_SECRETS_DIR and not path.exists():
            # Development: whoever needs a password first (a broker's start, `hub schemas write`, a test)
            # generates it; the launcher gives every broker it starts the same ones.
            log.warning("no Kafka password for %s yet: generating a development one in %s", principal, path)
            write_new_secret(path, private_dir=True)
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            secret = ""
        if not secret:
            raise MissingKafkaCredentials(
                f"no Kafka password for principal {principal!r}: set {password_variable(principal)} "
                f"or write it to {path} (HUB_KAFKA_SECRETS_DIR)"
            )
        return secret

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.ca_file is None:
            return None
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client_options(self, principal: str) -> dict[str, Any]:
        """Keyword arguments of AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient, AIOKafkaClient."""
        return {
            "security_protocol": self.protocol,
            "ssl_context": self.ssl_context(),
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": principal,
            "sasl_plain_password": self.password(principal),
        }

    def faststream(self, principal: str) -> SASLScram512:
        """The same, as FastStream's KafkaBroker takes it."""
        return SASLScram512(
            username=principal,
            password=self.password(principal),
            use_ssl=self.ca_file is not None,
            ssl_context=self.ssl_context(),
        )


def client_options(principal: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """aiokafka options of `principal`, with this process's settings unless `security` is given."""
    return (security or KafkaSecurity.from_env()).client_options(principal)


def faststream_security(principal: str, security: KafkaSecurity | None = None) -> SASLScram512:
    return (security or KafkaSecurity.from_env()).faststream(principal)
