"""A circuit breaker for calls to an external system (TOBB, BİLGE, YKTS).

After ``failure_threshold`` consecutive failed calls the circuit *opens*: calls fail at once for
``open_s`` seconds instead of each waiting out its timeout and retries, which spares both the
partner that is struggling and the hub's consumers. Then it is *half-open*: one call goes through
as a trial; if it succeeds the circuit *closes*, if it fails it opens again for another ``open_s``.

A pure state machine: the clock is given (monotonic seconds), nothing here sleeps or does I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


class CircuitOpen(Exception):
    """The call was not made: the circuit is open (or its one trial is already under way)."""

    def __init__(self, system: str, reason: str, retry_in_s: float) -> None:
        super().__init__(
            f"{system}: calls held back by the circuit breaker ({reason}); next trial in {retry_in_s:.0f}s"
        )
        self.reason = reason
        self.retry_in_s = retry_in_s


class CircuitBreaker:
    def __init__(
        self,
        system: str,
        *,
        failure_threshold: int = 5,
        open_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[CircuitState], None] = lambda state: None,
    ) -> None:
        if failure_threshold < 1 or open_s <= 0:
            raise ValueError("failure_threshold must be at least 1 and open_s positive")
        self.system = system
        self._threshold = failure_threshold
        self._open_s = open_s
        self._clock = clock
        self._on_change = on_change
        self._opened_at: float | None = None
        self._trial_running = False
        self.consecutive_failures = 0
        self.last_failure: str | None = None
        on_change(CircuitState.CLOSED)

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self._open_s:
            return CircuitState.HALF_OPEN  # the next call is the trial
        return CircuitState.OPEN

    def retry_in_s(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._open_s - self._clock())

    def admit(self) -> None:
        """Let a call through, or raise CircuitOpen. In half-open, only one call at a time (the trial)."""
        state = self.state
        if state is CircuitState.CLOSED:
            return
        if state is CircuitState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            self._on_change(CircuitState.HALF_OPEN)
            return
        reason = f"{self.consecutive_failures} consecutive failures, the last: {self.last_failure}"
        raise CircuitOpen(self.system, reason, self.retry_in_s())

    def succeeded(self) -> None:
        """The system answered: the circuit closes, whatever it was."""
        changed = self._opened_at is not None
        self._opened_at = None
        self._trial_running = False
        self.consecutive_failures = 0
        if changed:
            self._on_change(CircuitState.CLOSED)

    def failed(self, reason: str) -> None:
        """No usable answer (timeout, transport error, 5xx, 429)."""
        self.consecutive_failures += 1
        self.last_failure = reason
        trial_failed, self._trial_running = self._trial_running, False
        if trial_failed or (self._opened_at is None and self.consecutive_failures >= self._threshold):
            self._opened_at = self._clock()
            self._on_change(CircuitState.OPEN)

    def abandoned(self) -> None:
        """A call was cancelled before it ended: it proves nothing, and frees the trial."""
        self._trial_running = False
