"""The Kafka ACLs of the hub, generated from topics.yaml: its topics' producers and consumers and its
`principals:` (who goes by which of those names, and with which consumer groups).

A producer may WRITE (and DESCRIBE) its topics, with IDEMPOTENT_WRITE on the cluster (every producer
of the hub is idempotent; Kafka 3+ implies it from WRITE, older brokers and readers of the list do
not); a consumer may READ (and DESCRIBE) its topics and READ its own groups. The dead-letter topic
needs nothing special: every consumer that dead-letters is a producer of it in topics.yaml. The
operators' tools replay a dead letter to the topic it came from, so a principal marked
`replays_dead_letters` also writes every topic that a producer of the dead-letter topic consumes.
Anything not generated here is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import TOPICS_FILE, TopicCatalog

CLUSTER = "kafka-cluster"  # the one name of the CLUSTER resource


class Resource(IntEnum):  # Kafka's AclResourceType
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4


class Operation(IntEnum):  # Kafka's AclOperation
    READ = 3
    WRITE = 4
    DESCRIBE = 8
    IDEMPOTENT_WRITE = 12


LITERAL = 3  # PatternType: only exact names; no prefixes, no wildcards
ALLOW = 3  # AclPermissionType


@dataclass(frozen=True, order=True)
class Acl:
    principal: str  # the SCRAM user name, without "User:"
    resource: Resource
    name: str
    operation: Operation

    @property
    def kafka_principal(self) -> str:
        return f"User:{self.principal}"

    def describe(self) -> str:
        return f"{self.kafka_principal:<28} ALLOW {self.operation.name:<16} {self.resource.name} {self.name}"


@dataclass(frozen=True)
class Principal:
    name: str
    description: str
    names: tuple[str, ...]  # what it is called in topics.yaml's producers/consumers
    groups: tuple[str, ...]
    replays_dead_letters: bool = False


def load_principals(path: Path = TOPICS_FILE) -> list[Principal]:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Principal(
            name=p["name"],
            description=" ".join(str(p.get("description", "")).split()),
            names=tuple(p["as"]),
            groups=tuple(p.get("groups", ())),
            replays_dead_letters=bool(p.get("replays_dead_letters", False)),
        )
        for p in raw["principals"]
    ]


class UnmappedName(ValueError):
    """A producer or consumer of topics.yaml that no principal goes by: it could not connect."""


def generate_acls(catalog: TopicCatalog, principals: list[Principal]) -> list[Acl]:
    """Every ACL the hub needs, sorted and without duplicates. Raises UnmappedName for a name of a
    producers/consumers list that no principal claims, so topics.yaml cannot drift from the ACLs."""
    owner: dict[str, Principal] = {}
    for principal in principals:
        for name in principal.names:
            owner[name] = principal
    acls: set[Acl] = set()
    for spec in catalog:
        for role, names in (("producers", spec.producers), ("consumers", spec.consumers)):
            for name in names:
                if name not in owner:
                    raise UnmappedName(f"{spec.name}: {role} {name!r} is no principal's (topics.yaml principals:)")
                user = owner[name].name
                if role == "producers":
                    acls |= _writes(user, spec.name)
                else:
                    acls |= {Acl(user, Resource.TOPIC, spec.name, op) for op in (Operation.READ, Operation.DESCRIBE)}
    for principal in principals:
        acls |= {Acl(principal.name, Resource.GROUP, group, Operation.READ) for group in principal.groups}
        if principal.replays_dead_letters:
            for topic in _dead_lettered_topics(catalog, owner):
                acls |= _writes(principal.name, topic)
    return sorted(acls)


def _writes(user: str, topic: str) -> set[Acl]:
    return {
        Acl(user, Resource.TOPIC, topic, Operation.WRITE),
        Acl(user, Resource.TOPIC, topic, Operation.DESCRIBE),
        Acl(user, Resource.CLUSTER, CLUSTER, Operation.IDEMPOTENT_WRITE),
    }


def _dead_lettered_topics(catalog: TopicCatalog, owner: dict[str, Principal]) -> set[str]:
    """Topics read by a principal that writes dead letters: where a dead letter can come from."""
    if HUB_DEADLETTER not in catalog.names:
        return set()
    writers = {owner[name].name for name in catalog.topic(HUB_DEADLETTER).producers if name in owner}
    return {
        spec.name
        for spec in catalog
        if spec.name != HUB_DEADLETTER and any(owner[n].name in writers for n in spec.consumers if n in owner)
    }
