"""Settings from the environment, with the embedded defaults (local Kafka, SQLite under .data/)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from hub.secret_files import write_new_secret
from hub.signing import SigningKey
from hub.topics import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / ".data"


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str
    database_url: str
    consumer_max_attempts: int  # handling attempts of one message before it is dead-lettered
    relay_poll_s: float  # how often the outbox relay looks when nobody woke it
    deadline_warn_days: int = 30  # V2: "deadline approaching" this many days before
    deadline_check_s: float = 3600.0  # V2: how often the deadline monitor runs
    bilge_cutover: date = date(2021, 6, 2)  # L2: BİLGE takes no ATA regime codes from this day
    ops_host: str = "127.0.0.1"  # where each process serves /metrics and /health/*
    batch_records: int = 500  # the core handles at most this many records of a poll in one transaction
    batch_ms: int = 10  # ... or what arrived within this many milliseconds
    # Who may change a process's health from outside (declare a system degraded): the console.
    ops_token: str = field(default="", repr=False)
    clock_skew_s: float = 300.0  # V1: how far a command's occurred_at may be from the hub's receipt

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            kafka_bootstrap=os.environ.get("HUB_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            database_url=os.environ.get("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{DATA_DIR / 'hub.db'}"),
            consumer_max_attempts=int(os.environ.get("HUB_CONSUMER_MAX_ATTEMPTS", "5")),
            relay_poll_s=float(os.environ.get("HUB_RELAY_POLL_S", "0.5")),
            deadline_warn_days=int(os.environ.get("HUB_DEADLINE_WARN_DAYS", "30")),
            deadline_check_s=float(os.environ.get("HUB_DEADLINE_CHECK_S", "3600")),
            bilge_cutover=date.fromisoformat(os.environ.get("HUB_BILGE_CUTOVER", "2021-06-02")),
            ops_host=os.environ.get("HUB_OPS_HOST", "127.0.0.1"),
            batch_records=int(os.environ.get("HUB_BATCH_RECORDS", "500")),
            batch_ms=int(os.environ.get("HUB_BATCH_MS", "10")),
            ops_token=ops_token(),
            clock_skew_s=float(os.environ.get("HUB_CLOCK_SKEW_S", "300")),
        )


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
    if named := os.environ.get("HUB_SENDERS_FILE", "").strip():
        return Path(named)
    from hub.devtools.signing import ensure_dev_senders

    return ensure_dev_senders().registry_path


def signing_key(sender: str, variable: str = "HUB_SIGNING_KEY_FILE") -> SigningKey:
    """What a sending system signs with: the key file `$HUB_SIGNING_KEY_FILE` (or the `variable` its
    program reads), or else the development key of `sender` in .data/signing (whose public key the
    development registry holds)."""
    if named := os.environ.get(variable, "").strip():
        return SigningKey.load(Path(named))
    from hub.devtools.signing import ensure_dev_senders

    return ensure_dev_senders().key(sender)
