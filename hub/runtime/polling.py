"""The loop of a relay (Kafka outbox, GET-APP mail queue): work off a batch, then sleep until woken
or until the next poll; a failed round is logged and tried again after a growing pause."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
