"""Runs of ``hub reconcile bilge`` kept in the store, for the operator console.

    await record_reconciliation(engine, report, source="bilge-export.xml", written=paths, finished_at=now)
    for run in await recent_reconciliations(engine):  # newest first
        print(run.finished_at, run.findings, run.counts)

A run is what an operator needs to see that reconciliation is done and what it found, without the
report itself: when it finished, what it read, how many findings of each kind, how many corrective
commands were proposed, the summary printed, and where the reports were written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.tables import reconciliation_runs

__all__ = ["ReconciliationReport", "ReconciliationRun", "recent_reconciliations", "record_reconciliation"]


@runtime_checkable
class ReconciliationReport(Protocol):
    """What a reconciliation's report offers (adapters.bilge.reconciliation.Report is one)."""

    def to_dict(self) -> dict[str, Any]: ...
    def summary(self) -> str: ...


@dataclass(frozen=True)
class ReconciliationRun:
    id: int
    finished_at: datetime
    source: str
    records_read: int
    findings: int
    corrections: int
    counts: dict[str, int]  # finding kind -> number
    summary: str
    reports: tuple[str, ...]  # the paths written

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "finished_at": self.finished_at.isoformat(),
            "source": self.source,
            "records_read": self.records_read,
            "findings": self.findings,
            "corrections": self.corrections,
            "counts": dict(self.counts),
            "summary": self.summary,
            "reports": list(self.reports),
        }


async def record_reconciliation(
    engine: AsyncEngine,
    report: ReconciliationReport | Mapping[str, Any],
    source: str,
    written: Sequence[Path | str],
    finished_at: datetime,
) -> None:
    """Keep one run: ``report`` is the report, or its ``to_dict()``, or that dict's ``"summary"``.

    The table must exist (:func:`hub.store.engine.create_schema`). A password in a URL ``source`` is
    not kept.
    """
    if isinstance(report, ReconciliationReport):
        figures = report.to_dict()["summary"]
        text = report.summary()
    else:
        figures = report.get("summary", report)
        text = ""
    counts = {str(kind): int(n) for kind, n in figures["counts"].items()}
    corrections = int(figures.get("corrections", 0))
    if not text:
        text = (
            f"{figures['records_read']:,} records, {sum(counts.values()):,} findings, {corrections:,} corrective "
            "commands"
        )
    async with engine.begin() as conn:
        await conn.execute(
            insert(reconciliation_runs).values(
                finished_at=finished_at,
                source=_without_password(source),
                records_read=int(figures["records_read"]),
                findings=sum(counts.values()),
                corrections=corrections,
                counts=json.dumps(counts, ensure_ascii=False),
                summary=text,
                reports=json.dumps([str(p) for p in written], ensure_ascii=False),
            )
        )


async def recent_reconciliations(engine: AsyncEngine, limit: int = 10) -> list[ReconciliationRun]:
    """The last ``limit`` runs, newest first."""
    t = reconciliation_runs
    async with engine.connect() as conn:
        rows = await conn.execute(select(t).order_by(t.c.finished_at.desc(), t.c.id.desc()).limit(max(0, limit)))
        return [
            ReconciliationRun(
                id=row.id,
                finished_at=row.finished_at,
                source=row.source,
                records_read=row.records_read,
                findings=row.findings,
                corrections=row.corrections,
                counts={str(k): int(v) for k, v in json.loads(row.counts).items()},
                summary=row.summary,
                reports=tuple(str(p) for p in json.loads(row.reports)),
            )
            for row in rows
        ]


def _without_password(source: str) -> str:
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or parts.password is None:
        return source
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
