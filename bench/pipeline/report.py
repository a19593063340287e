"""The printed comparison: every figure's median and its individual runs, the ratios, the targets.

Ratios are taken within each run (hub and raw pipe measured side by side), then their median.
The targets are those of issue 11; the benchmark prints whether each is met, it never asserts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.pipeline.cases import Figures, fmt_ms


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    shown: Callable[[float], str]


def rate(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}/s"


def count(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}"


def ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def add_ratios(figures: Figures) -> None:
    def share(top: str, bottom: str) -> float:
        a, b = figures.get(top, math.nan), figures.get(bottom, math.nan)
        return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan

    figures["ratio.hub_raw"] = share("hub.distinct", "raw.batch")
    figures["ratio.hot"] = share("hub.hot", "hub.distinct")
    figures["ratio.pg"] = share("pg.2", "pg.1")


def rows(rates: Sequence[int]) -> list[Row]:
    out = [
        Row("raw.batch", "raw aiokafka pipe, commit per batch", rate),
        Row("raw.single", "raw aiokafka pipe, one record and one commit at a time", rate),
        Row("hub.distinct", "hub SQLite, distinct carnets (lodge/accept/inspect)", rate),
        Row("hot.seed", "  seeding the hot carnet through the hub (lodgings)", rate),
        Row("hub.hot", "hub SQLite, one hot carnet after its history", rate),
    ]
    for r in rates:
        out += [
            Row(f"open.{r}.achieved", f"open loop {r}/s: rate sent", rate),
            Row(f"open.{r}.p50", f"open loop {r}/s: p50", fmt_ms),
            Row(f"open.{r}.p95", f"open loop {r}/s: p95", fmt_ms),
            Row(f"open.{r}.p99", f"open loop {r}/s: p99", fmt_ms),
            Row(f"open.{r}.unanswered", f"open loop {r}/s: unanswered at the end", count),
        ]
    out += [
        Row("pg.1", "hub PostgreSQL, one core process", rate),
        Row("pg.2", "hub PostgreSQL, two core processes in one group", rate),
        Row("ratio.hub_raw", "ratio hub SQLite / raw pipe", ratio),
        Row("ratio.hot", "ratio hot carnet / distinct carnets", ratio),
        Row("ratio.pg", "ratio two PostgreSQL cores / one", ratio),
    ]
    return out


def median(values: Sequence[float]) -> float:
    present = [v for v in values if not math.isnan(v)]
    return statistics.median(present) if present else math.nan


def table(runs: Sequence[Figures], rates: Sequence[int]) -> str:
    heads = ["figure", "median", *(f"run {i}" for i in range(1, len(runs) + 1))]
    body: list[list[str]] = []
    for row in rows(rates):
        values = [run.get(row.key, math.nan) for run in runs]
        if all(math.isnan(v) for v in values):
            continue  # a case that was not run (--skip)
        body.append([row.label, row.shown(median(values)), *(row.shown(v) for v in values)])
    widths = [max(len(line[i]) for line in [heads, *body]) for i in range(len(heads))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(heads), rule, *(line(b) for b in body)])


def refusals(runs: Sequence[Figures]) -> str:
    cases = sorted({k.removesuffix(".refusals") for run in runs for k in run if k.endswith(".refusals")})
    hub_cases = [c for c in cases if not c.startswith("raw.")]
    total = sum(int(run.get(f"{c}.refusals", 0)) for run in runs for c in hub_cases)
    lost = sum(int(run.get(f"{c}.unanswered", 0)) for run in runs for c in hub_cases if not c.startswith("open."))
    verdict = "every outcome a success event" if total == 0 else "NOT every outcome a success event"
    failed = sorted({k.removeprefix("failed.") for run in runs for k in run if k.startswith("failed.")})
    if failed:
        verdict += f"; FAILED and left out in some run: {', '.join(failed)}"
    cut = " (cut by --limit or --stall: those cases' rate is what was answered over the time)" if lost else ""
    return (
        f"hub outcomes: {total} refusal(s) in all runs ({verdict}); "
        f"{lost} command(s) of the closed-loop cases without an outcome{cut}"
    )


def targets(runs: Sequence[Figures]) -> list[str]:
    m = {key: median([run.get(key, math.nan) for run in runs]) for key in {k for run in runs for k in run}}

    def verdict(ok: bool | None) -> str:
        return "n/a    " if ok is None else ("met    " if ok else "NOT met")

    def check(keys: Sequence[str], test: Callable[..., bool]) -> bool | None:
        values = [m.get(k, math.nan) for k in keys]
        return None if any(math.isnan(v) for v in values) else test(*values)

    p99 = m.get("open.300.p99", math.nan)
    return [
        f"{verdict(check(['hub.distinct'], lambda v: v >= 1000))}  hub on SQLite ≥ 1,000 commands/s: "
        f"{rate(m.get('hub.distinct', math.nan))}",
        f"{verdict(check(['ratio.hub_raw'], lambda v: v >= 0.25))}  hub ≥ 0.25 of the raw pipe beside it: "
        f"{ratio(m.get('ratio.hub_raw', math.nan))}",
        f"{verdict(check(['open.300.p99'], lambda v: v <= 100))}  p99 ≤ 100 ms at 300 commands/s open loop: "
        f"{fmt_ms(p99)}",
        f"{verdict(check(['ratio.hot'], lambda v: v >= 0.5))}  hot carnet ≥ 0.5 of distinct carnets: "
        f"{ratio(m.get('ratio.hot', math.nan))}",
        f"{verdict(check(['pg.1', 'pg.2'], lambda one, two: two > one))}  two PostgreSQL cores faster than one: "
        f"{rate(m.get('pg.2', math.nan))} vs {rate(m.get('pg.1', math.nan))}",
    ]
