"""The comparison of BİLGE's records with the hub's snapshot: pure (no I/O, no SQL, no clock).

    comparison = Comparison(snapshot, cutover)   # a hub.store.reconciliation_snapshot.HubSnapshot
    comparison.feed(records)                      # BİLGE's records as they stream, chunk by chunk
    ids = [c.message_id for c in comparison.candidates()]
    findings, corrections = comparison.finish(processed=ids_the_hub_has_processed)

or at once: ``compare(snapshot, records, cutover=...)``. Each record is counted and dropped: memory
is bounded by the hub's regime-entry lines, the distinct lines BİLGE draws down that the hub does not
have, BİLGE's 5800/2600 numbers and open legacy declarations, and the findings: never by the number
of records. The kinds of findings: :mod:`adapters.bilge.reconciliation`.

Which TCGB is missing, when totals disagree
-------------------------------------------
Totals say how much is missing on a line, not which TCGB. The export is read in its order (BİLGE
writes it in registration order): the hub's TCGB quantity is taken to cover BİLGE's first
drawing-downs of the line, and what exceeds it is attributed to the later ones. The corrective
command names those TCGBs; the quantity drawn down is right either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final, NamedTuple
from uuid import UUID

from adapters.bilge.export import ExportDeclaration, ExportDrawDown, Record
from adapters.bilge.reconciliation.corrections import (
    CorrectiveCommand,
    MissingDrawDown,
    build_corrections,
    line_correction,
)
from adapters.bilge.reconciliation.report import Finding, Kind, Value
from hub.domain.bilge import ATA_REGIMES_IN_BILGE
from hub.domain.model import Status
from hub.store.reconciliation_snapshot import ENTRY_REGIMES, HubEntry, HubSnapshot

__all__ = ["Comparison", "Outcome", "compare"]

_LIVE: Final = frozenset(s.value for s in Status if s.is_live)
_INSPECTED: Final = Status.INSPECTION_COMPLETED.value
_CLOSED_IN_BILGE: Final = "KAPANDI"


class Outcome(NamedTuple):
    findings: list[Finding]  # in kind order, then by declaration and line
    corrections: list[CorrectiveCommand]  # what the hub could apply and has not processed yet


@dataclass(slots=True)
class _Line:
    quantity: int
    discharged: int
    returned: int  # given back by closed 3158/6326
    tcgb_in_hub: int  # drawn down by TCGBs in the hub: discharged - returned (see the snapshot's module)
    bilge: int = 0  # BİLGE's TCGB drawing-downs of it in the export


@dataclass(slots=True)
class _Entry:
    carnet: str
    regime: str
    status: str
    lines: dict[int, _Line]
    drawn_in_bilge: bool = False


def _working(entry: HubEntry) -> _Entry:
    """The comparison's own copy of an entry, counting BİLGE's drawing-downs (the snapshot stays as read)."""
    lines = {
        no: _Line(line.quantity, line.discharged, line.returned, max(0, line.discharged - line.returned))
        for no, line in entry.lines.items()
    }
    return _Entry(carnet=entry.carnet, regime=entry.regime, status=entry.status, lines=lines)


@dataclass(slots=True)
class _Elsewhere:  # BİLGE's drawing-downs of a line the hub has no entry line for
    quantity: int
    carnet: str
    tcgbs: int


class Comparison:
    """BİLGE's records against one snapshot of the hub, fed as they stream; findings at the end."""

    def __init__(self, hub: HubSnapshot, cutover: date) -> None:
        self.entries = {number: _working(entry) for number, entry in hub.entries.items()}
        self.kinds = hub.kinds  # the snapshot's entries are copied, so that the caller may drop them
        self.referenced = hub.referenced
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
        self._candidates: list[CorrectiveCommand] | None = None
        self.declarations = 0
        self.drawdowns = 0

    @property
    def records(self) -> int:
        return self.declarations + self.drawdowns

    def feed(self, records: Iterable[Record]) -> None:
        """Compare these records (a chunk's worth, in the export's order), keeping none of them."""
        on_draw_down, on_declaration = self.draw_down, self.declaration
        for record in records:
            if isinstance(record, ExportDrawDown):
                on_draw_down(record)
            else:
                on_declaration(record)

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
        elif b.regime in ENTRY_REGIMES:
            self.bilge_entries.add(b.number)
            if b.number not in self.referenced and b.number not in self.kinds and b.status != _CLOSED_IN_BILGE:
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
        if self._candidates is None:
            self._candidates = build_corrections(self._applicable_missing())
        return self._candidates

    def finish(self, processed: Collection[UUID] = frozenset()) -> Outcome:
        """Every finding, and the corrections to send: the candidates whose message id is not among
        ``processed`` (the ids the hub has processed already, applied or refused)."""
        candidates = self.candidates()
        delivered = {(c.command.tcgb_number, c.carnet_number) for c in candidates if c.message_id in processed}
        findings: list[Finding] = []
        for number in sorted(n for n, e in self.entries.items() if e.drawn_in_bilge):
            findings.extend(self._entry_findings(number, self.entries[number], delivered))
        findings.extend(self._elsewhere_findings())
        findings.extend(self._legacy_findings())
        findings.extend(self.findings)
        order = {kind: i for i, kind in enumerate(Kind)}
        findings.sort(key=lambda f: (order[f.kind], f.declaration, f.line or 0))
        return Outcome(findings, [c for c in candidates if c.message_id not in processed])

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
                    suggested_correction=line_correction(
                        entry.status,
                        entry.carnet,
                        self._missing_by_line.get(key, []),
                        self._other_carnet.get(key, set()),
                        delivered,
                    ),
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

    def _elsewhere_findings(self) -> list[Finding]:
        out: list[Finding] = []
        for (number, line_no), seen in sorted(self.elsewhere.items()):
            if number in self.bilge_entries:
                continue  # a legacy declaration of BİLGE's own, drawn down in BİLGE
            entry = self.entries.get(number)
            regime = self.kinds.get(number)
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


def compare(
    hub: HubSnapshot, records: Iterable[Record], *, cutover: date, processed: Collection[UUID] = frozenset()
) -> Outcome:
    """The whole comparison at once: BİLGE's records against the hub's snapshot."""
    comparison = Comparison(hub, cutover)
    comparison.feed(records)
    return comparison.finish(processed)
