"""The comparison alone (F1, F2, L1, L2): a small hub snapshot in memory against a few BİLGE records.

No database, no export file: the hub's side is :class:`HubSnapshot` as the store would read it, and
BİLGE's records are the export reader's records, written out here.
"""

from __future__ import annotations

import copy
from datetime import date

from adapters.bilge.export import ExportDeclaration, ExportDrawDown, Record
from adapters.bilge.reconciliation import Comparison, Finding, Kind, compare, correction_message_id
from hub.domain.model import Regime, Status
from hub.store.reconciliation_snapshot import HubEntry, HubLine, HubSnapshot

CUTOVER = date(2021, 6, 2)
OFFICE = "220100"
CARNET = "DE/2024/A-100"
ENTRY = "220100ATA0000001"  # a 5800 of the hub
RE_EXPORT = "220100ATA0000002"  # a 3158 of the hub
LEGACY = "20220100IM000666"  # a 5800 registered in BİLGE before the cut-over
T1, T2, T3 = "24220100IM000001", "24220100IM000002", "24220100IM000003"

INSPECTED = Status.INSPECTION_COMPLETED.value


def entry(status: str = INSPECTED, **lines: tuple[int, int, int]) -> HubEntry:
    """A 5800 under CARNET; lines as line_<n>=(quantity, discharged, returned by closed 3158/6326)."""
    return HubEntry(
        carnet=CARNET,
        regime=Regime.TEMPORARY_IMPORT.value,
        status=status,
        lines={int(name.removeprefix("line_")): HubLine(q, d, r) for name, (q, d, r) in lines.items()},
    )


def snapshot(*entries: tuple[str, HubEntry], kinds: dict[str, str] | None = None) -> HubSnapshot:
    return HubSnapshot(entries=dict(entries), kinds=kinds or {}, referenced=set())


def dusum(
    tcgb: str, declaration: str, quantity: int, *, line: int = 1, carnet: str = CARNET, item: int = 1
) -> ExportDrawDown:
    return ExportDrawDown(
        tcgb_number=tcgb,
        tcgb_item=item,
        tcgb_regime="4000",
        customs_office=OFFICE,
        registered_on="2024-05-01",
        declaration_number=declaration,
        carnet_number=carnet,
        line_no=line,
        quantity=quantity,
    )


def beyanname(
    number: str,
    lines: tuple[tuple[int, int], ...],
    *,
    regime: str = "5800",
    on: str = "2020-03-01",
    status: str | None = "ACIK",
    carnet: str = "FR/2020/L-9",
) -> ExportDeclaration:
    return ExportDeclaration(
        number=number,
        regime=regime,
        customs_office=OFFICE,
        registered_on=on,
        carnet_number=carnet,
        status=status,
        lines=lines,
    )


def findings_of(hub: HubSnapshot, *records: Record) -> list[Finding]:
    return compare(hub, records, cutover=CUTOVER).findings


def test_f2_missing_drawdown_counts_hub_tcgbs_apart_from_re_exports_and_blames_the_later_tcgb() -> None:
    # 5 discharged in the hub, 3 of it by a closed 3158: 2 drawn down by TCGBs. BİLGE draws down 2 + 4.
    hub = snapshot((ENTRY, entry(line_1=(10, 5, 3))))

    findings, corrections = compare(hub, [dusum(T1, ENTRY, 2), dusum(T2, ENTRY, 4)], cutover=CUTOVER)

    (finding,) = findings
    assert (finding.kind, finding.rule, finding.line) == (Kind.DRAWDOWN_MISSING_IN_HUB, "F2", 1)
    assert (finding.bilge_value, finding.hub_value) == (6, 2)
    assert "Draw down 4 by DrawDownByTcgb for TCGB 24220100IM000002" in finding.suggested_correction
    (correction,) = corrections  # T1 is covered by the hub's 2; the 4 missing are T2's
    assert correction.message_id == correction_message_id(T2, CARNET)
    assert [(r.declaration_number, r.line_no, r.quantity) for r in correction.command.rows] == [(ENTRY, 1, 4)]


def test_f2_correction_never_beyond_what_is_open_on_the_line() -> None:
    hub = snapshot((ENTRY, entry(line_1=(10, 7, 0))))  # 3 open

    findings, (correction,) = compare(hub, [dusum(T1, ENTRY, 12)], cutover=CUTOVER)

    assert correction.command.rows[0].quantity == 3
    # 5 missing (12 against the hub's 7), which would close the entry; only 3 may be drawn down
    assert [f.kind for f in findings] == [Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE, Kind.DRAWDOWN_MISSING_IN_HUB]
    finding = findings[1]
    assert "the other 2 exceed what is open and would be refused (F2)" in finding.suggested_correction


def test_f2_tcgb_the_hub_processed_already_is_left_out_of_the_corrections() -> None:
    hub = snapshot((ENTRY, entry(line_1=(10, 0, 0))))
    records = [dusum(T1, ENTRY, 4)]
    comparison = Comparison(hub, CUTOVER)
    comparison.feed(records)
    (candidate,) = comparison.candidates()

    (finding,), corrections = comparison.finish(processed={candidate.message_id})

    assert corrections == []
    assert "reached the hub before (its message id is processed)" in finding.suggested_correction


def test_f2_tcgb_naming_another_carnet_is_reported_not_corrected() -> None:
    hub = snapshot((ENTRY, entry(line_1=(10, 0, 0))))

    (finding,), corrections = compare(hub, [dusum(T1, ENTRY, 4, carnet="FR/2024/X-1")], cutover=CUTOVER)

    assert corrections == []
    assert "name another carnet than the hub's DE/2024/A-100" in finding.suggested_correction


def test_f2_open_in_hub_drawn_down_in_bilge_when_every_line_is_accounted_for() -> None:
    # line 1: 4 given back by a closed 3158, BİLGE draws down the other 6; line 2: BİLGE draws all 5.
    hub = snapshot((ENTRY, entry(line_1=(10, 4, 4), line_2=(5, 0, 0))))

    findings = findings_of(hub, dusum(T1, ENTRY, 6), dusum(T1, ENTRY, 5, line=2, item=2))

    assert [(f.kind, f.rule, f.line) for f in findings] == [
        (Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE, "F2", None),
        (Kind.DRAWDOWN_MISSING_IN_HUB, "F2", 1),
        (Kind.DRAWDOWN_MISSING_IN_HUB, "F2", 2),
    ]
    assert (findings[0].bilge_value, findings[0].hub_value) == (11, INSPECTED)


def test_f2_no_finding_when_the_hub_holds_every_tcgb() -> None:
    hub = snapshot((ENTRY, entry(line_1=(10, 6, 2))))  # 4 drawn down by TCGBs in the hub

    assert findings_of(hub, dusum(T1, ENTRY, 1), dusum(T2, ENTRY, 3)) == []


def test_f2_drawdown_of_a_declaration_the_hub_does_not_have() -> None:
    findings = findings_of(snapshot(), dusum(T1, ENTRY, 2), dusum(T2, ENTRY, 3))

    (finding,) = findings
    assert (finding.kind, finding.bilge_value, finding.hub_value) == (Kind.DRAWDOWN_MISSING_IN_HUB, 5, None)
    assert finding.detail == f"the hub has no declaration {ENTRY}; BİLGE draws down 5 in 2 TCGB row(s)"


def test_f1_a_tcgb_drawing_down_a_re_export_is_reported() -> None:
    hub = snapshot(kinds={RE_EXPORT: Regime.RE_EXPORT.value})

    (finding,) = findings_of(hub, dusum(T1, RE_EXPORT, 2))

    assert (finding.kind, finding.hub_value) == (Kind.DRAWDOWN_MISSING_IN_HUB, "3158")
    assert "a TCGB draws down a 5800 or 2600 (F1)" in finding.detail


def test_l1_quantity_mismatch_on_a_legacy_entry_line_by_line() -> None:
    hub = snapshot((LEGACY, entry(line_1=(8, 0, 0), line_3=(2, 0, 0))))

    findings = findings_of(hub, beyanname(LEGACY, ((1, 10), (2, 5), (3, 2))))

    assert [(f.kind, f.rule, f.line, f.bilge_value, f.hub_value) for f in findings] == [
        (Kind.QUANTITY_MISMATCH, "L1", 1, 10, 8),
        (Kind.QUANTITY_MISMATCH, "L1", 2, 5, None),
    ]


def test_l1_legacy_never_referenced_only_when_still_open_in_bilge() -> None:
    open_one, closed, drawn_down, referenced = (f"20220100IM00070{n}" for n in range(4))
    hub = snapshot()
    hub.referenced.add(referenced)

    findings = findings_of(
        hub,
        beyanname(open_one, ((1, 10),)),
        beyanname(closed, ((1, 10),), status="KAPANDI"),
        beyanname(drawn_down, ((1, 10),)),
        beyanname(referenced, ((1, 10),)),
        dusum(T1, open_one, 4, carnet="FR/2020/L-9"),
        dusum(T2, drawn_down, 10, carnet="FR/2020/L-9"),
    )

    (finding,) = findings
    assert (finding.kind, finding.rule, finding.declaration, finding.bilge_value) == (
        Kind.LEGACY_NEVER_REFERENCED,
        "L1",
        open_one,
        6,
    )


def test_l2_post_cutover_anomaly_from_the_cutover_day_its_drawdowns_not_missing() -> None:
    before, on_the_day = "21220100IM000001", "21220100IM000002"

    findings = findings_of(
        snapshot(),
        beyanname(before, ((1, 3),), regime="2600", on="2021-06-01", status="KAPANDI"),
        beyanname(on_the_day, ((1, 3),), regime="2600", on=CUTOVER.isoformat()),
        dusum(T3, on_the_day, 3),
    )

    (finding,) = findings
    assert (finding.kind, finding.rule, finding.declaration) == (Kind.POST_CUTOVER_ANOMALY, "L2", on_the_day)
    assert finding.bilge_value == f"2600 registered on {CUTOVER.isoformat()} at {OFFICE}"


def test_f2_fed_chunk_by_chunk_as_at_once_and_the_snapshot_is_left_as_read() -> None:
    hub = snapshot((ENTRY, entry(line_1=(10, 5, 3), line_2=(4, 0, 0))), kinds={RE_EXPORT: "3158"})
    as_read = copy.deepcopy(hub)
    records: list[Record] = [
        dusum(T1, ENTRY, 2),
        beyanname(LEGACY, ((1, 10),)),
        dusum(T2, ENTRY, 4, line=2),
        dusum(T3, RE_EXPORT, 1),
        dusum(T3, ENTRY, 3),
    ]
    at_once = compare(hub, records, cutover=CUTOVER)

    streamed = Comparison(hub, CUTOVER)
    for chunk in (records[:1], [], records[1:4], records[4:]):
        streamed.feed(chunk)

    assert streamed.finish() == at_once
    assert streamed.records == len(records)
    assert hub == as_read
