"""The report of a reconciliation: its findings, the corrective commands proposed, JSON and CSV.

    write_json(report, out / "report.json"); print(report.summary())
    write_csv(report, out / "report.csv")    # and report-corrections.csv beside it, if any

Each finding names its kind and the rule it is about (F2, L1, L2: the package's docstring says what
each kind means), BİLGE's value and the hub's, what disagrees and what to do about it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from adapters.bilge.reconciliation.corrections import CorrectiveCommand

__all__ = ["CORRECTION_CSV_COLUMNS", "CSV_COLUMNS", "Finding", "Kind", "Report", "Value", "write_csv", "write_json"]


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
