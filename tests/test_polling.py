"""The relays (Kafka outbox, GET-APP mail) stop when asked, whatever a library does with the cancel."""

from __future__ import annotations

import asyncio

import pytest

from hub.runtime.polling import keep_relaying


async def test_a_relay_stops_even_when_a_library_swallowed_its_cancellation() -> None:
    # On Python 3.11 aiosmtplib's asyncio.wait_for swallows a cancel that lands as its wait ends:
    # the mail relay then ran on and its stop() never returned (it hung the suite once).
    rounds = 0
    in_round = asyncio.Event()

    async def relay_once() -> int:
        nonlocal rounds
        rounds += 1
        in_round.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # swallowed, as such a library does
        return 0

    relay = asyncio.create_task(
        keep_relaying(relay_once, wake=asyncio.Event(), batch=20, poll_s=0.01, backoff_s=(0.01, 0.01), what="test")
    )
    await in_round.wait()
    relay.cancel()
    done, _ = await asyncio.wait({relay}, timeout=5)  # waits without cancelling it once more
    try:
        assert relay in done, "asked to stop, the relay ran on"
        assert relay.cancelled() and rounds == 1  # no round started after the stop
    finally:
        relay.cancel()  # when it ran on: once more, so the test ends


async def test_a_wake_ends_the_sleep_at_once_and_a_failed_round_is_tried_again() -> None:
    wake = asyncio.Event()
    rounds = 0
    retried, woken = asyncio.Event(), asyncio.Event()

    async def relay_once() -> int:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("broker away")  # logged, tried again after the pause
        (retried if rounds == 2 else woken).set()
        return 0

    relay = asyncio.create_task(
        keep_relaying(relay_once, wake=wake, batch=20, poll_s=3600, backoff_s=(0.01, 0.01), what="test")
    )
    try:
        async with asyncio.timeout(5):
            await retried.wait()
        wake.set()  # without it, the next round would be an hour away
        async with asyncio.timeout(5):
            await woken.wait()
    finally:
        relay.cancel()
        with pytest.raises(asyncio.CancelledError):
            await relay
