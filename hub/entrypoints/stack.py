"""The whole hub in one process: what `hub run` starts, and what the end-to-end tests start.

Kafka runs in its own JVM (started by the launcher); the TOBB simulator, the core and the TOBB
adapter run here as asyncio tasks and threads, each with its own Kafka clients, exactly as they
would in separate processes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from adapters.tobb.app import TobbAdapterProcess
from adapters.tobb.client import TobbSettings
from adapters.tobb.simulator import DEFAULT_API_KEY, create_app
from hub.config import Settings
from hub.entrypoints.core import CoreProcess
from hub.http_server import BackgroundServer


@dataclass
class Stack:
    settings: Settings
    core: CoreProcess
    tobb_adapter: TobbAdapterProcess
    tobb_simulator: BackgroundServer | None


@contextlib.asynccontextmanager
async def running_stack(settings: Settings, tobb: TobbSettings | None = None) -> AsyncIterator[Stack]:
    """Start TOBB simulator (unless $TOBB_BASE_URL or `tobb` names a real TOBB), core, adapter; stop in reverse."""
    simulator = None
    if tobb is None and os.environ.get("TOBB_BASE_URL"):
        tobb = TobbSettings.from_env()
    if tobb is None:
        # The demo runs on the real calendar: fixture carnets stay as valid (or expired) as written.
        simulator = BackgroundServer(create_app(api_key=DEFAULT_API_KEY, today=date.today())).start()
        tobb = TobbSettings(base_url=simulator.base_url, api_key=DEFAULT_API_KEY)
    stack = Stack(settings, CoreProcess(settings), TobbAdapterProcess(settings, tobb), simulator)
    try:
        await stack.core.start()
        await stack.tobb_adapter.start()
        yield stack
    finally:
        # The stack's current processes: a caller may have replaced one (a restart).
        await stack.tobb_adapter.stop()
        await stack.core.stop()
        if simulator is not None:
            simulator.stop()
