"""The hub's clock (V1): a command is judged at the time the hub received it, not at a time its sender chose.

Whoever writes an envelope writes its `occurred_at`; were the rules to judge a command at that time,
a 5800 dated ten days back would pass V1 on a carnet that expired two days ago. So the core judges
every command at its receipt, the broker's append time (hub/runtime/kafka/receipt.py), on the calendar of
Türkiye, and refuses a command whose sender dates it further from that than a bounded skew: clocks
of honest senders differ by seconds, and a command waits at most a moment between its sender and
the broker. The skew is configurable (HUB_CLOCK_SKEW_S); docs/decisions.md says why 5 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.domain.rules.base import Clock, Refused

TURKEY = ZoneInfo("Europe/Istanbul")
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


def clock_at_receipt(received_at: datetime) -> Clock:
    """V1: the time a command is judged at, and the day in Türkiye at that time."""
    return Clock(now=received_at, today=received_at.astimezone(TURKEY).date())


def dated_beyond_skew(occurred_at: datetime, received_at: datetime, skew: timedelta) -> Refused | None:
    """V1: a command its sender dates more than `skew` before or after its receipt is refused."""
    drift = occurred_at - received_at
    if abs(drift) <= skew:
        return None
    side = "before" if drift < timedelta(0) else "after"
    return Refused(
        "V1",
        f"issued at {occurred_at.isoformat()}, {_span(abs(drift))} {side} the hub received it at "
        f"{received_at.isoformat()}: more than the {_span(skew)} a sender's clock may differ by; "
        "the hub judges a command at its own time",
    )


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")) if n]
    return " ".join(parts) or "0 s"
