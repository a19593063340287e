"""The hub's own settings (HUB_*), read and checked by pydantic-settings, with the embedded defaults
(local Kafka, SQLite under .data/); and the secrets looked up lazily beside them (the operations
token, the registry of sending systems, a sender's signing key), which may make development files.

`Settings` is what every process of the hub is given (the stack shares one): where Kafka and the
store are, where operations endpoints listen, and the core's tuning. Other concerns have models of
their own (hub/entrypoints/process_settings.py lists them per process)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, FilePath, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hub.configuration.base import HubSettings
from hub.configuration.secret_files import write_new_secret
from hub.contract.signing import SigningKey
from hub.contract.topics import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / ".data"
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_HOST_PORT = re.compile(r"^\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")


def is_host(value: str) -> bool:
    """An IP address or a DNS name (what a socket may listen on or connect to)."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        return bool(_HOST_NAME.match(value))


def _checked_host(value: str) -> str:
    if not is_host(value):
        raise ValueError(f"{value!r} is no host")
    return value


HostName = Annotated[
    str, AfterValidator(_checked_host), Field(json_schema_extra={"expected": "an IP address or host name"})
]
"""An address a process listens on or connects to, checked at start."""


def _bootstrap(value: str) -> str:
    servers = [s.strip() for s in value.split(",")]
    for server in servers:
        host, _, port = server.rpartition(":")
        if not _HOST_PORT.match(server) or not is_host(host) or not 0 < int(port) < 65536:
            raise ValueError(f"{server!r} is not host:port")
    return ",".join(servers)


class Settings(HubSettings):
    """Where Kafka and the store are, where operations endpoints listen, and the core's tuning."""

    model_config = SettingsConfigDict(env_prefix="HUB_")

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", json_schema_extra={"expected": "host:port of Kafka brokers, comma-separated"}
    )
    """Kafka's bootstrap servers (`hub kafka start` prints those of the development broker)."""
    database_url: str = Field(
        f"sqlite+aiosqlite:///{DATA_DIR / 'hub.db'}",
        json_schema_extra={
            "expected": "a SQLAlchemy URL: sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB",
            "default_shown": "sqlite+aiosqlite:///.data/hub.db (under the project)",
        },
    )
    """The store: SQLite by default, PostgreSQL in production (several cores then share the work)."""
    consumer_max_attempts: Annotated[int, Field(ge=1)] = 5
    """Handling attempts of one message before it is dead-lettered."""
    relay_poll_s: Annotated[float, Field(gt=0)] = 0.5
    """How often (seconds) the outbox relay looks when nobody woke it."""
    deadline_warn_days: Annotated[int, Field(ge=0)] = 30
    """V2: "deadline approaching" this many days before a re-export/re-import deadline."""
    deadline_check_s: Annotated[float, Field(gt=0)] = 3600.0
    """V2: how often (seconds) the deadline monitor runs."""
    bilge_cutover: date = date(2021, 6, 2)
    """L2: the day from which BİLGE takes no ATA regime codes."""
    ops_host: HostName = "127.0.0.1"
    """Where each process serves /metrics and /health/* (and the console its page, unless told)."""
    batch_records: Annotated[int, Field(ge=1)] = 500
    """The core handles at most this many records of a poll in one transaction ..."""
    batch_ms: Annotated[int, Field(ge=0)] = 10
    """... or what arrived within this many milliseconds."""
    ops_token: SecretStr = Field(SecretStr(""), json_schema_extra={"default_shown": "the token file's"})
    """Who may change a process's health from outside (declare a system degraded): the console. Unset,
    it is read at start from `HUB_OPS_TOKEN_FILE`, else from .data/ops-token (made on first start)."""
    ops_token_file: FilePath | None = Field(
        None, json_schema_extra={"default_shown": ".data/ops-token (made on first start)"}
    )
    """A file holding the operations token (a mounted secret), when `HUB_OPS_TOKEN` is unset."""
    clock_skew_s: Annotated[float, Field(gt=0)] = 300.0
    """V1: how far (seconds) a command's occurred_at may be from the hub's receipt of it."""

    @field_validator("kafka_bootstrap")
    @classmethod
    def _servers(cls, value: str) -> str:
        return _bootstrap(value)

    @field_validator("database_url")
    @classmethod
    def _store(cls, value: str) -> str:
        try:
            driver = make_url(value).drivername
        except ArgumentError as exc:
            raise ValueError(str(exc)) from None
        if driver not in DATABASE_DRIVERS:
            raise ValueError(f"driver {driver!r}: the hub runs on {' or '.join(DATABASE_DRIVERS)}")
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The environment's settings, with the operations token looked up as at every start
        (`ops_token()`: the variable, the file it names, or .data/ops-token, made if missing)."""
        settings = super().from_env(environ)
        if settings.ops_token.get_secret_value():
            return settings
        return settings.model_copy(update={"ops_token": SecretStr(ops_token())})


class SigningSettings(HubSettings):
    """The signatures of commands and BİLGE's documents: whom the hub believes, what a sender signs with."""

    model_config = SettingsConfigDict(env_prefix="HUB_")

    senders_file: Path | None = Field(
        None, json_schema_extra={"default_shown": ".data/signing (development, made on first use)"}
    )
    """The registry of sending systems and their public keys (a JWK Set) signatures are checked against."""
    signing_key_file: Path | None = Field(
        None, json_schema_extra={"default_shown": "the development key in .data/signing"}
    )
    """The private key (PEM) a signing process signs its records with."""


OPS_TOKEN_FILE = DATA_DIR / "ops-token"


def ops_token() -> str:
    """The secret the console shows a process to change its health (`PUT`/`DELETE /health/degraded`):
    `$HUB_OPS_TOKEN`, or the file `$HUB_OPS_TOKEN_FILE` names, or else one made on first start in
    .data/ops-token (mode 0600), which every process of one machine reads."""
    if token := os.environ.get("HUB_OPS_TOKEN", "").strip():
        return token
    named = os.environ.get("HUB_OPS_TOKEN_FILE", "").strip()
    path = Path(named) if named else OPS_TOKEN_FILE
    if not path.exists() and not named:
        write_new_secret(path)
    token = path.read_text().strip()
    if not token:
        raise ValueError(f"the operations token file {path} is empty")
    return token


def senders_registry() -> Path:
    """The registry of sending systems and their public keys the hub checks signatures against:
    `$HUB_SENDERS_FILE`, or else the development one made on first use in .data/signing."""
    if named := SigningSettings.from_env().senders_file:
        return named
    from hub.configuration.dev_senders import ensure_dev_senders

    return ensure_dev_senders().registry_path


def signing_key(sender: str, variable: str = "HUB_SIGNING_KEY_FILE") -> SigningKey:
    """What a sending system signs with: the key file `$HUB_SIGNING_KEY_FILE` (or the `variable` its
    program reads), or else the development key of `sender` in .data/signing (whose public key the
    development registry holds)."""
    named = SigningSettings.from_env().signing_key_file if variable == "HUB_SIGNING_KEY_FILE" else None
    if named is None and (other := os.environ.get(variable, "").strip()):
        named = Path(other)
    if named is not None:
        return SigningKey.load(named)
    from hub.configuration.dev_senders import ensure_dev_senders

    return ensure_dev_senders().key(sender)
