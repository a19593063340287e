"""A broker of a three-node cluster dies mid-stream and comes back: nothing is lost, nothing doubled,
nobody notices but the latency.

Real parts only: a three-node KRaft cluster of this module's own (`hub kafka start --brokers 3`'s,
security included), the topics of topics.yaml on it (replication factor 3, min.insync.replicas 2),
and the core and the TOBB adapter as OS processes (`hub core`, `hub tobb-adapter`) against the
session's TOBB simulator. A stream of commands (foreign carnets' lodge, accept, inspect; Turkish
carnets' lodgements, which the core looks up in TOBB through the adapter) runs while the broker
leading the most partitions is SIGKILLed, and later started again.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from adapters.tobb.simulator import DEFAULT_API_KEY
from hub.contract.topics import catalog
from hub.devtools.kafka.cluster import KafkaCluster, start_detached
from hub.devtools.kafka.launcher import find_project_root
from hub.domain.commands import AcceptDeclaration, CompleteInspection
from hub.entrypoints.cli_kafka import kafka_app
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.security import ADMIN, client_options
from tests.domain.builders import INSPECTOR, LIAISON
from tests.e2e.helpers import eventually, foreign_5800, turkish_2600
from tests.kafka_fixture import started_cluster
from tests.os_processes import HubOs, hub_command

pytestmark = pytest.mark.kafka

ROOT = find_project_root()
# The topics the stream goes through, and the group coordinator's (one partition: hub/devtools/kafka/launcher.py).
STREAM_TOPICS = ["ata.declaration.commands", "ata.declaration.events", "tobb.carnet.requests", "tobb.carnet.results"]
OFFSETS_TOPIC = "__consumer_offsets"


@pytest.fixture(scope="module")
def cluster() -> Iterator[KafkaCluster]:
    with started_cluster("cluster", size=3) as cluster:
        yield cluster


@pytest.fixture
async def processes(
    cluster: KafkaCluster, tobb_simulator: BackgroundServer, tmp_path: Path
) -> AsyncIterator[list[HubOs]]:
    env = {
        "HUB_KAFKA_BOOTSTRAP": cluster.bootstrap_servers,
        "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        "HUB_DEADLINE_CHECK_S": "86400",
        "HUB_RELAY_POLL_S": "0.2",
        "TOBB_BASE_URL": tobb_simulator.base_url,
        "TOBB_API_KEY": DEFAULT_API_KEY,
    }
    await apply_topics(cluster.bootstrap_servers, catalog())
    upgraded = hub_command("db", "upgrade", env=env)  # the store's schema first, as before a deployment
    assert upgraded.returncode == 0, upgraded.stderr
    started = [
        HubOs("core", ["core", "--ops-port", "0"], env, tmp_path),
        HubOs("tobb-adapter", ["tobb-adapter", "--ops-port", "0"], env, tmp_path),
    ]
    try:
        for process in started:
            await process.ready(wait_s=90)
        yield started
    finally:
        for process in started:
            process.stop()


async def _described(bootstrap: str, topics: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each topic's partitions: leader, replicas, isr."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        return {t["topic"]: t["partitions"] for t in await admin.describe_topics(topics)}
    finally:
        await admin.close()


async def _min_insync(bootstrap: str, topics: list[str]) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    finally:
        await admin.close()
    return {
        resource["resource_name"]: entry["config_value"]
        for response in responses
        for resource in response.to_object()["resources"]
        for entry in resource["config_entries"]
        if entry["config_names"] == "min.insync.replicas"
    }


async def _busiest_broker(bootstrap: str) -> int:
    """The node leading the most partitions of the stream's topics and the group coordinator's."""
    described = await _described(bootstrap, [*STREAM_TOPICS, OFFSETS_TOPIC])
    leaders = Counter(p["leader"] for partitions in described.values() for p in partitions)
    return int(leaders.most_common(1)[0][0])


async def _leads_nothing(bootstrap: str, node_id: int) -> bool:
    described = await _described(bootstrap, [*STREAM_TOPICS, OFFSETS_TOPIC])
    return all(p["leader"] != node_id for partitions in described.values() for p in partitions)


def _stream() -> list[tuple[str, Any]]:
    """Foreign carnets' lodge, accept, inspect (each in its turn), and a Turkish lodgement every ninth
    command: each of those is looked up in TOBB, through the adapter and back, while the broker is down."""
    flows = []
    for _ in range(80):
        lodge = foreign_5800()
        number = lodge.declaration_number
        flows.append([
            (lodge.carnet_number, lodge),
            (lodge.carnet_number, AcceptDeclaration(declaration_number=number, actor=LIAISON)),
            (lodge.carnet_number, CompleteInspection(declaration_number=number, actor=INSPECTOR)),
        ])  # fmt: skip
    steps: list[tuple[str, Any]] = []
    for i, step in enumerate(step for round_ in zip(*flows, strict=True) for step in round_):
        steps.append(step)
        if i % 9 == 8:
            turkish = turkish_2600()  # one piece of line 1 (40 pieces) each time
            steps.append((turkish.carnet_number, turkish))
    return steps


def test_hub_kafka_status_shows_every_node_of_the_cluster_and_bootstrap_txt_lists_them(cluster: KafkaCluster) -> None:
    shown = CliRunner().invoke(kafka_app, ["status", "--home", str(cluster.home)])
    assert shown.exit_code == 0, shown.output
    assert "Kafka cluster of 3 nodes: running" in shown.output
    for node in cluster.nodes:
        assert f"running (pid {node.pid}) at {node.bootstrap_servers}" in shown.output
    assert (cluster.home / "bootstrap.txt").read_text().split() == [cluster.bootstrap_servers]
    again = start_detached(cluster.home)  # `hub kafka start` on it: nothing to start, no second cluster
    assert again.reused and again.clustered and again.bootstrap_servers == cluster.bootstrap_servers


async def test_a_broker_killed_mid_stream_and_restarted_loses_no_command_and_no_consumer(
    cluster: KafkaCluster, processes: list[HubOs]
) -> None:
    bootstrap = cluster.bootstrap_servers
    report = await apply_topics(bootstrap, catalog())  # again: as created, nothing capped on three brokers
    assert sorted(report.unchanged) == sorted(catalog().names) and not report.notes, report.lines()
    described = await _described(bootstrap, catalog().names)
    assert {len(p["replicas"]) for partitions in described.values() for p in partitions} == {3}
    assert set((await _min_insync(bootstrap, catalog().names)).values()) == {"2"}

    victim = await _busiest_broker(bootstrap)
    node = cluster.node(victim)
    steps = _stream()
    kill_at, restart_at = len(steps) // 3, 2 * len(steps) // 3
    sent = []
    restarted: asyncio.Task[None] | None = None
    async with HubClient(bootstrap) as client:  # each command stamped when sent, and signed
        for i, (key, command) in enumerate(steps):
            sent.append(await client.send(command, key))
            if i == kill_at:
                assert node.pid is not None
                os.kill(node.pid, signal.SIGKILL)

                async def dead() -> bool:
                    return not node.is_running()

                await eventually(dead, wait_s=10)
            if i == restart_at:
                # The controller fenced the dead node and moved its leaderships while the stream went on.
                await eventually(lambda: _leads_nothing(bootstrap, victim), wait_s=60, every_s=0.5)
                # In a thread: the stream goes on while the node starts and catches up.
                restarted = asyncio.create_task(asyncio.to_thread(cluster.start_node, victim))
            await asyncio.sleep(0.02)
        assert restarted is not None
        await restarted
        outcomes = [await client.outcome(message, wait_s=120) for message in sent]

    refused = []
    for message, events in zip(sent, outcomes, strict=True):
        # One outcome each: a record sent twice (a retried send) has the same message id; never two outcomes.
        distinct = {e.message_id: e.type for e in events}
        answers = [t for t in distinct.values() if t != "CarnetRecorded"]
        assert len(answers) == 1, (message.type, distinct)
        assert list(distinct.values()).count("CarnetRecorded") <= 1, (message.type, distinct)
        refused += [e.payload for e in events if e.type == "CommandRefused"]
    # Nothing refused: an accept or an inspection decided before its lodgement, or a Turkish carnet
    # TOBB was not asked about, would be; so each carnet's commands were also decided in order.
    assert refused == []

    async def rejoined() -> bool:
        partitions = await _described(bootstrap, [*catalog().names, OFFSETS_TOPIC])
        return all(victim in p["isr"] for ps in partitions.values() for p in ps)

    await eventually(rejoined, wait_s=180, every_s=1)
    for process in processes:  # rode through: alive all along, and ready
        await process.ready(wait_s=30)
