"""Never blocked, on the real broker: a record that cannot be decoded, whatever its bytes, lands on
hub.deadletter with its reason and the next command on its partition is handled; `hub dlq` and the
console list such dead letters, show them and refuse to replay a truncated copy."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from hub.contract.messages.envelope import MAX_MESSAGE_BYTES
from hub.contract.signing import SIGNATURE_HEADER
from hub.entrypoints.stack import Stack
from hub.operations.console.operators import Role
from hub.operations.dlq import DeadLetter, dead_letters
from hub.runtime.client import HubClient
from hub.runtime.kafka.consuming import PRODUCER_MAX_REQUEST_BYTES, TRUNCATED_VALUE_BYTES
from tests.console.logins import ensure_operator, logged_in
from tests.e2e.helpers import eventually, foreign_5800, only_outcome, produce_raw, signature_of, unique

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"
PREFIX = b'{"type": "LodgeDeclaration", "payload": {"note": "'


def _padded(size: int) -> bytes:
    """An envelope-looking JSON document of exactly `size` bytes."""
    return PREFIX + b"x" * (size - len(PREFIX) - 3) + b'"}}'


def _largest_value(key: bytes) -> int:
    """The largest value a producer with aiokafka's defaults sends with this key and a signature (its
    length does not depend on what is signed): what fits on the topic."""
    signature = [(SIGNATURE_HEADER, signature_of(b"").encode())]
    overhead: int = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"", signature)
    return PRODUCER_MAX_REQUEST_BYTES - overhead - 8  # the value's length varint grows by 2 bytes


def _hostile(kind: str, key: bytes) -> tuple[bytes, str]:
    """A record of this kind, and the reason it must be dead-lettered with."""
    if kind == "not JSON":
        return b"\x00not json at all {", "not JSON: Expecting value: line 1 column 1 (char 0)"
    if kind == "5,000-digit integer":
        return b'{"type": "LodgeDeclaration", "schema_version": ' + b"7" * 5000 + b"}", (
            "a number of 5000 digits, more than 100"
        )
    if kind == "60,000-deep nesting":
        return b"[" * 60_000 + b"]" * 60_000, "nested 60000 deep, deeper than 64"
    size = MAX_MESSAGE_BYTES + 1000 if kind == "over the size limit" else _largest_value(key)
    return _padded(size), f"{size} bytes, more than the {MAX_MESSAGE_BYTES} a message may have"


async def _dead_letter_of(stack: Stack, sent: Any) -> DeadLetter:
    origin = f"{COMMANDS}:{sent.partition}@{sent.offset}"
    assert stack.core.engine is not None
    engine = stack.core.engine

    async def found() -> DeadLetter | None:
        letters = await dead_letters(stack.settings.kafka_bootstrap, engine, include_decided=True)
        return next((d for d in letters if d.origin == origin), None)

    letter: DeadLetter = await eventually(found, wait_s=60)
    return letter


@pytest.mark.parametrize(
    "kind",
    ["not JSON", "5,000-digit integer", "60,000-deep nesting", "over the size limit", "near the broker's 1 MB limit"],
)
async def test_a_hostile_record_is_dead_lettered_with_its_reason_and_the_next_command_on_its_partition_is_handled(
    kind: str, stack: Stack, client: HubClient
) -> None:
    lodge = foreign_5800()
    key = lodge.carnet_number.encode()
    value, reason = _hostile(kind, key)
    poison = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, value, key)

    # The next command on the same key, so on the same partition, gets its outcome.
    lodged = await only_outcome(client, await client.send(lodge, lodge.carnet_number), wait_s=60)
    assert lodged.type == "DeclarationLodged"

    letter = await _dead_letter_of(stack, poison)
    assert (letter.reason, letter.consumer, letter.key) == (reason, "hub-core", lodge.carnet_number)
    assert (letter.original_size, letter.sha256) == (len(value), hashlib.sha256(value).hexdigest())
    truncated = kind == "near the broker's 1 MB limit"
    assert letter.truncated is truncated
    assert letter.size == (TRUNCATED_VALUE_BYTES if truncated else len(value))
    assert letter.first_bytes == value[:200].decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


async def _hostile_dead_letters(stack: Stack) -> dict[str, DeadLetter]:
    """A 5,000-digit integer, a 60,000-deep nesting and a truncated copy, dead-lettered by the core."""
    letters = {}
    for kind in ("5,000-digit integer", "60,000-deep nesting", "near the broker's 1 MB limit"):
        key = unique("NEVER-BLOCKED-").encode()
        value, _ = _hostile(kind, key)
        sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, value, key)
        letters[kind] = await _dead_letter_of(stack, sent)
    return letters


async def _hub(stack: Stack, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "HUB_DATABASE_URL": stack.settings.database_url}
    hub = Path(sys.executable).parent / "hub"
    process = await asyncio.create_subprocess_exec(
        str(hub), *args, "--bootstrap", stack.settings.kafka_bootstrap, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_hub_dlq_lists_and_shows_any_dead_letter_and_refuses_to_replay_a_truncated_copy(stack: Stack) -> None:
    letters = await _hostile_dead_letters(stack)
    truncated = letters["near the broker's 1 MB limit"]

    code, out, err = await _hub(stack, "dlq", "list", "--json")
    assert code == 0, err
    listed = {d["id"]: d for d in json.loads(out)}
    assert listed[letters["5,000-digit integer"].id]["reason"] == "a number of 5000 digits, more than 100"
    assert listed[letters["5,000-digit integer"].id]["first_bytes"].startswith('{"type": "LodgeDeclaration", "sche')
    assert listed[letters["60,000-deep nesting"].id]["first_bytes"] == "[" * 200
    assert listed[truncated.id]["truncated"] is True
    assert listed[truncated.id]["size"] == TRUNCATED_VALUE_BYTES < listed[truncated.id]["original_size"]

    code, out, err = await _hub(stack, "dlq", "list")
    assert code == 0, err
    (row,) = [line for line in out.splitlines() if line.startswith(f"{truncated.id} ")]
    assert "waiting (truncated)" in row

    code, out, err = await _hub(stack, "dlq", "show", truncated.id)
    assert code == 0, err
    shown = json.loads(out)
    assert shown["sha256"] == truncated.sha256 == shown["headers"]["dlq.sha256"]
    assert shown["cut"] == f"value: its first {TRUNCATED_VALUE_BYTES} of {truncated.original_size} bytes"

    code, _, err = await _hub(stack, "dlq", "replay", truncated.id)
    assert code == 1
    assert f"dead letter {truncated.id} cannot be replayed" in err and str(truncated.sha256) in err

    code, _, err = await _hub(stack, "dlq", "discard", truncated.id, "--reason", "sender told", "--by", "ayse")
    assert code == 0, err


async def test_the_console_lists_any_dead_letter_and_refuses_to_replay_a_truncated_copy(stack: Stack) -> None:
    letters = await _hostile_dead_letters(stack)
    truncated = letters["near the broker's 1 MB limit"]
    assert stack.console is not None
    await ensure_operator(stack.console.operators, "ayse", Role.ACT)

    async with logged_in(stack.console.base_url, "ayse") as session:
        http = session.http

        async def listed() -> dict[str, Any] | None:
            answer = await http.get("/api/dead-letters")
            assert answer.status_code == 200, answer.text
            shown = {d["id"]: d for d in answer.json()["dead_letters"]}
            return shown if all(letter.id in shown for letter in letters.values()) else None

        shown = await eventually(listed, wait_s=30)
        assert shown[letters["60,000-deep nesting"].id]["reason"] == "nested 60000 deep, deeper than 64"
        assert shown[letters["5,000-digit integer"].id]["message_type"] is None
        assert shown[truncated.id]["truncated"] is True and shown[truncated.id]["sha256"] == truncated.sha256

        refused = await http.post(f"/api/dead-letters/{truncated.id}/replay", json={})
        assert refused.status_code == 409
        assert "cannot be replayed" in refused.json()["detail"]

        path = f"/api/dead-letters/{truncated.id}/discard"
        discarded = await http.post(path, json={"reason": "matched the sender's copy by digest"})
        assert discarded.status_code == 200, discarded.text
