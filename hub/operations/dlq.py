"""Dead letters for operators (`hub dlq`): see what was set aside and why, replay it or discard it.

hub.deadletter is read from its beginning without a consumer group (nothing is committed); what
operators decided is recorded in the store (`dead_letter_decisions`), so a record without a decision
is waiting. Replay sends the original bytes, key and headers back to the original topic, once, with a
`replayed_from_dlq` header naming the dead letter. If it fails again, the consumer dead-letters it
again as a new, waiting record: nothing is ever replayed automatically, so nothing loops.

Any bytes may sit there: a value is only ever parsed within the limits of `parse_json`, and a dead
letter that holds a truncated copy (its original was too big to keep) is shown but never replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiokafka import AIOKafkaProducer
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import parse_json
from hub.contract.topic_names import HUB_DEADLETTER
from hub.contract.topics import TopicCatalog, catalog
from hub.operations.kafka.reading import TopicMissing, read_topic
from hub.runtime.kafka.security import OPERATORS, client_options
from hub.store.tables import dead_letter_decisions

# Not "dlq.*": consumers drop dlq.* headers when they dead-letter a record, and this lineage must survive.
REPLAYED_FROM_HEADER = "replayed_from_dlq"
FIRST_BYTES = 200

Status = Literal["waiting", "replayed", "discarded"]


class DeadLetterError(Exception):
    """An operator's request that cannot be carried out (unknown id, already decided, ...)."""


@dataclass(frozen=True)
class Decision:
    action: Literal["replayed", "discarded"]
    reason: str | None
    decided_by: str
    decided_at: datetime
    replayed_to: str | None  # "<topic>:<partition>@<offset>" of the replayed copy


@dataclass(frozen=True)
class DeadLetter:
    id: str  # "<partition>:<offset>" in hub.deadletter
    partition: int
    offset: int
    reason: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    consumer: str
    attempts: int | None
    failed_at: str
    key: str | None
    size: int  # bytes held here: for a truncated copy, fewer than original_size
    first_bytes: str
    original_size: int | None  # of the record that failed (older dead letters do not say)
    sha256: str | None  # hex digest of the original value
    truncated: bool  # only a cut copy is kept (dlq.cut says what was cut): it cannot be replayed
    cut: str | None
    correlation_id: str | None
    message_type: str | None
    replayed_from: str | None  # the dead letter this one is a failed replay of
    headers: dict[str, str]
    decision: Decision | None
    value: bytes = field(repr=False)
    raw_key: bytes | None = field(repr=False)
    raw_headers: tuple[tuple[str, bytes], ...] = field(repr=False)

    @property
    def status(self) -> Status:
        return "waiting" if self.decision is None else self.decision.action

    @property
    def origin(self) -> str:
        return f"{self.original_topic}:{self.original_partition}@{self.original_offset}"

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("value", "raw_key", "raw_headers", "decision")}
        data["status"] = self.status
        data["decision"] = None
        if self.decision is not None:
            data["decision"] = {**self.decision.__dict__, "decided_at": self.decision.decided_at.isoformat()}
        return data


@dataclass(frozen=True)
class Replayed:
    dead_letter: DeadLetter
    topic: str
    partition: int
    offset: int


def parse_id(text: str) -> tuple[int, int]:
    try:
        partition, offset = text.split(":")
        return int(partition), int(offset)
    except ValueError:
        raise DeadLetterError(f"{text!r} is not a dead-letter id (<partition>:<offset>)") from None


def printable(data: bytes, limit: int = FIRST_BYTES) -> str:
    """The first bytes as text an operator can read: undecodable bytes and control characters escaped."""
    text = data[:limit].decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _envelope_fields(value: bytes) -> tuple[str | None, str | None]:
    """Correlation id and type of an envelope, if the bytes are one (however invalid otherwise)."""
    try:
        data = parse_json(value)  # bounded: any bytes may be here, that is why they are here
    except Exception:
        return None, None
    if not isinstance(data, dict):
        return None, None
    correlation, kind = data.get("correlation_id"), data.get("type")
    return (str(correlation) if correlation is not None else None, str(kind) if kind is not None else None)


def _dead_letter(record: Any, decision: Decision | None) -> DeadLetter:
    raw_headers = tuple((k, bytes(v or b"")) for k, v in (record.headers or ()))
    headers = {k: v.decode("utf-8", "replace") for k, v in raw_headers}
    value = bytes(record.value or b"")
    correlation, kind = _envelope_fields(value)
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        partition=record.partition,
        offset=record.offset,
        reason=headers.get("dlq.reason", ""),
        original_topic=headers.get("dlq.original_topic", ""),
        original_partition=_int(headers.get("dlq.original_partition")),
        original_offset=_int(headers.get("dlq.original_offset")),
        consumer=headers.get("dlq.consumer", ""),
        attempts=_int(headers.get("dlq.attempts")),
        failed_at=headers.get("dlq.failed_at", ""),
        key=record.key.decode("utf-8", "backslashreplace") if record.key is not None else None,
        size=len(value),
        first_bytes=printable(value),
        original_size=_int(headers.get("dlq.original_size")),
        sha256=headers.get("dlq.sha256"),
        truncated=headers.get("dlq.truncated") == "true",
        cut=headers.get("dlq.cut"),
        # From the envelope only: FastStream puts a random correlation_id header on what has none.
        correlation_id=correlation,
        message_type=kind,
        replayed_from=headers.get(REPLAYED_FROM_HEADER),
        headers=headers,
        decision=decision,
        value=value,
        raw_key=record.key,
        raw_headers=raw_headers,
    )


async def _read_records(bootstrap: str, wait_s: float) -> list[Any]:
    try:
        return await read_topic(bootstrap, HUB_DEADLETTER, wait_s, principal=OPERATORS)
    except TopicMissing as exc:
        raise DeadLetterError(str(exc)) from None


async def _decisions(engine: AsyncEngine) -> dict[tuple[int, int], Decision]:
    t = dead_letter_decisions
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t))).all()
    return {(row.dlq_partition, row.dlq_offset): _decision(row) for row in rows}


def _decision(row: Any) -> Decision:
    replayed_to = None
    if row.replayed_to_topic is not None:
        replayed_to = f"{row.replayed_to_topic}:{row.replayed_to_partition}@{row.replayed_to_offset}"
    return Decision(row.action, row.reason, row.decided_by, row.decided_at, replayed_to)


async def dead_letters(
    bootstrap: str, engine: AsyncEngine, *, include_decided: bool = False, wait_s: float = 30
) -> list[DeadLetter]:
    """What hub.deadletter holds, oldest first: waiting ones only, or all with their decisions."""
    decisions = await _decisions(engine)
    found = [_dead_letter(r, decisions.get((r.partition, r.offset))) for r in await _read_records(bootstrap, wait_s)]
    return found if include_decided else [d for d in found if d.status == "waiting"]


async def find(bootstrap: str, engine: AsyncEngine, ids: Sequence[str]) -> list[DeadLetter]:
    """The dead letters with these ids, in that order; raises DeadLetterError for one that is not there."""
    wanted = [parse_id(i) for i in ids]
    by_place = {(d.partition, d.offset): d for d in await dead_letters(bootstrap, engine, include_decided=True)}
    missing = [f"{p}:{o}" for p, o in wanted if (p, o) not in by_place]
    if missing:
        raise DeadLetterError(f"no dead letter {', '.join(missing)} in {HUB_DEADLETTER} (expired or mistyped?)")
    return [by_place[place] for place in wanted]


def _check_replayable(letter: DeadLetter, topics: TopicCatalog, again: bool) -> None:
    if letter.decision is not None and not again:
        raise DeadLetterError(f"dead letter {letter.id} is already {letter.status} (use --again to replay it anyway)")
    if not letter.original_topic or letter.original_topic == HUB_DEADLETTER:
        raise DeadLetterError(f"dead letter {letter.id} names no topic to replay to")
    if letter.truncated:
        raise DeadLetterError(
            f"dead letter {letter.id} cannot be replayed: it keeps only a truncated copy ({letter.cut}), the "
            f"original of {letter.original_size} bytes is gone; its SHA-256, in the header dlq.sha256, is "
            f"{letter.sha256}: match it against the sender's copy, then discard this one"
        )
    topics.topic(letter.original_topic)  # UndeclaredTopic for anything topics.yaml lacks


async def replay(
    bootstrap: str,
    engine: AsyncEngine,
    ids: Sequence[str] | None,
    by: str,
    *,
    again: bool = False,
    topics: TopicCatalog | None = None,
) -> list[Replayed]:
    """Replay these dead letters (None: every waiting one but truncated copies) to their original
    topics, in order. Each is recorded as replayed once the broker has acknowledged its copy; all are
    checked first.
    """
    topics = topics or catalog()
    if ids is None:
        found = [d for d in await dead_letters(bootstrap, engine) if not d.truncated]
    else:
        found = await find(bootstrap, engine, ids)
    letters = list({letter.id: letter for letter in found}.values())  # an id named twice is sent once
    for letter in letters:
        _check_replayable(letter, topics, again)
    # A dead letter is as large as the largest record a topic holds (a 5 MiB TCGB of bilge.inbound).
    largest = max(spec.record_limit for spec in topics)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        max_request_size=largest,
        **client_options(OPERATORS),
    )
    await producer.start()
    try:
        return [await _replay_one(producer, engine, letter, by) for letter in letters]
    finally:
        await producer.stop()


async def _replay_one(producer: AIOKafkaProducer, engine: AsyncEngine, letter: DeadLetter, by: str) -> Replayed:
    headers = [(k, v) for k, v in letter.raw_headers if not k.startswith("dlq.") and k != REPLAYED_FROM_HEADER]
    headers.append((REPLAYED_FROM_HEADER, letter.id.encode()))
    sent = await producer.send_and_wait(letter.original_topic, letter.value, key=letter.raw_key, headers=headers)
    where = {
        "replayed_to_topic": letter.original_topic,
        "replayed_to_partition": sent.partition,
        "replayed_to_offset": sent.offset,
    }
    await _record(engine, letter, "replayed", None, by, **where)
    return Replayed(letter, letter.original_topic, sent.partition, sent.offset)


async def discard(bootstrap: str, engine: AsyncEngine, dead_letter_id: str, reason: str, by: str) -> DeadLetter:
    """Set a waiting dead letter aside for good, with why; nothing is sent anywhere."""
    if not reason.strip():
        raise DeadLetterError("a discard needs a reason")
    (letter,) = await find(bootstrap, engine, [dead_letter_id])
    if letter.decision is not None:
        raise DeadLetterError(f"dead letter {letter.id} is already {letter.status}")
    await _record(engine, letter, "discarded", reason.strip(), by)
    return letter


async def _record(
    engine: AsyncEngine, letter: DeadLetter, action: str, reason: str | None, by: str, **replayed_to: Any
) -> None:
    t = dead_letter_decisions
    values = {"action": action, "reason": reason, "decided_by": by, "decided_at": datetime.now(UTC), **replayed_to}
    place = (t.c.dlq_partition == letter.partition) & (t.c.dlq_offset == letter.offset)
    async with engine.begin() as conn:
        if letter.decision is None:
            await conn.execute(insert(t).values(dlq_partition=letter.partition, dlq_offset=letter.offset, **values))
        else:
            await conn.execute(update(t).where(place).values(**values))
