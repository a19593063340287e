"""Running a reconciliation: the hub's snapshot, BİLGE's export streamed through the comparison, a report.

    report = await reconcile(Path("bilge-export.xml"), engine, cutover=settings.bilge_cutover)
    report = await reconcile_url("https://bilge.example/disa-aktarim", engine, cutover=...)

The snapshot is read before a byte of the export (:mod:`hub.store.reconciliation_snapshot`); the
export is parsed chunk by chunk (:class:`adapters.bilge.export.ExportReader`) and each chunk's records
are compared and dropped; at the end the candidate corrections' message ids are looked up in the
hub's ``processed_messages``, in batches.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import BinaryIO, Final

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bilge.export import ExportReader
from adapters.bilge.reconciliation.comparison import Comparison
from adapters.bilge.reconciliation.report import Report
from hub.domain.bilge import ATA_REGIMES_IN_BILGE
from hub.store.reconciliation_snapshot import processed_among, read_snapshot

__all__ = [
    "CHUNK_SIZE",
    "PROGRESS_EVERY",
    "Progress",
    "print_progress",
    "reconcile",
    "reconcile_chunks",
    "reconcile_url",
]

CHUNK_SIZE: Final = 1 << 20
PROGRESS_EVERY: Final = 100_000

Progress = Callable[[int], None]


async def _file_chunks(f: BinaryIO, size: int) -> AsyncIterator[bytes]:
    while chunk := f.read(size):
        yield chunk


async def reconcile(
    source: BinaryIO | Path,
    engine: AsyncEngine,
    *,
    cutover: date,
    progress: Progress | None = None,
    progress_every: int = PROGRESS_EVERY,
    chunk_size: int = CHUNK_SIZE,
) -> Report:
    """Compare a BİLGE bulk export (a file, or any binary stream) with the hub's store.

    ``progress`` is called with the number of records read, each time ``progress_every`` more have
    been read (checked after each chunk), and once at the end. Raises
    :class:`hub.runtime.xmlsafe.XmlRejected` for a malformed, hostile or schema-invalid export.
    """
    if isinstance(source, Path):
        with source.open("rb") as f:
            return await reconcile_chunks(
                _file_chunks(f, chunk_size), engine, cutover=cutover, progress=progress, progress_every=progress_every
            )
    return await reconcile_chunks(
        _file_chunks(source, chunk_size), engine, cutover=cutover, progress=progress, progress_every=progress_every
    )


async def reconcile_url(
    url: str,
    engine: AsyncEngine,
    *,
    cutover: date,
    progress: Progress | None = None,
    progress_every: int = PROGRESS_EVERY,
    http: httpx.AsyncClient | None = None,
    headers: dict[str, str] | None = None,
) -> Report:
    """The same, streaming the export from BİLGE's export endpoint as it arrives (HTTP GET)."""
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=False)
    try:
        async with client.stream("GET", url, headers=headers) as response:
            response.raise_for_status()
            return await reconcile_chunks(
                response.aiter_bytes(CHUNK_SIZE),
                engine,
                cutover=cutover,
                progress=progress,
                progress_every=progress_every,
            )
    finally:
        if http is None:
            await client.aclose()


async def reconcile_chunks(
    chunks: AsyncIterator[bytes],
    engine: AsyncEngine,
    *,
    cutover: date,
    progress: Progress | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> Report:
    """The reconciliation over any async source of bytes."""
    started = time.perf_counter()
    hub = await read_snapshot(engine)
    hub_loaded = time.perf_counter()
    hub_entries = len(hub.entries)
    comparison = Comparison(hub, cutover)
    del hub  # the comparison holds its own copy of the entries: one copy in memory while the export streams
    reader = ExportReader(lines_of=ATA_REGIMES_IN_BILGE)  # other declarations' lines are never compared
    step = max(1, progress_every)
    next_report = step
    last_reported = -1
    async for chunk in chunks:
        comparison.feed(reader.feed(chunk))
        read = comparison.records
        if progress is not None and read >= next_report:
            progress(read)
            last_reported = read
            next_report = (read // step + 1) * step
        await asyncio.sleep(0)  # let the loop breathe between chunks
    comparison.feed(reader.close())
    candidates = comparison.candidates()
    processed = await processed_among(engine, (c.message_id for c in candidates)) if candidates else set()
    findings, corrections = comparison.finish(processed)
    header = reader.header
    report = Report(
        cutover=cutover,
        export_created_at=header.created_at if header else None,
        export_cutoff=header.cutoff if header else None,
        records_read=comparison.records,
        declarations_read=comparison.declarations,
        drawdowns_read=comparison.drawdowns,
        bytes_read=reader.bytes_read,
        hub_entries=hub_entries,
        hub_load_s=hub_loaded - started,
        findings=findings,
        corrections=corrections,
    )
    report.duration_s = time.perf_counter() - started
    if progress is not None and report.records_read != last_reported:
        progress(report.records_read)
    return report


def print_progress(started: float | None = None) -> Progress:
    """A progress callback for a terminal: one line on stderr with records and records per second."""
    t0 = started if started is not None else time.perf_counter()

    def show(records: int) -> None:
        elapsed = max(time.perf_counter() - t0, 1e-9)
        print(f"reconcile: {records:>12,} records  {records / elapsed:>10,.0f} records/s", file=sys.stderr, flush=True)

    return show
