"""Scale-out by partitions: several core processes in one consumer group on PostgreSQL.

Real parts only: a Kafka broker of this module's own (so the session's core, in group hub-core, is
not in the group), a database of its own on the suite's PostgreSQL server, and the cores as OS
processes (`hub core`), so that a SIGKILL is a real one. `hub db upgrade` makes the schema first, as
before a deployment (upgrades started together: tests/store/test_migrations.py); two cores start
together; a stream of commands runs while a third core joins and then one of the first two is killed.
Every command must have exactly one outcome, in order per carnet, and be applied once in the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from hub.contract.topics import catalog
from hub.devtools.postgres import PostgresServer
from hub.domain.commands import AcceptDeclaration, CompleteInspection
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.store.tables import declarations, processed_messages
from tests.domain.builders import INSPECTOR, LIAISON
from tests.e2e.helpers import foreign_5800
from tests.kafka_fixture import started_broker
from tests.os_processes import HubOs, hub_command

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    """A broker of this module's own: the cores below form a group of their own on it."""
    with started_broker("scale") as broker:
        yield broker.bootstrap_servers


@pytest.fixture(scope="module")
def postgres(postgres_server: PostgresServer) -> str:
    """A database of its own on the suite's PostgreSQL server (several cores need one database),
    upgraded to the code's schema by `hub db upgrade`, as README's "By hand" does."""
    url = postgres_server.create_database("scale")
    upgraded = hub_command("db", "upgrade", env={"HUB_DATABASE_URL": url})
    assert upgraded.returncode == 0, upgraded.stderr
    return url


def core_os(name: str, bootstrap: str, database_url: str, logs: Path) -> HubOs:
    """`hub core` as its own OS process, on the module's broker and PostgreSQL."""
    env = {
        "HUB_KAFKA_BOOTSTRAP": bootstrap,
        "HUB_DATABASE_URL": database_url,
        "HUB_DEADLINE_CHECK_S": "86400",
        "HUB_RELAY_POLL_S": "0.2",
    }
    return HubOs(name, ["core", "--ops-port", "0"], env, logs)


@pytest.fixture
async def cores(broker: str, postgres: str, tmp_path: Path) -> AsyncIterator[list[HubOs]]:
    await apply_topics(broker, catalog())
    started: list[HubOs] = []
    yield started
    for core in started:
        core.stop()


def _flow(carnet: int) -> list[tuple[str, Any]]:
    lodge = foreign_5800()
    n = lodge.declaration_number
    return [
        (lodge.carnet_number, lodge),
        (lodge.carnet_number, AcceptDeclaration(declaration_number=n, actor=LIAISON)),
        (lodge.carnet_number, CompleteInspection(declaration_number=n, actor=INSPECTOR)),
    ]


async def test_cores_in_one_group_on_postgresql_lose_nothing_and_apply_nothing_twice_across_rebalances(
    broker: str, postgres: str, cores: list[HubOs], tmp_path: Path
) -> None:
    # Two cores started together on the upgraded database: both come up.
    first, second = core_os("core-a", broker, postgres, tmp_path), core_os("core-b", broker, postgres, tmp_path)
    cores.extend([first, second])
    await asyncio.gather(first.ready(), second.ready())

    flows = [_flow(i) for i in range(120)]
    steps = [step for round_ in zip(*flows, strict=True) for step in round_]
    sent = []
    async with HubClient(broker) as client:  # each command stamped when sent
        for i, (key, command) in enumerate(steps):
            sent.append(await client.send(command, key))
            if i == len(steps) // 3:
                third = core_os("core-c", broker, postgres, tmp_path)  # joins: a rebalance mid-stream
                cores.append(third)
                # The rest of the stream once it is in the group: its start (four subscriptions, a
                # rebalance each) takes longer than the stream, which it would otherwise miss.
                await third.ready()
            if i == 2 * len(steps) // 3:
                first.kill()  # dies mid-stream, holding partitions and perhaps a transaction
            await asyncio.sleep(0.02)
        outcomes = [await client.outcome(message, wait_s=90) for message in sent]

    for message, events in zip(sent, outcomes, strict=True):
        # No refusal anywhere: an accept or a completion handled before its lodgement would be
        # refused, so this also says that each carnet's commands were decided in order.
        # One outcome: the relay may send a row twice after a kill, never two different outcomes.
        distinct = {e.message_id: e.type for e in events}
        want = ["CarnetRecorded", "DeclarationLodged"] if message.type == "LodgeDeclaration" else None
        assert sorted(distinct.values()) == (want or sorted(distinct.values())), (message.type, distinct)
        assert len(distinct) == (2 if want else 1), (message.type, distinct)
        assert all(e.type != "CommandRefused" for e in events), [e.payload for e in events]

    engine = create_async_engine(postgres)
    try:
        async with engine.connect() as conn:
            applied = (
                await conn.execute(
                    select(func.count()).where(
                        processed_messages.c.consumer == "hub-core",
                        processed_messages.c.message_id.in_([str(m.message_id) for m in sent]),
                    )
                )
            ).scalar_one()
            statuses = [r.status for r in await conn.execute(select(declarations.c.status))]
    finally:
        await engine.dispose()
    assert applied == len(sent)
    assert len(statuses) == len(flows) and set(statuses) == {"inspection_completed"}
    # and the scenario did happen: each core handled part of the stream (the third after joining)
    for core in cores:
        assert "handled by hub-core" in core.log.read_text(errors="replace"), core.name
