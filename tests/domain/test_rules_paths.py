"""Every path of Circular 2021/17 sections I and II, run end to end on the pure core.

Offices: 220100 Kapıkule (border), 310100 Cilvegözü (border), 220300 İpsala (border),
342000 Erenköy (inland), 343300 Halkalı (inland).
"""

from __future__ import annotations

from hub.domain.events import (
    CarnetRecorded,
    DeclarationClosed,
    DeclarationLodged,
    GoodsDischarged,
    InspectionCompleted,
)
from hub.domain.model import CarnetSource, Regime, Status
from tests.domain.builders import carnet_data
from tests.domain.scenario import (
    BORDER,
    EXIT_BORDER,
    FOREIGN,
    INLAND,
    OTHER_BORDER,
    OTHER_INLAND,
    TURKISH,
    Story,
    accept_at,
    declare,
    inspect_at,
    reject_at,
    turkish_carnet,
)

# --- shared beginnings -------------------------------------------------------------------------


def border_5800(quantities: tuple[int, ...] = (12, 1)) -> Story:
    """A 5800 M1 at Kapıkule, accepted and inspected: goods under temporary import (T1)."""
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(quantities=quantities)),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
    )


def giris_inspected(destination: str, lines: tuple[tuple[int, int], ...] = ()) -> Story:
    """A foreign carnet's GİRİŞ G1 at Kapıkule towards `destination`, accepted and inspected at the border."""
    return Story().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=destination, lines=lines),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
    )


def inland_5800() -> Story:
    """T1 inland: GİRİŞ G1 Kapıkule -> Erenköy, then 5800 M1 at Erenköy filled from it, inspected."""
    return giris_inspected(INLAND).do(
        declare("M1", "5800", INLAND, previous="G1"),
        accept_at("M1", INLAND),
        inspect_at("M1", INLAND),
    )


def inland_2600(quantities: tuple[int, ...] = (3, 5)) -> Story:
    """E1 inland: a 2600 E1 at Erenköy with the E2 fields, fetched from TOBB, accepted and inspected."""
    return (
        Story()
        .tobb(
            declare(
                "E1",
                "2600",
                INLAND,
                carnet_number=TURKISH,
                destination=BORDER,
                transit_period_days=3,
                vehicle_plate="34 ABC 123",
            ),
            turkish_carnet(quantities),
        )
        .do(accept_at("E1", INLAND), inspect_at("E1", INLAND))
    )


def exported_inland_2600() -> Story:
    """E1-E4: the inland 2600 E1, and its ÇIKIŞ C1 completed at Kapıkule: the goods are abroad."""
    return inland_2600().do(
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="E1"),
        accept_at("C1", INLAND),
        inspect_at("C1", BORDER),
    )


# --- T1, R1, G7: 5800 at the border, 3158 at the border ----------------------------------------


def test_t1_r1_5800_and_3158_at_the_border_partial_then_the_rest_closes_the_5800() -> None:
    # rule: T1 (5800 at a border office), R1 (3158 at a border office), G7 (partial shipments)
    story = border_5800()
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}

    story.do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)), accept_at("R1", BORDER))
    story.do(inspect_at("R1", BORDER))
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.declaration_number, discharged.discharged_by, discharged.rule) == ("M1", "R1", "R1")
    assert [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in discharged.ledger] == [(1, 12, 5, 7)]
    assert story.status("R1") is Status.CLOSED and story.closed_by("R1") == "R1"
    assert story.status("M1") is Status.INSPECTION_COMPLETED  # line 1: 7 still in Türkiye, line 2: 1
    assert story.quantities("M1") == {1: (12, 5, 7), 2: (1, 0, 1)}

    story.do(declare("R2", "3158", EXIT_BORDER, previous="M1"))  # no lines: what is still open
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 7), (2, 1)]
    story.do(accept_at("R2", EXIT_BORDER), inspect_at("R2", EXIT_BORDER))
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)}
    assert story.status("M1") is Status.CLOSED and story.closed_by("M1") == "R1"
    assert story.status("R2") is Status.CLOSED and story.closed_by("R2") == "R1"
    story.assert_replays()


def test_r1_3158_after_the_5800_closed_is_refused() -> None:
    # rule: R1 (nothing left under the regime: a closed 5800 cannot be discharged again)
    story = border_5800().do(
        declare("R1", "3158", BORDER, previous="M1"), accept_at("R1", BORDER), inspect_at("R1", BORDER)
    )
    assert story.status("M1") is Status.CLOSED
    refusal = story.refuses(declare("R2", "3158", BORDER, previous="M1", lines=((1, 1),)))
    assert refusal.rule == "R1" and "closed" in refusal.reason


def test_t1_5800_at_the_border_references_nothing() -> None:
    # rule: T1
    story = giris_inspected(INLAND)
    refusal = story.refuses(declare("M1", "5800", BORDER, previous="G1"))
    assert refusal.rule == "T1" and "references nothing" in refusal.reason


def test_r1_3158_must_reference_an_inspected_5800() -> None:
    # rule: R1
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()))
    no_reference = story.refuses(declare("R1", "3158", BORDER))
    assert no_reference.rule == "R1" and "must reference" in no_reference.reason
    not_inspected = story.refuses(declare("R1", "3158", BORDER, previous="M1"))
    assert not_inspected.rule == "R1" and "inspection must be completed" in not_inspected.reason
    story = giris_inspected(EXIT_BORDER)
    not_a_5800 = story.refuses(declare("R1", "3158", BORDER, previous="G1"))
    assert not_a_5800.rule == "R1" and "references a 5800" in not_a_5800.reason


# --- T1-T4: GİRİŞ to an inland office, 5800 there ----------------------------------------------


def test_t1_t4_giris_to_inland_office_then_inland_5800_closes_the_giris() -> None:
    # rule: T1 (GİRİŞ then 5800 inland), T3 (filled from the GİRİŞ), T4 (the GİRİŞ closes)
    story = giris_inspected(INLAND)
    giris = story.declaration("G1")
    assert (giris.regime, giris.destination_office, giris.status) == (
        Regime.TRANSIT_IN,
        INLAND,
        Status.INSPECTION_COMPLETED,
    )
    assert story.quantities("G1") == {1: (12, 0, 12), 2: (1, 0, 1)}

    story.do(declare("M1", "5800", INLAND, previous="G1"))  # no carnet, no lines: filled from G1
    lodged = story.emitted(DeclarationLodged)[0]
    assert (lodged.carnet_number, lodged.previous_declaration, lodged.office_kind) == (FOREIGN, "G1", "inland")
    assert [(ln.line_no, ln.quantity) for ln in lodged.lines] == [(1, 12), (2, 1)]
    assert story.status("G1") is Status.INSPECTION_COMPLETED  # not closed by the lodgement alone

    story.do(accept_at("M1", INLAND), inspect_at("M1", INLAND))
    [closed] = story.emitted(DeclarationClosed)
    assert (closed.declaration_number, closed.rule) == ("G1", "T4")
    assert story.status("G1") is Status.CLOSED and story.closed_by("G1") == "T4"
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}
    [completed] = [e for e in story.last if isinstance(e, InspectionCompleted)]
    assert [(ln.line_no, ln.entered, ln.open) for ln in completed.ledger] == [(1, 12, 12), (2, 1, 1)]
    story.assert_replays()


def test_t2_giris_needs_a_destination_office() -> None:
    # rule: T2
    refusal = Story().refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data()))
    assert refusal.rule == "T2" and "destination" in refusal.reason
    to_itself = Story().refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=BORDER))
    assert to_itself.rule == "T2" and "another office" in to_itself.reason


def test_t2_inland_5800_at_another_office_than_the_giris_destination_is_refused() -> None:
    # rule: T2
    story = giris_inspected(INLAND)
    refusal = story.refuses(declare("M1", "5800", OTHER_INLAND, previous="G1"))
    assert refusal.rule == "T2" and f"destined for {INLAND}, not {OTHER_INLAND}" in refusal.reason


def test_t3_inland_5800_without_giris_reference_is_refused() -> None:
    # rule: T3
    story = giris_inspected(INLAND)
    refusal = story.refuses(declare("M1", "5800", INLAND, carnet=carnet_data()))
    assert refusal.rule == "T3" and "must reference an earlier declaration" in refusal.reason
    first_use = Story().refuses(declare("M1", "5800", INLAND, carnet=carnet_data()))
    assert first_use.rule == "T3"


def test_t3_inland_5800_must_reference_an_inspected_giris_and_agree_with_it() -> None:
    # rule: T3
    story = Story().do(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND))
    not_inspected = story.refuses(declare("M1", "5800", INLAND, previous="G1"))
    assert not_inspected.rule == "T3" and "inspection must be completed" in not_inspected.reason
    story.do(accept_at("G1", BORDER), inspect_at("G1", BORDER))
    contradicting = story.refuses(declare("M1", "5800", INLAND, previous="G1", lines=((1, 5),)))
    assert contradicting.rule == "T3" and "contradict G1" in contradicting.reason
    agreeing = story.do(declare("M1", "5800", INLAND, previous="G1", lines=((1, 12), (2, 1))))
    assert agreeing.status("M1") is Status.LODGED
    second = story.refuses(declare("M2", "5800", INLAND, previous="G1"))
    assert second.rule == "T3" and "already followed by M1" in second.reason


def test_t3_inland_5800_must_reference_a_giris_not_another_regime() -> None:
    # rule: T3
    story = border_5800()
    refusal = story.refuses(declare("M2", "5800", INLAND, previous="M1"))
    assert refusal.rule == "T3" and "references a ATA-TR/GİRİŞ" in refusal.reason


def test_t4_giris_stays_open_until_the_inland_5800_inspection_completes() -> None:
    # rule: T4
    story = giris_inspected(INLAND).do(declare("M1", "5800", INLAND, previous="G1"), accept_at("M1", INLAND))
    assert story.status("G1") is Status.INSPECTION_COMPLETED and story.closed_by("G1") is None
    story.do(inspect_at("M1", INLAND))
    assert story.closed_by("G1") == "T4"


# --- R1-R3: 3158 inland, ÇIKIŞ to the exit border ----------------------------------------------


def test_r3_inland_3158_discharges_the_5800_only_when_its_cikis_completes_at_the_border() -> None:
    # rule: R1 (3158 inland), R2 (ÇIKIŞ filled from it), R3 (closes only at destination), C1
    story = inland_5800()
    story.do(declare("R1", "3158", INLAND, previous="M1"), accept_at("R1", INLAND), inspect_at("R1", INLAND))
    assert story.status("R1") is Status.INSPECTION_COMPLETED  # waits for its ÇIKIŞ (R3)
    assert story.emitted(GoodsDischarged) == [] and story.emitted(DeclarationClosed) == []
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}  # R3: not discharged yet

    story.do(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=EXIT_BORDER))
    lodged = story.emitted(DeclarationLodged)[0]
    assert (lodged.destination_office, lodged.previous_declaration) == (EXIT_BORDER, "R1")
    assert [(ln.line_no, ln.quantity) for ln in lodged.lines] == [(1, 12), (2, 1)]  # R2: filled from R1

    story.do(accept_at("C1", INLAND))  # accepted where lodged
    wrong_office = story.refuses(inspect_at("C1", INLAND))  # inspected at the destination only
    assert wrong_office.rule == "C1" and EXIT_BORDER in wrong_office.reason
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}

    story.do(inspect_at("C1", EXIT_BORDER))
    assert story.status("C1") is Status.CLOSED and story.closed_by("C1") == "R3"
    assert story.status("R1") is Status.CLOSED and story.closed_by("R1") == "R3"
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)}
    assert story.status("M1") is Status.CLOSED and story.closed_by("M1") == "R3"
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.declaration_number, discharged.discharged_by, discharged.rule) == ("M1", "R1", "R3")
    story.assert_replays()


def test_r3_two_inland_3158_each_discharge_when_their_own_cikis_completes() -> None:
    # rule: R3, G7 (the second 3158 may only take what the first has not reserved)
    story = inland_5800().do(
        declare("R1", "3158", INLAND, previous="M1", lines=((1, 5),)),
        accept_at("R1", INLAND),
        inspect_at("R1", INLAND),
        declare("R2", "3158", INLAND, previous="M1"),  # the rest: 7 of line 1, 1 of line 2
    )
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 7), (2, 1)]
    story.do(
        accept_at("R2", INLAND),
        inspect_at("R2", INLAND),
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER),
        accept_at("C1", INLAND),
        inspect_at("C1", BORDER),
    )
    assert story.quantities("M1") == {1: (12, 5, 7), 2: (1, 0, 1)}
    assert story.status("R1") is Status.CLOSED and story.status("R2") is Status.INSPECTION_COMPLETED
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    story.do(
        declare("C2", "ATA-TR/ÇIKIŞ", INLAND, previous="R2", destination=EXIT_BORDER),
        accept_at("C2", INLAND),
        inspect_at("C2", EXIT_BORDER),
    )
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)}
    assert story.closed_by("M1") == "R3" and story.closed_by("R2") == "R3" and story.closed_by("C2") == "R3"
    story.assert_replays()


def test_r2_cikis_of_a_3158_goes_to_a_border_office_from_where_the_3158_was_inspected() -> None:
    # rule: R2
    story = inland_5800().do(
        declare("R1", "3158", INLAND, previous="M1"), accept_at("R1", INLAND), inspect_at("R1", INLAND)
    )
    no_destination = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1"))
    assert no_destination.rule == "R2" and "needs its exit border office as destination" in no_destination.reason
    inland_destination = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=OTHER_INLAND))
    assert inland_destination.rule == "R2" and "must be a border office" in inland_destination.reason
    elsewhere = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", OTHER_INLAND, previous="R1", destination=BORDER))
    assert elsewhere.rule == "R2" and f"office {INLAND}" in elsewhere.reason
    contradicting = story.refuses(
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER, lines=((1, 1),))
    )
    assert contradicting.rule == "R2" and "contradict R1" in contradicting.reason
    no_reference = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, destination=BORDER))
    assert no_reference.rule == "R2" and "must reference" in no_reference.reason
    story.do(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER))
    second = story.refuses(declare("C2", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER))
    assert second.rule == "R2" and "already followed by C1" in second.reason


def test_r2_cikis_needs_an_inland_3158_that_completed_inspection() -> None:
    # rule: R2 (a border 3158 leaves at once; an inland one first completes inspection)
    story = inland_5800().do(declare("R1", "3158", INLAND, previous="M1"), accept_at("R1", INLAND))
    not_inspected = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER))
    assert not_inspected.rule == "R2" and "inspection must be completed" in not_inspected.reason
    at_border = border_5800().do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 1),)))
    refusal = at_border.refuses(declare("C1", "ATA-TR/ÇIKIŞ", BORDER, previous="R1", destination=EXIT_BORDER))
    assert refusal.rule == "R2" and "border office" in refusal.reason


def test_r3_rejected_cikis_leaves_the_3158_waiting_for_another() -> None:
    # rule: R3
    story = inland_5800().do(
        declare("R1", "3158", INLAND, previous="M1"),
        accept_at("R1", INLAND),
        inspect_at("R1", INLAND),
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=BORDER),
        reject_at("C1", INLAND),
    )
    assert story.status("C1") is Status.REJECTED
    assert story.status("R1") is Status.INSPECTION_COMPLETED and story.status("M1") is Status.INSPECTION_COMPLETED
    story.do(
        declare("C2", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=EXIT_BORDER),
        accept_at("C2", INLAND),
        inspect_at("C2", EXIT_BORDER),
    )
    assert story.closed_by("R1") == "R3" and story.closed_by("M1") == "R3"
    assert story.status("C1") is Status.REJECTED


# --- I3: 2600 at the border, 6326 at the border ------------------------------------------------


def test_i3_2600_at_border_discharged_and_closed_by_a_6326_at_border() -> None:
    # rule: E1 (2600 at a border office), G3 (from TOBB), I1 (6326 at a border), I3
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    assert story.emitted(CarnetRecorded)[0].source == CarnetSource.TOBB
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    assert story.quantities("E1") == {1: (3, 0, 3), 2: (5, 0, 5)}

    story.do(declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1"))
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 3), (2, 5)]
    story.do(accept_at("I1", BORDER), inspect_at("I1", BORDER))
    assert story.quantities("E1") == {1: (3, 3, 0), 2: (5, 5, 0)}
    assert story.status("E1") is Status.CLOSED and story.closed_by("E1") == "I3"
    assert story.status("I1") is Status.CLOSED and story.closed_by("I1") == "I3"
    story.assert_replays()


def test_i3_6326_at_border_partial_leaves_the_2600_open() -> None:
    # rule: I3, G7
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    story.do(
        accept_at("E1", BORDER),
        inspect_at("E1", BORDER),
        declare("I1", "6326", EXIT_BORDER, carnet_number=TURKISH, previous="E1", lines=((2, 2),)),
        accept_at("I1", EXIT_BORDER),
        inspect_at("I1", EXIT_BORDER),
    )
    assert story.quantities("E1") == {1: (3, 0, 3), 2: (5, 2, 3)}
    assert story.status("E1") is Status.INSPECTION_COMPLETED and story.closed_by("I1") == "I3"
    too_many = story.refuses(declare("I2", "6326", BORDER, carnet_number=TURKISH, previous="E1", lines=((2, 4),)))
    assert too_many.rule == "G7" and "only 3" in too_many.reason


def test_i3_6326_at_border_must_reference_a_2600_whose_goods_left() -> None:
    # rule: I3 (references the 2600 directly; an inland 2600's goods must have left through its ÇIKIŞ)
    story = inland_2600()
    not_left = story.refuses(declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1"))
    assert not_left.rule == "I3" and "have not left Türkiye" in not_left.reason
    story = giris_inspected(INLAND)
    not_a_2600 = story.refuses(declare("I1", "6326", BORDER, previous="G1"))
    assert not_a_2600.rule == "I3" and "references a 2600" in not_a_2600.reason


# --- E1-E4, I1-I2: 2600 inland, ÇIKIŞ out, GİRİŞ back, 6326 inland ------------------------------


def test_e3_e4_i2_inland_2600_out_through_cikis_and_back_through_giris_and_inland_6326() -> None:
    # rule: E1, E2, E3, E4, I1, I2
    story = inland_2600()
    entry = story.declaration("E1")
    assert (entry.destination_office, entry.transit_period_days, entry.vehicle_plate) == (BORDER, 3, "34 ABC 123")

    # E3: the ÇIKIŞ is built from the 2600: lines and destination filled
    story.do(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="E1"))
    lodged = story.emitted(DeclarationLodged)[0]
    assert (lodged.destination_office, lodged.holder_name) == (BORDER, turkish_carnet().holder_name)
    assert [(ln.line_no, ln.quantity) for ln in lodged.lines] == [(1, 3), (2, 5)]

    # E4: it completes at the border; the 2600 stays open, its goods abroad
    story.do(accept_at("C1", INLAND), inspect_at("C1", BORDER))
    assert story.status("C1") is Status.CLOSED and story.closed_by("C1") == "E4"
    assert story.status("E1") is Status.INSPECTION_COMPLETED and story.closed_by("E1") is None
    assert story.quantities("E1") == {1: (3, 0, 3), 2: (5, 0, 5)}
    assert story.emitted(GoodsDischarged) == []

    # I2: GİRİŞ at a border office referencing the 2600, destined inland, filled from it
    story.do(declare("G1", "ATA-TR/GİRİŞ", EXIT_BORDER, carnet_number=TURKISH, previous="E1", destination=INLAND))
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 3), (2, 5)]
    story.do(accept_at("G1", EXIT_BORDER), inspect_at("G1", EXIT_BORDER))
    assert story.status("E1") is Status.INSPECTION_COMPLETED

    # I2: the 6326 at the inland office, filled from the GİRİŞ
    story.do(declare("I1", "6326", INLAND, carnet_number=TURKISH, previous="G1"))
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 3), (2, 5)]
    story.do(accept_at("I1", INLAND), inspect_at("I1", INLAND))
    assert story.status("G1") is Status.CLOSED and story.closed_by("G1") == "I2"
    assert story.quantities("E1") == {1: (3, 3, 0), 2: (5, 5, 0)}
    assert story.status("E1") is Status.CLOSED and story.closed_by("E1") == "I2"
    assert story.status("I1") is Status.CLOSED and story.closed_by("I1") == "I2"
    story.assert_replays()


def test_e3_cikis_contradicting_the_2600_is_refused() -> None:
    # rule: E3
    story = inland_2600()
    lines = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="E1", lines=((1, 1),)))
    assert lines.rule == "E3" and "contradict E1" in lines.reason
    destination = story.refuses(
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="E1", destination=EXIT_BORDER)
    )
    assert destination.rule == "E3" and f"names {BORDER}" in destination.reason
    agreeing = story.do(
        declare(
            "C1",
            "ATA-TR/ÇIKIŞ",
            INLAND,
            carnet_number=TURKISH,
            previous="E1",
            destination=BORDER,
            lines=((2, 5), (1, 3)),
        )
    )
    assert agreeing.declaration("C1").destination_office == BORDER


def test_e1_cikis_of_an_inland_2600_only_after_its_inspection_and_from_its_office() -> None:
    # rule: E1 ("after its inspection completes"), refused under E3 which builds the ÇIKIŞ
    story = Story().tobb(
        declare(
            "E1",
            "2600",
            INLAND,
            carnet_number=TURKISH,
            destination=BORDER,
            transit_period_days=3,
            vehicle_plate="34 ABC 123",
        ),
        turkish_carnet(),
    )
    early = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="E1"))
    assert early.rule == "E3" and "inspection must be completed" in early.reason
    story.do(accept_at("E1", INLAND), inspect_at("E1", INLAND))
    elsewhere = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", OTHER_INLAND, carnet_number=TURKISH, previous="E1"))
    assert elsewhere.rule == "E3" and f"office {INLAND}" in elsewhere.reason


def test_e1_2600_references_nothing_and_a_border_2600_needs_no_cikis() -> None:
    # rule: E1
    story = Story()
    refusal = story.refuses(declare("E1", "2600", BORDER, carnet_number=TURKISH, previous="X-1"))
    assert refusal.rule == "E1" and "references nothing" in refusal.reason
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    no_transit = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", BORDER, carnet_number=TURKISH, previous="E1"))
    assert no_transit.rule == "E3" and "without a transit" in no_transit.reason


def test_e2_inland_2600_without_transit_period_destination_or_plate_is_refused() -> None:
    # rule: E2
    full = {"destination": BORDER, "transit_period_days": 3, "vehicle_plate": "34 ABC 123"}
    for missing, words in (
        ("destination", "destination office"),
        ("transit_period_days", "transit period"),
        ("vehicle_plate", "vehicle plate"),
    ):
        fields = {k: v for k, v in full.items() if k != missing}
        command = declare("E1", "2600", INLAND, carnet_number=TURKISH, **fields)  # type: ignore[arg-type]
        refusal = Story().refuses(command)
        assert refusal.rule == "E2" and words in refusal.reason
        tobb = Story().refuses_tobb(command, turkish_carnet())
        assert tobb.rule == "E2"
    no_days = Story().refuses(
        declare(
            "E1",
            "2600",
            INLAND,
            carnet_number=TURKISH,
            destination=BORDER,
            transit_period_days=-1,
            vehicle_plate="34 A 1",
        )
    )
    assert no_days.rule == "E2" and "at least one day" in no_days.reason
    inland_destination = Story().refuses(
        declare(
            "E1",
            "2600",
            INLAND,
            carnet_number=TURKISH,
            destination=OTHER_INLAND,
            transit_period_days=3,
            vehicle_plate="34 ABC 123",
        )
    )
    assert inland_destination.rule == "E2" and "must be a border office" in inland_destination.reason


def test_e4_2600_stays_open_after_its_cikis_completes() -> None:
    # rule: E4
    story = exported_inland_2600()
    assert story.closed_by("C1") == "E4"
    entry = story.declaration("E1")
    assert entry.status is Status.INSPECTION_COMPLETED and all(ln.open > 0 for ln in entry.lines.values())


def test_i2_giris_back_must_go_to_an_inland_office_and_goods_must_be_abroad() -> None:
    # rule: I2
    story = inland_2600()
    not_abroad = story.refuses(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, previous="E1", destination=INLAND)
    )
    assert not_abroad.rule == "I2" and "have not left Türkiye" in not_abroad.reason
    story = exported_inland_2600()
    to_border = story.refuses(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, previous="E1", destination=EXIT_BORDER)
    )
    assert to_border.rule == "I2" and "inland office" in to_border.reason
    not_a_2600 = border_5800().refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, previous="M1", destination=INLAND))
    assert not_a_2600.rule == "I2" and "references a 2600" in not_a_2600.reason


def test_i1_giris_bringing_goods_back_starts_at_a_border_office() -> None:
    # rule: I1
    story = exported_inland_2600()
    refusal = story.refuses(
        declare("G1", "ATA-TR/GİRİŞ", OTHER_INLAND, carnet_number=TURKISH, previous="E1", destination=INLAND)
    )
    assert refusal.rule == "I1" and "border office" in refusal.reason


def test_i1_inland_6326_goes_through_a_giris_not_straight_to_the_2600() -> None:
    # rule: I1 (inland: GİRİŞ then 6326), refused under I2
    story = exported_inland_2600()
    refusal = story.refuses(declare("I1", "6326", INLAND, carnet_number=TURKISH, previous="E1"))
    assert refusal.rule == "I2" and "references a ATA-TR/GİRİŞ" in refusal.reason


def test_i2_inland_6326_at_the_giris_destination_filled_from_it() -> None:
    # rule: I2
    story = exported_inland_2600().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, previous="E1", destination=INLAND, lines=((1, 2),))
    )
    early = story.refuses(declare("I1", "6326", INLAND, carnet_number=TURKISH, previous="G1"))
    assert early.rule == "I2" and "inspection must be completed" in early.reason
    story.do(accept_at("G1", BORDER), inspect_at("G1", BORDER))
    elsewhere = story.refuses(declare("I1", "6326", OTHER_INLAND, carnet_number=TURKISH, previous="G1"))
    assert elsewhere.rule == "I2" and f"destined for {INLAND}" in elsewhere.reason
    contradicting = story.refuses(declare("I1", "6326", INLAND, carnet_number=TURKISH, previous="G1", lines=((1, 1),)))
    assert contradicting.rule == "I2" and "contradict G1" in contradicting.reason
    story.do(
        declare("I1", "6326", INLAND, carnet_number=TURKISH, previous="G1"),
        accept_at("I1", INLAND),
        inspect_at("I1", INLAND),
    )
    assert story.quantities("E1") == {1: (3, 2, 1), 2: (5, 0, 5)}  # partial: the 2600 stays open
    assert story.status("E1") is Status.INSPECTION_COMPLETED
    assert story.closed_by("G1") == "I2" and story.closed_by("I1") == "I2"
    # the rest comes back at the border, straight on the 2600 (I3)
    story.do(
        declare("I2", "6326", BORDER, carnet_number=TURKISH, previous="E1"),
        accept_at("I2", BORDER),
        inspect_at("I2", BORDER),
    )
    assert story.quantities("E1") == {1: (3, 3, 0), 2: (5, 5, 0)}
    assert story.closed_by("E1") == "I3"
    story.assert_replays()


# --- X1-X3: transit through Türkiye --------------------------------------------------------------


def test_x1_x2_x3_transit_in_at_one_border_out_at_another_closes_giris_and_cikis() -> None:
    # rule: X1, X2, X3, G5 (no other transit document: both are e-ATA/TR declarations)
    story = giris_inspected(EXIT_BORDER)
    assert story.declaration("G1").destination_office == EXIT_BORDER

    story.do(declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1"))  # X2: built from the GİRİŞ
    lodged = story.emitted(DeclarationLodged)[0]
    assert (lodged.customs_office, lodged.destination_office, lodged.previous_declaration) == (
        EXIT_BORDER,
        EXIT_BORDER,
        "G1",
    )
    assert [(ln.line_no, ln.quantity) for ln in lodged.lines] == [(1, 12), (2, 1)]
    assert story.status("G1") is Status.INSPECTION_COMPLETED

    story.do(accept_at("C1", EXIT_BORDER), inspect_at("C1", EXIT_BORDER))
    assert story.status("G1") is Status.CLOSED and story.closed_by("G1") == "X3"
    assert story.status("C1") is Status.CLOSED and story.closed_by("C1") == "X3"
    assert {e.declaration_number: e.rule for e in story.emitted(DeclarationClosed)} == {"G1": "X3", "C1": "X3"}
    assert all(d.regime.is_transit for d in story.carnet.declarations.values())  # nothing entered a regime
    story.assert_replays()


def test_x1_giris_starts_at_a_border_office() -> None:
    # rule: X1
    refusal = Story().refuses(declare("G1", "ATA-TR/GİRİŞ", INLAND, carnet=carnet_data(), destination=EXIT_BORDER))
    assert refusal.rule == "X1" and "border office" in refusal.reason


def test_x2_cikis_is_lodged_at_the_exit_border_of_the_giris_and_agrees_with_it() -> None:
    # rule: X2
    story = giris_inspected(EXIT_BORDER, lines=((1, 4),))
    elsewhere = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", OTHER_BORDER, previous="G1"))
    assert elsewhere.rule == "X2" and EXIT_BORDER in elsewhere.reason
    lines = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1", lines=((1, 3),)))
    assert lines.rule == "X2" and "contradict G1" in lines.reason
    destination = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1", destination=OTHER_BORDER))
    assert destination.rule == "X2" and "contradicts G1" in destination.reason
    story.do(declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1", lines=((1, 4),)))
    second = story.refuses(declare("C2", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1"))
    assert second.rule == "X2" and "already followed by C1" in second.reason


def test_x2_cikis_needs_an_inspected_giris() -> None:
    # rule: X2
    story = Story().do(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=EXIT_BORDER))
    refusal = story.refuses(declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1"))
    assert refusal.rule == "X2" and "inspection must be completed" in refusal.reason


def test_x3_transit_does_not_end_before_the_exit_inspection() -> None:
    # rule: X3
    story = giris_inspected(EXIT_BORDER).do(
        declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="G1"), accept_at("C1", EXIT_BORDER)
    )
    assert story.status("G1") is Status.INSPECTION_COMPLETED and story.status("C1") is Status.ACCEPTED
    entry_office = story.refuses(inspect_at("C1", BORDER))
    assert entry_office.rule == "C1"
    story.do(inspect_at("C1", EXIT_BORDER))
    assert story.closed_by("G1") == story.closed_by("C1") == "X3"


def test_t3_inland_5800_cannot_use_a_giris_that_brings_back_a_2600s_goods() -> None:
    # rule: T3
    story = exported_inland_2600().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, previous="E1", destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
    )
    refusal = story.refuses(declare("M1", "5800", INLAND, carnet_number=TURKISH, previous="G1"))
    assert refusal.rule == "T3" and "G1 brings re-imported goods" in refusal.reason


def test_x2_cikis_cannot_use_a_giris_that_brings_back_a_2600s_goods() -> None:
    # rule: X2
    story = exported_inland_2600().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, previous="E1", destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
    )
    refusal = story.refuses(declare("C2", "ATA-TR/ÇIKIŞ", INLAND, carnet_number=TURKISH, previous="G1"))
    assert refusal.rule == "X2" and "G1 brings re-imported goods" in refusal.reason


def test_i2_inland_6326_needs_a_giris_bringing_back_a_2600s_goods() -> None:
    # rule: I2
    story = giris_inspected(INLAND)
    refusal = story.refuses(declare("I1", "6326", INLAND, previous="G1"))
    assert refusal.rule == "I2" and "G1 does not bring back goods of a 2600" in refusal.reason
