"""Benchmark of GET-APP's TCGB tracking at national scale (issue 14, part 3).

    python -m bench.tracking_bench                         # what `make bench` runs
    python -m bench.tracking_bench --events 20000 --tcgbs 100000 --firm-tcgbs 1000 --requests 50   # quick

Starts a Kafka broker (``.kafka/run/bench-<pid>``) and a PostgreSQL server (``.data/pg/bench-<pid>``) of
its own, as bench/pipeline_bench.py does, then:

(a) ingestion: ``--events`` TcgbStageReached envelopes of the BİLGE simulator's deterministic stream
    (adapters/bilge/tcgb_life.py ``tcgb_stage_events``: TCGB lives registered over a day, interleaved
    by time, cut at the ``--events``-th stage), enveloped as the BİLGE adapter publishes them (key,
    ids derived from TCGB and stage), are produced onto ``bilge.tcgb.events`` with a raw aiokafka
    producer; the raw aiokafka consume rate of them is measured; then GET-APP's TCGB consumer, the real
    path (hub.runtime.kafka.batches.subscribe_in_batches with the limits and the projection GET-APP uses, JSON
    logging on as in the process), drains them into a store, on PostgreSQL then on SQLite, each in a
    consumer group of its own. Its rate counts from its first poll handled to the last (the group's
    join is left out, and printed apart).
(b) queries: a store of ``--tcgbs`` TCGBs of the same generator (registered over 2026, twelve offices,
    5,000 firms) with one firm
    named on ``--firm-tcgbs`` of them (bench/tcgb_store.py), bulk-loaded (PostgreSQL: COPY; SQLite: one
    executemany) with the duration bins their stages make (the same `tcgb_timeline.BinDelta` the
    projection uses), stage rows for the firm's TCGBs only (no other benched query reads stages). Then
    ``--requests`` requests of each kind through the HTTP API in-process (FastAPI's router mounted as
    GET-APP mounts it, httpx's ASGI transport, the firm given by a header as the tests do: no uvicorn,
    no login): the firm's first page, a deep page (a cursor 90 % down its list), a filtered page, one
    TCGB's timeline, and the month's averages and medians (all offices; one office).

Figures are printed beside the targets of the issue (≥ 5,000 events/s; p99 ≤ 100 ms), never asserted:
the machine is shared, they are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import resource
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import func, select

from adapters.bilge.tcgb_life import tcgb_stage_events
from adapters.bilge.tcgb_stages import stage_envelope
from bench.pipeline_bench import broker, sweep
from bench.tcgb_store import FIRM, FIRMS, Store, build_rows, load_postgresql, load_sqlite
from hub.contract.messages.batch import BatchResult, MessageScope
from hub.contract.messages.envelope import Envelope
from hub.contract.topic_names import BILGE_TCGB_EVENTS
from hub.contract.topics import PROJECT_ROOT, catalog
from hub.devtools.kafka.launcher import KafkaStartError
from hub.devtools.postgres import PostgresServer
from hub.getapp.tracking import create_tracking_schema, tracking_router
from hub.getapp.tracking.consumer import TCGB_LIMITS
from hub.getapp.tracking.tables import (
    getapp_processed,
    getapp_tcgbs,
)
from hub.getapp.tracking.tcgb_projection import TcgbProjection
from hub.getapp.tracking.tcgb_queries import encode_cursor
from hub.operations.kafka.admin import apply_topics
from hub.operations.logs import configure as configure_logging
from hub.runtime.kafka.batches import subscribe_in_batches
from hub.runtime.kafka.brokers import kafka_broker
from hub.runtime.kafka.security import ADMIN, client_options
from hub.store.engine import create_engine

EVENTS_TARGET = 5000  # events/s
P99_TARGET_MS = 100
MONTH = "2026-06"
OFFICE = "220100"  # Kapıkule, for the averages of one office
MIN_STAGES = 4  # of a whole life: registered, channel assigned, released, and paid (import) or exited (export)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="TCGB events to ingest (200000)")
    parser.add_argument("--tcgbs", type=int, default=1_000_000, help="TCGBs in the query store (1000000)")
    parser.add_argument("--firm-tcgbs", type=int, default=10_000, help="of them, the benched firm's (10000)")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind (200)")
    parser.add_argument(
        "--skip",
        default="",
        help="parts left out, comma-separated: ingest-postgresql,ingest-sqlite,queries,queries-sqlite",
    )
    args = parser.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


# --- (a) ingestion ------------------------------------------------------------------------------------


async def produce(bootstrap: str, events: Sequence[Envelope[Any]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, **client_options(ADMIN), acks="all", enable_idempotence=True,
        linger_ms=20, max_batch_size=1 << 20,
    )  # fmt: skip
    await producer.start()
    began = time.monotonic()
    try:
        for i in range(0, len(events), 5000):
            sent = [await producer.send(BILGE_TCGB_EVENTS, e.encode(), key=e.key) for e in events[i : i + 5000]]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return time.monotonic() - began


def stage_stream(count: int) -> list[Envelope[Any]]:
    """The first ``count`` stages BİLGE records of enough TCGB lives to have them, in time order,
    enveloped as the BİLGE adapter publishes them."""
    stages = tcgb_stage_events(-(-count // MIN_STAGES), seed=14, firms=FIRMS)[:count]
    return [stage_envelope(stage) for stage in stages]


async def produce_stream(bootstrap: str, count: int) -> int:
    """Generate the stream and produce it; nothing of it is kept."""
    began = time.monotonic()
    events = stage_stream(count)
    print(f"  (a) {len(events)} events generated in {time.monotonic() - began:.1f} s", flush=True)
    took = await produce(bootstrap, events)
    print(f"      produced in {took:.1f} s ({len(events) / took:,.0f}/s)", flush=True)
    return len(events)


async def raw_consume(bootstrap: str, count: int) -> float:
    """aiokafka alone: every record of the topic from its start, nothing decoded, nothing committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options(ADMIN))
    await consumer.start()
    try:
        partitions = [
            TopicPartition(BILGE_TCGB_EVENTS, p) for p in consumer.partitions_for_topic(BILGE_TCGB_EVENTS) or ()
        ]
        if not partitions:
            partitions = [
                TopicPartition(BILGE_TCGB_EVENTS, p) for p in range(catalog().topic(BILGE_TCGB_EVENTS).partitions)
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        began, seen = time.monotonic(), 0
        while seen < count:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                seen += len(batch)
        return time.monotonic() - began
    finally:
        await consumer.stop()


@dataclass
class Drained:
    events: int
    first_s: float  # from the consumer's start to its first poll handled (joining the group)
    handling_s: float  # from the first poll handled to the last
    polls: int
    projection_s: float  # of handling_s, inside the projection (its transaction included)
    cpu_s: float  # CPU time of this process (all its threads) while it drained: the figure contention moves least

    @property
    def rate(self) -> float:
        return self.events / self.handling_s if self.handling_s else math.inf


class _Timed:
    """GET-APP's TCGB projection, with the time of each poll noted."""

    def __init__(self, projection: TcgbProjection, count: int) -> None:
        self._projection, self._count = projection, count
        self.first: float | None = None
        self.last = 0.0
        self.seen = self.polls = 0
        self.inside = 0.0
        self.done = asyncio.Event()

    async def handle_batch(self, messages: Sequence[Envelope[Any]], scope: MessageScope) -> BatchResult:
        began = time.monotonic()
        self.first = self.first or began
        result = await self._projection.handle_batch(messages, scope)
        self.inside += time.monotonic() - began
        self.seen += len(result.applied) + len(result.skipped)
        self.polls += 1
        self.last = time.monotonic()
        if self.seen >= self._count:
            self.done.set()
        return result


async def drain(bootstrap: str, url: str, count: int, group: str) -> Drained:
    engine = create_engine(url)
    await create_tracking_schema(engine)
    timed = _Timed(TcgbProjection(engine), count)
    kafka = kafka_broker(bootstrap, group, principal=ADMIN)
    subscribe_in_batches(kafka, catalog(), BILGE_TCGB_EVENTS, group, timed.handle_batch, limits=TCGB_LIMITS)
    began, cpu = time.monotonic(), _cpu()
    await kafka.start()
    try:
        await asyncio.wait_for(timed.done.wait(), timeout=max(120.0, count / 500))
    finally:
        cpu = _cpu() - cpu
        await kafka.stop()
    async with engine.connect() as conn:
        applied = (await conn.execute(select(func.count()).select_from(getapp_processed))).scalar_one()
        tcgbs = (await conn.execute(select(func.count()).select_from(getapp_tcgbs))).scalar_one()
    await engine.dispose()
    assert applied == count, f"{applied} of {count} events applied"
    print(f"    {group}: {applied} events applied, {tcgbs} TCGBs, {timed.polls} polls", flush=True)
    assert timed.first is not None
    return Drained(count, timed.first - began, timed.last - timed.first, timed.polls, timed.inside, cpu)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


# --- (b) queries --------------------------------------------------------------------------------------


def _firm_from_header(x_firm_vkn: Annotated[str | None, Header()] = None) -> str:
    """Stands in for GET-APP's login: the firm's VKN from a header."""
    if not x_firm_vkn:
        raise HTTPException(status_code=401, detail="not logged in")
    return x_firm_vkn


@contextlib.asynccontextmanager
async def api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(url)
    app = FastAPI()
    app.include_router(tracking_router(engine, _firm_from_header))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://getapp.bench", headers={"x-firm-vkn": FIRM}
        ) as client:
            yield client
    finally:
        await engine.dispose()


def percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def latencies(client: httpx.AsyncClient, store: Store, requests: int) -> dict[str, tuple[float, float, str]]:
    deep_at = store.firm_rows[min(len(store.firm_rows) - 1, int(len(store.firm_rows) * 0.9))]
    some = [number for _, number in store.firm_rows[:: max(1, len(store.firm_rows) // requests)]]
    kinds: dict[str, Any] = {
        "list: first page (50)": lambda i: ("/api/tcgbs", {}),
        "list: deep page (90 % down)": lambda i: ("/api/tcgbs", {"after": encode_cursor(*deep_at)}),
        "list: exports being released": lambda i: ("/api/tcgbs", {"direction": "export", "stage": "released"}),
        "one TCGB with its timeline": lambda i: (f"/api/tcgbs/{some[i % len(some)]}", {}),
        "averages: a month, all offices": lambda i: ("/api/tcgb-average-times", {"month": MONTH}),
        "averages: a month, one office": lambda i: ("/api/tcgb-average-times", {"month": MONTH, "office": OFFICE}),
    }
    figures: dict[str, tuple[float, float, str]] = {}
    for name, request in kinds.items():
        samples = []
        for i in range(requests + 10):  # the first 10 warm up
            path, params = request(i)
            began = time.perf_counter()
            answer = await client.get(path, params=params)
            took = (time.perf_counter() - began) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:200]}")
            if i >= 10:
                samples.append(took)
        body = answer.json()
        size = len(body.get("tcgbs", body.get("groups", [])) or [body.get("tcgb")])
        figures[name] = (percentile(samples, 50), percentile(samples, 99), f"{size} item(s)")
    return figures


# --- the run ------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, bootstrap: str, pg: PostgresServer, run_dir: Path) -> list[str]:
    lines: list[str] = []
    await apply_topics(bootstrap, catalog())
    count = await produce_stream(bootstrap, args.events)
    # The stream's objects are gone before the consumer runs: a process holding 200,000 envelopes would
    # make every full garbage collection of the consumer walk them, which GET-APP never does.
    gc.collect()
    raw_s = await raw_consume(bootstrap, count)
    lines.append(f"raw aiokafka consume (no decoding, no store): {count / raw_s:>9,.0f} events/s")
    configure_logging(run_dir / "getapp.log", service="getapp")  # as GET-APP logs: a JSON line per event
    for kind in ("postgresql", "sqlite"):
        if f"ingest-{kind}" in args.skip:
            continue
        url = (
            pg.create_database("tcgb_ingest")
            if kind == "postgresql"
            else f"sqlite+aiosqlite:///{run_dir / 'ingest.db'}"
        )
        done = await drain(bootstrap, url, count, f"bench-tcgb-{kind}")
        verdict = "meets" if done.rate >= EVENTS_TARGET else "MISSES"
        lines.append(
            f"GET-APP TCGB consumer -> {kind:<10}: {done.rate:>9,.0f} events/s  "
            f"({done.events} in {done.handling_s:.1f} s, "
            f"{done.polls} polls, {done.projection_s / done.handling_s:.0%} of it in the projection; "
            f"group join {done.first_s:.1f} s before; {done.events / done.cpu_s:,.0f} per CPU-second of the consumer) "
            f"— {verdict} the target ≥ {EVENTS_TARGET:,}/s"
        )
        print(f"      {lines[-1]}", flush=True)

    if "queries" in args.skip:
        return lines
    began = time.monotonic()
    store = build_rows(args.tcgbs, args.firm_tcgbs)
    print(
        f"  (b) {len(store.tcgbs):,} TCGBs ({len(store.firm_rows):,} the firm's), {len(store.stages):,} stage rows, "
        f"{len(store.bins):,} duration bins generated in {time.monotonic() - began:.1f} s",
        flush=True,
    )
    stores = [("postgresql", pg.create_database("tcgb_queries"))]
    if "queries-sqlite" not in args.skip:
        stores.append(("sqlite", f"sqlite+aiosqlite:///{run_dir / 'queries.db'}"))
    for kind, url in stores:
        began = time.monotonic()
        if kind == "postgresql":
            await load_postgresql(url, store)
        else:
            await load_sqlite(url, run_dir / "queries.db", store)
        print(f"      {kind}: loaded in {time.monotonic() - began:.1f} s", flush=True)
        async with api(url) as client:
            figures = await latencies(client, store, args.requests)
        for name, (p50, p99, size) in figures.items():
            verdict = "meets" if p99 <= P99_TARGET_MS else "MISSES"
            lines.append(
                f"{kind:<10} {name:<32} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({size}) "
                f"— {verdict} p99 ≤ {P99_TARGET_MS} ms"
            )
            print(f"      {lines[-1]}", flush=True)
    return lines


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _run_dir(root: Path) -> Iterator[Path]:
    path = root / ".data" / f"bench-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    root = PROJECT_ROOT
    sweep(root)
    began = time.monotonic()
    print(
        f"tracking benchmark (issue 14): {args.events:,} TCGB events ingested; queries over {args.tcgbs:,} TCGBs, "
        f"{args.firm_tcgbs:,} of them one firm's, {args.requests} requests each; {os.cpu_count()} CPUs",
        flush=True,
    )
    try:
        with contextlib.ExitStack() as stack:
            kafka = stack.enter_context(broker(root))
            pg = stack.enter_context(PostgresServer(root / ".data" / "pg" / f"bench-{os.getpid()}"))
            run_dir = stack.enter_context(_run_dir(root))
            print(f"  Kafka broker at {kafka.bootstrap_servers}, PostgreSQL at {pg.url()}", flush=True)
            lines = asyncio.run(run(args, kafka.bootstrap_servers, pg, run_dir))
    except KafkaStartError as err:
        print(f"the benchmark's Kafka broker did not start:\n{err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nGET-APP tracking at national scale ({time.monotonic() - began:.0f} s in all; load average {load} "
        "at the end; printed, not asserted):"
    )
    for line in lines:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
