"""The life of TCGBs end to end (A2): the BİLGE simulator delivers status batches to the stack's intake
(mutual TLS, signed), the BİLGE adapter publishes one TcgbStageReached per TCGB and stage on
`bilge.tcgb.events`, which GET-APP's principal may read; a batch sent again makes no new event id,
and a bad one is dead-lettered with its reason (issue 14, part 2)."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from typing import Any

import httpx
import pytest

from adapters.bilge.tcgb_life import status_documents, tcgb_stage_events
from adapters.bilge.tcgb_stages import parse_tcgb_statuses, stage_event_id, tcgb_flow_id
from hub.contract.messages.envelope import decode
from hub.contract.topic_names import BILGE_INBOUND, BILGE_TCGB_EVENTS, HUB_DEADLETTER
from hub.domain.bilge import TcgbStage
from hub.entrypoints.stack import Stack
from hub.operations.kafka.reading import read_topic
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.security import ADMIN
from tests.e2e.helpers import eventually

pytestmark = pytest.mark.kafka

GETAPP = "getapp"  # the principal GET-APP reads with (topics.yaml principals)


def _first_sequence() -> int:
    """TCGB numbers of their own: tests share the session's broker."""
    return random.randrange(100_000, 800_000)  # the live feeds' from 850,000


# Each live feed of the session (one per store) numbers its TCGBs from a start of its own.
_FEED_STARTS = itertools.count(850_000, 10_000)

_GENERATED = re.compile(rb"^[0-9]{8}(IM|EX)([0-9]{6})$")  # tcgb_life's numbers; other tests key the topic too


def _sequence(key: bytes) -> int | None:
    """The sequence of a TCGB number the simulator generated, None for another test's key."""
    found = _GENERATED.fullmatch(key)
    return int(found.group(2)) if found else None


def _push(bilge: BackgroundServer, stack: Stack, document: bytes, number: str) -> dict[str, Any]:
    push = {"target_url": stack.bilge_intake_url, "xml": document.decode(), "headers": {"X-Belge-No": number}}
    answer = httpx.post(f"{bilge.base_url}/_sim/push-tcgb", json=push, timeout=60)
    answer.raise_for_status()
    reply: dict[str, Any] = answer.json()
    return reply


async def _events_of(stack: Stack, numbers: set[str], at_least: int) -> list[Any]:
    async def found() -> list[Any]:
        records = await read_topic(stack.settings.kafka_bootstrap, BILGE_TCGB_EVENTS, wait_s=30, principal=GETAPP)
        ours = [r for r in records if r.key.decode() in numbers]
        return ours if len(ours) >= at_least else []

    result: list[Any] = await eventually(found, wait_s=90, every_s=1)
    return result


async def test_a2_tcgb_lives_from_bilge_become_stage_events_once_each(
    stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    stages = tcgb_stage_events(40, seed=11, first_sequence=_first_sequence())
    documents = list(status_documents(stages, prefix=f"E2E-A2-{_first_sequence()}", batch_size=100))
    assert len(documents) >= 2
    for number, document in documents:
        assert _push(bilge_simulator, stack, document, number) == {"status": 202, "body": ""}
    number, again = documents[0]  # BİLGE sends a batch again (it got no answer, say)
    assert _push(bilge_simulator, stack, again, number)["status"] == 202
    numbers = {s.tcgb_number for s in stages}
    records = await _events_of(stack, numbers, len(stages) + len(parse_tcgb_statuses(again).stages))

    events = [decode(r.value, {"TcgbStageReached"}) for r in records]
    assert all(r.key.decode() == e.payload.tcgb_number == e.carnet_number for r, e in zip(records, events, strict=True))
    ids = Counter(e.message_id for e in events)
    assert len(ids) == len(stages) and set(ids.values()) == {1, 2}  # the batch sent twice: same ids, no new ones
    by_id = {e.message_id: e for e in events}
    for stage in stages:
        event = by_id[stage_event_id(stage.tcgb_number, stage.stage)]
        assert event.payload == stage  # every field as BİLGE recorded it
        assert event.occurred_at == stage.reached_at and event.correlation_id == tcgb_flow_id(stage.tcgb_number)
    twice = [r.value for r in records if ids[decode(r.value).message_id] == 2]
    assert len(set(twice)) == len(twice) // 2  # each repeated event is the same bytes
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["type"] == "TcgbStageReached" and headers["carnet_number"] == records[0].key.decode()


async def test_a2_simulator_pushes_a_live_day_of_tcgbs(stack: Stack, bilge_simulator: BackgroundServer) -> None:
    first = _first_sequence()
    push = {"target_url": stack.bilge_intake_url, "count": 30, "seed": 5, "first_sequence": first, "batch_size": 50}
    async with httpx.AsyncClient(timeout=60) as http:
        answer = (await http.post(f"{bilge_simulator.base_url}/_sim/push-tcgb-life", json=push)).json()
    assert answer["documents"] >= 2 and set(answer["statuses"]) == {202}

    async def ours() -> list[Any]:
        records = await read_topic(stack.settings.kafka_bootstrap, BILGE_TCGB_EVENTS, wait_s=30, principal=GETAPP)
        mine = [decode(r.value) for r in records if first <= (_sequence(r.key) or -1) < first + 30]
        return mine if len(mine) >= answer["stages"] else []

    events = await eventually(ours, wait_s=90, every_s=1)
    assert len({e.message_id for e in events}) == answer["stages"]
    assert len({e.payload.tcgb_number for e in events}) == 30  # every TCGB of the last day is registered
    assert {e.payload.stage for e in events} >= {TcgbStage.REGISTERED, TcgbStage.CHANNEL_ASSIGNED}


async def test_a2_simulator_feeds_tcgb_stages_live_as_they_are_reached(
    stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    start = next(_FEED_STARTS)
    feed = {"target_url": stack.bilge_intake_url, "per_hour": 36_000, "first_sequence": start, "every_s": 0.2}
    async with httpx.AsyncClient(timeout=60, base_url=bilge_simulator.base_url) as http:
        assert (await http.post("/_sim/tcgb-feed", json=feed)).json()["running"] is True

        async def delivered() -> Any:
            state = (await http.get("/_sim/tcgb-feed")).json()
            return state if state["stages"] >= 10 else None

        state = await eventually(delivered, wait_s=60)
        await http.delete("/_sim/tcgb-feed")
        stopped = (await http.get("/_sim/tcgb-feed")).json()
    assert state["failures"] == 0 and state["last_status"] == 202 and stopped == {"running": False}

    async def ours() -> list[Any]:
        records = await read_topic(stack.settings.kafka_bootstrap, BILGE_TCGB_EVENTS, wait_s=30, principal=GETAPP)
        mine = [decode(r.value) for r in records if start <= (_sequence(r.key) or -1) < start + 10_000]
        return mine if len(mine) >= state["stages"] else []

    events = await eventually(ours, wait_s=90, every_s=1)
    assert len({e.message_id for e in events}) == len(events)
    registered = [e.payload for e in events if e.payload.stage is TcgbStage.REGISTERED]
    assert registered and all(abs(p.reached_at - events[0].occurred_at).total_seconds() < 120 for p in registered)


async def test_a2_an_inconsistent_status_batch_is_dead_lettered_with_its_reason(
    stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    stages = tcgb_stage_events(5, seed=12, first_sequence=_first_sequence())
    number, document = next(status_documents(stages, prefix=f"E2E-BAD-{_first_sequence()}"))
    # The first record, a registration, with a channel: valid against the XSD, not a status BİLGE records.
    bad = document.replace(b"</DurumKaydi>", b"<Kanal>YESIL</Kanal></DurumKaydi>", 1)
    assert _push(bilge_simulator, stack, bad, number)["status"] == 202

    async def letter() -> Any:
        records = await read_topic(stack.settings.kafka_bootstrap, HUB_DEADLETTER, wait_s=30, principal=ADMIN)
        return next((r for r in records if r.key == number.encode()), None)

    found = await eventually(letter, wait_s=60)
    headers = {k: v.decode() for k, v in found.headers}
    assert headers["dlq.original_topic"] == BILGE_INBOUND and found.value == bad
    assert headers["dlq.reason"].startswith("BİLGE document rejected: inconsistent: record 1 ")
