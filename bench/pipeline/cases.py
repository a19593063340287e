"""One function per case of the benchmark; each records its figures into a run's `Figures`.

The hub is measured in sessions (`Hub`): core process(es) that start from nothing of their own, a new
store (a SQLite file, or a new PostgreSQL database), the core's consumer group moved to the end of the
commands topic (what an earlier session left unanswered is not handled again), and a warm-up lodging on
every partition answered before any clock starts. Distinct carnets and the open-loop rates share one
session while each leaves nothing unanswered (a core takes some ten seconds to start and join its
group); the hot carnet and each PostgreSQL case have their own.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.pipeline import commands as cmds
from bench.pipeline.children import ChildFailed, Children
from bench.pipeline.load import Answers, Load
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS, ATA_DECLARATION_EVENTS
from hub.devtools.postgres import PostgresServer
from hub.entrypoints.processes.core import CoreProcess
from hub.runtime.kafka.security import ADMIN, client_options  # the harness is the admin
from hub.store.schema import upgrade_store

Figures = dict[str, float]


@dataclass
class Sizes:
    commands: int  # raw pipe, batched
    single_commands: int  # raw pipe, one at a time
    hub_commands: int  # each hub throughput case
    hot_history: int  # declarations on the hot carnet before it is measured
    rates: tuple[int, ...]  # open loop, commands/s
    open_seconds: float  # open loop: how long each rate is sent
    drain_s: float  # open loop: how long outcomes are waited for after the last send
    stall_s: float  # closed loop: give up when no outcome arrived for this long
    limit_s: float  # closed loop: stop waiting this long after the first command (seeding excepted)


@dataclass
class Bench:
    """What the cases of one benchmark run share."""

    bootstrap: str
    run_dir: Path
    sizes: Sizes
    postgres: PostgresServer | None
    partitions: int = 6
    _tags: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def tag(self, case: str) -> str:
        return f"{case}{next(self._tags)}"

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)


# --- Kafka plumbing of the cases --------------------------------------------------------------


async def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def skip_to_end(bootstrap: str, group: str, topic: str, partitions: int) -> None:
    """Commit the end of `topic` for `group` (no member is running), so the next core starts there."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, **client_options(ADMIN), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """The group's state (`Stable`, `PreparingRebalance`, ...) and how many consumers are in it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(ADMIN))
    await admin.start()
    try:
        described = (await admin.describe_consumer_groups([group]))[0].groups[0]
    finally:
        await admin.close()
    _error, _group, state, _protocol_type, _protocol, members = described[:6]
    return str(state), len(members)


async def wait_members(bootstrap: str, group: str, members: int, wait_s: float = 60) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        state, count = await group_members(bootstrap, group)
        if state == "Stable" and count >= members:
            return
        if time.monotonic() > deadline:
            raise ChildFailed(f"group {group}: {count} consumers ({state}), not {members}, after {wait_s:.0f}s")
        await asyncio.sleep(0.2)


async def warm(load: Load, tag: str, partitions: int, children: Children) -> None:
    answers, _ = await load.closed_loop(cmds.warm_up(tag, partitions), stall_s=90)
    children.check()
    if answers.unanswered:
        logs = "\n".join(children.tails())
        raise ChildFailed(f"warm-up: {answers.unanswered} of {len(answers.sent_at)} lodgings unanswered\n{logs}")


# --- the cases ----------------------------------------------------------------------------------


def _closed(bench: Bench, figures: Figures, key: str, label: str, answers: Answers, seconds: float) -> None:
    rate = len(answers.done_at) / seconds if seconds > 0 else math.nan
    figures[key] = rate
    figures[f"{key}.refusals"] = answers.refusals
    figures[f"{key}.unanswered"] = answers.unanswered
    note = f"refusals {answers.refusals}, unanswered {answers.unanswered}"
    bench.say(f"{label}: {len(answers.sent_at)} commands in {seconds:.1f} s = {rate:,.0f}/s ({note})")


async def raw_pipe(bench: Bench, figures: Figures, mode: str) -> None:
    tag = bench.tag(f"r{mode[0]}")
    source, sink = f"bench.raw.{tag}.in", f"bench.raw.{tag}.out"
    await create_topics(bench.bootstrap, [source, sink], bench.partitions)
    size = bench.sizes.commands if mode == "batch" else bench.sizes.single_commands
    pipe_args = ["--bootstrap", bench.bootstrap, "--source", source, "--sink", sink, "--group", f"bench-{tag}"]
    async with Children(bench.run_dir) as children:
        pipe = children.start(f"raw-{tag}", "bench.pipeline.raw_pipe", [*pipe_args, "--mode", mode])
        await pipe.ready()
        async with Load(bench.bootstrap, source, sink) as load:
            await warm(load, tag, bench.partitions, children)
            flows = cmds.distinct_flows(tag, size)
            answers, seconds = await load.closed_loop(flows, bench.sizes.stall_s, bench.sizes.limit_s)
        children.check()
    label = "raw pipe, per batch" if mode == "batch" else "raw pipe, one at a time"
    _closed(bench, figures, f"raw.{mode}", label, answers, seconds)


def _database(bench: Bench, name: str, postgres: bool) -> str:
    if not postgres:
        return f"sqlite+aiosqlite:///{bench.run_dir / name}.db"
    assert bench.postgres is not None
    return bench.postgres.create_database("bench_" + re.sub(r"[^a-z0-9_]", "_", name.lower()))


class Hub:
    """Core process(es) on a store of their own, warmed up, and the load generator of commands → events.

    A session serves several cases while every command got its outcome; after a case that left some
    unanswered, `load()` replaces it with a fresh one (new store, group moved to the end), so that no
    case measures what another left behind.
    """

    def __init__(self, bench: Bench, name: str, *, postgres: bool = False, cores: int = 1) -> None:
        self.bench, self.name, self.postgres, self.cores = bench, name, postgres, cores
        self._children: Children | None = None
        self._load: Load | None = None
        self.dirty = False

    async def __aenter__(self) -> Hub:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def load(self) -> Load:
        if self.dirty:
            await self.stop()
        if self._load is None:
            await self._start()
        assert self._load is not None
        return self._load

    def check(self, answers: Answers) -> None:
        """After a case: every process still alive; a session that left commands unanswered is not reused."""
        assert self._children is not None
        self._children.check()
        self.dirty = self.dirty or answers.unanswered > 0

    async def _start(self) -> None:
        bench = self.bench
        tag = bench.tag(self.name)
        env = {"HUB_KAFKA_BOOTSTRAP": bench.bootstrap, "HUB_DATABASE_URL": _database(bench, tag, self.postgres)}
        await upgrade_store(env["HUB_DATABASE_URL"])  # as `hub db upgrade` before a deployment: cores only check
        await skip_to_end(bench.bootstrap, CoreProcess.NAME, ATA_DECLARATION_COMMANDS, bench.partitions)
        self._children = children = Children(bench.run_dir)
        self._load = load = await Load(bench.bootstrap, ATA_DECLARATION_COMMANDS, ATA_DECLARATION_EVENTS).__aenter__()
        began = time.monotonic()
        await children.start(f"core-{tag}-1", "bench.pipeline.core_runner", [], env).ready()
        await warm(load, f"{tag}w", bench.partitions, children)
        if self.cores > 1:
            _, per_core = await group_members(bench.bootstrap, CoreProcess.NAME)
            # One after the other, each ready before the next joins the group.
            for n in range(2, self.cores + 1):
                await children.start(f"core-{tag}-{n}", "bench.pipeline.core_runner", [], env).ready()
            await wait_members(bench.bootstrap, CoreProcess.NAME, per_core * self.cores)
            await warm(load, f"{tag}x", bench.partitions, children)  # every core has handled its partitions
        store = "PostgreSQL" if self.postgres else "SQLite"
        bench.say(
            f"({self.cores} core process(es) on {store} started and warmed up in {time.monotonic() - began:.0f} s)"
        )
        self.dirty = False

    async def stop(self) -> None:
        load, children, self._load, self._children = self._load, self._children, None, None
        try:
            if load is not None:
                await load.__aexit__()
        finally:
            if children is not None:
                children.stop_all()


async def hub_distinct(bench: Bench, figures: Figures, hub: Hub) -> None:
    key = f"pg.{hub.cores}" if hub.postgres else "hub.distinct"
    load = await hub.load()
    flows = cmds.distinct_flows(bench.tag("d"), bench.sizes.hub_commands)
    answers, seconds = await load.closed_loop(flows, bench.sizes.stall_s, bench.sizes.limit_s)
    hub.check(answers)
    store = "PostgreSQL" if hub.postgres else "SQLite"
    _closed(bench, figures, key, f"hub {store}, {hub.cores} core(s), distinct carnets", answers, seconds)


async def hub_hot(bench: Bench, figures: Figures, hub: Hub) -> None:
    tag = bench.tag("h")
    carnet = cmds.hot_carnet(tag)
    load = await hub.load()
    # Seeding is waited for to its end (no limit): what is measured next must find the whole history.
    seeded, seconds = await load.closed_loop(cmds.hot_seed(tag, carnet, bench.sizes.hot_history), bench.sizes.stall_s)
    hub.check(seeded)
    _closed(bench, figures, "hot.seed", f"seeding the hot carnet ({bench.sizes.hot_history} lodgings)", seeded, seconds)
    flows = cmds.hot_flows(tag, carnet, bench.sizes.hub_commands)
    answers, seconds = await load.closed_loop(flows, bench.sizes.stall_s, bench.sizes.limit_s)
    hub.check(answers)
    _closed(bench, figures, "hub.hot", "hub SQLite, one hot carnet", answers, seconds)


async def open_loop(bench: Bench, figures: Figures, hub: Hub, rate: int) -> None:
    count = max(3, round(rate * bench.sizes.open_seconds))
    load = await hub.load()  # first: a fresh session takes a while, and the commands are stamped when built
    flows = cmds.distinct_flows(bench.tag(f"o{rate}"), count + 2)[:count]
    answers, achieved = await load.open_loop(flows, rate, bench.sizes.drain_s)
    hub.check(answers)
    latencies = answers.latencies_ms()
    key = f"open.{rate}"
    figures[f"{key}.achieved"] = achieved
    for q in (50, 95, 99):
        figures[f"{key}.p{q}"] = percentile(latencies, q)
    figures[f"{key}.unanswered"] = answers.unanswered
    figures[f"{key}.refusals"] = answers.refusals
    shown = ", ".join(f"p{q} {fmt_ms(figures[f'{key}.p{q}'])}" for q in (50, 95, 99))
    bench.say(
        f"hub SQLite, open loop at {rate}/s: sent {len(flows)} at {achieved:,.0f}/s; {shown} "
        f"(refusals {answers.refusals}, unanswered after {bench.sizes.drain_s:.0f} s: {answers.unanswered})"
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (inf included: an unanswered command)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def fmt_ms(value: float) -> str:
    if math.isinf(value):
        return "unanswered"
    return "n/a" if math.isnan(value) else f"{value:,.0f} ms"
