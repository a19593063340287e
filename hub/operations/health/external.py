"""What an adapter knows about the health of its external system: its circuit breaker, when it last
answered, and whether an operator has declared it knowingly degraded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.operations.health.breaker import CircuitBreaker, CircuitState


@dataclass(frozen=True)
class Degraded:
    reason: str
    by: str
    since: datetime


@dataclass(frozen=True)
class SystemStatus:
    system: str
    ok: bool
    detail: str
    circuit: CircuitState
    last_answer_at: datetime | None
    degraded: Degraded | None

    def as_json(self) -> dict[str, object]:
        return {
            "system": self.system,
            "circuit": self.circuit.value,
            "last_answer_at": self.last_answer_at.isoformat() if self.last_answer_at else None,
            "degraded": None
            if self.degraded is None
            else {"reason": self.degraded.reason, "by": self.degraded.by, "since": self.degraded.since.isoformat()},
        }


class ExternalSystemHealth:
    """Fed by every call the client makes (and by the prober when nothing else calls)."""

    def __init__(
        self,
        breaker: CircuitBreaker,
        *,
        fresh_s: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.breaker = breaker
        self.system = breaker.system
        self.fresh_s = fresh_s  # an answer older than this no longer says the system is up
        self._clock = clock
        self._wall_clock = wall_clock
        self._answered_at: float | None = None
        self.last_answer_at: datetime | None = None
        self.degraded: Degraded | None = None

    def answered(self) -> None:
        self._answered_at = self._clock()
        self.last_answer_at = self._wall_clock()

    def answered_within(self, seconds: float) -> bool:
        return self._answered_at is not None and self._clock() - self._answered_at <= seconds

    def declare_degraded(self, reason: str, by: str) -> None:
        """An operator knows the system is failing and accepts it: the process stays ready meanwhile
        (requests are still answered, as unavailable, and nothing piles up unseen)."""
        self.degraded = Degraded(reason, by, self._wall_clock())

    def clear_degraded(self) -> None:
        self.degraded = None

    def status(self) -> SystemStatus:
        state = self.breaker.state
        when = self.last_answer_at.strftime("%H:%M:%S UTC") if self.last_answer_at else None
        if state is CircuitState.CLOSED and self.answered_within(self.fresh_s):
            ok, detail = True, f"answered at {when} (circuit closed)"
        else:
            since = f"no answer since {when}" if when else "no answer yet"
            circuit = {
                CircuitState.CLOSED: "circuit closed",
                CircuitState.HALF_OPEN: "circuit half-open, a trial call is due",
                CircuitState.OPEN: f"circuit open, next trial in {self.breaker.retry_in_s():.0f}s",
            }[state]
            failures = self.breaker.consecutive_failures
            detail = f"{since}; {circuit}" + (
                f"; {failures} failures in a row, the last: {self.breaker.last_failure}" if failures else ""
            )
            ok = False
        if self.degraded is not None and not ok:
            ok = True
            detail = f"knowingly degraded ({self.degraded.reason}, by {self.degraded.by}); {detail}"
        return SystemStatus(self.system, ok, detail, state, self.last_answer_at, self.degraded)
