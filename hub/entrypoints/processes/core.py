"""The core consumer process: commands and the answers of TOBB, BİLGE and YKTS in, outcomes out through the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.settings import Settings, senders_registry
from hub.contract.messages.batch import BatchResult, MessageScope
from hub.contract.messages.envelope import Envelope
from hub.contract.messages.ports import PORTS
from hub.contract.signing import RegistryFile
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS
from hub.contract.topics import TopicCatalog
from hub.runtime.kafka.batches import BatchLimits, subscribe_in_batches
from hub.runtime.process import KafkaProcess
from hub.runtime.relay import OutboxRelay, unsent_outbox
from hub.service.core import CONSUMER, TURKEY, CoreService, utc_now
from hub.store.engine import create_engine
from hub.store.schema import require_current

log = logging.getLogger(__name__)


class CoreProcess(KafkaProcess):
    """Wiring of the core; `start`/`stop` serve the CLI, the demo and the tests alike."""

    NAME = CONSUMER

    def __init__(self, settings: Settings, topics: TopicCatalog | None = None, ops_port: int = 0) -> None:
        super().__init__(settings, topics, ops_port)
        self._service: CoreService | None = None
        self._relay: OutboxRelay | None = None
        self.engine: AsyncEngine | None = None
        self._monitor: asyncio.Task[None] | None = None
        # A poll of each topic is one transaction (hub/runtime/kafka/batches.py).
        limits = BatchLimits(
            max_records=settings.batch_records, timeout_ms=settings.batch_ms,
            max_attempts=settings.consumer_max_attempts,
        )  # fmt: skip
        senders = RegistryFile(senders_registry())  # commands are signed (topics.yaml)
        for topic in (ATA_DECLARATION_COMMANDS, *(port.results_topic for port in PORTS)):
            subscribe_in_batches(
                self.broker, self.catalog, topic, self.NAME, self._on_batch,
                limits=limits, metrics=self.metrics, senders=senders, tracer=self.tracer,
            )  # fmt: skip
        self.document_publications()

    @property
    def service(self) -> CoreService:
        assert self._service is not None, "start the core first"
        return self._service

    async def _on_batch(self, messages: Sequence[Envelope[Any]], scope: MessageScope) -> BatchResult:
        return await self.service.handle_batch(messages, scope)

    async def start(self) -> None:
        self.engine = engine = create_engine(self.settings.database_url)
        await require_current(engine)  # only `hub db upgrade` changes the schema
        self._relay = OutboxRelay(
            engine, self.settings.kafka_bootstrap, self.catalog, poll_s=self.settings.relay_poll_s,
            metrics=self.metrics, tracer=self.tracer,
        )  # fmt: skip
        self._service = CoreService(
            self.engine, self.catalog, on_commit=self._relay.wake, cutover=self.settings.bilge_cutover,
            clock_skew=timedelta(seconds=self.settings.clock_skew_s),
        )  # fmt: skip
        self.ops.watch_store(engine)
        self.ops.add_refresher(self._measure_outbox)
        await self._relay.start()  # first: what an earlier run committed but did not send leaves now
        await self.start_serving()
        self._monitor = asyncio.create_task(self._watch_deadlines(), name="deadline-monitor")

    async def _measure_outbox(self) -> None:
        assert self.engine is not None
        waiting, oldest = await unsent_outbox(self.engine)
        backlog, age = self.metrics.track_outbox()
        backlog.set(waiting)
        age.set((utc_now() - oldest).total_seconds() if oldest else 0)

    async def _watch_deadlines(self) -> None:
        """V2: the scheduled job. Each run reports what is due once; a failed run is retried next time."""
        while True:
            try:
                today = utc_now().astimezone(TURKEY).date()
                await self.service.check_deadlines(today, self.settings.deadline_warn_days)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deadline check failed; it runs again in %ss", self.settings.deadline_check_s)
            await asyncio.sleep(self.settings.deadline_check_s)

    async def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        await self.stop_serving()
        if self._relay is not None:
            await self._relay.stop()
        if self.engine is not None:
            await self.engine.dispose()
