"""The raw aiokafka pipe the hub is compared with: what consuming, producing and committing cost alone.

    python -m bench.pipeline.raw_pipe --bootstrap B --source IN --sink OUT --group G --mode batch|single \\
        --ready-file F --parent PID

It reads `--source` in consumer group `--group` and, for each record, parses the JSON command and
produces one small JSON answer naming it as cause (`causation_id`) to `--sink`, with an idempotent
producer and acks=all, keyed as the input:

- `batch`: a poll (`getmany`, up to 500 records), every answer sent, all acknowledgements awaited, then
  one offset commit for the poll;
- `single`: one record (`getone`), its answer sent and acknowledged, its offset committed, then the next.

No store, no rules: the ceiling of a consume → produce → commit pipeline on this broker and machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.pipeline.children import die_with_parent
from hub.runtime.kafka.security import ADMIN, client_options  # the harness is the admin

MAX_RECORDS = 500


def answer(value: bytes) -> bytes:
    command = json.loads(value)
    return json.dumps(
        {
            "message_id": str(uuid.uuid4()),
            "type": "Echoed",
            "causation_id": command["message_id"],
            "carnet_number": command["carnet_number"],
        }
    ).encode()


async def pump(consumer: Any, producer: Any, sink: str, mode: str) -> None:
    if mode == "single":
        while True:
            record = await consumer.getone()
            await producer.send_and_wait(sink, answer(record.value), key=record.key)
            await consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})
    while True:
        batches = await consumer.getmany(timeout_ms=100, max_records=MAX_RECORDS)
        if not batches:
            continue
        acks = [
            await producer.send(sink, answer(record.value), key=record.key)
            for records in batches.values()
            for record in records
        ]
        await asyncio.gather(*acks)
        await consumer.commit()


async def serve(args: argparse.Namespace) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    consumer = AIOKafkaConsumer(
        args.source,
        bootstrap_servers=args.bootstrap,
        **client_options(ADMIN),
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=args.bootstrap, **client_options(ADMIN), enable_idempotence=True, acks="all"
    )
    await producer.start()
    await consumer.start()
    try:
        task = asyncio.create_task(pump(consumer, producer, args.sink, args.mode))
        waiter = asyncio.create_task(stopping.wait())
        await asyncio.to_thread(args.ready_file.write_text, "started\n")
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        for running in (task, waiter):
            running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # a failure of the pipe surfaces here, in the child's log
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--mode", choices=("batch", "single"), required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args()
    die_with_parent(args.parent)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
