"""`hub topics apply`: make the cluster match topics.yaml, idempotently, and report drift.

Missing topics are created. Existing ones are compared, not altered: changing partitions or
retention of a live topic is an operator's decision, so drift is reported for them to act on.
aiokafka's admin client answers with per-topic error codes instead of raising: each is checked.

A cluster smaller than topics.yaml wants (a development broker of one node) gets what it can give:
the replication factor and min.insync.replicas capped at its size, said in one note per apply, and
what is created so is what later applies expect, not drift.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from hub.contract.topics import TopicCatalog, TopicSpec
from hub.runtime.kafka.security import ADMIN, client_options

TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC_OR_PARTITION = 3


class TopicApplyError(RuntimeError):
    pass


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # human-readable, one line per difference
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"created: {name}" for name in self.created]
        out += [f"ok:      {name}" for name in self.unchanged]
        out += [f"DRIFT:   {d}" for d in self.drift]
        out += [f"note:    {n}" for n in self.notes]
        return out


def _effective_rf(spec: TopicSpec, brokers: int) -> int:
    return min(spec.replication_factor, brokers)


def _wanted_configs(spec: TopicSpec, brokers: int) -> dict[str, str]:
    """The topic's configs as created on, and expected from, a cluster of `brokers` brokers: a min ISR
    above the replicas there are would refuse every acks=all write."""
    configs = dict(spec.configs)
    if spec.min_insync_replicas is not None:
        configs["min.insync.replicas"] = str(min(spec.min_insync_replicas, _effective_rf(spec, brokers)))
    return configs


def _capped_note(catalog: TopicCatalog, brokers: int) -> str | None:
    capped = [spec for spec in catalog if spec.replication_factor > brokers]
    if not capped:
        return None
    wanted = "/".join(str(rf) for rf in sorted({spec.replication_factor for spec in capped}))
    return (
        f"the cluster has {brokers} broker(s): replication factor and min.insync.replicas capped at {brokers} "
        f"for {len(capped)} of {len(list(catalog))} topics (topics.yaml wants replication factor {wanted})"
    )


async def apply_topics(bootstrap: str, catalog: TopicCatalog, timeout_ms: int = 30000) -> ApplyReport:
    report = ApplyReport()
    # Creating topics is the admin's: no process principal has CREATE (topics.yaml is the one list).
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **client_options(ADMIN))
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        brokers = len(cluster["brokers"])
        existing = set(await admin.list_topics())
        missing = [spec for spec in catalog if spec.name not in existing]
        note = _capped_note(catalog, brokers)
        if note is not None:
            report.notes.append(note)
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name=spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=_effective_rf(spec, brokers),
                        topic_configs=_wanted_configs(spec, brokers),
                    )
                    for spec in missing
                ],
                timeout_ms=timeout_ms,
            )
            for topic, code, message in _topic_errors(response):
                if code == 0:
                    report.created.append(topic)
                elif code == TOPIC_ALREADY_EXISTS:  # created meanwhile by another apply: fine
                    existing.add(topic)
                else:
                    raise TopicApplyError(f"creating {topic} failed: {for_code(code).__name__} {message or ''}")
        to_check = [spec for spec in catalog if spec.name in existing]
        if to_check:
            await _compare(admin, to_check, brokers, report)
    finally:
        await admin.close()
    return report


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    obj = response.to_object()
    out = []
    for entry in obj["topics"] if "topics" in obj else obj["topic_errors"]:
        name = entry.get("name") or entry.get("topic")
        out.append((name, entry["error_code"], entry.get("error_message")))
    return out


async def _topic_configs(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> dict[str, dict[str, str]]:
    """Configs of existing topics. A topic created a moment ago may be unknown to the broker asked
    for a little while (metadata propagates): ask again for up to ~10 s before calling it an error."""
    for attempt in range(50):
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs])
        configs: dict[str, dict[str, str]] = {}
        failures = []
        for response in responses:
            for resource in response.to_object()["resources"]:
                if resource["error_code"] != 0:
                    failures.append((resource["resource_name"], resource["error_code"]))
                    continue
                configs[resource["resource_name"]] = {
                    c["config_names"]: c["config_value"] for c in resource["config_entries"]
                }
        if not failures:
            return configs
        if any(code != UNKNOWN_TOPIC_OR_PARTITION for _, code in failures) or attempt == 49:
            name, code = failures[0]
            raise TopicApplyError(f"describing {name} failed: {for_code(code).__name__}")
        await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


async def _compare(admin: AIOKafkaAdminClient, specs: list[TopicSpec], brokers: int, report: ApplyReport) -> None:
    configs = await _topic_configs(admin, specs)
    described = {t["topic"]: t for t in await admin.describe_topics([s.name for s in specs])}
    for spec in specs:
        topic = described[spec.name]
        if topic["error_code"] != 0:
            raise TopicApplyError(f"describing {spec.name} failed: {for_code(topic['error_code']).__name__}")
        differences = []
        partitions = len(topic["partitions"])
        if partitions != spec.partitions:
            differences.append(f"{partitions} partitions, topics.yaml says {spec.partitions}")
        replicas = min(len(p["replicas"]) for p in topic["partitions"]) if topic["partitions"] else 0
        if replicas != _effective_rf(spec, brokers):
            differences.append(f"replication factor {replicas}, expected {_effective_rf(spec, brokers)}")
        for name, wanted in _wanted_configs(spec, brokers).items():
            actual = configs.get(spec.name, {}).get(name)
            if actual != wanted:
                differences.append(f"{name}={actual}, topics.yaml says {wanted}")
        if differences:
            report.drift.extend(f"{spec.name}: {d}" for d in differences)
        elif spec.name not in report.created:
            report.unchanged.append(spec.name)
