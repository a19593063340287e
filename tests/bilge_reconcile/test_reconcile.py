"""`hub reconcile bilge`: a BİLGE bulk export against the hub's store (F1, F2, L1, L2).

No Kafka: the store is a SQLite file seeded through the carnet repository (so the projection is the
one the core writes) or through the core service itself; corrective commands go to a fake sender.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from adapters.bilge.export import NS, ExportReader
from adapters.bilge.reconciliation import (
    CorrectiveCommand,
    Finding,
    Kind,
    MissingDrawDown,
    Report,
    build_corrections,
    correction_message_id,
    emit_corrections,
    reconcile,
    reconcile_url,
    write_csv,
    write_json,
)
from adapters.bilge.service import drawdown_id
from hub.contract.messages.envelope import Envelope, envelope
from hub.contract.topics import TopicCatalog, TopicSpec, UndeclaredTopic, catalog
from hub.domain.bilge import DrawDownByTcgb, TcgbRow
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import AcceptDeclaration, CompleteInspection, LineQuantity
from hub.domain.model import (
    Carnet,
    CarnetSource,
    Declarant,
    Declaration,
    DeclarationLine,
    OfficeKind,
    Regime,
    Status,
)
from hub.entrypoints.cli_reconcile import reconcile_app
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.runtime.kafka.security import BILGE_RECONCILIATION
from hub.runtime.xmlsafe import XmlRejected
from hub.service.core import CoreService
from hub.store.carnets import CarnetRepository
from hub.store.engine import create_engine, create_schema
from hub.store.tables import processed_messages
from hub.store.uow import AlreadyProcessed
from tests.conftest import SESSION_DAY
from tests.domain import builders
from tests.e2e.helpers import foreign_5800, unique
from tests.store_fixture import StoreKind

CUTOVER = date(2021, 6, 2)
BORDER = "220100"
LODGED_AT = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
HOLDER = Declarant(id_kind="VKN", id_value="4810023456", name="Anadolu Sahne Teknik A.Ş.", acts_as="holder")

C1 = "DE/2024/A-100"  # foreign carnet: a 5800 with a re-export
C2 = "TR/2024/000777"  # Turkish carnet: 2600s, one re-imported through a GİRİŞ
C3 = "FR/2020/L-9"  # a legacy 5800 of BİLGE's, imported into the hub (L1)

E1 = "220100ATA0000001"  # 5800, line 1 partly re-exported, partly drawn down; line 2 drawn down
R1 = "220100ATA0000002"  # 3158 at the border, closed: gave 2 of E1 line 1 back (R1)
REF = "220100ATA0000009"  # a lodged 3158 referencing BİLGE's legacy 20220100IM000666
E4 = "220100ATA0000007"  # 5800, closed: its 2 drawn down by a TCGB (F2)
E2 = "220100ATA0000003"  # 2600, nothing discharged in the hub; BİLGE drew all of it down
E3 = "220100ATA0000004"  # 2600, 4 of 6 re-imported inland (GİRİŞ + 6326, I2)
G1 = "220100ATA0000005"  # its GİRİŞ, closed
I1 = "342000ATA0000006"  # its 6326 inland, closed: gave 4 back through the GİRİŞ
LEGACY_IN_HUB = "21220100IM000111"

T1, T2, T3, T4, T5, T6 = (f"24220100IM{n:06d}" for n in range(1, 7))


# --- the hub's store ---------------------------------------------------------------------------


def carnet_data(number: str, quantities: tuple[int, ...]) -> CarnetData:
    country = number[:2]
    return CarnetData(
        carnet_number=number,
        holder_name="Lichtwerk Bühnentechnik GmbH",
        issuing_country=country,
        issuing_chamber="DIHK Berlin" if country != "TR" else "İstanbul Ticaret Odası",
        issued_on=date(2024, 3, 1),
        valid_until=date(2025, 2, 28),
        goods=tuple(
            GoodsListLine(
                line_no=i,
                description=f"goods line {i}",
                quantity=q,
                weight_kg=Decimal("10"),
                value=Decimal("1000"),
                currency="EUR",
                origin_country=country,
            )
            for i, q in enumerate(quantities, start=1)
        ),
    )


def declaration(
    number: str,
    regime: Regime,
    status: Status,
    lines: dict[int, tuple[int, int]],
    previous: str | None = None,
    office: str = BORDER,
    **extra: Any,
) -> Declaration:
    return Declaration(
        number=number,
        regime=regime,
        customs_office=office,
        office_kind=OfficeKind.BORDER if office == BORDER else OfficeKind.INLAND,
        status=status,
        declarant=HOLDER,
        lodged_at=LODGED_AT,
        lines={n: DeclarationLine(line_no=n, quantity=q, discharged=d) for n, (q, d) in lines.items()},
        previous_declaration=previous,
        **extra,
    )


def carnet(number: str, quantities: tuple[int, ...], *declarations: Declaration) -> Carnet:
    source = CarnetSource.TOBB if number.startswith("TR") else CarnetSource.DECLARANT
    return Carnet(data=carnet_data(number, quantities), source=source, declarations={d.number: d for d in declarations})


done, open_, closed = Status.INSPECTION_COMPLETED, Status.LODGED, Status.CLOSED

HUB = (
    carnet(
        C1,
        (10, 5),
        declaration(E1, Regime.TEMPORARY_IMPORT, done, {1: (10, 4), 2: (5, 5)}),
        declaration(R1, Regime.RE_EXPORT, closed, {1: (2, 0)}, previous=E1),
        declaration(REF, Regime.RE_EXPORT, open_, {1: (1, 0)}, previous="20220100IM000666"),
        declaration(E4, Regime.TEMPORARY_IMPORT, closed, {1: (2, 2)}, closed_by="F2"),
    ),
    carnet(
        C2,
        (3, 6),
        declaration(E2, Regime.TEMPORARY_EXPORT, done, {1: (3, 0)}),
        declaration(E3, Regime.TEMPORARY_EXPORT, done, {2: (6, 4)}),
        declaration(G1, Regime.TRANSIT_IN, closed, {2: (4, 0)}, previous=E3),
        declaration(I1, Regime.RE_IMPORT, closed, {2: (4, 0)}, previous=G1, office="342000"),
    ),
    carnet(C3, (8,), declaration(LEGACY_IN_HUB, Regime.TEMPORARY_IMPORT, done, {1: (7, 0)}, legacy=True)),
)


@pytest.fixture
async def engine(stores: StoreKind) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(stores.new_url())
    await create_schema(engine)
    async with engine.begin() as conn:
        repo = CarnetRepository(conn)
        for c in HUB:
            await repo.save(c)
    yield engine
    await engine.dispose()


# --- the export ----------------------------------------------------------------------------------


def beyanname(
    number: str,
    regime: str,
    registered: str,
    lines: Iterable[tuple[int, int]] = (),
    carnet: str | None = None,
    status: str | None = None,
) -> str:
    parts = [
        f"<Beyanname><BeyannameNo>{number}</BeyannameNo><Rejim>{regime}</Rejim>",
        f"<GumrukIdaresi>{BORDER}</GumrukIdaresi><TescilTarihi>{registered}</TescilTarihi>",
        f"<KarneNo>{carnet}</KarneNo>" if carnet else "",
        f"<Durum>{status}</Durum>" if status else "",
        *(f"<Kalem><KalemNo>{n}</KalemNo><Miktar>{q}</Miktar></Kalem>" for n, q in lines),
        "</Beyanname>",
    ]
    return "".join(parts)


def dusum(
    tcgb: str, item: int, declaration: str, carnet: str, line: int, quantity: int, registered: date = date(2025, 1, 6)
) -> str:
    return (
        f"<Dusum><TcgbNo>{tcgb}</TcgbNo><TcgbKalemNo>{item}</TcgbKalemNo><TcgbRejim>4000</TcgbRejim>"
        f"<GumrukIdaresi>{BORDER}</GumrukIdaresi><TescilTarihi>{registered}</TescilTarihi>"
        f"<BeyannameNo>{declaration}</BeyannameNo><KarneNo>{carnet}</KarneNo>"
        f"<KalemNo>{line}</KalemNo><Miktar>{quantity}</Miktar></Dusum>"
    )


def export(*records: str, header: bool = True) -> bytes:
    head = (
        "<Baslik><OlusturmaZamani>2025-01-10T03:00:00+03:00</OlusturmaZamani>"
        "<KesimTarihi>2025-01-09</KesimTarihi></Baslik>\n"
        if header
        else ""
    )
    body = "\n".join(records)
    root = f'<DisaAktarim xmlns="{NS}" surum="1">'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}\n{head}{body}\n</DisaAktarim>\n'.encode()


EXPORT_RECORDS = (
    # E1 line 1: the hub holds 4 discharged, 2 of them by the 3158: 2 by TCGBs. BİLGE: T1 2 + T2 3.
    dusum(T1, 1, E1, C1, 1, 2),
    dusum(T2, 1, E1, C1, 1, 3),
    dusum(T1, 2, E1, C1, 2, 5),  # E1 line 2: 5 by TCGBs on both sides
    # E2: nothing in the hub, BİLGE draws all 3 down
    dusum(T3, 1, E2, C2, 1, 3),
    # E3: 4 of 6 re-imported through GİRİŞ + 6326 (I2); BİLGE draws down the other 2
    dusum(T4, 1, E3, C2, 2, 2),
    # the hub's legacy entry: BİLGE declared 8, the hub holds 7
    beyanname(LEGACY_IN_HUB, "5800", "2021-03-01", [(1, 8)], carnet=C3),
    # BİLGE's own legacy declarations, pre-cut-over
    beyanname("20220100IM000222", "5800", "2020-11-02", [(1, 3), (2, 1)], carnet="DE/2020/X-1"),
    dusum(T5, 1, "20220100IM000222", "DE/2020/X-1", 1, 1),  # 3 of 4 still open
    beyanname("20220100IM000333", "2600", "2020-12-01", [(1, 2)], carnet="TR/2020/000333", status="KAPANDI"),
    beyanname("20220100IM000444", "5800", "2021-01-05", [(1, 2)], carnet="DE/2021/X-4", status="ACIK"),
    dusum(T5, 2, "20220100IM000444", "DE/2021/X-4", 1, 2),  # drawn down entirely in BİLGE
    beyanname("20220100IM000666", "5800", "2021-02-01", [(1, 1)], carnet=C1),  # the hub references it
    # after the cut-over BİLGE took an ATA regime code
    beyanname("22220100IM000555", "3158", "2022-01-10", [(1, 1)], carnet="DE/2021/X-5"),
    beyanname("21220100IM000777", "2600", "2021-06-02", [(1, 1)], carnet="TR/2021/000777"),  # on the day
    # an ordinary TCGB declaration: nothing to compare
    beyanname(T1, "4000", "2025-01-06", [(1, 2), (2, 5)]),
    # a drawing-down of something the hub does not have
    dusum(T6, 1, "220100ATA9999999", "DE/2024/Z-1", 1, 4),
    dusum(T6, 2, E1, C1, 7, 1),  # a line E1 does not have
)


async def run(engine: AsyncEngine, data: bytes, **kwargs: Any) -> Report:
    return await reconcile(io.BytesIO(data), engine, cutover=CUTOVER, **kwargs)


def only(report: Report, kind: Kind) -> list[Finding]:
    return [f for f in report.findings if f.kind is kind]


# --- the kinds of findings -----------------------------------------------------------------------


async def test_f2_drawdown_missing_in_hub_counts_hub_tcgbs_apart_from_re_exports(engine: AsyncEngine) -> None:
    # rule: F2, the hub's TCGB quantity is discharged minus what closed 3158/6326 gave back
    report = await run(engine, export(*EXPORT_RECORDS))
    missing = {(f.declaration, f.line): f for f in only(report, Kind.DRAWDOWN_MISSING_IN_HUB)}
    assert set(missing) == {(E1, 1), (E2, 1), (E3, 2), ("220100ATA9999999", 1), (E1, 7)}
    e1 = missing[(E1, 1)]
    assert (e1.bilge_value, e1.hub_value, e1.carnet, e1.rule) == (5, 2, C1, "F2")
    assert T2 in e1.suggested_correction and T1 not in e1.suggested_correction  # the later TCGB is missing
    assert (missing[(E2, 1)].bilge_value, missing[(E2, 1)].hub_value) == (3, 0)
    # E3: 4 discharged, all by the inland 6326 through its GİRİŞ (I2): no TCGB in the hub
    assert (missing[(E3, 2)].bilge_value, missing[(E3, 2)].hub_value) == (2, 0)
    unknown = missing[("220100ATA9999999", 1)]
    assert (unknown.bilge_value, unknown.hub_value, unknown.carnet) == (4, None, "DE/2024/Z-1")
    assert "no declaration" in unknown.detail
    assert "no goods line 7" in missing[(E1, 7)].detail
    assert (E1, 2) not in missing  # 5 by TCGBs on both sides


async def test_f2_open_in_hub_fully_drawn_down_in_bilge(engine: AsyncEngine) -> None:
    # rule: F2, an entry closes once everything is accounted for by re-exports/re-imports and TCGBs
    report = await run(engine, export(*EXPORT_RECORDS))
    found = {f.declaration: f for f in only(report, Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE)}
    assert set(found) == {E2, E3}  # E1 line 1: 2 re-exported + 5 drawn down < 10
    assert (found[E2].bilge_value, found[E2].hub_value, found[E2].line) == (3, "inspection_completed", None)
    assert (found[E3].bilge_value, found[E3].carnet) == (2, C2)


async def test_l1_quantity_mismatch_on_a_legacy_entry(engine: AsyncEngine) -> None:
    # rule: L1, the legacy entry the hub imported is BİLGE's declaration, line for line
    report = await run(engine, export(*EXPORT_RECORDS))
    [mismatch] = only(report, Kind.QUANTITY_MISMATCH)
    assert (mismatch.declaration, mismatch.line, mismatch.bilge_value, mismatch.hub_value) == (LEGACY_IN_HUB, 1, 8, 7)
    assert (mismatch.carnet, mismatch.rule) == (C3, "L1")


async def test_l1_legacy_never_referenced_only_when_still_open_in_bilge(engine: AsyncEngine) -> None:
    # rule: L1, closed in BİLGE, drawn down entirely by TCGBs, or referenced by the hub: nothing to finish
    report = await run(engine, export(*EXPORT_RECORDS))
    [legacy] = only(report, Kind.LEGACY_NEVER_REFERENCED)
    assert (legacy.declaration, legacy.bilge_value, legacy.hub_value, legacy.carnet) == (
        "20220100IM000222",
        3,
        None,
        "DE/2020/X-1",
    )
    assert "previous declaration 20220100IM000222" in legacy.suggested_correction


async def test_l2_post_cutover_anomalies_from_the_cutover_day(engine: AsyncEngine) -> None:
    # rule: L2, an ATA regime code in BİLGE on or after the cut-over is reported, never applied
    report = await run(engine, export(*EXPORT_RECORDS))
    found = {f.declaration: f for f in only(report, Kind.POST_CUTOVER_ANOMALY)}
    assert set(found) == {"22220100IM000555", "21220100IM000777"}
    assert found["22220100IM000555"].bilge_value == "3158 registered on 2022-01-10 at 220100"
    assert found["21220100IM000777"].rule == "L2"


async def test_report_counts_and_files(engine: AsyncEngine, tmp_path: Path) -> None:
    report = await run(engine, export(*EXPORT_RECORDS))
    assert report.counts == {
        Kind.OPEN_IN_HUB_DRAWN_DOWN_IN_BILGE: 2,
        Kind.DRAWDOWN_MISSING_IN_HUB: 5,
        Kind.QUANTITY_MISMATCH: 1,
        Kind.LEGACY_NEVER_REFERENCED: 1,
        Kind.POST_CUTOVER_ANOMALY: 2,
    }
    assert (report.records_read, report.declarations_read, report.drawdowns_read) == (17, 8, 9)
    assert report.export_cutoff == date(2025, 1, 9)
    assert report.hub_entries == 5
    data = json.loads(write_json(report, tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["counts"]["DRAWDOWN_MISSING_IN_HUB"] == 5
    assert len(data["findings"]) == 11 and len(data["corrections"]) == 3
    written = write_csv(report, tmp_path / "report.csv")
    rows = written[0].read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("kind,rule,declaration,line,carnet,bilge_value,hub_value")
    assert len(rows) == 12
    assert written[1].read_text(encoding="utf-8").count("\n") == 4  # header + one row per TCGB row
    summary = report.summary()
    assert "POST_CUTOVER_ANOMALY" in summary and "17 records" in summary


async def test_no_findings_when_bilge_and_hub_agree(engine: AsyncEngine) -> None:
    report = await run(engine, export(dusum(T1, 1, E1, C1, 1, 2), dusum(T1, 2, E1, C1, 2, 5)))
    assert report.findings == [] and report.corrections == []


# --- corrective commands -------------------------------------------------------------------------


async def test_f2_corrections_draw_down_what_is_missing_one_command_per_tcgb_and_carnet(engine: AsyncEngine) -> None:
    # rule: F2
    report = await run(engine, export(*EXPORT_RECORDS))
    by_tcgb = {c.command.tcgb_number: c for c in report.corrections}
    assert set(by_tcgb) == {T2, T3, T4}  # not T6: an unknown declaration and line cannot be drawn down
    t2 = by_tcgb[T2]
    assert t2.carnet_number == C1
    assert t2.message_id == drawdown_id(T2, C1)  # the BİLGE adapter's id: a TCGB draws down once
    assert t2.command.model_dump() == {
        "tcgb_number": T2,
        "regime": "4000",
        "customs_office": BORDER,
        "registered_on": date(2025, 1, 6),
        "rows": (
            {
                "item_no": 1,
                "declaration_number": E1,
                "line_no": 1,
                "quantity": 3,
                "note": "hub reconcile bilge: drawn down in BİLGE, missing in the hub",
            },
        ),
    }
    assert [r.quantity for r in by_tcgb[T4].command.rows] == [2]


async def test_corrections_are_deterministic(engine: AsyncEngine) -> None:
    first = await run(engine, export(*EXPORT_RECORDS))
    again = await run(engine, export(*EXPORT_RECORDS))
    assert [c.to_dict() for c in first.corrections] == [c.to_dict() for c in again.corrections]
    rows = [
        MissingDrawDown(T2, 2, "4000", BORDER, date(2025, 1, 6), E1, 2, C1, 1),
        MissingDrawDown(T2, 1, "4000", BORDER, date(2025, 1, 6), E1, 1, C1, 2),
        MissingDrawDown(T2, 1, "4000", BORDER, date(2025, 1, 6), E1, 1, C1, 1),  # same row: merged
        MissingDrawDown(T3, 1, "4000", BORDER, date(2025, 1, 6), E2, 1, C2, 3),
    ]
    built = [build_corrections(random.Random(seed).sample(rows, len(rows))) for seed in range(5)]
    assert all(b == built[0] for b in built)
    t2 = built[0][0]
    assert [(r.item_no, r.line_no, r.quantity) for r in t2.command.rows] == [(1, 1, 3), (2, 2, 1)]
    assert t2.message_id == correction_message_id(T2, C1) == drawdown_id(T2, C1)


async def test_f2_correction_never_beyond_what_is_open_nor_on_a_closed_entry(engine: AsyncEngine) -> None:
    # rule: F2, drawing down more than is open is refused: no command for it
    report = await run(engine, export(dusum(T1, 1, E2, C2, 1, 3), dusum(T2, 1, E2, C2, 1, 2)))
    [finding] = only(report, Kind.DRAWDOWN_MISSING_IN_HUB)
    assert (finding.bilge_value, finding.hub_value) == (5, 0)
    assert "the other 2 exceed what is open" in finding.suggested_correction
    assert [(c.command.tcgb_number, c.command.rows[0].quantity) for c in report.corrections] == [(T1, 3)]
    # a closed entry: nothing to draw down
    report = await run(engine, export(dusum(T1, 1, E4, C1, 1, 2), dusum(T2, 1, E4, C1, 1, 1)))
    [finding] = only(report, Kind.DRAWDOWN_MISSING_IN_HUB)
    assert (finding.bilge_value, finding.hub_value) == (3, 2)
    assert finding.suggested_correction.startswith("The hub's entry is closed")
    assert report.corrections == []


async def test_f1_a_tcgb_draws_down_regime_entries_only(engine: AsyncEngine) -> None:
    # rule: F1, a TCGB's "TCGB Açmalar" reference 5800/2600 declarations; a 3158 is reported, not drawn down
    report = await run(engine, export(dusum(T1, 1, R1, C1, 1, 1)))
    [finding] = only(report, Kind.DRAWDOWN_MISSING_IN_HUB)
    assert (finding.declaration, finding.bilge_value, finding.hub_value) == (R1, 1, "3158")
    assert report.corrections == []


async def test_f2_tcgb_naming_another_carnet_is_not_corrected(engine: AsyncEngine) -> None:
    # rule: F2, a TCGB naming another carnet than the one the hub keeps the entry under would be refused
    report = await run(engine, export(dusum(T2, 1, E1, C1, 1, 2), dusum(T3, 1, E1, "DE/2024/OTHER", 1, 1)))
    [finding] = only(report, Kind.DRAWDOWN_MISSING_IN_HUB)
    assert finding.bilge_value == 3 and "another carnet" in finding.suggested_correction
    assert report.corrections == []


async def test_f2_tcgb_the_hub_processed_before_is_left_out(engine: AsyncEngine) -> None:
    # rule: F2, the hub applied (or refused) that message id: sending it again would change nothing
    async with engine.begin() as conn:
        await conn.execute(
            insert(processed_messages).values(
                consumer="hub-core", message_id=str(drawdown_id(T3, C2)), processed_at=LODGED_AT
            )
        )
    report = await run(engine, export(*EXPORT_RECORDS))
    assert {c.command.tcgb_number for c in report.corrections} == {T2, T4}
    [e2] = [f for f in only(report, Kind.DRAWDOWN_MISSING_IN_HUB) if f.declaration == E2]
    assert "reached the hub before" in e2.suggested_correction


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Envelope[Any]] = []

    async def send_envelope(self, message: Envelope[Any]) -> None:
        self.sent.append(message)


def commands_topic(*types: str) -> TopicCatalog:
    return TopicCatalog(
        [
            TopicSpec(
                name="ata.declaration.commands",
                description="",
                partitions=1,
                replication_factor=1,
                cleanup_policy="delete",
                retention_ms=1,
                key="carnet_number",
                messages={t: f"schemas/json/{t}.v1.json" for t in types},
                producers=(),
                consumers=(),
            )
        ]
    )


async def test_emit_sends_through_the_commands_topic_with_the_deterministic_ids() -> None:
    command = DrawDownByTcgb(
        tcgb_number=T2,
        regime="4000",
        customs_office=BORDER,
        registered_on=date(2025, 1, 6),
        rows=(TcgbRow(item_no=1, declaration_number=E1, line_no=1, quantity=3),),
    )
    corrections = [CorrectiveCommand(message_id=correction_message_id(T2, C1), carnet_number=C1, command=command)]
    sender = FakeSender()
    at = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    sent = await emit_corrections(corrections, sender, occurred_at=at, topics=commands_topic("DrawDownByTcgb"))
    assert sender.sent == sent
    [message] = sent
    assert (message.message_id, message.type, message.carnet_number, message.key) == (
        drawdown_id(T2, C1),
        "DrawDownByTcgb",
        C1,
        C1.encode(),
    )
    assert message.payload == command
    # a topic that does not carry DrawDownByTcgb: refused before anything is sent
    sender = FakeSender()
    with pytest.raises(UndeclaredTopic):
        await emit_corrections(corrections, sender, topics=commands_topic("LodgeDeclaration"))
    assert sender.sent == []


# --- streaming, progress, the export endpoint ----------------------------------------------------


async def test_progress_is_reported_while_reading(engine: AsyncEngine) -> None:
    records = [dusum(T1, 1 + i % 9, E1, C1, 1, 1) for i in range(2_500)]
    seen: list[int] = []
    report = await reconcile(
        io.BytesIO(export(*records)),
        engine,
        cutover=CUTOVER,
        progress=seen.append,
        progress_every=500,
        chunk_size=4096,
    )
    assert seen == sorted(seen) and seen[-1] == report.records_read == 2_500
    assert len(seen) >= 4


async def test_records_split_anywhere_across_chunks(engine: AsyncEngine) -> None:
    whole = await run(engine, export(*EXPORT_RECORDS))
    for size in (1, 7, 64):
        split = await reconcile(io.BytesIO(export(*EXPORT_RECORDS)), engine, cutover=CUTOVER, chunk_size=size)
        assert split.findings == whole.findings


async def test_reconcile_from_a_path_and_from_the_export_endpoint(engine: AsyncEngine, tmp_path: Path) -> None:
    data = export(*EXPORT_RECORDS)
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    from_file = await reconcile(path, engine, cutover=CUTOVER)

    def serve(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Api-Key"] == "k"
        return httpx.Response(200, content=data, headers={"Content-Type": "application/xml"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as http:
        from_url = await reconcile_url(
            "https://bilge.example/disa-aktarim", engine, cutover=CUTOVER, http=http, headers={"X-Api-Key": "k"}
        )
    assert from_url.findings == from_file.findings
    assert from_url.corrections == from_file.corrections


# --- hostile and invalid exports -----------------------------------------------------------------

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE DisaAktarim [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<DisaAktarim xmlns="{NS}" surum="1"><Baslik><OlusturmaZamani>&d;</OlusturmaZamani></Baslik></DisaAktarim>
""".encode()

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE DisaAktarim [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<DisaAktarim xmlns="{NS}" surum="1">&x;</DisaAktarim>
""".encode()


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, XXE, BILLION_LAUGHS.decode().encode("utf-16")],
    ids=["entity-bomb", "external-entity", "utf-16-doctype"],
)
async def test_hostile_export_is_refused(engine: AsyncEngine, data: bytes) -> None:
    with pytest.raises(XmlRejected, match="hostile: a DOCTYPE is not allowed"):
        await run(engine, data)


async def test_doctype_split_across_chunks_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(XmlRejected, match="hostile"):
        await reconcile(io.BytesIO(BILLION_LAUGHS), engine, cutover=CUTOVER, chunk_size=3)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (export(dusum(T1, 1, E1, C1, 1, 0)), r"schema-invalid records .* line 4: .*Miktar"),
        (export(beyanname("2022IM1", "5800", "2021-01-01")), r"schema-invalid records .*BeyannameNo"),
        (export(dusum(T1, 1, E1, C1, 1, 1), "<Fazla/>", dusum(T1, 2, E1, C1, 1, 1)), "unexpected Fazla"),
        (export(dusum(T1, 1, E1, C1, 1, 1), "<Fazla/>"), "unexpected Fazla"),
        (export(dusum(T1, 1, E1, C1, 1, 1), header=False), "header .* must come first"),
        (export(dusum(T1, 1, E1, C1, 1, 1)).replace(b'surum="1"', b'surum="2"'), "surum '2'"),
        (export(dusum(T1, 1, E1, C1, 1, 1)).replace(NS.encode(), b"urn:other"), "root element"),
        (export(dusum(T1, 1, E1, C1, 1, 1))[:-30], "malformed"),
        (b"", "malformed"),
        (export(dusum(T1, 1, E1, C1, 1, 1), "junk", dusum(T1, 2, E1, C1, 1, 1)), "schema-invalid records"),
        (export(dusum(T1, 1, E1, C1, 1, 1)).replace(b'surum="1">', b'surum="1">junk'), "text before the header"),
    ],
    ids=[
        "bad-quantity",
        "bad-number",
        "stranger",
        "stranger-at-end",
        "no-header",
        "version",
        "namespace",
        "cut",
        "empty",
        "text-between",
        "text-before",
    ],
)
async def test_invalid_export_is_refused_with_the_reason(engine: AsyncEngine, data: bytes, reason: str) -> None:
    with pytest.raises(XmlRejected, match=reason):
        await run(engine, data)


def test_reader_keeps_no_records_behind() -> None:
    reader = ExportReader()
    data = export(*(dusum(T1, 1 + i % 9, E1, C1, 1, 1) for i in range(1_000)))
    got = 0
    for start in range(0, len(data), 8192):
        got += len(reader.feed(data[start : start + 8192]))
        assert reader.held <= 2  # the last record read and the one being parsed, however long the export
    got += len(reader.close())
    assert got == 1_000


# --- the command line (the lead wires reconcile_app as `hub reconcile`) ----------------------------


async def test_cli_writes_the_report_and_the_summary(engine: AsyncEngine, tmp_path: Path) -> None:
    export_file = tmp_path / "export.xml"
    export_file.write_bytes(export(*EXPORT_RECORDS))
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    common = ["--cutover", "2021-06-02", "--database-url", url]

    def invoke(*args: str) -> Result:
        return runner.invoke(reconcile_app, ["bilge", *args, *common])

    result = await asyncio.to_thread(invoke, str(export_file), "--out", str(tmp_path / "json"))
    assert result.exit_code == 0, result.output
    assert "DRAWDOWN_MISSING_IN_HUB" in result.output
    report = json.loads((tmp_path / "json" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["counts"]["POST_CUTOVER_ANOMALY"] == 2
    assert (tmp_path / "json" / "summary.txt").read_text(encoding="utf-8").startswith("BİLGE reconciliation")

    result = await asyncio.to_thread(invoke, str(export_file), "--out", str(tmp_path / "csv"), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {"report.csv", "report-corrections.csv", "summary.txt"}

    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(BILLION_LAUGHS)
    result = await asyncio.to_thread(invoke, str(hostile), "--out", str(tmp_path / "no"))
    assert result.exit_code == 2
    assert not (tmp_path / "no").exists()


# --- against the real core: what the core records is what the reconciliation reads ----------------


async def test_f2_round_trip_through_the_core(stores: StoreKind) -> None:
    # rule: F2, a TCGB the core applied is not missing; the corrective command, applied by the core,
    # leaves nothing to report; sent again it changes nothing
    engine = create_engine(stores.new_url())
    await create_schema(engine)
    now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    core = CoreService(engine, catalog(), now=lambda: now)
    data = builders.carnet_data(number="DE/2026/RC-1", quantities=(12, 1))
    key = data.carnet_number

    async def send(command: Any, message_id: UUID | None = None) -> None:
        await core.handle_command(envelope(command, carnet_number=key, occurred_at=now, message_id=message_id))

    def tcgb(number: str, quantity: int) -> DrawDownByTcgb:
        row = TcgbRow(item_no=1, declaration_number="ENTRY-1", line_no=1, quantity=quantity)
        return DrawDownByTcgb(
            tcgb_number=number, regime="4000", customs_office=BORDER, registered_on=date(2026, 11, 20), rows=(row,)
        )

    try:
        await send(builders.lodge("ENTRY-1", carnet=data, lines=((1, 10), (2, 1))))
        await send(builders.accept("ENTRY-1"))
        await send(builders.inspect("ENTRY-1"))
        await send(builders.lodge("REEXPORT-1", regime="3158", carnet_number=key, previous_declaration="ENTRY-1",
                                  lines=((1, 3),)))  # fmt: skip
        await send(builders.accept("REEXPORT-1"))
        await send(builders.inspect("REEXPORT-1"))  # R1: 3 of line 1 discharged at the border
        await send(tcgb(T1, 2), message_id=drawdown_id(T1, key))  # as the BİLGE adapter delivers it

        data_export = export(dusum(T1, 1, "ENTRY-1", key, 1, 2), dusum(T2, 1, "ENTRY-1", key, 1, 4))
        report = await reconcile(io.BytesIO(data_export), engine, cutover=CUTOVER)
        [missing] = only(report, Kind.DRAWDOWN_MISSING_IN_HUB)
        assert (missing.bilge_value, missing.hub_value) == (6, 2)  # 5 discharged, 3 of them by the 3158
        [correction] = report.corrections
        assert correction.command.tcgb_number == T2 and correction.command.rows[0].quantity == 4

        await core.handle_command(correction.envelope(now))
        again = await reconcile(io.BytesIO(data_export), engine, cutover=CUTOVER)
        assert again.findings == [] and again.corrections == []
        with pytest.raises(AlreadyProcessed):  # re-sent: the hub applies a message id once
            await core.handle_command(correction.envelope(now))
    finally:
        await engine.dispose()


# --- through the real broker: --emit-corrections sends to ata.declaration.commands ---------------


@pytest.mark.kafka
async def test_f2_corrections_sent_through_kafka_are_applied_by_the_hub(stack: Stack, client: HubClient) -> None:
    # rule: F2, the corrective DrawDownByTcgb goes through Kafka like any command; the store is not touched
    lodge = foreign_5800().model_copy(update={"lines": (LineQuantity(line_no=1, quantity=10),)})
    key, entry = lodge.carnet_number, lodge.declaration_number
    for command in (
        lodge,
        AcceptDeclaration(declaration_number=entry, actor=builders.LIAISON),
        CompleteInspection(declaration_number=entry, actor=builders.INSPECTOR),
    ):
        outcome = await client.outcome(await client.send(command, key))
        assert "CommandRefused" not in [e.type for e in outcome]
    tcgb = "26220100IM" + f"{int(unique('')[:6], 16) % 1_000_000:06d}"
    data = export(dusum(tcgb, 1, entry, key, 1, 4, registered=SESSION_DAY))  # today, after its 5800
    engine = create_engine(stack.settings.database_url)
    cutover = stack.settings.bilge_cutover  # as `hub reconcile bilge` beside this hub would judge L2
    try:
        report = await reconcile(io.BytesIO(data), engine, cutover=cutover)
        assert len(report.corrections) == 1
        # As `hub reconcile bilge` sends them: signed by BİLGE's reconciliation, which may draw down.
        async with HubClient(stack.settings.kafka_bootstrap, principal=BILGE_RECONCILIATION) as reconciliation:
            [sent] = await emit_corrections(report.corrections, reconciliation)  # stamped when sent
            assert sent.message_id == drawdown_id(tcgb, key)
            outcome = await reconciliation.outcome(sent)
        assert "GoodsDischarged" in [e.type for e in outcome] and {e.sent_by for e in outcome} == {BILGE_RECONCILIATION}
        again = await reconcile(io.BytesIO(data), engine, cutover=cutover)
        assert again.findings == [] and again.corrections == []
    finally:
        await engine.dispose()
