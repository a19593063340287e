"""The processes under measurement, each an OS process of its own, and their clean-up.

A core or a pipe run in the benchmark's own interpreter would share its one CPU-bound thread with the
load generator; as separate processes they get a core of the machine each, as in production. Every
child runs in a session of its own (Ctrl-C reaches the benchmark only, which stops them in order), asks
the kernel to end it when the benchmark dies (`die_with_parent`), and is recorded by pid in the run
directory, so that a later run can sweep what a SIGKILLed one left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from hub.contract.topics import PROJECT_ROOT

_PR_SET_PDEATHSIG = 1
MARKER = "bench.pipeline."  # in the command line of every child: how a sweep recognises them


class ChildFailed(RuntimeError):
    pass


def die_with_parent(parent: int) -> None:
    """In a child: SIGTERM when the benchmark process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class Child:
    """`python -m <module> <args>`, its output in `log`, ready once it has written `ready_file`."""

    def __init__(self, name: str, module: str, args: Sequence[str], run_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log = run_dir / f"{name}.log"
        self.ready_file = run_dir / f"{name}.ready"
        self.ready_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", module, *args, "--ready-file", str(self.ready_file), "--parent", str(os.getpid())]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (run_dir / f"{name}.pid").write_text(f"{self.proc.pid}\n")

    async def ready(self, wait_s: float = 120) -> None:
        deadline = time.monotonic() + wait_s
        while not self.ready_file.exists():
            if self.proc.poll() is not None:
                raise ChildFailed(f"{self.name} exited with code {self.proc.returncode}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ChildFailed(f"{self.name} not ready after {wait_s:.0f}s\n{self.tail()}")
            await asyncio.sleep(0.1)

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise ChildFailed(f"{self.name} died with code {self.proc.returncode}\n{self.tail()}")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, wait for its clean stop, SIGKILL after `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_bytes()[-32 * 1024 :].decode("utf-8", "replace")
        except OSError:
            return ""
        return f"--- last lines of {self.log} ---\n" + "\n".join(text.splitlines()[-lines:])


class Children:
    """Every child of one case; `stop_all` (in reverse order of start) also runs on errors and Ctrl-C."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._children: list[Child] = []

    def start(self, name: str, module: str, args: Sequence[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, module, args, self.run_dir, env or {})
        self._children.append(child)
        return child

    def check(self) -> None:
        for child in self._children:
            child.check()

    def tails(self) -> list[str]:
        return [child.tail() for child in self._children]

    def stop_all(self) -> None:
        while self._children:
            self._children.pop().stop()

    async def __aenter__(self) -> Children:
        return self

    async def __aexit__(self, *_: object) -> None:
        # Stopping is blocking and short; a Ctrl-C must not leave a child half-stopped.
        self.stop_all()


def sweep_children(run_dir: Path) -> None:
    """Kill the children a dead run recorded in `run_dir` (`*.pid`), if they are still ours and alive."""
    for pid_file in run_dir.glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            if MARKER in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace"):
                os.kill(pid, signal.SIGKILL)
