"""topics.yaml: the one list of Kafka topics. Nothing publishes to or reads from a topic it lacks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOPICS_FILE = PROJECT_ROOT / "topics.yaml"


# Kafka's default message.max.bytes: what a topic takes when topics.yaml gives it no max_message_bytes.
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588


class UndeclaredTopic(LookupError):
    """A topic (or a message type on a topic) that topics.yaml does not declare."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: int
    key: str
    messages: dict[str, str]  # message type -> JSON Schema file, relative to the project root
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    format: str = "json"  # "json": envelopes of hub/contract/messages; "xml": an external system's own documents
    max_message_bytes: int | None = None  # the topic's max.message.bytes; None: the broker's default
    message_timestamp_type: str | None = None  # "LogAppendTime": the broker's clock stamps each record
    signed: bool = False  # every record carries its sender's signature (`senders:` in topics.yaml)
    min_insync_replicas: int | None = None  # replicas holding a record before it is acknowledged (acks=all)

    @property
    def configs(self) -> dict[str, str]:
        """Topic-level configs as Kafka names them, for create and drift checks."""
        configs = {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}
        if self.max_message_bytes is not None:
            configs["max.message.bytes"] = str(self.max_message_bytes)
        if self.message_timestamp_type is not None:
            configs["message.timestamp.type"] = self.message_timestamp_type
        return configs

    @property
    def record_limit(self) -> int:
        """The largest record batch the topic takes: its own max.message.bytes or Kafka's default."""
        return self.max_message_bytes or KAFKA_DEFAULT_MAX_MESSAGE_BYTES


@dataclass(frozen=True)
class SenderSpec:
    """A sending system whose signature the hub checks, and the message types it may send."""

    name: str
    description: str
    signs: frozenset[str]


class TopicCatalog:
    def __init__(self, topics: list[TopicSpec], senders: list[SenderSpec] | None = None) -> None:
        self._topics = {t.name: t for t in topics}
        self.senders = {s.name: s for s in senders or ()}

    def __iter__(self) -> Iterator[TopicSpec]:
        return iter(self._topics.values())

    @property
    def names(self) -> list[str]:
        return list(self._topics)

    def topic(self, name: str) -> TopicSpec:
        try:
            return self._topics[name]
        except KeyError:
            raise UndeclaredTopic(f"topic {name!r} is not declared in topics.yaml") from None

    def check_carries(self, name: str, message_type: str) -> TopicSpec:
        spec = self.topic(name)
        if message_type not in spec.messages:
            raise UndeclaredTopic(f"topics.yaml does not let topic {name!r} carry {message_type!r}")
        return spec

    @classmethod
    def load(cls, path: Path = TOPICS_FILE) -> TopicCatalog:
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        defaults: dict[str, Any] = raw.get("defaults") or {}
        topics = [
            TopicSpec(
                name=t["name"],
                description=t["description"].strip(),
                partitions=int(t["partitions"]),
                replication_factor=int(t["replication_factor"]),
                cleanup_policy=t["cleanup_policy"],
                retention_ms=int(t["retention_ms"]),
                key=t["key"],
                messages={m["type"]: m["schema"] for m in t.get("messages", [])},
                producers=tuple(t["producers"]),
                consumers=tuple(t["consumers"]),
                format=t.get("format", "json"),
                max_message_bytes=int(t["max_message_bytes"]) if "max_message_bytes" in t else None,
                message_timestamp_type=t.get("message_timestamp_type"),
                signed=bool(t.get("signed", False)),
                min_insync_replicas=_optional_int(t.get("min_insync_replicas", defaults.get("min_insync_replicas"))),
            )
            for t in raw["topics"]
        ]
        senders = [
            SenderSpec(name=s["name"], description=s["description"].strip(), signs=frozenset(s["signs"]))
            for s in raw.get("senders", [])
        ]
        return cls(topics, senders)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


@cache
def catalog() -> TopicCatalog:
    """The project's catalogue, read once per process."""
    return TopicCatalog.load()


NAMES_MODULE = "hub/contract/topic_names.py"


def constant_name(topic: str) -> str:
    """`ata.declaration.commands` -> `ATA_DECLARATION_COMMANDS`: the constant code names a topic by."""
    return topic.replace(".", "_").replace("-", "_").upper()


def render_names(topics: TopicCatalog) -> str:
    """hub/contract/topic_names.py: one constant per topic of topics.yaml, with its description's first
    sentence. Generated, so a topic renamed or removed in topics.yaml breaks its users at import and in
    mypy, not at run time on a broker."""
    lines = [
        '"""The topics of topics.yaml as constants. Generated by `hub schemas write` (hub/contract/topics.py);',
        '`hub schemas check` fails when it differs from topics.yaml. Never edit by hand."""',
        "",
        "from typing import Final",
    ]
    for spec in topics:
        first = spec.description.split(". ")[0].rstrip(".").replace('"', "'")
        lines += ["", f'{constant_name(spec.name)}: Final = "{spec.name}"', f'"""{_wrap(first)}."""']
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 110) -> str:
    words, out, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    return "\n".join(out)
