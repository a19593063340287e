"""The load generator: send commands, read outcomes, match them by causation id.

It sees the system under test as a back end does (`hub/runtime/client.py`): commands go to a topic with an
idempotent producer (acks=all), outcomes are read from another topic, from its end, without a consumer
group. An outcome is complete when all its events have arrived (the `outcome_events` header says how
many; 1 when absent, as for the raw pipe). Times are `time.monotonic()` in this process:
sent = just before the record is handed to the producer, answered = when the batch holding the outcome's
last event is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.pipeline.commands import Command
from hub.contract.messages.envelope import OUTCOME_SIZE_HEADER
from hub.runtime.kafka.security import ADMIN, client_options  # the harness is the admin

REFUSAL = "CommandRefused"


@dataclass
class _Waiting:
    sent_at: float
    seen: int = 0
    done_at: float | None = None


@dataclass
class Answers:
    """What came back for the commands of one measurement."""

    sent_at: dict[str, float] = field(default_factory=dict)
    done_at: dict[str, float] = field(default_factory=dict)
    types: Counter[str] = field(default_factory=Counter)  # event types of the outcomes

    @property
    def refusals(self) -> int:
        return self.types[REFUSAL]

    @property
    def unanswered(self) -> int:
        return len(self.sent_at) - len(self.done_at)

    def latencies_ms(self) -> list[float]:
        """One per command sent, sorted; an unanswered command counts as infinitely late."""
        return sorted((self.done_at[m] - t) * 1000 if m in self.done_at else math.inf for m, t in self.sent_at.items())


class Load:
    """A producer to `source` and a reader of `sink`, for one system under test."""

    def __init__(self, bootstrap: str, source: str, sink: str) -> None:
        self.source, self.sink = source, sink
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, **client_options(ADMIN), enable_idempotence=True, acks="all"
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, **client_options(ADMIN), enable_auto_commit=False
        )
        self._waiting: dict[str, _Waiting] = {}
        self._answers = Answers()
        self._open = 0
        self._all_done = asyncio.Event()
        self._progress = time.monotonic()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Load:
        await self._producer.start()
        await self._consumer.start()
        partitions = await self._producer.partitions_for(self.sink)
        if not partitions:
            raise RuntimeError(f"topic {self.sink} does not exist")
        assigned = [TopicPartition(self.sink, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)  # pinned before anything is sent
        self._reader = asyncio.create_task(self._read(), name=f"read {self.sink}")
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._consumer.stop()
        await self._producer.stop()

    async def partitions(self) -> int:
        return len(await self._producer.partitions_for(self.source))

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    self._take(record.value, record.headers, now)

    def _take(self, value: bytes | None, headers: Sequence[tuple[str, bytes]] | None, now: float) -> None:
        try:
            event = json.loads(value or b"")
            cause = event["causation_id"]
        except (ValueError, KeyError, TypeError):
            return
        waiting = self._waiting.get(cause)
        if waiting is None or waiting.done_at is not None:
            return  # not ours (warm-up of another case, a deadline event), or a duplicate delivery
        waiting.seen += 1
        self._answers.types[str(event.get("type"))] += 1
        size = dict(headers or ()).get(OUTCOME_SIZE_HEADER)
        if waiting.seen >= (int(size) if size else 1):
            waiting.done_at = now
            self._answers.done_at[cause] = now
            self._progress = now
            self._open -= 1
            if self._open == 0:
                self._all_done.set()

    def _begin(self) -> Answers:
        self._waiting, self._answers, self._open = {}, Answers(), 0
        self._all_done.clear()
        self._progress = time.monotonic()
        return self._answers

    async def _send(self, command: Command) -> asyncio.Future[object]:
        self._waiting[command.message_id] = _Waiting(sent_at=time.monotonic())
        self._answers.sent_at[command.message_id] = self._waiting[command.message_id].sent_at
        self._open += 1
        future: asyncio.Future[object] = await self._producer.send(
            self.source, command.value, key=command.key, headers=command.headers
        )
        return future

    async def _settle(self, deadline: float | None, stall_s: float) -> None:
        """Wait for every outcome, until `deadline` or until nothing arrived for `stall_s`."""
        while self._open > 0:
            if self._reader is not None and self._reader.done():
                self._reader.result()  # the reader failed: say why rather than wait for nothing
            now = time.monotonic()
            limit = now + 1.0
            if deadline is not None:
                limit = min(limit, deadline)
            if now >= limit or now - self._progress > stall_s:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_done.wait(), limit - now)

    async def closed_loop(
        self, commands: Sequence[Command], stall_s: float = 30.0, limit_s: float | None = None
    ) -> tuple[Answers, float]:
        """Send everything as fast as the producer takes it; seconds from the first send to the last outcome.

        Waiting ends when every outcome is in, when none came for `stall_s`, or `limit_s` after the first
        send: what was answered by then, over that time, is still the rate of a saturated system.
        """
        answers = self._begin()
        began = time.monotonic()
        acks = [await self._send(c) for c in commands]
        await asyncio.gather(*acks)
        await self._settle(None if limit_s is None else began + limit_s, stall_s)
        ended = max(answers.done_at.values(), default=time.monotonic())
        return answers, ended - began

    async def open_loop(self, commands: Sequence[Command], rate: float, drain_s: float) -> tuple[Answers, float]:
        """Send at `rate` per second whatever comes back; wait `drain_s` at most after the last send.

        Returns the answers and the rate achieved (commands sent / time from the first to the last send).
        """
        answers = self._begin()
        began = time.monotonic()
        acks: list[asyncio.Future[object]] = []
        for i, command in enumerate(commands):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            acks.append(await self._send(command))
        last_sent = time.monotonic()
        await asyncio.gather(*acks)
        await self._settle(last_sent + drain_s, stall_s=drain_s)
        span = last_sent - began
        return answers, (len(commands) - 1) / span if span > 0 else math.nan
