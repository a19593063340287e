"""Runs of `hub reconcile bilge` kept in the store (reconciliation_runs), newest first, for the console.

The store is a SQLite file in tmp, or the PostgreSQL database named by HUB_STORE_TEST_DATABASE_URL
(its hub tables dropped and created again for each test), seeded as test_reconcile.py seeds it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from hub.entrypoints.cli_reconcile import reconcile_app
from hub.store.carnets import CarnetRepository
from hub.store.engine import create_engine, create_schema
from hub.store.reconciliations import ReconciliationRun, recent_reconciliations, record_reconciliation
from tests.bilge_reconcile.test_reconcile import BILLION_LAUGHS, C1, E1, EXPORT_RECORDS, HUB, T1, dusum, export
from tests.store_fixture import StoreKind

EXPECTED_COUNTS = {
    "OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE": 2,
    "DRAWDOWN_MISSING_IN_HUB": 5,
    "QUANTITY_MISMATCH": 1,
    "LEGACY_NEVER_REFERENCED": 1,
    "POST_CUTOVER_ANOMALY": 2,
}
NO_FINDINGS = dict.fromkeys(EXPECTED_COUNTS, 0)


@dataclass(frozen=True)
class Store:
    url: str
    engine: AsyncEngine


@pytest.fixture
async def store(stores: StoreKind) -> AsyncIterator[Store]:
    url = stores.new_url()
    engine = create_engine(url)
    await create_schema(engine)
    async with engine.begin() as conn:
        repo = CarnetRepository(conn)
        for c in HUB:
            await repo.save(c)
    yield Store(url, engine)
    await engine.dispose()


def reconcile_cli(store: Store, source: Path, out: Path, *extra: str) -> Result:
    args = ["bilge", str(source), "--out", str(out), "--cutover", "2021-06-02", "--database-url", store.url, *extra]
    return CliRunner().invoke(reconcile_app, args)


def report_counts(run: ReconciliationRun) -> dict[str, int]:
    counts: dict[str, int] = json.loads(Path(run.reports[0]).read_text(encoding="utf-8"))["summary"]["counts"]
    return counts


async def test_the_command_keeps_each_run_newest_first(store: Store, tmp_path: Path) -> None:
    disagreeing = tmp_path / "export.xml"
    disagreeing.write_bytes(export(*EXPORT_RECORDS))
    result = await asyncio.to_thread(reconcile_cli, store, disagreeing, tmp_path / "first")
    assert result.exit_code == 0, result.output

    [first] = await recent_reconciliations(store.engine)
    assert first.counts == EXPECTED_COUNTS
    assert (first.records_read, first.findings, first.corrections) == (17, 11, 3)
    assert first.source == str(disagreeing.resolve())
    assert first.summary == (tmp_path / "first" / "summary.txt").read_text(encoding="utf-8").rstrip("\n")
    assert [Path(p).name for p in first.reports] == ["report.json", "summary.txt"]
    assert report_counts(first) == first.counts  # the run names the reports it wrote
    assert datetime.now(UTC) - first.finished_at < timedelta(minutes=5)

    agreeing = tmp_path / "agreeing.xml"  # BİLGE and the hub agree on E1: nothing to report
    agreeing.write_bytes(export(dusum(T1, 1, E1, C1, 1, 2), dusum(T1, 2, E1, C1, 2, 5)))
    result = await asyncio.to_thread(reconcile_cli, store, agreeing, tmp_path / "second", "--format", "csv")
    assert result.exit_code == 0, result.output

    second, again_first = await recent_reconciliations(store.engine)
    assert again_first == first
    assert second.finished_at >= first.finished_at
    assert (second.source, second.counts, second.findings, second.corrections) == (
        str(agreeing.resolve()),
        NO_FINDINGS,
        0,
        0,
    )
    assert [Path(p).name for p in second.reports] == ["report.csv", "summary.txt"]
    assert await recent_reconciliations(store.engine, limit=1) == [second]


async def test_a_refused_export_leaves_no_run(store: Store, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(BILLION_LAUGHS)
    result = await asyncio.to_thread(reconcile_cli, store, hostile, tmp_path / "out")
    assert result.exit_code == 2
    assert await recent_reconciliations(store.engine) == []


async def test_runs_ordered_by_when_they_finished_and_shown_as_json(store: Store) -> None:
    at = datetime(2025, 1, 10, 6, 0, tzinfo=UTC)
    figures = {"records_read": 1_200, "counts": {"DRAWDOWN_MISSING_IN_HUB": 3, "QUANTITY_MISMATCH": 1}}
    # recorded out of order: the console shows the last one to finish first, whatever was written last
    await record_reconciliation(store.engine, {**figures, "corrections": 2}, "late.xml", ["late.json"], at)
    await record_reconciliation(
        store.engine, {"summary": {**figures, "corrections": 0}}, "early.xml", [Path("early.json")], at - timedelta(1)
    )
    await record_reconciliation(
        store.engine,
        {**figures, "corrections": 1},
        "https://reconciler:s3cret@bilge.example/disa-aktarim?gun=2025-01-10",
        ["url.json"],
        at + timedelta(hours=3),
    )
    runs = await recent_reconciliations(store.engine)
    assert [r.source for r in runs] == [
        "https://reconciler:***@bilge.example/disa-aktarim?gun=2025-01-10",  # the password is not kept
        "late.xml",
        "early.xml",
    ]
    assert [r.finished_at for r in runs] == [at + timedelta(hours=3), at, at - timedelta(1)]
    assert all(r.finished_at.tzinfo is not None for r in runs)
    assert [(r.findings, r.corrections) for r in runs] == [(4, 1), (4, 2), (4, 0)]
    assert runs[1].summary == "1,200 records, 4 findings, 2 corrective commands"

    shown = json.loads(json.dumps([r.as_json() for r in runs]))  # what the console serves
    assert shown[1] == {
        "id": runs[1].id,
        "finished_at": "2025-01-10T06:00:00+00:00",
        "source": "late.xml",
        "records_read": 1_200,
        "findings": 4,
        "corrections": 2,
        "counts": {"DRAWDOWN_MISSING_IN_HUB": 3, "QUANTITY_MISMATCH": 1},
        "summary": "1,200 records, 4 findings, 2 corrective commands",
        "reports": ["late.json"],
    }
    assert await recent_reconciliations(store.engine, limit=2) == runs[:2]
