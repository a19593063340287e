"""The launcher against a real Apache Kafka broker (KRaft, started from Maven-resolved jars).

Nothing here is skipped: without Java/Maven/the jars these tests fail with the broker log.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from hub.devtools.kafka import launcher
from hub.devtools.kafka.launcher import (
    KafkaBroker,
    KafkaStartError,
    ensure_jars,
    find_project_root,
    start_detached,
    status,
    stop_detached,
)
from hub.runtime.kafka.security import ADMIN, client_options
from tests.kafka_fixture import kafka_test_home

pytestmark = pytest.mark.kafka

NONE = 0
TOPIC_ALREADY_EXISTS = 36


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def _create_topics(bootstrap: str, *topics: NewTopic) -> dict[str, int]:
    """Per-topic error codes of one CreateTopics request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        response = await admin.create_topics(list(topics))
    finally:
        await admin.close()
    return {str(item[0]): int(item[1]) for item in response.topic_errors}


async def _getone(consumer: AIOKafkaConsumer) -> ConsumerRecord[bytes, bytes]:
    record: ConsumerRecord[bytes, bytes] = await asyncio.wait_for(consumer.getone(), timeout=30)
    return record


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def own_home() -> Iterator[Path]:
    """A broker home of this test only, removed afterwards (with any broker left running)."""
    home = kafka_test_home(find_project_root(), _name("own"))
    try:
        yield home
    finally:
        stop_detached(home, timeout=10)
        shutil.rmtree(home, ignore_errors=True)


async def test_group_commit_is_durable_and_a_new_consumer_resumes_after_it(kafka_broker: KafkaBroker) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    topic, group = _name("orders"), _name("group")
    assert await _create_topics(bootstrap, NewTopic(topic, num_partitions=3, replication_factor=1)) == {topic: NONE}
    tp = TopicPartition(topic, 0)

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **client_options(ADMIN)
    )
    await producer.start()
    try:
        for i in range(5):
            sent = await producer.send_and_wait(topic, f"m{i}".encode(), key=b"k", partition=0)
            assert (sent.partition, sent.offset) == (0, i)
    finally:
        await producer.stop()

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            **client_options(ADMIN),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    first = consumer()
    await first.start()
    try:
        seen = [await _getone(first) for _ in range(3)]
        assert [(r.partition, r.offset, r.value) for r in seen] == [(0, 0, b"m0"), (0, 1, b"m1"), (0, 2, b"m2")]
        await first.commit({tp: seen[-1].offset + 1})  # next offset to read, Kafka's convention
        assert await first.committed(tp) == 3
    finally:
        await first.stop()

    # The broker itself (its __consumer_offsets), not the client, holds the committed offset.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert offsets[tp].offset == 3

    # Same group, fresh client: it must continue at m3, not start over (auto_offset_reset=earliest
    # would replay m0 if the commit had not been stored).
    second = consumer()
    await second.start()
    try:
        rest = [await _getone(second) for _ in range(2)]
        assert [(r.offset, r.value) for r in rest] == [(3, b"m3"), (4, b"m4")]
    finally:
        await second.stop()


async def test_admin_create_topics_reports_an_error_code_per_topic(kafka_broker: KafkaBroker) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    existing, fresh = _name("carnets"), _name("events")

    assert await _create_topics(bootstrap, NewTopic(existing, num_partitions=3, replication_factor=1)) == {
        existing: NONE
    }
    codes = await _create_topics(
        bootstrap,
        NewTopic(existing, num_partitions=3, replication_factor=1),
        NewTopic(fresh, num_partitions=1, replication_factor=1),
    )
    assert codes == {existing: TOPIC_ALREADY_EXISTS, fresh: NONE}

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        # A created topic reaches the broker's metadata a moment after CreateTopics answers (KRaft).
        async with asyncio.timeout(10):
            while True:
                described = {t["topic"]: t for t in await admin.describe_topics([existing, fresh])}
                if all(described[name]["partitions"] for name in (existing, fresh)):
                    break
                await asyncio.sleep(0.1)
    finally:
        await admin.close()
    assert len(described[existing]["partitions"]) == 3
    assert len(described[fresh]["partitions"]) == 1


async def test_stop_ends_the_process_and_detached_mode_reuses_home_port_and_data(own_home: Path) -> None:
    # Started from inside a running event loop on purpose: start() must cope (worker thread).
    broker = KafkaBroker(own_home)
    broker.start()
    try:
        pid = broker.pid
        assert pid is not None and broker.is_running()
        assert broker.log_path == own_home / "broker.log" and broker.log_path.stat().st_size > 0
        current = status(own_home)
        assert (current.running, current.pid, current.bootstrap_servers) == (
            True,
            pid,
            broker.bootstrap_servers,
        )
        kept = _name("kept")
        assert await _create_topics(broker.bootstrap_servers, NewTopic(kept, 3, 1)) == {kept: NONE}
    finally:
        broker.stop()

    assert not broker.is_running()
    assert _pid_gone(pid)
    assert not status(own_home).running
    assert not (own_home / "broker.pid").exists()

    # Detached: same home -> same port (bootstrap stays valid) and same data (the topic survives).
    started = start_detached(own_home)
    assert started.running and not started.reused
    assert started.bootstrap_servers == broker.bootstrap_servers
    assert (own_home / "bootstrap.txt").read_text().strip() == broker.bootstrap_servers

    again = start_detached(own_home)
    assert again.reused and again.pid == started.pid

    admin = AIOKafkaAdminClient(bootstrap_servers=started.bootstrap_servers, **client_options(ADMIN))
    await admin.start()
    try:
        assert kept in await admin.list_topics()
    finally:
        await admin.close()

    assert started.pid is not None
    assert stop_detached(own_home) is True
    assert _pid_gone(started.pid)
    assert not status(own_home).running
    assert stop_detached(own_home) is False


def test_a_broker_that_cannot_start_raises_with_its_log(own_home: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = int(squatter.getsockname()[1])
        broker = KafkaBroker(own_home, port=port)
        with pytest.raises(KafkaStartError) as caught:
            broker.start(timeout=60)

    message = str(caught.value)
    assert f"failed to bind to 127.0.0.1:{port}: Address already in use" in message
    assert str(broker.log_path) in message
    assert caught.value.log_tail and caught.value.log_tail in message
    assert not broker.is_running()
    assert not status(own_home).running


def test_resolved_jars_are_reused_without_running_maven(
    kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_maven(*args: object, **kwargs: object) -> int:
        raise AssertionError("Maven must not run when the stamp matches kafka/pom.xml")

    monkeypatch.setattr(launcher, "_run_maven", no_maven)
    root = find_project_root()
    out = io.StringIO()
    lib = ensure_jars(root, out=out)
    assert out.getvalue() == ""
    digest = hashlib.sha256((root / "kafka" / "pom.xml").read_bytes()).hexdigest()
    assert (lib / ".pom.sha256").read_text().strip() == digest
    assert any(lib.glob("kafka_2.13-*.jar")) and any(lib.glob("log4j-slf4j-impl-*.jar"))
