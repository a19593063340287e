"""Signed commands on the real broker, with Kafka security on: the core applies only what a registered
sending system signed, of a type that sender may send, and judges it on the hub's clock (V1).

A record refused here is dead-lettered with the reason and nothing of it is applied: to show that no
outcome is coming, a signed command on the same carnet (so the same partition, handled after it) is
sent behind it and its outcome awaited first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from hub.configuration.settings import signing_key
from hub.contract.messages.envelope import Envelope, decode, envelope
from hub.contract.signing import SIGNATURE_HEADER, sign
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import catalog
from hub.domain.commands import AcceptDeclaration
from hub.operations.kafka.reading import read_topic
from hub.runtime.client import HubClient
from hub.runtime.kafka.security import ADMIN, BILGE_RECONCILIATION, FRONTEND, client_options
from tests.domain.builders import LIAISON
from tests.e2e.helpers import eventually, foreign_5800, signed_headers

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"
EVENTS = "ata.declaration.events"


async def _produce(bootstrap: str, value: bytes, message: Envelope[Any], signature: str | None) -> Any:
    """As a producer holding the front end's Kafka credentials could write it, signed or not."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(FRONTEND), acks="all")
    await producer.start()
    try:
        headers = [(k, v.encode()) for k, v in message.headers().items()]
        if signature is not None:
            headers.append((SIGNATURE_HEADER, signature.encode()))
        return await producer.send_and_wait(COMMANDS, value, key=message.key, headers=headers)
    finally:
        await producer.stop()


async def _dead_letter_of(bootstrap: str, sent: Any) -> dict[str, str]:
    async def find() -> dict[str, str] | None:
        for record in await read_topic(bootstrap, HUB_DEADLETTER, principal=ADMIN):
            headers = {k: v.decode() for k, v in record.headers}
            if (headers["dlq.original_topic"], headers["dlq.original_offset"]) == (COMMANDS, str(sent.offset)) and (
                headers["dlq.original_partition"] == str(sent.partition)
            ):
                return headers
        return None

    found: dict[str, str] = await eventually(find, wait_s=30)
    return found


async def _nothing_applied(client: HubClient, bootstrap: str, refused: Envelope[Any]) -> None:
    """A signed command behind the refused one, on its carnet, is answered; the refused one never is."""
    behind = await client.send(
        AcceptDeclaration(declaration_number=refused.payload.declaration_number, actor=LIAISON), refused.carnet_number
    )
    (answer,) = await client.outcome(behind)
    # The declaration the refused record would have lodged does not exist: the accept is refused.
    assert answer.type == "CommandRefused"
    caused = [decode(r.value) for r in await read_topic(bootstrap, EVENTS, principal=ADMIN)]
    assert not [e for e in caused if e.causation_id == refused.message_id]


async def test_an_unsigned_command_is_dead_lettered_and_nothing_is_applied(client: HubClient, bootstrap: str) -> None:
    lodge = foreign_5800()
    message = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    sent = await _produce(bootstrap, message.encode(), message, signature=None)

    letter = await _dead_letter_of(bootstrap, sent)
    assert letter["dlq.reason"].startswith("signature refused: unsigned")
    await _nothing_applied(client, bootstrap, message)


async def test_a_command_altered_after_signing_is_dead_lettered(client: HubClient, bootstrap: str) -> None:
    lodge = foreign_5800()
    message = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    signature = sign(message.encode(), signing_key(FRONTEND))
    altered = message.encode().replace(b'"quantity":12', b'"quantity":99')
    assert altered != message.encode()
    sent = await _produce(bootstrap, altered, message, signature)

    letter = await _dead_letter_of(bootstrap, sent)
    assert letter["dlq.reason"].startswith("signature refused") and "match" in letter["dlq.reason"]
    await _nothing_applied(client, bootstrap, message)


async def test_a_sender_may_send_only_the_commands_topics_yaml_lets_it(client: HubClient, bootstrap: str) -> None:
    """BİLGE's reconciliation signs correctly, but may only draw down: its 5800 is not applied."""
    assert "LodgeDeclaration" not in catalog().senders[BILGE_RECONCILIATION].signs
    lodge = foreign_5800()
    message = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    sent = await _produce(
        bootstrap, message.encode(), message, sign(message.encode(), signing_key(BILGE_RECONCILIATION))
    )

    letter = await _dead_letter_of(bootstrap, sent)
    assert letter["dlq.reason"] == f"{BILGE_RECONCILIATION} may not send LodgeDeclaration (topics.yaml senders)"
    await _nothing_applied(client, bootstrap, message)


async def test_v1_a_back_dated_command_is_refused_on_the_hubs_clock(stack: Any) -> None:
    # rule: V1 (dated ten days back by its sender: refused, naming the skew, whatever the carnet's dates)
    async with HubClient(stack.settings.kafka_bootstrap, clock=lambda: datetime.now(UTC) - timedelta(days=10)) as late:
        lodge = foreign_5800()
        (refusal,) = await late.outcome(await late.send(lodge, lodge.carnet_number))
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "V1"
    assert "10 d before the hub received it" in refusal.payload.reason and "5 min" in refusal.payload.reason


async def test_every_outcome_names_the_sender_whose_signature_the_core_checked(client: HubClient) -> None:
    lodge = foreign_5800()
    events = await client.outcome(await client.send(lodge, lodge.carnet_number))
    assert [e.type for e in events] == ["CarnetRecorded", "DeclarationLodged"]
    assert {e.sent_by for e in events} == {FRONTEND}


async def test_in_a_burst_only_the_unsigned_commands_are_set_aside(client: HubClient, bootstrap: str) -> None:
    """A poll's signatures are checked on several threads: each record keeps its own verdict, in order."""
    lodges = [foreign_5800() for _ in range(40)]
    messages = [envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC)) for lodge in lodges]
    unsigned = set(range(3, 40, 7))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(FRONTEND), acks="all", linger_ms=50)
    await producer.start()
    try:
        pending = []
        for i, message in enumerate(messages):
            headers = message.headers() if i in unsigned else signed_headers(message)
            encoded = [(k, v.encode()) for k, v in headers.items()]
            pending.append(await producer.send(COMMANDS, message.encode(), key=message.key, headers=encoded))
        sent = [await future for future in pending]
    finally:
        await producer.stop()

    for i, message in enumerate(messages):
        if i in unsigned:
            letter = await _dead_letter_of(bootstrap, sent[i])
            assert letter["dlq.reason"].startswith("signature refused: unsigned")
        else:
            events = await client.outcome(message)
            assert [e.type for e in events] == ["CarnetRecorded", "DeclarationLodged"]
