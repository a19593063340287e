"""Hub processes as OS processes of their own (`hub core`, `hub getapp`…), as an operator starts them.

A test that must kill one for real (SIGKILL), or prove that a process runs alone, starts it here: its
output goes to a log file of its own, and it is ready when its /health/ready says so.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from hub.devtools.kafka.launcher import find_project_root
from tests.e2e.helpers import eventually

ROOT = find_project_root()
_OPS = re.compile(r"operations endpoints at (http://[0-9.:]+)")


def hub_command(*args: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One `hub` command run to its end (e.g. `hub db upgrade`), with `env` over the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", *args],
        cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


class HubOs:
    """`hub <args>` as its own OS process, logging (as text) to `<logs>/<name>.log`."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        environment = {**os.environ, "HUB_LOG_FORMAT": "text", **env}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub.entrypoints.cli", *args],
                cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def ready(self, wait_s: float = 60) -> str:
        """Wait until its /health/ready says ready (consuming, its store answering); its ops URL."""

        async def check() -> str | None:
            assert self.process.poll() is None, f"{self.name} died:\n{self.log.read_text()[-3000:]}"
            found = _OPS.search(self.log.read_text(errors="replace"))
            if found is None:
                return None
            async with httpx.AsyncClient() as http:
                ready = (await http.get(f"{found.group(1)}/health/ready")).status_code == 200
            return found.group(1) if ready else None

        url: str = await eventually(check, wait_s=wait_s, every_s=0.3)
        return url

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
