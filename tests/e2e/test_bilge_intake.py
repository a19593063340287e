"""Large BİLGE documents end to end: pushed by the BİLGE simulator with its client certificate, over
mutual TLS, to the stack's intake, then consumed by the BİLGE adapter (or dead-lettered whole with
the reason): a document near the 5 MiB limit is never lost on the way."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from adapters.bilge.service import drawdown_id
from adapters.bilge.simulator import sample_tcgb_xml
from hub.contract.topic_names import BILGE_INBOUND, HUB_DEADLETTER
from hub.domain.commands import AcceptDeclaration, CompleteInspection
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.security import ADMIN
from tests.domain.builders import BORDER, INSPECTOR, LIAISON
from tests.e2e.helpers import eventually, foreign_5800, read_topic, unique

pytestmark = pytest.mark.kafka

SIZE = 4_900_000  # under the intake's 5 MiB, nearly five times the broker's default 1 MB


def _tcgb_number() -> str:
    return "26220100IM" + unique("")[:6].translate(str.maketrans("ABCDEF", "123456"))


def _grown(document: bytes, size: int) -> bytes:
    """The same TCGB, `size` bytes long: whitespace between its last elements changes nothing it says."""
    end = document.rindex(b"</")
    return document[:end] + b"\n" * (size - len(document)) + document[end:]


def _pushed_by_bilge(bilge: BackgroundServer, stack: Stack, document: bytes, number: str) -> dict[str, Any]:
    """The simulator POSTs the document to the intake, presenting BİLGE's client certificate."""
    push = {"target_url": stack.bilge_intake_url, "xml": document.decode(), "headers": {"X-Belge-No": number}}
    answer = httpx.post(f"{bilge.base_url}/_sim/push-tcgb", json=push, timeout=60)
    answer.raise_for_status()
    reply: dict[str, Any] = answer.json()
    return reply


async def _record(stack: Stack, topic: str, number: str) -> Any:
    async def found() -> Any:
        records = await read_topic(stack.settings.kafka_bootstrap, topic, wait_s=30, principal=ADMIN)
        return next((r for r in records if r.key == number.encode()), None)

    return await eventually(found, wait_s=60)


async def test_f2_a_tcgb_of_4_9_mb_lands_whole_and_draws_down(
    client: HubClient, stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    # rule: F2 (the drawing-down of a TCGB near the size limit is applied like any other)
    lodge = foreign_5800()
    await client.outcome(await client.send(lodge, lodge.carnet_number))
    n, carnet = lodge.declaration_number, lodge.carnet_number
    for command in (
        AcceptDeclaration(declaration_number=n, actor=LIAISON),
        CompleteInspection(declaration_number=n, actor=INSPECTOR),
    ):
        await client.outcome(await client.send(command, carnet))
    number = _tcgb_number()
    document = _grown(sample_tcgb_xml(number, "4000", BORDER, [(1, n, carnet, 1, 5)]), SIZE)
    assert _pushed_by_bilge(bilge_simulator, stack, document, number) == {"status": 202, "body": ""}
    record = await _record(stack, BILGE_INBOUND, number)
    assert len(record.value) == SIZE and hashlib.sha256(record.value).digest() == hashlib.sha256(document).digest()
    events = await client.outcome(drawdown_id(number, carnet), wait_s=60)
    assert [(e.type, getattr(e.payload, "rule", None)) for e in events] == [("GoodsDischarged", "F2")]


async def test_an_invalid_document_of_4_9_mb_is_dead_lettered_whole_with_its_reason(
    stack: Stack, bilge_simulator: BackgroundServer
) -> None:
    number = _tcgb_number()
    valid = sample_tcgb_xml(number, "4000", BORDER, [(1, "220100ATA1", "DE/2026/X-1", 1, 1)])
    document = _grown(valid.replace(b"<Rejim>4000</Rejim>", b"<Rejim>BOGUS</Rejim>"), SIZE)
    assert _pushed_by_bilge(bilge_simulator, stack, document, number)["status"] == 202
    letter = await _record(stack, HUB_DEADLETTER, number)
    headers = {k: v.decode() for k, v in letter.headers}
    assert headers["dlq.original_topic"] == BILGE_INBOUND and headers["dlq.reason"].startswith(
        "BİLGE document rejected"
    )
    assert "dlq.truncated" not in headers and letter.value == document  # whole: it can be replayed
    assert headers["bilge.sender"].startswith("CN=BİLGE simulator")
