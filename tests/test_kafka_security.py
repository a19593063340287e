"""Kafka security on the session's real broker (issue 12, part 1): nobody gets in without its
principal's password, and each principal is denied every topic and group topics.yaml does not give it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    GroupCoordinatorNotAvailableError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from hub.contract.topics import TopicCatalog, catalog
from hub.operations.kafka.acls import Acl, Operation, Resource, UnmappedName, generate_acls, load_principals
from hub.operations.kafka.authorization import hub_acls, hub_principals, sync_security
from hub.runtime.kafka.security import KafkaSecurity, client_options
from tests.e2e.helpers import eventually

pytestmark = pytest.mark.kafka

PRINCIPALS = hub_principals()


def _granted(principal: str, resource: Resource, operation: Operation) -> set[str]:
    acls = hub_acls()
    return {a.name for a in acls if (a.principal, a.resource, a.operation) == (principal, resource, operation)}


def _outside(principal: str, operation: Operation) -> str:
    """A topic of topics.yaml on which `principal` has no `operation`."""
    return next(t for t in catalog().names if t not in _granted(principal, Resource.TOPIC, operation))


async def test_a_client_without_credentials_is_refused(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=3000)  # PLAINTEXT, no SASL
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()


async def test_a_wrong_password_is_refused(bootstrap: str) -> None:
    options = client_options("hub-core") | {"sasl_plain_password": "not-the-password"}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **options)
    with pytest.raises(KafkaError):
        await admin.start()
    await admin.close()


async def test_a_name_that_is_no_principal_is_refused(bootstrap: str) -> None:
    options = client_options("hub-core") | {"sasl_plain_username": "mallory"}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **options)
    with pytest.raises(KafkaError):
        await admin.start()
    await admin.close()


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_each_principal_is_denied_writing_a_topic_it_does_not_produce(bootstrap: str, principal: str) -> None:
    topic = _outside(principal, Operation.WRITE)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **client_options(principal))
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b"not allowed", key=b"K")
        for own in sorted(_granted(principal, Resource.TOPIC, Operation.WRITE)):
            assert await producer.partitions_for(own), f"{principal} should see {own}"
    finally:
        await producer.stop()


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_each_principal_is_denied_reading_a_topic_it_does_not_consume(bootstrap: str, principal: str) -> None:
    topic = _outside(principal, Operation.READ)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client_options(principal)
    )
    await consumer.start()
    try:
        if topic in _granted(principal, Resource.TOPIC, Operation.DESCRIBE):  # it writes there, so it sees it
            consumer.assign([TopicPartition(topic, 0)])
            with pytest.raises(TopicAuthorizationFailedError):
                await consumer.getmany(timeout_ms=10_000)
        else:  # the broker does not even say that the topic exists
            assert topic not in await consumer.topics()
    finally:
        await consumer.stop()
    own = sorted(_granted(principal, Resource.TOPIC, Operation.READ))
    if own:  # ... while its own topics it reads
        reader = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client_options(principal)
        )
        await reader.start()
        try:
            ends = await reader.end_offsets([TopicPartition(own[0], 0)])
            assert list(ends) == [TopicPartition(own[0], 0)]
        finally:
            await reader.stop()


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_each_principal_is_denied_a_group_outside_its_own(bootstrap: str, principal: str) -> None:
    own = _granted(principal, Resource.GROUP, Operation.READ)
    foreign = next(g for g in ["hub-core", "adapter-tobb", "getapp-tracking"] if g not in own)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(principal))
    await admin.start()
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await admin.list_consumer_group_offsets(foreign)
        with pytest.raises(GroupAuthorizationFailedError):
            await admin.list_consumer_group_offsets(f"{principal}-made-up-group")
        for group in sorted(own):  # its own: allowed, once the broker has a group coordinator
            await eventually(lambda group=group: _described(admin, group))
    finally:
        await admin.close()


async def _described(admin: AIOKafkaAdminClient, group: str) -> bool:
    try:
        await admin.list_consumer_group_offsets(group)
    except GroupCoordinatorNotAvailableError:  # __consumer_offsets is created by the first group's request
        return False
    return True


def test_every_producer_and_consumer_of_topics_yaml_is_some_principal() -> None:
    principals = load_principals()
    generated = generate_acls(catalog(), principals)
    assert {a.principal for a in generated} == {p.name for p in principals}
    unmapped = TopicCatalog([dataclasses.replace(catalog().topic("ykts.results"), consumers=("a stranger",))])
    with pytest.raises(UnmappedName, match="a stranger"):
        generate_acls(unmapped, principals)


def test_the_acls_follow_topics_yaml() -> None:
    acls = set(hub_acls())
    assert Acl("frontend", Resource.TOPIC, "ata.declaration.commands", Operation.WRITE) in acls
    assert Acl("bilge-reconciliation", Resource.TOPIC, "ata.declaration.commands", Operation.WRITE) in acls
    assert Acl("hub-core", Resource.GROUP, "hub-core", Operation.READ) in acls
    assert Acl("hub-core", Resource.TOPIC, "hub.deadletter", Operation.WRITE) in acls  # it dead-letters
    assert Acl("operators", Resource.TOPIC, "hub.deadletter", Operation.READ) in acls
    assert Acl("operators", Resource.TOPIC, "tobb.carnet.requests", Operation.WRITE) in acls  # replays
    # The intake may only put BİLGE's documents on bilge.inbound: nothing to read, no group.
    assert {(a.resource, a.name, a.operation) for a in acls if a.principal == "bilge-intake"} == {
        (Resource.TOPIC, "bilge.inbound", Operation.WRITE),
        (Resource.TOPIC, "bilge.inbound", Operation.DESCRIBE),
        (Resource.CLUSTER, "kafka-cluster", Operation.IDEMPOTENT_WRITE),
    }
    assert not any(a.resource == Resource.TOPIC and a.operation == Operation.WRITE and a.principal == "getapp"
                   and a.name == "ata.declaration.commands" for a in acls)  # fmt: skip


def test_passwords_come_from_the_environment_before_the_secret_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = KafkaSecurity(secrets_dir=tmp_path)
    (tmp_path / "hub-core").write_text("from-file\n")
    assert secrets.password("hub-core") == "from-file"
    monkeypatch.setenv("HUB_KAFKA_PASSWORD_HUB_CORE", "from-env")
    assert secrets.password("hub-core") == "from-env"


async def test_applying_removes_a_grant_that_topics_yaml_does_not_make(bootstrap: str) -> None:
    """`hub kafka acls --apply` (and every start of the launcher) leaves exactly the generated ACLs."""
    extra = Acl("frontend", Resource.TOPIC, "hub.deadletter", Operation.READ)
    security = KafkaSecurity.from_env()
    await sync_security(bootstrap, security, users=[], acls=[*hub_acls(), extra])  # a grant made by hand
    report = await sync_security(bootstrap, security, users=[])
    assert report.deleted == [extra]
    assert not report.created
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **client_options("frontend"))
    await consumer.start()
    try:
        assert "hub.deadletter" not in await consumer.topics()
    finally:
        await consumer.stop()
