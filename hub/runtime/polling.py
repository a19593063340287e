"""The loop of a relay (Kafka outbox, GET-APP mail queue): work off a batch, then sleep until woken
or until the next poll; a failed round is logged and tried again after a growing pause.

    class OutboxRelay(Relay):
        async def relay_once(self) -> int: ...   # one round: how many it handled
    relay = OutboxRelay(...); relay.start_relaying(); relay.wake(); await relay.stop_relaying()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def sleep_until_woken(wake: asyncio.Event, timeout_s: float) -> None:
    """Wait for `wake`, at most `timeout_s`. `asyncio.timeout`, not `wait_for`: on Python 3.11
    `wait_for` can swallow a cancellation that arrives as the wait ends."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await wake.wait()


async def keep_relaying(
    relay_once: Callable[[], Awaitable[int]],
    *,
    wake: asyncio.Event,
    batch: int,
    poll_s: float,
    backoff_s: tuple[float, float],
    what: str,
) -> None:
    """Run `relay_once` (returns how many it handled) forever; `wake.set()` ends a sleep at once."""
    first, most = backoff_s
    pause = first
    this = asyncio.current_task()
    while True:
        if this is not None and this.cancelling():
            # Asked to stop, but a library swallowed the CancelledError (on Python 3.11 aiosmtplib's
            # `asyncio.wait_for` does when the cancel lands as its wait ends): stop all the same.
            raise asyncio.CancelledError
        wake.clear()  # before the round: a wake during it is not lost
        try:
            handled = await relay_once()
            pause = first
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; what is queued stays and is tried again in %.1fs", what, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, most)
            continue
        if handled < batch:
            await sleep_until_woken(wake, poll_s)


class Relay(ABC):
    """A relay's life, the same for every relay: one task running `keep_relaying` over `relay_once`,
    woken at once by `wake()` after a commit, stopped by `stop_relaying()`."""

    def __init__(self, *, what: str, batch: int, poll_s: float, backoff_s: tuple[float, float]) -> None:
        self._what = what
        self._batch = batch
        self._poll_s = poll_s
        self._backoff_s = backoff_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def relay_once(self) -> int:
        """One round, up to a batch; returns how many it handled."""

    def wake(self) -> None:
        """Called after a commit, so what it queued leaves at once instead of at the next poll."""
        self._wake.set()

    def start_relaying(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._what.replace(" ", "-"))

    async def stop_relaying(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await keep_relaying(
            self.relay_once,
            wake=self._wake,
            batch=self._batch,
            poll_s=self._poll_s,
            backoff_s=self._backoff_s,
            what=self._what,
        )
