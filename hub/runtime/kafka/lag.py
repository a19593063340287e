"""Consumer lag: how many records wait on each partition after a group's committed offset.

Read from the broker (committed offsets of the group, end offsets of the partitions), not from the
consumer itself: a consumer that is stopped, stuck or gone still shows its lag growing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.kafka.security import client_options

log = logging.getLogger(__name__)

PARTITIONS_TTL_S = 60.0


class ConsumerLag:
    def __init__(
        self, bootstrap: str, metrics: ProcessMetrics, timeout_s: float = 3.0, principal: str | None = None
    ) -> None:
        self._bootstrap = bootstrap
        self._principal = principal or metrics.process  # the process's own: it may describe its groups
        self._metrics = metrics
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()
        # Partitions change only when an operator adds some: asked again once a minute, not at every scrape.
        self._partitions: dict[frozenset[str], tuple[float, list[TopicPartition]]] = {}

    async def measure(self) -> dict[tuple[str, str, int], int]:
        """Lag per (group, topic, partition) of the process's subscriptions; also sets the gauge."""
        async with self._lock, asyncio.timeout(self._timeout_s):
            admin, offsets = await self._clients()
            found: dict[tuple[str, str, int], int] = {}
            by_group: dict[str, set[str]] = {}
            for group, topic in self._metrics.subscriptions:
                by_group.setdefault(group, set()).add(topic)
            for group, topics in sorted(by_group.items()):
                partitions = await self._partitions_of(admin, frozenset(topics))
                committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
                ends = await offsets.end_offsets(partitions)
                for tp in partitions:
                    at = committed.get(tp)
                    # Nothing committed yet: the group starts from the beginning (auto_offset_reset=earliest).
                    position = at.offset if at is not None and at.offset >= 0 else 0
                    lag = max(0, ends[tp] - position)
                    found[(group, tp.topic, tp.partition)] = lag
                    self._metrics.lag.labels(group=group, topic=tp.topic, partition=str(tp.partition)).set(lag)
            return found

    async def _partitions_of(self, admin: AIOKafkaAdminClient, topics: frozenset[str]) -> list[TopicPartition]:
        known = self._partitions.get(topics)
        if known is not None and time.monotonic() - known[0] < PARTITIONS_TTL_S:
            return known[1]
        partitions = await _partitions(admin, topics)
        self._partitions[topics] = (time.monotonic(), partitions)
        return partitions

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._offsets is None:
            security = client_options(self._principal)
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="hub-lag", **security)
            offsets = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False, **security
            )
            await admin.start()
            try:
                await offsets.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._offsets = admin, offsets
        return self._admin, self._offsets

    async def close(self) -> None:
        admin, offsets, self._admin, self._offsets = self._admin, self._offsets, None, None
        if offsets is not None:
            await offsets.stop()
        if admin is not None:
            await admin.close()


async def _partitions(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> list[TopicPartition]:
    described = await admin.describe_topics(sorted(topics))
    return sorted(
        (
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if not t.get("error_code")
            for p in t["partitions"]
        ),
        key=lambda tp: (tp.topic, tp.partition),
    )
