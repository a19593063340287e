"""Reconciliation of BİLGE against the hub: where do they disagree (F1, F2, L1, L2)?

    report = await reconcile(Path("bilge-export.xml"), engine, cutover=settings.bilge_cutover)
    write_json(report, Path("report.json")); print(report.summary())
    await emit_corrections(report.corrections, hub_client)     # only when the operator asks

BİLGE's bulk export (``schemas/bilge/disa-aktarim.xsd``, read by :mod:`adapters.bilge.export`) is
streamed once against a snapshot of the hub's side read before it. In parts:

- :mod:`~adapters.bilge.reconciliation.comparison`: the comparison, pure (no I/O, no SQL, no clock),
  fed BİLGE's records as they stream; memory bounded by the hub's side, never by the records;
- :mod:`hub.store.reconciliation_snapshot`: the hub's side, read from the ``declarations``/
  ``declaration_lines`` projection in three queries, and the look-up of processed message ids;
- :mod:`~adapters.bilge.reconciliation.report`: the findings and the report, written as JSON or CSV;
- :mod:`~adapters.bilge.reconciliation.corrections`: the corrective commands, and sending them;
- :mod:`~adapters.bilge.reconciliation.run`: the three run together over a file, a stream or a URL;
- :mod:`hub.entrypoints.cli_reconcile`: ``hub reconcile bilge``.

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
"""

from adapters.bilge.reconciliation.comparison import Comparison, Outcome, compare
from adapters.bilge.reconciliation.corrections import (
    CorrectiveCommand,
    EnvelopeSender,
    MissingDrawDown,
    build_corrections,
    correction_message_id,
    emit_corrections,
)
from adapters.bilge.reconciliation.report import Finding, Kind, Report, write_csv, write_json
from adapters.bilge.reconciliation.run import Progress, print_progress, reconcile, reconcile_chunks, reconcile_url

__all__ = [
    "Comparison",
    "CorrectiveCommand",
    "EnvelopeSender",
    "Finding",
    "Kind",
    "MissingDrawDown",
    "Outcome",
    "Progress",
    "Report",
    "build_corrections",
    "compare",
    "correction_message_id",
    "emit_corrections",
    "print_progress",
    "reconcile",
    "reconcile_chunks",
    "reconcile_url",
    "write_csv",
    "write_json",
]
