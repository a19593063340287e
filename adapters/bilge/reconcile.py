"""Reconciliation of BİLGE against the hub: where do they disagree (F1, F2, L1, L2)?

    report = await reconcile(Path("bilge-export.xml"), engine, cutover=settings.bilge_cutover)
    write_json(report, Path("report.json")); print(report.summary())
    await emit_corrections(report.corrections, hub_client)     # only when the operator asks

BİLGE's bulk export (``schemas/bilge/disa-aktarim.xsd``, read by :mod:`adapters.bilge.export`) is
streamed once; the hub's side is read before it, from the ``declarations``/``declaration_lines``
projection, in three queries on one connection (one snapshot; never a query per record), and at the
end the candidate corrections' message ids are looked up in ``processed_messages`` in batches.
Memory is bounded by the hub's regime-entry lines, the distinct lines BİLGE draws down that the hub
does not have, BİLGE's 5800/2600 numbers and open legacy declarations, and the findings: never by
the number of records.

Kinds of findings
-----------------
``OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE`` (F2)
    A 5800/2600 still live in the hub (lodged, accepted or inspection completed) whose every line is
    accounted for once BİLGE's TCGB drawing-downs are counted with the hub's own re-exports and
    re-imports: had the hub applied them, the entry would have closed (F2).
``DRAWDOWN_MISSING_IN_HUB`` (F2)
    A line BİLGE draws down by TCGBs more than the hub has recorded TCGB drawing-downs on it; or a
    drawing-down of a declaration (or line) the hub does not have at all.
``QUANTITY_MISMATCH`` (L1)
    A BİLGE declaration the hub imported as a legacy regime entry whose line quantity differs (or a
    line only one side has).
``LEGACY_NEVER_REFERENCED`` (L1)
    A 5800/2600 registered in BİLGE before the cut-over, not closed in BİLGE and not drawn down
    entirely by TCGBs, that no hub declaration is or references: its goods are still under the
    regime and nobody has finished it in e-ATA/TR.
``POST_CUTOVER_ANOMALY`` (L2)
    A BİLGE declaration with an ATA regime code (5800, 2600, 3158, 6326) registered on or after the
    cut-over: reported, never applied.

How TCGB drawing-downs are told apart from re-exports in the hub
----------------------------------------------------------------
The projection keeps only each line's ``discharged`` total, which counts 3158/6326 discharges and
TCGB drawing-downs alike. The hub's rules discharge a 3158 or 6326 exactly when they close it (R1,
I3 at the border; R3 when the inland 3158's ÇIKIŞ completes; I2 when the inland 6326 completes,
through its GİRİŞ), by the quantities of its lines, in the same decision. So what 3158/6326 gave
back to an entry is the sum of the lines of the *closed* 3158/6326 whose target is that entry
(directly, or through the GİRİŞ for an inland 6326), and::

    TCGB quantity the hub holds on a line = discharged - given back by closed 3158/6326

BİLGE's TCGB total on the line above that is missing in the hub. No carnet state JSON is needed.

Which TCGB is missing, when totals disagree
-------------------------------------------
Totals say how much is missing on a line, not which TCGB. The export is read in its order (BİLGE
writes it in registration order): the hub's TCGB quantity is taken to cover BİLGE's first
drawing-downs of the line, and what exceeds it is attributed to the later ones. The corrective
command names those TCGBs; the quantity drawn down is right either way.

Corrective commands
-------------------
For missing drawing-downs the report lists :class:`hub.domain.bilge.DrawDownByTcgb` commands, one
per TCGB and carnet, with the missing quantities, only where the hub could apply them: the entry's
inspection completed, the TCGB names the carnet the hub holds the entry under, and no more than is
open on the line (anything beyond is BİLGE's error and would be refused under F2; the finding says
so). They are sent to ``ata.declaration.commands`` only by :func:`emit_corrections`
(``hub reconcile bilge --emit-corrections``); the store is never written here. (The command line
keeps a record of each run in ``reconciliation_runs``, :mod:`hub.store.reconciliations`, for the
operator console: never the carnets' state.)

Each command's message id is the one the BİLGE adapter gives that TCGB for that carnet
(:func:`adapters.bilge.service.drawdown_id`), and the hub applies a message id once. So a TCGB
draws down once whichever way it reaches the hub: re-running the reconciliation before the hub
has caught up, or the adapter delivering the TCGB late (a replay from the dead-letter topic), cannot
draw it down twice. The flip side: a TCGB the hub has already processed (applied, or refused under
F2) is not applied again under that id. The reconciliation looks those ids up in the hub's
``processed_messages`` (one batched query over the candidate commands only), leaves them out of the
corrections, and says so in the finding: such a line is corrected by hand.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final, NamedTuple, Protocol
from uuid import UUID

import httpx
import typer
from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bilge.export import ExportDeclaration, ExportDrawDown, ExportReader
from adapters.bilge.service import drawdown_id
from hub.contract.messages.envelope import Envelope, envelope
from hub.contract.topics import TopicCatalog, catalog
from hub.domain.bilge import ATA_REGIMES_IN_BILGE, DrawDownByTcgb, TcgbRow
from hub.domain.model import Regime, Status
from hub.runtime.kafka.security import BILGE_RECONCILIATION
from hub.store.tables import declaration_lines, declarations, processed_messages

__all__ = [
    "COMMANDS_TOPIC",
    "CorrectiveCommand",
    "Finding",
    "Kind",
    "MissingDrawDown",
    "Report",
    "build_corrections",
    "correction_message_id",
    "emit_corrections",
    "reconcile",
    "reconcile_app",
    "reconcile_chunks",
    "reconcile_url",
    "write_csv",
    "write_json",
]

COMMANDS_TOPIC: Final = "ata.declaration.commands"
CHUNK_SIZE: Final = 1 << 20
PROGRESS_EVERY: Final = 100_000
CORRECTION_NOTE: Final = "hub reconcile bilge: drawn down in BİLGE, missing in the hub"

_ENTRY_REGIMES: Final = (Regime.TEMPORARY_IMPORT.value, Regime.TEMPORARY_EXPORT.value)
_DISCHARGE_REGIMES: Final = (Regime.RE_EXPORT.value, Regime.RE_IMPORT.value)
_LIVE: Final = frozenset(s.value for s in Status if s.is_live)
_INSPECTED: Final = Status.INSPECTION_COMPLETED.value
_CLOSED_IN_BILGE: Final = "KAPANDI"


class Kind(StrEnum):
    OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE = "OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE"
    DRAWDOWN_MISSING_IN_HUB = "DRAWDOWN_MISSING_IN_HUB"
    QUANTITY_MISMATCH = "QUANTITY_MISMATCH"
    LEGACY_NEVER_REFERENCED = "LEGACY_NEVER_REFERENCED"
    POST_CUTOVER_ANOMALY = "POST_CUTOVER_ANOMALY"

    @property
    def rule(self) -> str:
        return _RULES[self]


_RULES: Final = {
    Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE: "F2",
    Kind.DRAWDOWN_MISSING_IN_HUB: "F2",
    Kind.QUANTITY_MISMATCH: "L1",
    Kind.LEGACY_NEVER_REFERENCED: "L1",
    Kind.POST_CUTOVER_ANOMALY: "L2",
}

Value = int | str | None


@dataclass(frozen=True)
class Finding:
    """One disagreement. Values are quantities where the kind is about quantities, words otherwise."""

    kind: Kind
    declaration: str
    line: int | None
    carnet: str | None
    bilge_value: Value
    hub_value: Value
    detail: str
    suggested_correction: str

    @property
    def rule(self) -> str:
        return self.kind.rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "rule": self.rule,
            "declaration": self.declaration,
            "line": self.line,
            "carnet": self.carnet,
            "bilge_value": self.bilge_value,
            "hub_value": self.hub_value,
            "detail": self.detail,
            "suggested_correction": self.suggested_correction,
        }


class MissingDrawDown(NamedTuple):
    """Part of one BİLGE drawing-down the hub has not recorded, on a line of the hub's entry."""

    tcgb_number: str
    tcgb_item: int
    tcgb_regime: str
    customs_office: str
    registered_on: date
    declaration_number: str
    line_no: int
    carnet_number: str  # the carnet the hub holds the entry under (the Kafka key)
    quantity: int


@dataclass(frozen=True)
class CorrectiveCommand:
    """A DrawDownByTcgb to send to the hub, with the message id that makes it apply once."""

    message_id: UUID
    carnet_number: str
    command: DrawDownByTcgb

    def envelope(self, occurred_at: datetime) -> Envelope[DrawDownByTcgb]:
        return envelope(
            self.command, carnet_number=self.carnet_number, occurred_at=occurred_at, message_id=self.message_id
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": str(self.message_id),
            "carnet_number": self.carnet_number,
            "type": type(self.command).__name__,
            "payload": self.command.model_dump(mode="json"),
        }


@dataclass
class Report:
    cutover: date
    export_created_at: str | None = None
    export_cutoff: date | None = None
    records_read: int = 0
    declarations_read: int = 0
    drawdowns_read: int = 0
    bytes_read: int = 0
    hub_entries: int = 0
    hub_load_s: float = 0.0
    duration_s: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    corrections: list[CorrectiveCommand] = field(default_factory=list)

    @property
    def counts(self) -> dict[Kind, int]:
        counts = dict.fromkeys(Kind, 0)
        for finding in self.findings:
            counts[finding.kind] += 1
        return counts

    @property
    def records_per_s(self) -> float:
        return self.records_read / self.duration_s if self.duration_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {
                "cutover": self.cutover.isoformat(),
                "export_created_at": self.export_created_at,
                "export_cutoff": self.export_cutoff.isoformat() if self.export_cutoff else None,
                "records_read": self.records_read,
                "declarations_read": self.declarations_read,
                "drawdowns_read": self.drawdowns_read,
                "bytes_read": self.bytes_read,
                "hub_entries": self.hub_entries,
                "hub_load_s": round(self.hub_load_s, 3),
                "duration_s": round(self.duration_s, 3),
                "records_per_s": round(self.records_per_s),
                "counts": {kind.value: n for kind, n in self.counts.items()},
                "corrections": len(self.corrections),
            },
            "findings": [f.to_dict() for f in self.findings],
            "corrections": [c.to_dict() for c in self.corrections],
        }

    def summary(self) -> str:
        """A few lines for a person: what was read, and how many findings of each kind."""
        cutoff = self.export_cutoff.isoformat() if self.export_cutoff else "?"
        lines = [
            f"BİLGE reconciliation: {self.records_read:,} records ({self.declarations_read:,} declarations, "
            f"{self.drawdowns_read:,} drawing-downs) in {self.duration_s:.1f} s ({self.records_per_s:,.0f} records/s)",
            f"export created {self.export_created_at or '?'}, cut-off {cutoff}; "
            f"BİLGE cut-over (L2) {self.cutover.isoformat()}; {self.hub_entries:,} regime entries in the hub",
        ]
        width = max(len(k.value) for k in Kind)
        for kind, n in self.counts.items():
            lines.append(f"  {kind.value:<{width}}  {kind.rule}  {n:>8,}")
        lines.append(f"  {'total':<{width}}      {len(self.findings):>8,}")
        lines.append(
            f"corrective commands: {len(self.corrections):,} DrawDownByTcgb (sent only with --emit-corrections)"
            if self.corrections
            else "corrective commands: none"
        )
        return "\n".join(lines)


# --- writing the report ----------------------------------------------------------------------

CSV_COLUMNS: Final = (
    "kind",
    "rule",
    "declaration",
    "line",
    "carnet",
    "bilge_value",
    "hub_value",
    "detail",
    "suggested_correction",
)
CORRECTION_CSV_COLUMNS: Final = (
    "message_id",
    "carnet_number",
    "tcgb_number",
    "tcgb_regime",
    "customs_office",
    "registered_on",
    "item_no",
    "declaration_number",
    "line_no",
    "quantity",
)


def write_json(report: Report, path: Path) -> Path:
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def write_csv(report: Report, path: Path, corrections_path: Path | None = None) -> list[Path]:
    """Findings as CSV (one row each); the corrective commands, one row per TCGB row, beside them."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for finding in report.findings:
            row = finding.to_dict()
            writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    written = [path]
    if report.corrections:
        corrections_path = corrections_path or path.with_name(path.stem + "-corrections.csv")
        with corrections_path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(CORRECTION_CSV_COLUMNS)
            for c in report.corrections:
                cmd = c.command
                for r in cmd.rows:
                    writer.writerow(
                        [
                            c.message_id,
                            c.carnet_number,
                            cmd.tcgb_number,
                            cmd.regime,
                            cmd.customs_office,
                            cmd.registered_on.isoformat(),
                            r.item_no,
                            r.declaration_number,
                            r.line_no,
                            r.quantity,
                        ]
                    )
        written.append(corrections_path)
    return written


# --- the hub's side --------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    quantity: int
    discharged: int
    returned: int = 0  # given back by closed 3158/6326 (R1, R3, I2, I3)
    bilge: int = 0  # BİLGE's TCGB drawing-downs of it in the export

    @property
    def tcgb_in_hub(self) -> int:
        return max(0, self.discharged - self.returned)


@dataclass(slots=True)
class _Entry:
    carnet: str
    regime: str
    status: str
    lines: dict[int, _Line] = field(default_factory=dict)
    drawn_in_bilge: bool = False


@dataclass
class _Hub:
    entries: dict[str, _Entry]  # the hub's 5800/2600 by declaration number
    kinds: dict[str, str]  # every other declaration number the hub has -> its regime
    referenced: set[str]  # numbers some hub declaration references (previous_declaration)


async def _load_hub(engine: AsyncEngine) -> _Hub:
    """The hub's side in three queries: declarations, lines of regime entries, lines of closed discharges."""
    async with engine.connect() as conn:
        # Rows are read on the synchronous side: one hop to the driver per query, not one per row.
        return await conn.run_sync(_read_hub)


def _read_hub(conn: Connection) -> _Hub:
    d, ln = declarations.c, declaration_lines.c
    entries: dict[str, _Entry] = {}
    kinds: dict[str, str] = {}
    referenced: set[str] = set()
    transit_in: dict[str, str] = {}  # GİRİŞ -> the declaration it references
    discharges: dict[str, str] = {}  # closed 3158/6326 -> what it references
    rows = conn.execute(select(d.declaration_number, d.carnet_number, d.regime, d.status, d.previous_declaration))
    for number, carnet, regime, status, previous in rows:
        if regime in _ENTRY_REGIMES:
            entries[number] = _Entry(carnet=carnet, regime=regime, status=status)
        else:
            kinds[number] = regime
        if previous:
            referenced.add(previous)
            if regime == Regime.TRANSIT_IN.value:
                transit_in[number] = previous
            elif regime in _DISCHARGE_REGIMES and status == Status.CLOSED.value:
                discharges[number] = previous
    entry_lines = conn.execute(
        select(ln.declaration_number, ln.line_no, ln.quantity, ln.discharged)
        .join(declarations, d.declaration_number == ln.declaration_number)
        .where(d.regime.in_(_ENTRY_REGIMES))
    )
    for number, line_no, quantity, discharged in entry_lines:
        entries[number].lines[line_no] = _Line(quantity=quantity, discharged=discharged)
    given_back = conn.execute(
        select(ln.declaration_number, ln.line_no, ln.quantity)
        .join(declarations, d.declaration_number == ln.declaration_number)
        .where(d.regime.in_(_DISCHARGE_REGIMES), d.status == Status.CLOSED.value)
    )
    for number, line_no, quantity in given_back:
        target = discharges.get(number)
        target = transit_in.get(target, target) if target is not None else None  # I2: through the GİRİŞ
        entry = entries.get(target) if target is not None else None
        if entry is not None and line_no in entry.lines:
            entry.lines[line_no].returned += quantity
    return _Hub(entries=entries, kinds=kinds, referenced=referenced)


# --- the comparison --------------------------------------------------------------------------


@dataclass(slots=True)
class _Elsewhere:
    """BİLGE's drawing-downs of a line the hub has no entry line for."""

    quantity: int
    carnet: str
    tcgbs: int


class _Reconciler:
    def __init__(self, hub: _Hub, cutover: date) -> None:
        self.hub = hub
        self.entries = hub.entries
        self.cutover = cutover
        self._cutover_iso = cutover.isoformat()
        self.findings: list[Finding] = []
        self.missing: list[tuple[ExportDrawDown, int, str]] = []  # (drawing-down, quantity not in hub, carnet)
        self.elsewhere: dict[tuple[str, int], _Elsewhere] = {}
        self.bilge_entries: set[str] = set()  # BİLGE's own 5800/2600 (and post-cut-over ATA declarations)
        self.legacy: dict[str, ExportDeclaration] = {}  # open in BİLGE, unknown to the hub
        # per entry line: (TCGB, quantity missing, of it what the hub could apply), and TCGBs naming another carnet
        self._missing_by_line: dict[tuple[str, int], list[tuple[str, int, int]]] = defaultdict(list)
        self._other_carnet: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.declarations = 0
        self.drawdowns = 0

    def draw_down(self, r: ExportDrawDown) -> None:
        self.drawdowns += 1
        entry = self.entries.get(r.declaration_number)
        line = entry.lines.get(r.line_no) if entry is not None else None
        if entry is not None and line is not None:
            entry.drawn_in_bilge = True
            before = line.bilge
            after = line.bilge = before + r.quantity
            in_hub = line.tcgb_in_hub
            if after > in_hub:  # the hub's TCGB quantity covers BİLGE's first drawing-downs (see module doc)
                self.missing.append((r, after - max(before, in_hub), entry.carnet))
            return
        key = (r.declaration_number, r.line_no)
        seen = self.elsewhere.get(key)
        if seen is None:
            self.elsewhere[key] = _Elsewhere(r.quantity, r.carnet_number, 1)
        else:
            seen.quantity += r.quantity
            seen.tcgbs += 1

    def declaration(self, b: ExportDeclaration) -> None:
        self.declarations += 1
        if b.regime in ATA_REGIMES_IN_BILGE and b.registered_on >= self._cutover_iso:
            self._post_cutover(b)
            return
        entry = self.entries.get(b.number)
        if entry is not None:
            self._compare_lines(b, entry)
        elif b.regime in _ENTRY_REGIMES:
            self.bilge_entries.add(b.number)
            if b.number not in self.hub.referenced and b.number not in self.hub.kinds and b.status != _CLOSED_IN_BILGE:
                self.legacy[b.number] = b

    def _post_cutover(self, b: ExportDeclaration) -> None:
        # rule: L2, reported, not applied
        self.bilge_entries.add(b.number)  # its drawing-downs are BİLGE's business, not missing in the hub
        entry = self.entries.get(b.number)
        hub_value = f"imported as a regime entry, {entry.status}" if entry is not None else None
        self.findings.append(
            Finding(
                kind=Kind.POST_CUTOVER_ANOMALY,
                declaration=b.number,
                line=None,
                carnet=b.carnet_number,
                bilge_value=f"{b.regime} registered on {b.registered_on} at {b.customs_office}",
                hub_value=hub_value,
                detail=f"BİLGE took ATA regime code {b.regime} on or after the cut-over {self._cutover_iso}",
                suggested_correction=(
                    "Do not apply it in the hub. Report it to the customs office "
                    f"{b.customs_office}: the declaration belongs in e-ATA/TR; BİLGE should cancel it."
                    + (" The hub imported it as a legacy entry: review that import." if entry is not None else "")
                ),
            )
        )

    def _compare_lines(self, b: ExportDeclaration, entry: _Entry) -> None:
        # rule: L1, the hub's legacy entry is BİLGE's declaration: same lines, same quantities
        bilge_lines = dict(b.lines)
        for line_no in sorted(bilge_lines.keys() | entry.lines.keys()):
            in_bilge = bilge_lines.get(line_no)
            hub_line = entry.lines.get(line_no)
            in_hub = hub_line.quantity if hub_line is not None else None
            if in_bilge == in_hub:
                continue
            if in_hub is None:
                detail = f"line {line_no} is on the BİLGE declaration, not on the hub's legacy entry"
            elif in_bilge is None:
                detail = f"line {line_no} is on the hub's legacy entry, not on the BİLGE declaration"
            else:
                detail = f"BİLGE declared {in_bilge}, the hub's legacy entry holds {in_hub}"
            self.findings.append(
                Finding(
                    kind=Kind.QUANTITY_MISMATCH,
                    declaration=b.number,
                    line=line_no,
                    carnet=entry.carnet,
                    bilge_value=in_bilge,
                    hub_value=in_hub,
                    detail=detail,
                    suggested_correction=(
                        "If a correction (G6) was approved in e-ATA/TR, the difference is expected. Otherwise "
                        "request a correction (G6) in e-ATA/TR to BİLGE's quantity, or have BİLGE's record fixed."
                    ),
                )
            )

    # --- at the end of the export ---------------------------------------------------------------

    def candidates(self) -> list[CorrectiveCommand]:
        """The corrective commands the hub could apply, before looking at what it has processed."""
        return build_corrections(self._applicable_missing())

    def finish(self, delivered: set[tuple[str, str]]) -> list[Finding]:
        """Every finding, in kind order; ``delivered``: (TCGB, carnet) whose message id the hub processed."""
        findings: list[Finding] = []
        for number in sorted(n for n, e in self.entries.items() if e.drawn_in_bilge):
            findings.extend(self._entry_findings(number, self.entries[number], delivered))
        findings.extend(self._elsewhere_findings())
        findings.extend(self._legacy_findings())
        findings.extend(self.findings)
        order = {kind: i for i, kind in enumerate(Kind)}
        findings.sort(key=lambda f: (order[f.kind], f.declaration, f.line or 0))
        return findings

    def _applicable_missing(self) -> list[MissingDrawDown]:
        """What the hub could apply (F2): an inspected entry, the TCGB's carnet, no more than is open."""
        applicable: list[MissingDrawDown] = []
        room: dict[tuple[str, int], int] = {}
        for r, quantity, carnet in self.missing:
            key = (r.declaration_number, r.line_no)
            if r.carnet_number != carnet:
                self._other_carnet[key].add(r.tcgb_number)
                self._missing_by_line[key].append((r.tcgb_number, quantity, 0))
                continue
            entry = self.entries[r.declaration_number]
            if key not in room:
                line = entry.lines[r.line_no]
                room[key] = line.quantity - line.discharged if entry.status == _INSPECTED else 0
            fits = min(quantity, room[key])
            self._missing_by_line[key].append((r.tcgb_number, quantity, fits))
            if fits > 0:
                room[key] -= fits
                applicable.append(
                    MissingDrawDown(
                        tcgb_number=r.tcgb_number,
                        tcgb_item=r.tcgb_item,
                        tcgb_regime=r.tcgb_regime,
                        customs_office=r.customs_office,
                        registered_on=date.fromisoformat(r.registered_on),
                        declaration_number=r.declaration_number,
                        line_no=r.line_no,
                        carnet_number=carnet,
                        quantity=fits,
                    )
                )
        return applicable

    def _entry_findings(self, number: str, entry: _Entry, delivered: set[tuple[str, str]]) -> list[Finding]:
        # rule: F2, BİLGE's TCGB drawing-downs against what the hub recorded of them
        out: list[Finding] = []
        accounted = True
        drawn_total = 0
        for line_no, line in sorted(entry.lines.items()):
            drawn_total += line.bilge
            if line.returned + line.bilge < line.quantity:
                accounted = False
            if line.bilge <= line.tcgb_in_hub:
                continue
            missing = line.bilge - line.tcgb_in_hub
            key = (number, line_no)
            out.append(
                Finding(
                    kind=Kind.DRAWDOWN_MISSING_IN_HUB,
                    declaration=number,
                    line=line_no,
                    carnet=entry.carnet,
                    bilge_value=line.bilge,
                    hub_value=line.tcgb_in_hub,
                    detail=(
                        f"BİLGE's TCGBs draw down {line.bilge}, the hub holds {line.tcgb_in_hub} drawn down by "
                        f"TCGBs (discharged {line.discharged}, of which {line.returned} by 3158/6326): "
                        f"{missing} missing"
                    ),
                    suggested_correction=self._fix(entry, key, delivered),
                )
            )
        if accounted and entry.status in _LIVE:
            open_now = sum(line.quantity - line.discharged for line in entry.lines.values())
            out.append(
                Finding(
                    kind=Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE,
                    declaration=number,
                    line=None,
                    carnet=entry.carnet,
                    bilge_value=drawn_total,
                    hub_value=entry.status,
                    detail=(
                        f"{entry.regime} is {entry.status} in the hub with {open_now} open; with BİLGE's "
                        f"{drawn_total} drawn down by TCGBs every line is accounted for"
                    ),
                    suggested_correction=(
                        "Apply the missing drawing-downs (DRAWDOWN_MISSING_IN_HUB); the hub closes the entry "
                        "once nothing is open (F2)."
                        if out
                        else "The hub's totals already account for everything: the entry should have closed; "
                        "investigate the hub's state of it."
                    ),
                )
            )
        return out

    def _fix(self, entry: _Entry, key: tuple[str, int], delivered: set[tuple[str, str]]) -> str:
        """What to do about a line's missing drawing-downs, TCGB by TCGB."""
        parts = self._missing_by_line.get(key, [])
        tcgbs = sorted({t for t, _, _ in parts})
        if entry.status != _INSPECTED:
            return (
                f"The hub's entry is {entry.status}, so it cannot be drawn down (F2): check TCGB "
                f"{_named(tcgbs)} with BİLGE and the customs office."
            )
        other = self._other_carnet.get(key, set())
        seen = sorted(t for t in tcgbs if t not in other and (t, entry.carnet) in delivered)
        new = sorted(t for t in tcgbs if t not in other and t not in seen)
        said: list[str] = []
        if other:
            said.append(
                f"TCGB {_named(sorted(other))} name another carnet than the hub's {entry.carnet}: have BİLGE "
                "correct the carnet number."
            )
        if seen:
            said.append(
                f"TCGB {_named(seen)} reached the hub before (its message id is processed): it was refused then, "
                "or the missing quantity is another TCGB's of this line; the hub will not apply it again: check, "
                "and draw down by hand."
            )
        if new:
            wanted = sum(q for t, q, _ in parts if t in new)
            fits = sum(f for t, _, f in parts if t in new)
            if fits == 0:
                said.append(
                    f"TCGB {_named(new)} draw down {wanted} where nothing is open in the hub (F2): have BİLGE "
                    "correct its drawing-down."
                )
            elif fits < wanted:
                said.append(
                    f"Draw down {fits} by DrawDownByTcgb (TCGB {_named(new)}, in the corrections); the other "
                    f"{wanted - fits} exceed what is open and would be refused (F2): have BİLGE correct its "
                    "drawing-down."
                )
            else:
                said.append(f"Draw down {fits} by DrawDownByTcgb for TCGB {_named(new)} (in the corrections).")
        return " ".join(said)

    def _elsewhere_findings(self) -> list[Finding]:
        out: list[Finding] = []
        for (number, line_no), seen in sorted(self.elsewhere.items()):
            if number in self.bilge_entries:
                continue  # a legacy declaration of BİLGE's own, drawn down in BİLGE
            entry = self.entries.get(number)
            regime = self.hub.kinds.get(number)
            if entry is not None:
                hub_value: Value = None
                detail = f"the hub's {entry.regime} {number} has no goods line {line_no}"
                fix = "Check the TCGB's line number with BİLGE; the hub cannot draw down a line it does not have."
            elif regime is not None:
                hub_value = regime
                detail = f"{number} is a {regime} in the hub: a TCGB draws down a 5800 or 2600 (F1)"
                fix = "Have BİLGE correct the TCGB's reference to the regime-entry declaration."
            else:
                hub_value = None
                detail = f"the hub has no declaration {number}"
                fix = (
                    "Find the declaration: a TCGB references a number neither the hub nor the export knows "
                    "(mistyped in the TCGB, or a legacy declaration missing from the export)."
                )
            out.append(
                Finding(
                    kind=Kind.DRAWDOWN_MISSING_IN_HUB,
                    declaration=number,
                    line=line_no,
                    carnet=entry.carnet if entry is not None else seen.carnet,
                    bilge_value=seen.quantity,
                    hub_value=hub_value,
                    detail=f"{detail}; BİLGE draws down {seen.quantity} in {seen.tcgbs} TCGB row(s)",
                    suggested_correction=fix,
                )
            )
        return out

    def _legacy_findings(self) -> list[Finding]:
        # rule: L1, an open legacy 5800/2600 is finished in e-ATA/TR by referencing its BİLGE number
        out: list[Finding] = []
        for number, b in sorted(self.legacy.items()):
            open_qty = 0
            for line_no, quantity in b.lines:
                seen = self.elsewhere.get((number, line_no))
                open_qty += max(0, quantity - (seen.quantity if seen is not None else 0))
            if b.lines and open_qty == 0:
                continue  # drawn down entirely by TCGBs in BİLGE: finished there
            out.append(
                Finding(
                    kind=Kind.LEGACY_NEVER_REFERENCED,
                    declaration=number,
                    line=None,
                    carnet=b.carnet_number,
                    bilge_value=open_qty,
                    hub_value=None,
                    detail=(
                        f"{b.regime} registered in BİLGE on {b.registered_on} at {b.customs_office}, "
                        f"{open_qty} still open there; no hub declaration is or references it"
                    ),
                    suggested_correction=(
                        f"Finish it in e-ATA/TR: lodge the {'3158' if b.regime == '5800' else '6326'} "
                        f"(or its transit) with previous declaration {number} (L1); or, if it was discharged "
                        "in BİLGE, have BİLGE mark it closed."
                    ),
                )
            )
        return out


def _named(tcgbs: Sequence[str]) -> str:
    return ", ".join(tcgbs[:5]) + (f" and {len(tcgbs) - 5} more" if len(tcgbs) > 5 else "")


# --- corrective commands ---------------------------------------------------------------------


def correction_message_id(tcgb_number: str, carnet_number: str) -> UUID:
    """The BİLGE adapter's id of this TCGB for this carnet: however it reaches the hub, it draws down once."""
    return drawdown_id(tcgb_number, carnet_number)


async def _processed(engine: AsyncEngine, ids: Iterable[UUID], batch: int = 500) -> set[UUID]:
    """Which of these message ids the hub has processed already (applied or refused)."""
    wanted = sorted({str(i) for i in ids})
    seen: set[UUID] = set()
    async with engine.connect() as conn:
        for start in range(0, len(wanted), batch):
            rows = await conn.execute(
                select(processed_messages.c.message_id).where(
                    processed_messages.c.message_id.in_(wanted[start : start + batch])
                )
            )
            seen.update(UUID(str(row.message_id)) for row in rows)
    return seen


def build_corrections(missing: Iterable[MissingDrawDown]) -> list[CorrectiveCommand]:
    """One DrawDownByTcgb per TCGB and carnet, rows merged and ordered: the same input, the same commands."""
    grouped: dict[tuple[str, str], dict[tuple[int, str, int], int]] = defaultdict(lambda: defaultdict(int))
    heads: dict[tuple[str, str], MissingDrawDown] = {}
    for m in missing:
        key = (m.tcgb_number, m.carnet_number)
        heads.setdefault(key, m)
        grouped[key][(m.tcgb_item, m.declaration_number, m.line_no)] += m.quantity
    out: list[CorrectiveCommand] = []
    for key in sorted(grouped):
        head = heads[key]
        rows = tuple(
            TcgbRow(item_no=item, declaration_number=number, line_no=line_no, quantity=q, note=CORRECTION_NOTE)
            for (item, number, line_no), q in sorted(grouped[key].items())
        )
        out.append(
            CorrectiveCommand(
                message_id=correction_message_id(*key),
                carnet_number=head.carnet_number,
                command=DrawDownByTcgb(
                    tcgb_number=head.tcgb_number,
                    regime=head.tcgb_regime,
                    customs_office=head.customs_office,
                    registered_on=head.registered_on,
                    rows=rows,
                ),
            )
        )
    return out


class EnvelopeSender(Protocol):
    """What sends a command envelope to the hub: :class:`hub.runtime.client.HubClient` is one."""

    async def send_envelope(self, message: Envelope[Any]) -> None: ...


async def emit_corrections(
    corrections: Sequence[CorrectiveCommand],
    sender: EnvelopeSender,
    *,
    occurred_at: datetime | None = None,
    topics: TopicCatalog | None = None,
) -> list[Envelope[DrawDownByTcgb]]:
    """Send the corrective commands to ``ata.declaration.commands``; the hub applies (or refuses) them.

    Checks first that topics.yaml lets the topic carry DrawDownByTcgb, so that nothing is sent when
    anything would be refused.
    """
    (topics or catalog()).check_carries(COMMANDS_TOPIC, DrawDownByTcgb.__name__)
    at = occurred_at or datetime.now(UTC)
    messages = [c.envelope(at) for c in corrections]
    for message in messages:
        await sender.send_envelope(message)
    return messages


# --- running it ------------------------------------------------------------------------------

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
    hub = await _load_hub(engine)
    hub_loaded = time.perf_counter()
    rec = _Reconciler(hub, cutover)
    reader = ExportReader(lines_of=ATA_REGIMES_IN_BILGE)  # other declarations' lines are never compared
    step = max(1, progress_every)
    next_report = step
    last_reported = -1
    on_draw_down, on_declaration = rec.draw_down, rec.declaration
    async for chunk in chunks:
        for record in reader.feed(chunk):
            if isinstance(record, ExportDrawDown):
                on_draw_down(record)
            else:
                on_declaration(record)
        read = rec.drawdowns + rec.declarations
        if progress is not None and read >= next_report:
            progress(read)
            last_reported = read
            next_report = (read // step + 1) * step
        await asyncio.sleep(0)  # let the loop breathe between chunks
    for record in reader.close():
        if isinstance(record, ExportDrawDown):
            on_draw_down(record)
        else:
            on_declaration(record)
    candidates = rec.candidates()
    delivered = await _processed(engine, (c.message_id for c in candidates)) if candidates else set()
    corrections = [c for c in candidates if c.message_id not in delivered]
    findings = rec.finish({(c.command.tcgb_number, c.carnet_number) for c in candidates if c.message_id in delivered})
    header = reader.header
    report = Report(
        cutover=cutover,
        export_created_at=header.created_at if header else None,
        export_cutoff=header.cutoff if header else None,
        records_read=rec.drawdowns + rec.declarations,
        declarations_read=rec.declarations,
        drawdowns_read=rec.drawdowns,
        bytes_read=reader.bytes_read,
        hub_entries=len(hub.entries),
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


# --- command line: `hub reconcile bilge SOURCE` ------------------------------------------------

reconcile_app = typer.Typer(help="Compare the hub with the records of other systems.", no_args_is_help=True)


@reconcile_app.callback()
def _group() -> None:
    """Compare the hub with the records of other systems (a group, so that it reads `reconcile bilge`)."""


EXIT_REJECTED: Final = 2  # the export was refused (malformed, hostile, schema-invalid) or unreadable
EXIT_NOT_SENT: Final = 3  # --emit-corrections, but the corrective commands could not be sent


@reconcile_app.command("bilge")
def reconcile_bilge(
    source: Annotated[str, typer.Argument(help="Export file, or the http(s):// URL of BİLGE's export endpoint.")],
    out: Annotated[Path, typer.Option(help="Directory the report is written to.")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="json (report.json) or csv (report.csv).")] = "json",
    cutover: Annotated[str | None, typer.Option(help="L2 cut-over, YYYY-MM-DD (default: $HUB_BILGE_CUTOVER).")] = None,
    database_url: Annotated[str | None, typer.Option(help="The hub's store (default: $HUB_DATABASE_URL).")] = None,
    emit: Annotated[
        bool,
        typer.Option(
            "--emit-corrections",
            help="Send the corrective DrawDownByTcgb commands to the hub through Kafka (never the store).",
        ),
    ] = False,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: $HUB_KAFKA_BOOTSTRAP).")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the outcomes of sent commands; 0: do not wait.")
    ] = 30.0,
    api_key: Annotated[
        str | None, typer.Option(envvar="HUB_BILGE_EXPORT_API_KEY", help="X-Api-Key for the export endpoint.")
    ] = None,
) -> None:
    """Read a BİLGE bulk export and report where BİLGE and the hub disagree (F1, F2, L1, L2)."""
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli_config import configured

    settings = configured(Settings.from_env)
    if fmt not in ("json", "csv"):
        raise typer.BadParameter("json or csv", param_hint="--format")
    try:
        cut = date.fromisoformat(cutover) if cutover else settings.bilge_cutover
    except ValueError:
        raise typer.BadParameter("a date, YYYY-MM-DD", param_hint="--cutover") from None
    report = asyncio.run(
        _reconcile_cli(source, cutover=cut, database_url=database_url or settings.database_url, api_key=api_key)
    )
    if report is None:
        raise typer.Exit(EXIT_REJECTED)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(report, out / "report.json")] if fmt == "json" else write_csv(report, out / "report.csv")
    summary = report.summary()
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    written.append(out / "summary.txt")
    print(summary)
    print("written: " + ", ".join(str(p) for p in written))
    store = database_url or settings.database_url
    where = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    asyncio.run(_record_cli(report, where, [p.resolve() for p in written], database_url=store))
    if emit and report.corrections:
        code = asyncio.run(_emit_cli(report, bootstrap or settings.kafka_bootstrap, wait))
        if code:
            raise typer.Exit(code)


async def _reconcile_cli(source: str, *, cutover: date, database_url: str, api_key: str | None) -> Report | None:
    from hub.runtime.xmlsafe import XmlRejected
    from hub.store.engine import create_engine
    from hub.store.schema import SchemaNotCurrent, require_current

    engine = create_engine(database_url)
    show = print_progress()
    try:
        try:
            await require_current(engine)  # before reading a byte of the export
        except SchemaNotCurrent as exc:
            print(f"reconcile: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
        if source.startswith(("http://", "https://")):
            headers = {"X-Api-Key": api_key} if api_key else None
            return await reconcile_url(source, engine, cutover=cutover, progress=show, headers=headers)
        return await reconcile(Path(source), engine, cutover=cutover, progress=show)
    except XmlRejected as exc:
        print(f"reconcile: export refused: {exc.reason}", file=sys.stderr)
    except (OSError, httpx.HTTPError) as exc:
        print(f"reconcile: cannot read {source}: {exc}", file=sys.stderr)
    finally:
        await engine.dispose()
    return None


async def _record_cli(report: Report, source: str, written: list[Path], *, database_url: str) -> None:
    """Keep the run in the store it was reconciled against, for the operator console. The reports are
    written already: a store that refuses the write is said on stderr, and the command still succeeds."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.engine import create_engine
    from hub.store.reconciliations import record_reconciliation
    from hub.store.schema import SchemaNotCurrent, require_current

    engine = create_engine(database_url)
    try:
        await require_current(engine)
        await record_reconciliation(engine, report, source, written, datetime.now(UTC))
    except (SQLAlchemyError, OSError, SchemaNotCurrent) as exc:
        print(f"reconcile: the run was not recorded in the store: {exc}", file=sys.stderr)
    finally:
        await engine.dispose()


async def _emit_cli(report: Report, bootstrap: str, wait: float) -> int:
    from hub.contract.topics import UndeclaredTopic
    from hub.runtime.client import HubClient

    try:
        catalog().check_carries(COMMANDS_TOPIC, DrawDownByTcgb.__name__)
    except UndeclaredTopic as exc:
        print(f"reconcile: corrective commands not sent: {exc}", file=sys.stderr)
        return EXIT_NOT_SENT
    async with HubClient(bootstrap, principal=BILGE_RECONCILIATION) as client:
        sent = await emit_corrections(report.corrections, client)
        print(f"sent {len(sent)} DrawDownByTcgb command(s) to {COMMANDS_TOPIC}")
        if wait <= 0:
            return 0
        outcomes = await asyncio.gather(*(client.outcome(m, wait) for m in sent), return_exceptions=True)
    applied = refused = silent = 0
    for message, outcome in zip(sent, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            silent += 1  # applied on an earlier run (the hub drops a message id it has seen), or the hub is down
            continue
        refusal = next((e for e in outcome if e.type == "CommandRefused"), None)
        if refusal is None:
            applied += 1
        else:
            refused += 1
            payload = refusal.payload
            print(f"refused: TCGB {message.payload.tcgb_number} ({message.carnet_number}): {payload.reason}")
    print(f"outcomes: {applied} applied, {refused} refused, {silent} without an outcome within {wait:g}s")
    return 0
