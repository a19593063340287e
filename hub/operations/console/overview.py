"""One process as the console shows it, from its recent samples (pure: no I/O).

The words are for an operator: ``Ready``, ``Not ready: TOBB: no answer since 19:20:01 UTC; circuit
open, next trial in 12s``, ``Down: no answer from http://127.0.0.1:8782 (ConnectError ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from hub.operations.console.figures import Rates, Sample, utc, window

# The windows of the rates: name shown -> seconds.
WINDOWS: Final = {"1m": 60.0, "5m": 300.0}
DEGRADED_MARK: Final = "knowingly degraded"


def _time(sample: Sample | None) -> str | None:
    return sample.taken_at.isoformat() if sample is not None else None


def _clock(iso: str | None) -> str:
    return iso[11:19] + " UTC" if iso else "never"


def _checks(sample: Sample | None) -> list[dict[str, Any]]:
    if sample is None or sample.ready is None:
        return []
    checks = sample.ready.get("checks")
    return [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []


def health_words(latest: Sample | None, last_answered: Sample | None) -> tuple[str, str]:
    """(state, sentence): state is one of ready, degraded, not_ready, down, unknown."""
    if latest is None:
        return "unknown", "Not looked at yet"
    if not latest.answered:
        since = f" (last answer at {_clock(_time(last_answered))})" if last_answered is not None else ""
        return "down", f"Down: {latest.error}{since}"
    if latest.ready is None:
        return "not_ready", f"Not ready: its readiness could not be read ({latest.error})"
    if not latest.ready.get("ready"):
        return "not_ready", f"Not ready: {latest.ready.get('reason', 'no reason given')}"
    degraded = [
        f"{c.get('name')}: {c.get('detail')}" for c in _checks(latest) if DEGRADED_MARK in str(c.get("detail", ""))
    ]
    if degraded:
        return "degraded", "Ready; " + "; ".join(degraded)
    return "ready", "Ready"


def _system(
    name: str, check: Mapping[str, Any] | None, metrics: Sample | None, windows: Mapping[str, Rates | None]
) -> dict[str, Any]:
    extra: Mapping[str, Any] = check.get("extra", {}) if check is not None else {}
    circuit = str(extra.get("circuit") or (metrics.circuits.get(name) if metrics is not None else None) or "unknown")
    last = extra.get("last_answer_at")
    if last is None and metrics is not None and name in metrics.last_answers:
        last = utc(metrics.last_answers[name]).isoformat()
    if check is not None:
        detail = str(check.get("detail", ""))
    else:
        detail = f"circuit {circuit.replace('_', '-')}; last answer at {_clock(last)}"
    counters = metrics.counters if metrics is not None else {}
    return {
        "system": name,
        "ok": check.get("ok") if check is not None else None,
        "circuit": circuit,
        "detail": detail,
        "summary": f"{name}: {detail}",
        "last_answer_at": last,
        "degraded": extra.get("degraded"),
        "calls_total": sum(v for k, v in counters.items() if k[:2] == ("calls", name)),
        "errors_total": sum(v for k, v in counters.items() if k[:2] == ("call_errors", name)),
        "windows": {
            label: (r.systems[name].as_json() if r is not None and name in r.systems else None)
            for label, r in windows.items()
        },
    }


def _systems(
    latest_answer: Sample | None, latest_metrics: Sample | None, windows: Mapping[str, Rates | None]
) -> list[dict[str, Any]]:
    checks = {str(c.get("name")): c for c in _checks(latest_answer) if "circuit" in (c.get("extra") or {})}
    names = set(checks) | set(latest_metrics.circuits if latest_metrics is not None else ())
    return [_system(n, checks.get(n), latest_metrics, windows) for n in sorted(names)]


def process_overview(
    name: str,
    base_url: str | None,
    history: Sequence[Sample],
    *,
    windows: Mapping[str, float] = WINDOWS,
) -> dict[str, Any]:
    """Everything the console shows of one process, as JSON."""
    latest = history[-1] if history else None
    last_answered = next((s for s in reversed(history) if s.answered), None)
    last_metrics = next((s for s in reversed(history) if s.has_metrics), None)
    state, words = health_words(latest, last_answered)
    computed = {label: window(history, seconds) for label, seconds in windows.items()}
    counters = last_metrics.counters if last_metrics is not None else {}
    refused: dict[str, float] = {}
    for key, value in counters.items():
        if key[0] == "refused":
            refused[key[1]] = refused.get(key[1], 0.0) + value
    lag = last_metrics.lag if last_metrics is not None else ()
    up = latest is not None and latest.answered
    ready = latest.ready if latest is not None and latest.ready is not None else None
    live = latest.live if latest is not None else None
    return {
        "name": name,
        "base_url": base_url,
        "state": state,
        "health": words,
        "up": up,
        "error": latest.error if latest is not None else None,
        "live": bool(live.get("live")) if live is not None else None,
        "uptime_s": live.get("uptime_s") if live is not None else None,
        "ready": bool(ready.get("ready")) if ready is not None else None,
        "reason": ready.get("reason") if ready is not None else None,
        "checks": _checks(latest),
        "sampled_at": _time(latest),
        "last_answer_at": _time(last_answered),
        "windows": {label: (r.as_json() if r is not None else None) for label, r in computed.items()},
        "totals": {
            "consumed": sum(v for k, v in counters.items() if k[0] == "consumed"),
            "produced": sum(v for k, v in counters.items() if k[0] == "produced"),
            "dead_lettered": sum(v for k, v in counters.items() if k[0] == "dead_lettered"),
            "handling_errors": sum(v for k, v in counters.items() if k[0] == "handling_errors"),
            "refused": refused,
        },
        "lag": {"total": int(sum(x.lag for x in lag)), "partitions": [x.as_json() for x in lag]},
        "outbox": (
            {"backlog": last_metrics.outbox_backlog, "oldest_unsent_age_s": last_metrics.outbox_oldest_age_s}
            # Only a process with an outbox (the core) reports one.
            if last_metrics is not None and last_metrics.outbox_backlog is not None
            else None
        ),
        # A process that does not answer shows what its systems were when it last did, marked as such.
        "systems": [{**s, "stale": not up} for s in _systems(last_answered, last_metrics, computed)],
    }
