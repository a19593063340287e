"""One hub core in a process of its own, through its public process class only.

    HUB_KAFKA_BOOTSTRAP=… HUB_DATABASE_URL=… python -m bench.pipeline.core_runner --ready-file F --parent PID

Settings come from the environment (`Settings.from_env`, as for `hub core`); it logs as `hub core` does
(JSON on stderr, which the benchmark keeps in a file), writes `F` once `start()` has returned, and
`stop()`s on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from bench.pipeline.children import die_with_parent
from hub.configuration.settings import Settings
from hub.entrypoints.processes.core import CoreProcess
from hub.operations.logs import configure as configure_logging


async def serve(ready_file: Path) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    core = CoreProcess(Settings.from_env(), ops_port=0)
    await core.start()
    try:
        await asyncio.to_thread(ready_file.write_text, "started\n")
        await stopping.wait()
    finally:
        await core.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args()
    die_with_parent(args.parent)
    configure_logging(None, service="hub-core")
    asyncio.run(serve(args.ready_file))


if __name__ == "__main__":
    main()
