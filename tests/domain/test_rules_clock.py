"""V1 on the hub's clock: a command is judged at its receipt, and one its sender dates far from that is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hub.domain import rules
from hub.domain.rules import DEFAULT_CLOCK_SKEW, clock_at_receipt, dated_beyond_skew
from tests.domain.builders import carnet_data, lodge

RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_v1_a_command_dated_within_the_skew_is_judged_at_its_receipt() -> None:
    # rule: V1
    for drift in (timedelta(0), DEFAULT_CLOCK_SKEW, -DEFAULT_CLOCK_SKEW, timedelta(seconds=-3)):
        assert dated_beyond_skew(RECEIVED + drift, RECEIVED, DEFAULT_CLOCK_SKEW) is None


def test_v1_a_back_dated_command_is_refused_naming_the_skew() -> None:
    # rule: V1 (a 5800 dated ten days back, on a carnet that expired two days before the hub received it)
    refused = dated_beyond_skew(RECEIVED - timedelta(days=10), RECEIVED, DEFAULT_CLOCK_SKEW)
    assert refused is not None and refused.rule == "V1"
    assert "10 d before the hub received it" in refused.reason and "5 min" in refused.reason


def test_v1_a_command_dated_in_the_future_is_refused_too() -> None:
    # rule: V1
    refused = dated_beyond_skew(RECEIVED + timedelta(minutes=6), RECEIVED, DEFAULT_CLOCK_SKEW)
    assert refused is not None and refused.rule == "V1" and "6 min after" in refused.reason


def test_v1_the_day_is_the_day_in_turkiye_at_the_receipt() -> None:
    # rule: V1 (22:30 UTC on 1 March is already 2 March in Türkiye: a carnet valid until 1 March has expired)
    received = datetime(2027, 3, 1, 22, 30, tzinfo=UTC)
    clock = clock_at_receipt(received)
    assert clock.today == date(2027, 3, 2) and clock.now == received
    outcome = rules.decide(None, lodge(carnet=carnet_data(valid_until=date(2027, 3, 1))), clock)
    assert isinstance(outcome, rules.Refused) and outcome.rule == "V1"
