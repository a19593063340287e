"""The circuit breaker in front of TOBB, BİLGE and YKTS, on a clock the test moves."""

from __future__ import annotations

import pytest

from hub.operations.health.breaker import CircuitBreaker, CircuitOpen, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker(clock: Clock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker("TOBB", failure_threshold=threshold, open_s=30.0, clock=clock)


def _state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # read afresh: the state moves with the clock and the calls


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.admit()
        breaker.failed("transport error: ConnectError")


def test_opens_after_the_threshold_of_consecutive_failures_and_holds_calls_back() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    _fail(breaker, 2)
    assert _state(breaker) is CircuitState.CLOSED
    _fail(breaker, 1)
    assert _state(breaker) is CircuitState.OPEN
    clock.now += 10
    with pytest.raises(CircuitOpen) as held:
        breaker.admit()
    assert held.value.retry_in_s == pytest.approx(20.0)
    assert "3 consecutive failures" in str(held.value) and "ConnectError" in str(held.value)


def test_an_answer_between_failures_keeps_the_circuit_closed() -> None:
    breaker = _breaker(Clock())
    _fail(breaker, 2)
    breaker.admit()
    breaker.succeeded()
    _fail(breaker, 2)
    assert _state(breaker) is CircuitState.CLOSED


def test_half_open_lets_one_trial_through_and_its_answer_closes_the_circuit() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    _fail(breaker, 3)
    clock.now += 30
    assert _state(breaker) is CircuitState.HALF_OPEN
    breaker.admit()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.admit()  # a second caller waits for the trial's outcome
    breaker.succeeded()
    assert _state(breaker) is CircuitState.CLOSED
    breaker.admit()


def test_a_failed_trial_opens_the_circuit_for_another_period() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    _fail(breaker, 3)
    clock.now += 31
    _fail(breaker, 1)
    assert _state(breaker) is CircuitState.OPEN
    assert breaker.retry_in_s() == pytest.approx(30.0)


def test_a_cancelled_trial_frees_the_way_for_the_next() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    _fail(breaker, 3)
    clock.now += 30
    breaker.admit()
    breaker.abandoned()
    breaker.admit()  # not held back by a trial that will never report


def test_state_changes_are_reported() -> None:
    clock = Clock()
    seen: list[CircuitState] = []
    breaker = CircuitBreaker("YKTS", failure_threshold=1, open_s=5.0, clock=clock, on_change=seen.append)
    _fail(breaker, 1)
    clock.now += 5
    breaker.admit()
    breaker.succeeded()
    assert seen == [CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED]
