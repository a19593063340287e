"""`hub dlq`: operators see dead letters, replay them once after a fix, or discard them with a reason."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.settings import Settings
from hub.contract.messages.envelope import envelope
from hub.contract.topic_names import HUB_DEADLETTER
from hub.entrypoints.stack import Stack
from hub.operations.dlq import REPLAYED_FROM_HEADER, DeadLetter, DeadLetterError, dead_letters, discard, replay
from hub.runtime.client import HubClient
from hub.runtime.kafka.security import ADMIN
from tests.e2e.helpers import eventually, foreign_5800, produce_raw, read_topic, signed_headers

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"


def _engine(stack: Stack) -> AsyncEngine:
    assert stack.core.engine is not None
    return stack.core.engine


async def _letter(stack: Stack, matches: Any) -> DeadLetter:
    async def found() -> DeadLetter | None:
        letters = await dead_letters(stack.settings.kafka_bootstrap, _engine(stack), include_decided=True)
        return next((d for d in letters if matches(d)), None)

    letter: DeadLetter = await eventually(found)
    return letter


async def _poison(stack: Stack, value: bytes, key: bytes = b"DLQ-TEST") -> DeadLetter:
    """Undecodable bytes on the commands topic, dead-lettered by the core; their dead letter."""
    sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, value, key)
    origin = f"{COMMANDS}:{sent.partition}@{sent.offset}"
    return await _letter(stack, lambda d: d.origin == origin)


async def test_list_shows_reason_origin_and_first_bytes(stack: Stack) -> None:
    value = b"\x00not json at all {" + b"x" * 400
    letter = await _poison(stack, value)
    assert letter.status == "waiting"
    assert letter.reason.startswith("not JSON")
    assert letter.consumer == "hub-core"
    assert letter.key == "DLQ-TEST"
    assert letter.first_bytes.startswith("\\x00not json at all {xxx")
    assert letter.first_bytes.count("x") < 200 < letter.size == len(value)
    assert letter.message_type is None and letter.correlation_id is None
    waiting = await dead_letters(stack.settings.kafka_bootstrap, _engine(stack))
    assert letter.id in [d.id for d in waiting]


async def test_replay_after_a_fix_is_processed_with_the_same_correlation_id(stack: Stack, client: HubClient) -> None:
    # A valid command whose handling failed beyond its retries (the store was away, say), set aside as
    # the consumer does it; the fault is gone now.
    lodge = foreign_5800()
    command = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    headers = {
        **signed_headers(command),  # as its sender wrote it: the replay is checked like any command
        "dlq.reason": "OperationalError: database is locked",
        "dlq.original_topic": COMMANDS,
        "dlq.original_partition": "0",
        "dlq.original_offset": "987654",
        "dlq.consumer": "hub-core",
        "dlq.attempts": "3",
        "dlq.failed_at": datetime.now(UTC).isoformat(),
    }
    dead = await produce_raw(stack.settings.kafka_bootstrap, HUB_DEADLETTER, command.encode(), command.key, headers)
    letter_id = f"{dead.partition}:{dead.offset}"
    letter = await _letter(stack, lambda d: d.id == letter_id)
    assert (letter.message_type, letter.correlation_id) == ("LodgeDeclaration", str(command.correlation_id))

    (done,) = await replay(stack.settings.kafka_bootstrap, _engine(stack), [letter_id], "ayse")

    events = [e for e in await client.outcome(command) if e.type != "CarnetRecorded"]
    assert [e.type for e in events] == ["DeclarationLodged"]
    assert events[0].correlation_id == command.correlation_id
    assert events[0].causation_id == command.message_id
    replayed = [
        r for r in await read_topic(stack.settings.kafka_bootstrap, COMMANDS, principal=ADMIN)
        if (r.partition, r.offset) == (done.partition, done.offset)
    ]  # fmt: skip
    assert replayed[0].value == command.encode() and replayed[0].key == command.key
    sent_headers = dict(replayed[0].headers)
    assert sent_headers[REPLAYED_FROM_HEADER] == letter_id.encode()
    assert sent_headers["correlation_id"] == str(command.correlation_id).encode()
    assert not [k for k in sent_headers if k.startswith("dlq.")]
    after = await _letter(stack, lambda d: d.id == letter_id)
    assert after.status == "replayed" and after.decision is not None
    assert after.decision.decided_by == "ayse"
    assert after.decision.replayed_to == f"{COMMANDS}:{done.partition}@{done.offset}"


async def test_replay_of_what_still_fails_is_dead_lettered_once_more_and_never_loops(stack: Stack) -> None:
    letter = await _poison(stack, b"still not json")
    (done,) = await replay(stack.settings.kafka_bootstrap, _engine(stack), [letter.id], "ayse")
    again = await _letter(stack, lambda d: d.replayed_from == letter.id)
    assert again.status == "waiting"
    assert (again.original_topic, again.original_partition, again.original_offset) == (
        COMMANDS,
        done.partition,
        done.offset,
    )
    assert again.reason.startswith("not JSON") and again.id != letter.id
    await asyncio.sleep(3)  # time enough for a loop, were there one
    letters = await dead_letters(stack.settings.kafka_bootstrap, _engine(stack), include_decided=True)
    assert [d.id for d in letters if d.replayed_from == letter.id] == [again.id]
    assert not [d for d in letters if d.replayed_from == again.id]
    assert next(d for d in letters if d.id == letter.id).status == "replayed"


async def test_replaying_a_replayed_dead_letter_is_refused_unless_again(stack: Stack) -> None:
    letter = await _poison(stack, b"{broken")
    bootstrap, engine = stack.settings.kafka_bootstrap, _engine(stack)
    await replay(bootstrap, engine, [letter.id], "ayse")
    with pytest.raises(DeadLetterError, match="already replayed"):
        await replay(bootstrap, engine, [letter.id], "ayse")
    (twice,) = await replay(bootstrap, engine, [letter.id], "mehmet", again=True)
    assert twice.dead_letter.id == letter.id
    with pytest.raises(DeadLetterError, match="no dead letter 2:99999999"):
        await replay(bootstrap, engine, ["2:99999999"], "ayse")


async def test_discard_records_the_reason_and_leaves_the_list(stack: Stack) -> None:
    letter = await _poison(stack, b"<xml>not for this topic</xml>")
    bootstrap, engine = stack.settings.kafka_bootstrap, _engine(stack)
    with pytest.raises(DeadLetterError, match="needs a reason"):
        await discard(bootstrap, engine, letter.id, "  ", "ayse")
    await discard(bootstrap, engine, letter.id, "test traffic from the TOBB team", "ayse")
    assert letter.id not in [d.id for d in await dead_letters(bootstrap, engine)]
    after = await _letter(stack, lambda d: d.id == letter.id)
    assert after.status == "discarded" and after.decision is not None
    assert (after.decision.reason, after.decision.decided_by) == ("test traffic from the TOBB team", "ayse")
    with pytest.raises(DeadLetterError, match="already discarded"):
        await discard(bootstrap, engine, letter.id, "again", "ayse")
    with pytest.raises(DeadLetterError, match="already discarded"):
        await replay(bootstrap, engine, [letter.id], "ayse")


async def _hub(settings: Settings, *args: str) -> tuple[int, str]:
    env = {**os.environ, "HUB_DATABASE_URL": settings.database_url}
    hub = Path(sys.executable).parent / "hub"
    process = await asyncio.create_subprocess_exec(
        str(hub), *args, "--bootstrap", settings.kafka_bootstrap, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_cli_lists_as_json_and_discards(stack: Stack) -> None:
    letter = await _poison(stack, b"\xff\xfe binary junk")
    code, out = await _hub(stack.settings, "dlq", "list", "--json")
    assert code == 0
    listed = {d["id"]: d for d in json.loads(out)}
    assert listed[letter.id]["original_topic"] == COMMANDS
    assert listed[letter.id]["first_bytes"].startswith("\\xff\\xfe binary junk")
    assert listed[letter.id]["status"] == "waiting"
    code, _ = await _hub(stack.settings, "dlq", "discard", letter.id, "--reason", "junk", "--by", "ayse")
    assert code == 0
    code, out = await _hub(stack.settings, "dlq", "list", "--json")
    assert letter.id not in {d["id"] for d in json.loads(out)}
    code, _ = await _hub(stack.settings, "dlq", "replay", letter.id)
    assert code == 1
    code, out = await _hub(stack.settings, "dlq", "list", "--all")
    assert code == 0
    (row,) = [line for line in out.splitlines() if line.startswith(f"{letter.id} ")]
    assert "discarded" in row and f"{COMMANDS}:" in row and "hub-core" in row and "not JSON" in row
    code, out = await _hub(stack.settings, "dlq", "show", letter.id)
    shown = json.loads(out)
    assert code == 0 and shown["decision"]["reason"] == "junk" and shown["headers"]["dlq.consumer"] == "hub-core"
