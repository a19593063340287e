"""Each Kafka-side signal of /metrics, provoked for real on the session's hub (real broker, real store)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from adapters.ykts.client import YktsSettings
from hub.contract.messages.envelope import envelope
from hub.domain.ykts import AuthorityCheckRequested
from hub.entrypoints.processes.ykts import YktsAdapterProcess
from hub.entrypoints.stack import Stack
from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.client import HubClient
from hub.runtime.kafka.lag import ConsumerLag
from tests.e2e.helpers import eventually, foreign_5800, only_outcome, produce_raw
from tests.health.scrape import value

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"


async def test_a_bad_message_moves_the_dead_letter_count(stack: Stack) -> None:
    core = stack.core.ops.base_url
    labels = {"topic": COMMANDS, "type": "undecodable", "group": "hub-core"}
    before = await value(core, "hub_messages_dead_lettered_total", **labels)
    await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, b"\x00 not a command", b"METRICS-TEST")

    async def counted() -> bool:
        return await value(core, "hub_messages_dead_lettered_total", **labels) == before + 1

    await eventually(counted)


async def test_consumed_produced_and_refused_are_counted_by_topic_type_and_rule(
    client: HubClient, stack: Stack
) -> None:
    core = stack.core.ops.base_url
    lodge = foreign_5800()
    first = await client.send(lodge, lodge.carnet_number)
    assert (await only_outcome(client, first)).type == "DeclarationLodged"
    consumed = await value(core, "hub_messages_consumed_total", topic=COMMANDS, type="LodgeDeclaration")
    produced = await value(core, "hub_messages_produced_total", topic="ata.declaration.events", type="CommandRefused")
    refused_before = await value(core, "hub_messages_refused_total", type="LodgeDeclaration")

    again = await client.send(lodge, lodge.carnet_number)  # the same declaration number, lodged twice
    refusal = await only_outcome(client, again)
    assert refusal.type == "CommandRefused"
    rule = refusal.payload.rule

    async def counted() -> bool:
        return (
            await value(core, "hub_messages_refused_total", type="LodgeDeclaration", rule=rule)
            >= 1  # this rule's series exists
            and await value(core, "hub_messages_refused_total", type="LodgeDeclaration") == refused_before + 1
            and await value(core, "hub_messages_consumed_total", topic=COMMANDS, type="LodgeDeclaration")
            == consumed + 1
            and await value(core, "hub_messages_produced_total", topic="ata.declaration.events", type="CommandRefused")
            == produced + 1
        )

    await eventually(counted)
    assert await value(core, "hub_message_handling_seconds_count", topic=COMMANDS, type="LodgeDeclaration") >= 2


async def test_a_stopped_consumer_grows_lag_and_a_restarted_one_catches_up(
    stack: Stack, ykts_settings: YktsSettings
) -> None:
    bootstrap = stack.settings.kafka_bootstrap
    await stack.ykts_adapter.stop()
    # The lag is read from the broker, so it shows while nothing of the adapter runs.
    watching = ProcessMetrics("lag-test")
    watching.subscriptions.add(("adapter-ykts", "ykts.requests"))
    lag = ConsumerLag(bootstrap, watching, principal="adapter-ykts")  # whose group it watches
    try:
        before = sum((await lag.measure()).values())
        for _ in range(3):
            request = envelope(
                AuthorityCheckRequested(request_id=uuid.uuid4(), firm_vkn="3841022679", person_tckn="48251973650"),
                carnet_number="3841022679",
                occurred_at=datetime.now(UTC),
            )
            await produce_raw(bootstrap, "ykts.requests", request.encode(), request.key)
        assert sum((await lag.measure()).values()) == before + 3
    finally:
        await lag.close()
        stack.ykts_adapter = YktsAdapterProcess(stack.settings, ykts_settings)
        await stack.ykts_adapter.start()
    ops = stack.ykts_adapter.ops.base_url

    async def caught_up() -> bool:
        return await value(ops, "hub_consumer_lag", group="adapter-ykts", topic="ykts.requests") == 0

    await eventually(caught_up, wait_s=30)


async def test_the_core_is_ready_and_its_outbox_is_empty_once_outcomes_are_sent(
    client: HubClient, stack: Stack
) -> None:
    lodge = foreign_5800()
    await only_outcome(client, await client.send(lodge, lodge.carnet_number))
    core = stack.core.ops.base_url
    async with httpx.AsyncClient() as http:
        live = await http.get(f"{core}/health/live")
        ready = await http.get(f"{core}/health/ready")
    assert live.status_code == 200 and live.json()["live"] is True
    assert ready.status_code == 200, ready.json()
    assert {c["name"]: c["ok"] for c in ready.json()["checks"]} == {"kafka": True, "store": True}
    assert await value(core, "hub_outbox_backlog") == 0
    assert await value(core, "hub_outbox_oldest_unsent_age_seconds") == 0
