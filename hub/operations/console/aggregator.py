"""The console's sampler: every `sample_s`, each process's ``/health/live``, ``/health/ready`` and
``/metrics``, kept for a while so that counters become rates.

    aggregator = Aggregator(stack.ops_targets, sample_s=2.0)   # process name -> its ops base URL
    task = asyncio.create_task(aggregator.run())                # until cancelled
    aggregator.overview()                                       # what the page shows, as JSON

`targets` is called at every round: a process that moved (restarted on another port) is watched at its
new address, from a fresh history (its counters started again). Each target is sampled on its own,
so one that is slow or gone never holds back the others, and one that does not answer is shown as
down with why; nothing it does stops the sampler.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

from hub.operations.console.figures import Sample, read_sample
from hub.operations.console.overview import WINDOWS, process_overview

log = logging.getLogger(__name__)


def _describe(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"no answer within {timeout_s:g}s"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class _Target:
    url: str
    kept: deque[Sample] = field(default_factory=deque)  # samples with metrics, one per `keep_every_s`
    latest: Sample | None = None

    def add(self, sample: Sample, keep_every_s: float, history_s: float) -> None:
        if self.latest is not None and sample.at < self.latest.at:
            return  # a slower sample taken before the one already recorded
        self.latest = sample
        if sample.has_metrics and (not self.kept or sample.at - self.kept[-1].at >= keep_every_s):
            self.kept.append(sample)
        while self.kept and self.kept[0].at < sample.at - history_s:
            self.kept.popleft()

    def history(self) -> list[Sample]:
        samples = list(self.kept)
        if self.latest is not None and (not samples or samples[-1] is not self.latest):
            samples.append(self.latest)
        return samples


class Aggregator:
    """Samples the ops endpoints of processes and sums them up for the console."""

    def __init__(
        self,
        targets: Callable[[], dict[str, str]],
        *,
        sample_s: float = 2.0,
        history_s: float = 900.0,
        keep_every_s: float = 5.0,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if sample_s <= 0:
            raise ValueError("sample_s must be positive")
        self._targets = targets
        self.sample_s = sample_s
        self.history_s = history_s
        self.keep_every_s = keep_every_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._wall_clock = wall_clock
        # Not the environment's proxies: the processes are on the operator's own network.
        self._http = httpx.AsyncClient(timeout=timeout_s, trust_env=False, transport=transport)
        self._watched: dict[str, _Target] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}

    # --- targets -------------------------------------------------------------------------------------

    def targets(self) -> dict[str, str]:
        """The processes watched now (name -> ops base URL), as `targets` says; the history of one that
        left is dropped, and so is that of one that moved."""
        try:
            current = {str(name): str(url).rstrip("/") for name, url in self._targets().items()}
        except Exception:
            log.exception("the console could not read its targets; it keeps the last ones")
            return {name: t.url for name, t in self._watched.items()}
        watched: dict[str, _Target] = {}
        for name, url in current.items():
            known = self._watched.get(name)
            watched[name] = known if known is not None and known.url == url else _Target(url)
        self._watched = watched
        return current

    def target_url(self, name: str) -> str | None:
        return self.targets().get(name)

    # --- sampling ------------------------------------------------------------------------------------

    async def _fetch(self, url: str) -> Sample:
        at, taken_at = self._clock(), self._wall_clock()
        errors: list[str] = []
        failures: list[str] = []

        async def get(path: str) -> httpx.Response | None:
            try:
                return await self._http.get(url + path)
            except Exception as exc:
                failures.append(_describe(exc, self.timeout_s))
                errors.append(f"{path}: {failures[-1]}")
                return None

        live_r, ready_r, metrics_r = await asyncio.gather(get("/health/live"), get("/health/ready"), get("/metrics"))
        if len(failures) == 3:
            return Sample(at=at, taken_at=taken_at, error=f"no answer from {url} ({failures[0]})")
        live = _json(live_r, "/health/live", errors)
        ready = _json(ready_r, "/health/ready", errors)
        text = None
        if metrics_r is not None:
            if metrics_r.status_code == 200:
                text = metrics_r.text
            else:
                errors.append(f"/metrics answered HTTP {metrics_r.status_code}")
        try:
            return read_sample(at, taken_at, live, ready, text, "; ".join(errors) or None)
        except ValueError as exc:  # metrics that are not Prometheus text
            errors.append(f"/metrics unreadable: {exc}")
            return read_sample(at, taken_at, live, ready, None, "; ".join(errors))

    async def sample_target(self, name: str) -> None:
        """Sample one target now (after an operator changed something on it, say)."""
        url = self.targets().get(name)
        if url is not None:
            await self._sample_into(name, url)

    async def _sample_into(self, name: str, url: str) -> None:
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                sample = await self._fetch(url)
        except TimeoutError:
            sample = Sample(at=self._clock(), taken_at=self._wall_clock(), error=f"no answer from {url} in time")
        except Exception as exc:  # whatever a target does, the sampler goes on
            log.exception("sampling %s at %s failed", name, url)
            sample = Sample(at=self._clock(), taken_at=self._wall_clock(), error=_describe(exc, self.timeout_s))
        target = self._watched.get(name)
        if target is not None and target.url == url:
            target.add(sample, self.keep_every_s, self.history_s)

    async def sample_once(self) -> None:
        """Sample every target now, and wait for all of them."""
        await asyncio.gather(*(self._sample_into(name, url) for name, url in self.targets().items()))

    async def run(self) -> None:
        """Sample every `sample_s` until cancelled; a target still answering the last round is left to it."""
        try:
            while True:
                for name, url in self.targets().items():
                    if name not in self._inflight:
                        task = asyncio.create_task(self._sample_into(name, url), name=f"console-sample-{name}")
                        self._inflight[name] = task
                        task.add_done_callback(functools.partial(self._finished, name))
                await asyncio.sleep(self.sample_s)
        finally:
            pending = list(self._inflight.values())
            for task in pending:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*pending, return_exceptions=True)

    def _finished(self, name: str, task: asyncio.Task[None]) -> None:
        if self._inflight.get(name) is task:
            del self._inflight[name]

    # --- what the page shows -------------------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        processes = [process_overview(name, t.url, t.history()) for name, t in self._watched.items()]
        attention = [f"{p['name']} ({p['state'].replace('_', ' ')})" for p in processes if p["state"] != "ready"]
        if not processes:
            summary = "No process to watch"
        elif not attention:
            summary = f"All {len(processes)} processes ready"
        else:
            summary = f"{len(attention)} of {len(processes)} processes need a look: {', '.join(attention)}"
        return {
            "generated_at": self._wall_clock().isoformat(),
            "sample_s": self.sample_s,
            "windows": {label: seconds for label, seconds in WINDOWS.items()},
            "summary": summary,
            "processes": processes,
        }

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _json(response: httpx.Response | None, path: str, errors: list[str]) -> dict[str, Any] | None:
    """The JSON object of an answer (a 503 of /health/ready carries one too), or None with why."""
    if response is None:
        return None
    try:
        data = response.json()
    except ValueError:
        errors.append(f"{path} answered HTTP {response.status_code} without JSON")
        return None
    if not isinstance(data, dict):
        errors.append(f"{path} answered something other than a JSON object")
        return None
    return data
