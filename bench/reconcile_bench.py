"""Benchmark of `hub reconcile bilge`: a synthetic BİLGE export against a seeded SQLite store.

    python -m bench.reconcile_bench                    # 1,000,000 records
    python -m bench.reconcile_bench --records 200000 --keep /tmp/rc

Builds, in a temporary directory, a BİLGE bulk export (``schemas/bilge/disa-aktarim.xsd``) of
``--records`` records and a hub store that mostly agrees with it, then runs the reconciliation in a
fresh process, so that the peak memory printed is the reconciliation's own (not the generator's),
and prints records per second, wall time and peak RSS. The aim: under 30 s and 256 MB on a 2-core
machine. Figures, not assertions: this is not a test.

What is generated (fixed seed, so runs compare):
- the hub: ``--declarations`` e-ATA/TR regime entries (5800 under foreign carnets, 2600 under
  Turkish ones), four per carnet, three goods lines each; every fourth carnet has a closed 3158
  that gave 5 back on its first entry (R1); plus 2,000 legacy BİLGE 5800s imported (L1);
- the export, in BİLGE's order: 70 % TCGB drawing-downs (``Dusum``) of the hub's entries, 2 % of
  BİLGE's own legacy declarations, 23 % ordinary TCGB declarations (regime 4000), 5 % legacy
  5800/2600 declarations (most closed in BİLGE, some open, some after the cut-over);
- disagreements: 1 % of the drawn-down lines miss one drawing-down in the hub, 0.2 % of the entries
  are fully drawn down in BİLGE, 2 % of the imported legacy entries have another quantity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.bilge.export import NS
from hub.contract.topics import PROJECT_ROOT
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.model import Carnet, CarnetSource, Declarant, Declaration, DeclarationLine, OfficeKind, Regime, Status
from hub.store.carnets import CarnetRepository
from hub.store.engine import create_engine, create_schema

CUTOVER = date(2021, 6, 2)
OFFICE = "220100"
LINES = 3  # goods lines per entry
ENTRIES_PER_CARNET = 4
LEGACY_IN_HUB = 2_000
HOLDER = Declarant(id_kind="VKN", id_value="4810023456", name="Anadolu Sahne Teknik A.Ş.", acts_as="holder")
LODGED_AT = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

HEADER = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<DisaAktarim xmlns="{NS}" surum="1">\n'
    "<Baslik><OlusturmaZamani>2025-06-01T03:00:00+03:00</OlusturmaZamani>"
    "<KesimTarihi>2025-05-31</KesimTarihi></Baslik>\n"
)


def entry_number(i: int) -> str:
    return f"{OFFICE}ATA{i:08d}"


def entry_carnet(i: int) -> str:
    c = i // ENTRIES_PER_CARNET
    return f"DE/2025/B-{c:06d}" if c % 2 == 0 else f"TR/2025/{c:06d}"


def legacy_number(k: int) -> str:
    return f"20{OFFICE}IM{k:06d}"


def legacy_carnet(k: int) -> str:
    return f"FR/2020/L-{k:06d}"


@dataclass
class Plan:
    """What the export holds, for seeding a hub that mostly agrees with it."""

    declarations: int
    drawn: array[int]  # BİLGE's drawing-downs per hub entry line (entry * LINES + line - 1)
    legacy: int = 0  # legacy declarations written (numbers 0..legacy-1)
    counts: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


def generate_export(path: Path, records: int, declarations: int, seed: int) -> Plan:
    """Write the export record by record (buffered plain writes: no tree in memory)."""
    rng = random.Random(seed)
    plan = Plan(declarations=declarations, drawn=array("I", bytes(4 * declarations * LINES)))
    counts = {"Dusum(hub)": 0, "Dusum(legacy)": 0, "Beyanname(4000)": 0, "Beyanname(legacy)": 0}
    drawn = plan.drawn
    buf: list[str] = []
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(records):
            r = rng.random()
            tcgb = f"25{OFFICE}IM{(i // 3) % 1_000_000:06d}"
            if r < 0.70:
                entry = rng.randrange(declarations)
                line = rng.randrange(LINES) + 1
                drawn[entry * LINES + line - 1] += 1
                counts["Dusum(hub)"] += 1
                buf.append(
                    f"<Dusum><TcgbNo>{tcgb}</TcgbNo><TcgbKalemNo>{i % 3 + 1}</TcgbKalemNo><TcgbRejim>4000</TcgbRejim>"
                    f"<GumrukIdaresi>{OFFICE}</GumrukIdaresi><TescilTarihi>2025-04-02</TescilTarihi>"
                    f"<BeyannameNo>{entry_number(entry)}</BeyannameNo><KarneNo>{entry_carnet(entry)}</KarneNo>"
                    f"<KalemNo>{line}</KalemNo><Miktar>1</Miktar></Dusum>\n"
                )
            elif r < 0.72 and plan.legacy > LEGACY_IN_HUB:
                k = rng.randrange(LEGACY_IN_HUB, plan.legacy)
                counts["Dusum(legacy)"] += 1
                buf.append(
                    f"<Dusum><TcgbNo>{tcgb}</TcgbNo><TcgbKalemNo>1</TcgbKalemNo><TcgbRejim>4000</TcgbRejim>"
                    f"<GumrukIdaresi>{OFFICE}</GumrukIdaresi><TescilTarihi>2021-02-02</TescilTarihi>"
                    f"<BeyannameNo>{legacy_number(k)}</BeyannameNo><KarneNo>{legacy_carnet(k)}</KarneNo>"
                    f"<KalemNo>1</KalemNo><Miktar>1</Miktar></Dusum>\n"
                )
            elif r < 0.95:
                counts["Beyanname(4000)"] += 1
                items = "".join(
                    f"<Kalem><KalemNo>{n}</KalemNo><Miktar>{rng.randrange(1, 50)}</Miktar></Kalem>"
                    for n in range(1, rng.randrange(2, 5))
                )
                buf.append(
                    f"<Beyanname><BeyannameNo>{tcgb}</BeyannameNo><Rejim>4000</Rejim>"
                    f"<GumrukIdaresi>{OFFICE}</GumrukIdaresi><TescilTarihi>2025-04-02</TescilTarihi>{items}</Beyanname>\n"
                )
            else:
                k = plan.legacy
                plan.legacy += 1
                counts["Beyanname(legacy)"] += 1
                after = k >= LEGACY_IN_HUB and rng.random() < 0.02  # L2: after the cut-over (never imported)
                regime = "5800" if k % 3 else "2600"
                status = "" if k < LEGACY_IN_HUB else ("<Durum>KAPANDI</Durum>" if rng.random() < 0.85 else "")
                buf.append(
                    f"<Beyanname><BeyannameNo>{legacy_number(k)}</BeyannameNo><Rejim>{regime}</Rejim>"
                    f"<GumrukIdaresi>{OFFICE}</GumrukIdaresi>"
                    f"<TescilTarihi>{'2022-03-01' if after else '2020-10-01'}</TescilTarihi>"
                    f"<KarneNo>{legacy_carnet(k)}</KarneNo>{status}"
                    "<Kalem><KalemNo>1</KalemNo><Miktar>5</Miktar></Kalem>"
                    "<Kalem><KalemNo>2</KalemNo><Miktar>5</Miktar></Kalem></Beyanname>\n"
                )
            if len(buf) >= 10_000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
        f.write("</DisaAktarim>\n")
    plan.counts = counts
    plan.bytes = path.stat().st_size
    return plan


def _carnet_data(number: str) -> CarnetData:
    country = number[:2]
    return CarnetData(
        carnet_number=number,
        holder_name="Lichtwerk Bühnentechnik GmbH",
        issuing_country=country,
        issuing_chamber="İstanbul Ticaret Odası" if country == "TR" else "Chambre de commerce",
        issued_on=date(2025, 3, 1),
        valid_until=date(2026, 2, 28),
        goods=tuple(
            GoodsListLine(
                line_no=n,
                description=f"goods line {n}",
                quantity=100_000,
                weight_kg=Decimal("10"),
                value=Decimal("1000"),
                currency="EUR",
                origin_country=country,
            )
            for n in range(1, LINES + 1)
        ),
    )


def _declaration(
    number: str, regime: Regime, lines: dict[int, tuple[int, int]], previous: str | None = None, **extra: Any
) -> Declaration:
    done = all(q == d for q, d in lines.values()) and regime.is_regime_entry
    status = Status.CLOSED if done or regime.is_discharge else Status.INSPECTION_COMPLETED
    return Declaration(
        number=number,
        regime=regime,
        customs_office=OFFICE,
        office_kind=OfficeKind.BORDER,
        status=status,
        declarant=HOLDER,
        lodged_at=LODGED_AT,
        lines={n: DeclarationLine(line_no=n, quantity=q, discharged=d) for n, (q, d) in lines.items()},
        previous_declaration=previous,
        **extra,
    )


def hub_carnets(plan: Plan, seed: int) -> list[Carnet]:
    """The hub's carnets: mostly what the export says, with the planned disagreements."""
    rng = random.Random(seed + 1)
    out: list[Carnet] = []
    for c in range(plan.declarations // ENTRIES_PER_CARNET):
        decls: list[Declaration] = []
        for i in range(c * ENTRIES_PER_CARNET, (c + 1) * ENTRIES_PER_CARNET):
            given_back = 5 if i % (4 * ENTRIES_PER_CARNET) == 0 else 0  # a closed 3158 on every fourth carnet
            full = rng.random() < 0.002  # fully drawn down in BİLGE
            lines: dict[int, tuple[int, int]] = {}
            for n in range(1, LINES + 1):
                bilge = plan.drawn[i * LINES + n - 1]
                back = given_back if n == 1 else 0
                in_hub = bilge - 1 if bilge > 0 and (full or rng.random() < 0.01) else bilge
                quantity = bilge + back if full and bilge > 0 else 1_000
                lines[n] = (quantity, in_hub + back)
            regime = Regime.TEMPORARY_IMPORT if entry_carnet(i).startswith("DE") else Regime.TEMPORARY_EXPORT
            decls.append(_declaration(entry_number(i), regime, lines))
            if given_back:
                back_regime = Regime.RE_EXPORT if regime is Regime.TEMPORARY_IMPORT else Regime.RE_IMPORT
                decls.append(_declaration(f"{OFFICE}RET{i:08d}", back_regime, {1: (5, 0)}, entry_number(i)))
        data = _carnet_data(entry_carnet(c * ENTRIES_PER_CARNET))
        source = CarnetSource.TOBB if data.issuing_country == "TR" else CarnetSource.DECLARANT
        out.append(Carnet(data=data, source=source, declarations={d.number: d for d in decls}))
    for k in range(min(LEGACY_IN_HUB, plan.legacy)):
        quantity = 4 if rng.random() < 0.02 else 5  # BİLGE declared 5
        legacy = _declaration(legacy_number(k), Regime.TEMPORARY_IMPORT, {1: (quantity, 0), 2: (5, 0)}, legacy=True)
        out.append(
            Carnet(
                data=_carnet_data(legacy_carnet(k)), source=CarnetSource.DECLARANT, declarations={legacy.number: legacy}
            )
        )
    return out


async def seed_hub(database_url: str, carnets: list[Carnet]) -> None:
    engine = create_engine(database_url)
    try:
        await create_schema(engine)
        async with engine.begin() as conn:
            repo = CarnetRepository(conn)
            for carnet in carnets:
                await repo.save(carnet)
    finally:
        await engine.dispose()


def peak_rss_kib() -> int:
    """This process's peak resident set: VmHWM, which starts afresh at exec.

    Not ``getrusage().ru_maxrss`` alone: on Linux it carries over the parent's peak across fork and
    exec, and the parent (generator and seeder) is bigger than the reconciliation.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- the measured run, in its own process ------------------------------------------------------


async def _measure(export: Path, database_url: str, trace: bool) -> dict[str, Any]:
    import tracemalloc

    from adapters.bilge.reconciliation import print_progress, reconcile

    engine = create_engine(database_url)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        report = await reconcile(export, engine, cutover=CUTOVER, progress=print_progress(started))
    finally:
        await engine.dispose()
    wall = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    return {
        "records": report.records_read,
        "wall_s": wall,
        "hub_load_s": report.hub_load_s,
        "records_per_s": report.records_read / wall,
        "peak_rss_kib": peak_rss_kib(),
        "tracemalloc_peak": traced,
        "summary": report.summary(),
        "corrections": len(report.corrections),
    }


def _child(args: argparse.Namespace) -> int:
    figures = asyncio.run(_measure(Path(args.export), args.database_url, args.tracemalloc))
    print("FIGURES " + json.dumps(figures))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the export (default 1,000,000)")
    parser.add_argument("--declarations", type=int, default=20_000, help="e-ATA/TR regime entries in the hub")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", type=Path, help="write the export and the store here, and keep them")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (much slower)")
    parser.add_argument("--export", help=argparse.SUPPRESS)  # the measured child process
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export:
        return _child(args)

    with tempfile.TemporaryDirectory(prefix="reconcile-bench-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        export, db = where / "bilge-export.xml", where / "hub.db"
        db.unlink(missing_ok=True)
        database_url = f"sqlite+aiosqlite:///{db}"

        t0 = time.perf_counter()
        plan = generate_export(export, args.records, args.declarations, args.seed)
        t1 = time.perf_counter()
        carnets = hub_carnets(plan, args.seed)
        asyncio.run(seed_hub(database_url, carnets))
        t2 = time.perf_counter()
        print(f"export: {args.records:,} records, {plan.bytes / 2**20:,.0f} MiB, written in {t1 - t0:.1f} s")
        print("        " + ", ".join(f"{k} {v:,}" for k, v in plan.counts.items()))
        entries = f"{args.declarations:,} e-ATA/TR entries + legacy"
        print(f"hub:    {len(carnets):,} carnets, {entries}, seeded in {t2 - t1:.1f} s")
        del carnets, plan

        command = [
            sys.executable,
            "-m",
            "bench.reconcile_bench",
            "--export",
            str(export),
            "--database-url",
            database_url,
        ]
        if args.tracemalloc:
            command.append("--tracemalloc")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        }
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
        line = next(x for x in done.stdout.splitlines() if x.startswith("FIGURES "))
        figures = json.loads(line.removeprefix("FIGURES "))

    print()
    print(figures["summary"])
    print()
    print(f"cpus:           {os.cpu_count()}")
    print(f"wall time:      {figures['wall_s']:.1f} s (hub side read in {figures['hub_load_s']:.2f} s)")
    print(f"records/s:      {figures['records_per_s']:,.0f}")
    peak = figures["peak_rss_kib"] / 1024
    print(f"peak RSS:       {peak:,.0f} MiB (VmHWM of the reconciliation's process, interpreter included)")
    if figures["tracemalloc_peak"] is not None:
        print(f"tracemalloc:    {figures['tracemalloc_peak'] / 2**20:,.1f} MiB peak of Python allocations")
    print("aim:            < 30 s and < 256 MiB on a 2-core machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
