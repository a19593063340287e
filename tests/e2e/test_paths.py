"""Every path of Circular 2021/17 (sections I and II), end to end through the real Kafka broker.

Each scenario has a carnet of its own: a foreign one typed in, or a small partial quantity of a
Turkish one from the TOBB simulator (those are shared with other tests: only what a test lodged
itself is discharged and checked). Outcomes are read whole (`HubClient.outcome`): the inspection
and every closure it triggers arrive as one outcome.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hub.contract.messages.envelope import Envelope, decode
from hub.contract.topic_names import ATA_DECLARATION_EVENTS
from hub.domain.commands import (
    CompleteInspection,
    DecideRequest,
    DeclarantIn,
    ExplainLine,
    RequestCorrection,
    RequestExtension,
)
from hub.entrypoints.stack import Stack
from hub.runtime.client import HubClient
from hub.runtime.kafka.security import ADMIN
from tests.conftest import SESSION_DAY, on_session_day
from tests.domain.builders import HOLDER
from tests.e2e.helpers import eventually, read_topic
from tests.e2e.paths_helpers import (
    CILVEGOZU,
    ERENKOY,
    KAPIKULE,
    CarnetFlow,
    declared,
    foreign_carnet,
    ledger,
    lines,
    number,
    stored,
    summary,
)

pytestmark = pytest.mark.kafka

GIRIS, CIKIS = "ATA-TR/GİRİŞ", "ATA-TR/ÇIKIŞ"


def _statuses(rows: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {n: (s.status, s.closed_by) for n, s in rows.items()}


async def test_t1_r1_5800_and_3158_at_the_border(client: HubClient, stack: Stack) -> None:
    # rule: T1 - temporary import at a border office: a 5800 there, the foreign carnet typed in
    carnet = foreign_carnet()  # goods list: line 1 of 12 pieces, line 2 of 1
    flow = CarnetFlow(client, carnet.carnet_number)
    entry, done = await flow.through_inspection("5800", KAPIKULE, carnet=carnet)
    n5800 = entry.payload.declaration_number
    assert entry.payload.carnet_source == "declarant" and entry.payload.office_kind == "border"
    assert declared(entry) == [(1, 12), (2, 1)]  # no lines sent: the whole goods list enters (G7)
    assert summary(done) == [("InspectionCompleted", n5800, None)]  # the regime is open
    assert ledger(done[0]) == [(1, 12, 0, 12), (2, 1, 0, 1)]
    assert done[0].payload.discharge_deadline == carnet.valid_until

    # rule: R1 - re-export at a border office (here Cilvegözü): discharged and closed on inspection
    reexport, done = await flow.through_inspection("3158", CILVEGOZU, previous_declaration=n5800)
    n3158 = reexport.payload.declaration_number
    assert declared(reexport) == [(1, 12), (2, 1)]  # filled with what is open on the 5800
    assert summary(done) == [
        ("InspectionCompleted", n3158, None),
        ("GoodsDischarged", n5800, "R1"),
        ("DeclarationClosed", n5800, "R1"),
        ("DeclarationClosed", n3158, "R1"),
    ]
    assert done[1].payload.discharged_by == n3158
    assert ledger(done[1]) == [(1, 12, 12, 0), (2, 1, 1, 0)]
    assert [e.payload.status for e in done[2:]] == ["closed", "closed"]

    rows = await stored(stack, n5800, n3158)
    assert _statuses(rows) == {n5800: ("closed", "R1"), n3158: ("closed", "R1")}
    assert rows[n5800].lines == {1: (12, 12), 2: (1, 1)}


async def test_t1_t2_t3_t4_5800_inland_via_giris(client: HubClient, stack: Stack) -> None:
    # rule: T1 - inland temporary import: a GİRİŞ from the border, then a 5800 at the inland office
    carnet = foreign_carnet()
    flow = CarnetFlow(client, carnet.carnet_number)
    # rule: T2 - the GİRİŞ is destined for the inland office of the 5800 (Erenköy)
    giris, done = await flow.through_inspection(
        GIRIS, KAPIKULE, carnet=carnet, destination_office=ERENKOY.code, lines=lines((1, 5), (2, 1))
    )
    ngiris = giris.payload.declaration_number
    assert giris.payload.destination_office == ERENKOY.code and giris.payload.carnet_source == "declarant"
    assert summary(done) == [("InspectionCompleted", ngiris, None)]  # presented to Erenköy, not closed

    # rule: T3 - an inland 5800 without a GİRİŞ reference is refused
    refusal = await flow.refused(flow.lodge_command("5800", ERENKOY))
    assert refusal.rule == "T3" and "must reference" in refusal.reason

    # rule: T3 - referencing the GİRİŞ, with no lines: filled from the GİRİŞ
    entry = await flow.lodge("5800", ERENKOY, previous_declaration=ngiris)
    n5800 = entry.payload.declaration_number
    assert declared(entry) == declared(giris) == [(1, 5), (2, 1)]
    assert entry.payload.office_kind == "inland" and entry.payload.holder_name == carnet.holder_name
    assert entry.payload.previous_declaration == ngiris

    # rule: T4 - the inland 5800's inspection closes the GİRİŞ, in the same outcome
    await flow.accept(n5800, ERENKOY)
    done = await flow.inspect(n5800, ERENKOY)
    assert summary(done) == [("InspectionCompleted", n5800, None), ("DeclarationClosed", ngiris, "T4")]
    assert ledger(done[0]) == [(1, 5, 0, 5), (2, 1, 0, 1)]
    assert done[0].payload.discharge_deadline == carnet.valid_until

    rows = await stored(stack, ngiris, n5800)
    assert _statuses(rows) == {ngiris: ("closed", "T4"), n5800: ("inspection_completed", None)}
    assert rows[n5800].lines == {1: (5, 0), 2: (1, 0)}


async def test_r1_r2_r3_3158_inland_with_cikis(client: HubClient, stack: Stack) -> None:
    carnet = foreign_carnet()  # 12 and 1
    flow = CarnetFlow(client, carnet.carnet_number)
    entry, _ = await flow.through_inspection("5800", KAPIKULE, carnet=carnet)
    n5800 = entry.payload.declaration_number

    # rule: R1 - a 3158 at an inland office; rule: R3 - its inspection alone discharges nothing
    reexport, done = await flow.through_inspection("3158", ERENKOY, previous_declaration=n5800, lines=lines((1, 4)))
    n3158 = reexport.payload.declaration_number
    assert declared(reexport) == [(1, 4)]
    assert summary(done) == [("InspectionCompleted", n3158, None)]
    rows = await stored(stack, n5800, n3158)
    assert _statuses(rows) == {n5800: ("inspection_completed", None), n3158: ("inspection_completed", None)}
    assert rows[n5800].lines == {1: (12, 0), 2: (1, 0)}

    # rule: R2 - the ÇIKIŞ references the 3158, is filled from it, goes to the exit border office
    transit = await flow.lodge(CIKIS, ERENKOY, previous_declaration=n3158, destination_office=CILVEGOZU.code)
    ncikis = transit.payload.declaration_number
    assert transit.payload.destination_office == CILVEGOZU.code and declared(transit) == [(1, 4)]
    await flow.accept(ncikis, ERENKOY)  # accepted by the liaison service where it was lodged

    # rule: C1 - it completes at its destination: Erenköy's inspection officer may not complete it
    refusal = await flow.refused(CompleteInspection(declaration_number=ncikis, actor=ERENKOY.inspector))
    assert refusal.rule == "C1" and CILVEGOZU.code in refusal.reason

    # rule: R3 - completed at Cilvegözü: the ÇIKIŞ closes, the 5800 is discharged, the 3158 closes
    done = await flow.inspect(ncikis, CILVEGOZU)
    assert summary(done) == [
        ("InspectionCompleted", ncikis, None),
        ("DeclarationClosed", ncikis, "R3"),
        ("GoodsDischarged", n5800, "R3"),
        ("DeclarationClosed", n3158, "R3"),
    ]
    assert done[2].payload.discharged_by == n3158
    assert ledger(done[2]) == [(1, 12, 4, 8)]

    rows = await stored(stack, n5800, n3158, ncikis)
    assert _statuses(rows) == {
        n5800: ("inspection_completed", None),  # 8 + 1 pieces still in Türkiye
        n3158: ("closed", "R3"),
        ncikis: ("closed", "R3"),
    }
    assert rows[n5800].lines == {1: (12, 4), 2: (1, 0)}


async def test_e1_g3_i3_2600_and_6326_at_the_border(client: HubClient, stack: Stack) -> None:
    # rule: E1, G3 - a 2600 at a border office on a Turkish carnet, its data fetched from TOBB
    flow = CarnetFlow(client, "TR/2026/000789")  # shared: one piece of line 1 only
    export, done = await flow.through_inspection("2600", KAPIKULE, lines=lines((1, 1)))
    n2600 = export.payload.declaration_number
    assert export.payload.carnet_source == "TOBB"
    assert export.payload.carnet_valid_until == on_session_day(date(2027, 6, 21))
    assert declared(export) == [(1, 1)]
    assert summary(done) == [("InspectionCompleted", n2600, None)]
    assert [(ln.entered, ln.discharged, ln.open) for ln in done[0].payload.ledger] == [(1, 0, 1)]

    # rule: I3 - a 6326 at a border office references the 2600 directly; discharged and closed
    reimport, done = await flow.through_inspection("6326", KAPIKULE, previous_declaration=n2600)
    n6326 = reimport.payload.declaration_number
    assert declared(reimport) == [(1, 1)]  # what is open on the 2600
    assert summary(done) == [
        ("InspectionCompleted", n6326, None),
        ("GoodsDischarged", n2600, "I3"),
        ("DeclarationClosed", n2600, "I3"),
        ("DeclarationClosed", n6326, "I3"),
    ]
    assert [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in done[1].payload.ledger] == [(1, 1, 1, 0)]

    rows = await stored(stack, n2600, n6326)
    assert _statuses(rows) == {n2600: ("closed", "I3"), n6326: ("closed", "I3")}
    assert rows[n2600].lines == {1: (1, 1)}


async def test_e1_e2_e3_e4_i1_i2_2600_inland_cikis_giris_6326_inland(client: HubClient, stack: Stack) -> None:
    flow = CarnetFlow(client, "TR/2026/000457")  # shared: one piece of line 2 only
    # rule: E2 - a 2600 lodged inland without its vehicle plate is refused
    refusal = await flow.refused(
        flow.lodge_command(
            "2600", ERENKOY, lines=lines((2, 1)), transit_period_days=3, destination_office=KAPIKULE.code
        )
    )
    assert refusal.rule == "E2" and "vehicle plate" in refusal.reason

    # rule: E1, E2 - a 2600 at Erenköy with transit period, destination and vehicle plate
    export, done = await flow.through_inspection(
        "2600",
        ERENKOY,
        lines=lines((2, 1)),
        transit_period_days=3,
        destination_office=KAPIKULE.code,
        vehicle_plate="34 ATA 2026",
    )
    n2600 = export.payload.declaration_number
    assert export.payload.office_kind == "inland" and export.payload.carnet_source == "TOBB"
    assert (export.payload.transit_period_days, export.payload.vehicle_plate) == (3, "34 ATA 2026")
    assert summary(done) == [("InspectionCompleted", n2600, None)]

    # rule: E3 - the ÇIKIŞ with only its reference: built from the 2600, presented to Kapıkule
    transit = await flow.lodge(CIKIS, ERENKOY, previous_declaration=n2600)
    ncikis = transit.payload.declaration_number
    assert transit.payload.destination_office == KAPIKULE.code
    assert declared(transit) == [(2, 1)] and transit.payload.holder_name == export.payload.holder_name
    await flow.accept(ncikis, ERENKOY)
    # rule: E4 - completed at the border: the ÇIKIŞ closes, the 2600 stays open (goods abroad)
    done = await flow.inspect(ncikis, KAPIKULE)
    assert summary(done) == [("InspectionCompleted", ncikis, None), ("DeclarationClosed", ncikis, "E4")]
    rows = await stored(stack, n2600, ncikis)
    assert _statuses(rows) == {n2600: ("inspection_completed", None), ncikis: ("closed", "E4")}
    assert rows[n2600].lines == {2: (1, 0)}

    # rule: I1, I2 - back in by a GİRİŞ at Kapıkule referencing the 2600, destined for Erenköy
    giris, done = await flow.through_inspection(
        GIRIS, KAPIKULE, previous_declaration=n2600, destination_office=ERENKOY.code
    )
    ngiris = giris.payload.declaration_number
    assert declared(giris) == [(2, 1)] and giris.payload.destination_office == ERENKOY.code
    assert summary(done) == [("InspectionCompleted", ngiris, None)]

    # rule: I2 - the 6326 at Erenköy, filled from the GİRİŞ; its inspection closes the GİRİŞ and
    # discharges and closes the 2600
    reimport = await flow.lodge("6326", ERENKOY, previous_declaration=ngiris)
    n6326 = reimport.payload.declaration_number
    assert declared(reimport) == [(2, 1)]
    await flow.accept(n6326, ERENKOY)
    done = await flow.inspect(n6326, ERENKOY)
    assert summary(done) == [
        ("InspectionCompleted", n6326, None),
        ("DeclarationClosed", ngiris, "I2"),
        ("GoodsDischarged", n2600, "I2"),
        ("DeclarationClosed", n2600, "I2"),
        ("DeclarationClosed", n6326, "I2"),
    ]
    assert [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in done[2].payload.ledger] == [(2, 1, 1, 0)]

    rows = await stored(stack, n2600, ncikis, ngiris, n6326)
    assert _statuses(rows) == {
        n2600: ("closed", "I2"),
        ncikis: ("closed", "E4"),
        ngiris: ("closed", "I2"),
        n6326: ("closed", "I2"),
    }
    assert rows[n2600].lines == {2: (1, 1)}


async def test_x1_x2_x3_transit_through_turkiye_border_to_border(client: HubClient, stack: Stack) -> None:
    carnet = foreign_carnet()
    flow = CarnetFlow(client, carnet.carnet_number)
    # rule: X1 - in at Kapıkule, bound for Cilvegözü
    giris, done = await flow.through_inspection(GIRIS, KAPIKULE, carnet=carnet, destination_office=CILVEGOZU.code)
    ngiris = giris.payload.declaration_number
    assert declared(giris) == [(1, 12), (2, 1)] and giris.payload.destination_office == CILVEGOZU.code
    assert summary(done) == [("InspectionCompleted", ngiris, None)]
    assert done[0].payload.ledger == () and done[0].payload.discharge_deadline is None  # no regime entered

    # rule: X1 - a transit starts at a border office, never at an inland one
    refusal = await flow.refused(flow.lodge_command(GIRIS, ERENKOY, carnet=carnet, destination_office=CILVEGOZU.code))
    assert refusal.rule == "X1"

    # rule: X2 - the ÇIKIŞ lodged at the exit border references the GİRİŞ and is built from it
    transit = await flow.lodge(CIKIS, CILVEGOZU, previous_declaration=ngiris)
    ncikis = transit.payload.declaration_number
    assert declared(transit) == declared(giris) and transit.payload.destination_office == CILVEGOZU.code
    await flow.accept(ncikis, CILVEGOZU)

    # rule: X3 - inspection at the exit border ends the transit: GİRİŞ and ÇIKIŞ close
    done = await flow.inspect(ncikis, CILVEGOZU)
    assert summary(done) == [
        ("InspectionCompleted", ncikis, None),
        ("DeclarationClosed", ngiris, "X3"),
        ("DeclarationClosed", ncikis, "X3"),
    ]
    rows = await stored(stack, ngiris, ncikis)
    assert _statuses(rows) == {ngiris: ("closed", "X3"), ncikis: ("closed", "X3")}


async def test_g7_partial_shipments_in_and_out(client: HubClient, stack: Stack) -> None:
    # rule: G7 - peyderpey: each declaration states the quantity crossing now, per line
    carnet = foreign_carnet(quantities=(10, 4))
    flow = CarnetFlow(client, carnet.carnet_number)
    first, done = await flow.through_inspection("5800", KAPIKULE, carnet=carnet, lines=lines((1, 6), (2, 1)))
    na = first.payload.declaration_number
    assert ledger(done[0]) == [(1, 6, 0, 6), (2, 1, 0, 1)]
    second, done = await flow.through_inspection("5800", KAPIKULE, lines=lines((1, 4), (2, 3)))  # carnet on record
    nb = second.payload.declaration_number
    assert ledger(done[0]) == [(1, 4, 0, 4), (2, 3, 0, 3)]

    # rule: G7 - the goods list is all in: one more piece is refused
    beyond = flow.lodge_command("5800", KAPIKULE, lines=lines((1, 1)))
    refusal = await flow.refused(beyond)
    assert refusal.rule == "G7" and "only 0 of 10" in refusal.reason

    # rule: G7, R1 - the first shipment goes out in two parts
    part, done = await flow.through_inspection("3158", KAPIKULE, previous_declaration=na, lines=lines((1, 6)))
    nx = part.payload.declaration_number
    assert summary(done) == [
        ("InspectionCompleted", nx, None),
        ("GoodsDischarged", na, "R1"),
        ("DeclarationClosed", nx, "R1"),
    ]  # the first 5800 still has line 2 open
    assert ledger(done[1]) == [(1, 6, 6, 0)]

    # rule: G7 - nothing is discharged beyond what entered on that 5800
    refusal = await flow.refused(flow.lodge_command("3158", KAPIKULE, previous_declaration=na, lines=lines((1, 1))))
    assert refusal.rule == "G7" and "only 0 of the 6" in refusal.reason

    rest, done = await flow.through_inspection("3158", KAPIKULE, previous_declaration=na)
    ny = rest.payload.declaration_number
    assert declared(rest) == [(2, 1)]  # what is left open on the first 5800
    assert summary(done) == [
        ("InspectionCompleted", ny, None),
        ("GoodsDischarged", na, "R1"),
        ("DeclarationClosed", na, "R1"),  # reached zero
        ("DeclarationClosed", ny, "R1"),
    ]
    assert ledger(done[1]) == [(2, 1, 1, 0)]

    last, done = await flow.through_inspection("3158", CILVEGOZU, previous_declaration=nb)
    nz = last.payload.declaration_number
    assert declared(last) == [(1, 4), (2, 3)]
    assert summary(done) == [
        ("InspectionCompleted", nz, None),
        ("GoodsDischarged", nb, "R1"),
        ("DeclarationClosed", nb, "R1"),
        ("DeclarationClosed", nz, "R1"),
    ]
    assert ledger(done[1]) == [(1, 4, 4, 0), (2, 3, 3, 0)]

    rows = await stored(stack, na, nb, nx, ny, nz, beyond.declaration_number)
    assert _statuses(rows) == {n: ("closed", "R1") for n in (na, nb, nx, ny, nz)}  # the refused one: absent
    assert rows[na].lines == {1: (6, 6), 2: (1, 1)} and rows[nb].lines == {1: (4, 4), 2: (3, 3)}


async def test_g6_c1_correction_and_extension_decided_by_the_director(client: HubClient, stack: Stack) -> None:
    carnet = foreign_carnet()  # 12 and 1
    flow = CarnetFlow(client, carnet.carnet_number)
    entry, _ = await flow.through_inspection("5800", KAPIKULE, carnet=carnet, lines=lines((1, 10), (2, 1)))
    n5800 = entry.payload.declaration_number

    # rule: G6 - post-inspection correction (muayene sonrası düzeltme), asked by the declarant only
    someone_else = DeclarantIn(id_kind="VKN", id_value="1234567890", name="Başka Gümrük Müşavirliği Ltd.")
    correction = RequestCorrection(
        declaration_number=n5800,
        declarant=HOLDER,
        request_id="DZ-1",
        lines=lines((1, 12)),
        reason="12 pieces of line 1 counted at inspection, 10 were declared",
    )
    refusal = await flow.refused(correction.model_copy(update={"declarant": someone_else}))
    assert refusal.rule == "G6"
    events = await flow.call(correction)
    assert summary(events) == [("CorrectionRequested", n5800, None)]
    assert events[0].payload.lines == ((1, 12),)

    # rule: C1 - only the director (or deputy) decides it: the inspection officer is refused
    decide = DecideRequest(declaration_number=n5800, request_id="DZ-1", approve=True, actor=KAPIKULE.inspector)
    refusal = await flow.refused(decide)
    assert refusal.rule == "C1" and "director" in refusal.reason
    assert (await stored(stack, n5800))[n5800].lines == {1: (10, 0), 2: (1, 0)}  # nothing changed

    # rule: G6 - approved: the corrected ledger comes with the decision
    events = await flow.call(decide.model_copy(update={"actor": KAPIKULE.director}))
    assert summary(events) == [("RequestDecided", n5800, None)]
    decided = events[0].payload
    assert (decided.kind, decided.approved, decided.by) == ("correction", True, KAPIKULE.director)
    assert ledger(events[0]) == [(1, 12, 0, 12)]
    assert (await stored(stack, n5800))[n5800].lines == {1: (12, 0), 2: (1, 0)}

    # rule: G6 - extension of the re-export period (süre uzatımı), approved by the director
    until = carnet.valid_until + timedelta(days=90)
    events = await flow.call(
        RequestExtension(
            declaration_number=n5800, declarant=HOLDER, request_id="SU-1", until=until, reason="the fair is extended"
        )
    )
    assert summary(events) == [("ExtensionRequested", n5800, None)] and events[0].payload.until == until
    events = await flow.call(
        DecideRequest(declaration_number=n5800, request_id="SU-1", approve=True, actor=KAPIKULE.director)
    )
    assert summary(events) == [("RequestDecided", n5800, None)]
    assert (events[0].payload.kind, events[0].payload.approved) == ("extension", True)
    assert events[0].payload.discharge_deadline == until
    row = (await stored(stack, n5800))[n5800]
    assert (row.status, row.discharge_deadline) == ("inspection_completed", until)


async def _deadline_events(bootstrap: str, carnet_number: str, declaration: str) -> list[Envelope[Any]]:
    """The V2 events of one declaration on the events topic, in order."""
    records = await read_topic(bootstrap, ATA_DECLARATION_EVENTS, principal=ADMIN)
    found = []
    for record in records:
        if record.key != carnet_number.encode():
            continue
        event = decode(record.value)
        if event.type in ("DeadlineApproaching", "DeadlinePassed") and event.payload.declaration_number == declaration:
            found.append(event)
    return found


async def test_v2_deadline_approaching_and_passed_published_once_each(client: HubClient, stack: Stack) -> None:
    # rule: V2 - open regime entries near / past their deadline are flagged on the events topic, once each
    today = SESSION_DAY  # the day the suite's commands are judged on
    deadline = today + timedelta(days=45)  # earlier than other tests' carnets: the calls below leave them be
    carnet = foreign_carnet(issued=today - timedelta(days=200), valid_until=deadline)
    flow = CarnetFlow(client, carnet.carnet_number)
    entry, done = await flow.through_inspection("5800", KAPIKULE, carnet=carnet, lines=lines((1, 3)))
    n5800 = entry.payload.declaration_number
    assert done[0].payload.discharge_deadline == deadline
    service = stack.core.service
    bootstrap = stack.settings.kafka_bootstrap

    async def barrier() -> None:
        """A command on the same carnet: once its outcome is back, anything published before it is on the topic."""
        note = ExplainLine(
            declaration_number=n5800,
            line_no=1,
            note="seri numaraları karne ile karşılaştırıldı",
            actor=KAPIKULE.inspector,
        )
        assert [e.type for e in await flow.call(note)] == ["LineExplained"]

    async def events_of(kind: str) -> list[Envelope[Any]]:
        return [e for e in await _deadline_events(bootstrap, carnet.carnet_number, n5800) if e.type == kind]

    # 10 days before the deadline, with the 30-day warning period: "deadline approaching"
    assert await service.check_deadlines(today=deadline - timedelta(days=10), warn_days=30) >= 1
    (approaching,) = await eventually(lambda: events_of("DeadlineApproaching"))
    assert approaching.carnet_number == carnet.carnet_number
    assert (approaching.payload.discharge_deadline, approaching.payload.days_left) == (deadline, 10)
    assert [(ln.line_no, ln.entered, ln.open) for ln in approaching.payload.open_lines] == [(1, 3, 3)]

    # the next day's run publishes nothing more for it
    await service.check_deadlines(today=deadline - timedelta(days=9), warn_days=30)
    await barrier()
    assert [e.type for e in await _deadline_events(bootstrap, carnet.carnet_number, n5800)] == ["DeadlineApproaching"]
    assert (await stored(stack, n5800))[n5800].deadline_warned

    # the day after the deadline: "deadline passed", naming the guaranteeing association.
    # warn_days=0 keeps other tests' declarations (later deadlines) out of this run.
    await service.check_deadlines(today=deadline + timedelta(days=1), warn_days=0)
    (passed,) = await eventually(lambda: events_of("DeadlinePassed"))
    assert passed.payload.guaranteeing_association == carnet.issuing_chamber == "DIHK Berlin"
    assert passed.payload.discharge_deadline == deadline
    assert [(ln.line_no, ln.entered, ln.open) for ln in passed.payload.open_lines] == [(1, 3, 3)]

    # and once only
    await service.check_deadlines(today=deadline + timedelta(days=2), warn_days=0)
    await barrier()
    kinds = [e.type for e in await _deadline_events(bootstrap, carnet.carnet_number, n5800)]
    assert kinds == ["DeadlineApproaching", "DeadlinePassed"]
    row = (await stored(stack, n5800))[n5800]
    assert row.deadline_passed and row.status == "inspection_completed"


async def test_g4_g7_g2_bad_input_through_kafka_is_refused_and_the_consumer_goes_on(
    client: HubClient, stack: Stack
) -> None:
    carnet = foreign_carnet()
    other = foreign_carnet()
    flow = CarnetFlow(client, carnet.carnet_number)
    elsewhere = await CarnetFlow(client, other.carnet_number).lodge("5800", KAPIKULE, carnet=other)
    on_other = elsewhere.payload.declaration_number
    malformed_tckn = DeclarantIn(id_kind="TCKN", id_value="12345678901", name="Ayşe Yılmaz", acts_as="representative")

    bad = [  # (rule, what the reason must say, command)
        ("G4", "'5900' is none of", flow.lodge_command("5900", KAPIKULE, carnet=carnet)),
        (
            "R1",  # the path rule of a 3158
            "no such declaration is registered",
            flow.lodge_command("3158", KAPIKULE, previous_declaration=number(KAPIKULE)),
        ),
        (
            "R1",
            f"it belongs to carnet {other.carnet_number}",
            flow.lodge_command("3158", KAPIKULE, previous_declaration=on_other),
        ),
        (
            "G7",
            "line 1 is declared twice",
            flow.lodge_command("5800", KAPIKULE, carnet=carnet, lines=lines((1, 2), (1, 3))),
        ),
        (
            "G7",
            "quantity 0 is not at least 1",
            flow.lodge_command("5800", KAPIKULE, carnet=carnet, lines=lines((1, 0))),
        ),
        ("G2", "TCKN '12345678901'", flow.lodge_command("5800", KAPIKULE, carnet=carnet, declarant=malformed_tckn)),
    ]
    valid = flow.lodge_command("5800", KAPIKULE, carnet=carnet)
    # all sent before any outcome is read: one after another on the carnet's partition
    sent = [await client.send(command, carnet.carnet_number) for _, _, command in bad]
    sent_valid = await client.send(valid, carnet.carnet_number)

    for (rule, words, command), message in zip(bad, sent, strict=True):
        events = await client.outcome(message)
        assert [e.type for e in events] == ["CommandRefused"], (rule, summary(events))
        refusal = events[0].payload
        assert (refusal.rule, refusal.command_type, refusal.declaration_number) == (
            rule,
            "LodgeDeclaration",
            command.declaration_number,
        ), refusal
        assert words in refusal.reason, refusal.reason

    # the consumer went on: the valid lodgement is registered, and is the carnet's first record
    events = await client.outcome(sent_valid)
    assert [e.type for e in events] == ["CarnetRecorded", "DeclarationLodged"]
    assert declared(events[1]) == [(1, 12), (2, 1)]

    rows = await stored(stack, valid.declaration_number, *(command.declaration_number for _, _, command in bad))
    assert _statuses(rows) == {valid.declaration_number: ("lodged", None)}  # nothing refused was stored
