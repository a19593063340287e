"""General rules of Circular 2021/17 section I.a (G1-G7) and bad input: every refusal names its rule,
says why in words, and leaves the carnet it was given exactly as it was (Story.refuses checks that)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain import rules
from hub.domain.commands import DeclarantIn
from hub.domain.events import CarnetRecorded, DeclarationCancelled, DeclarationLodged
from hub.domain.model import CarnetSource, Regime, Status
from tests.domain.builders import VALID_TCKN, carnet_data, clock
from tests.domain.scenario import (
    BORDER,
    EXIT_BORDER,
    FOREIGN,
    HOLDER,
    INLAND,
    OTHER_DECLARANT,
    TURKISH,
    Story,
    accept_at,
    cancel_by,
    declare,
    inspect_at,
    reject_at,
    turkish_carnet,
)


def border_5800(lines: tuple[tuple[int, int], ...] = ()) -> Story:
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=lines),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
    )


# --- G1: lodged, accepted, inspected in e-ATA/TR, in that order ----------------------------------


def test_g1_declaration_moves_lodged_accepted_inspection_completed() -> None:
    # rule: G1
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()))
    assert story.status("M1") is Status.LODGED
    early = story.refuses(inspect_at("M1", BORDER))
    assert early.rule == "G1" and "only a accepted one can be inspected" in early.reason
    story.do(accept_at("M1", BORDER))
    assert story.status("M1") is Status.ACCEPTED and story.declaration("M1").accepted_by == "irtibat-01"
    twice = story.refuses(accept_at("M1", BORDER))
    assert twice.rule == "G1" and "only a lodged one can be accepted" in twice.reason
    story.do(inspect_at("M1", BORDER))
    assert story.status("M1") is Status.INSPECTION_COMPLETED and story.declaration("M1").inspected_by == "muayene-07"
    again = story.refuses(inspect_at("M1", BORDER))
    assert again.rule == "G1"


def test_g1_unknown_office_declaration_number_twice_and_unknown_declaration_are_refused() -> None:
    # rule: G1
    unknown_office = Story().refuses(declare("M1", "5800", "999999", carnet=carnet_data()))
    assert unknown_office.rule == "G1" and "'999999' is not a customs office" in unknown_office.reason
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 1),)))
    twice = story.refuses(declare("M1", "5800", BORDER, lines=((1, 1),)))
    assert twice.rule == "G1" and "M1 is already registered" in twice.reason
    unknown = story.refuses(accept_at("M9", BORDER))
    assert unknown.rule == "G1" and "no declaration M9" in unknown.reason


def test_g1_rejected_and_cancelled_declarations_go_no_further_and_release_their_quantities() -> None:
    # rule: G1 (and G7: what they held may be declared again)
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()))
    story.do(reject_at("M1", BORDER))
    assert story.status("M1") is Status.REJECTED
    assert story.refuses(accept_at("M1", BORDER)).rule == "G1"
    story.do(declare("M2", "5800", BORDER))  # the whole goods list again: M1 holds nothing
    story.do(cancel_by("M2"))
    assert story.status("M2") is Status.CANCELLED
    assert story.emitted(DeclarationCancelled)[0].status == "cancelled"
    story.do(declare("M3", "5800", BORDER))
    assert story.quantities("M3") == {1: (12, 0, 12), 2: (1, 0, 1)}
    story.do(accept_at("M3", BORDER))
    late = story.refuses(cancel_by("M3"))
    assert late.rule == "G1" and "only a lodged one can be cancelled" in late.reason


# --- G2: the declarant --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("TCKN", "12345678901", "check digits"),
        ("TCKN", "1000000014", "check digits"),
        ("VKN", "481002345", "not 10 digits"),
        ("VKN", "48100234X6", "not 10 digits"),
        ("PASSPORT", "c0 1", "passport number"),
        ("EORI", "TR4810023456", "none of TCKN, VKN, PASSPORT"),
    ],
)
def test_g2_malformed_declarant_id_is_refused_with_reason(kind: str, value: str, words: str) -> None:
    # rule: G2
    bad = DeclarantIn(id_kind=kind, id_value=value, name="Ayşe Yılmaz", acts_as="representative")
    refusal = Story().refuses(declare("M1", "5800", BORDER, carnet=carnet_data(), declarant=bad))
    assert refusal.rule == "G2" and words in refusal.reason
    story = border_5800(lines=((1, 1),))
    on_reference = story.refuses(declare("R1", "3158", BORDER, previous="M1", declarant=bad))
    assert on_reference.rule == "G2" and words in on_reference.reason


def test_g2_holder_or_representative_by_tckn_vkn_or_passport_is_accepted() -> None:
    # rule: G2
    representative = DeclarantIn(id_kind="TCKN", id_value=VALID_TCKN, name="Ayşe Yılmaz", acts_as="representative")
    foreigner = DeclarantIn(id_kind="PASSPORT", id_value="C01X00T47", name="Jonas Weber", acts_as="holder")
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 1),), declarant=representative),
        declare("M2", "5800", BORDER, lines=((1, 1),), declarant=foreigner),
        declare("M3", "5800", BORDER, lines=((1, 1),), declarant=HOLDER),
    )
    assert story.declaration("M1").declarant.acts_as == "representative"
    assert story.declaration("M2").declarant.id_kind == "PASSPORT"


def test_g2_only_the_declarant_cancels_their_declaration() -> None:
    # rule: G2
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()))
    refusal = story.refuses(cancel_by("M1", OTHER_DECLARANT))
    assert refusal.rule == "G2" and "only the declarant of M1" in refusal.reason


# --- G3: Turkish carnets come from TOBB ------------------------------------------------------------


def test_g3_2600_asks_tobb_and_is_filled_from_its_record() -> None:
    # rule: G3
    command = declare("E1", "2600", BORDER, carnet_number=TURKISH)
    assert rules.decide(None, command, clock()) == rules.LookUpCarnet(TURKISH)
    story = Story().tobb(command, turkish_carnet())
    recorded = story.emitted(CarnetRecorded)[0]
    assert recorded.source == "TOBB" and recorded.carnet == turkish_carnet()
    assert story.carnet.source is CarnetSource.TOBB
    lodged = story.emitted(DeclarationLodged)[0]
    assert lodged.carnet_source == "TOBB" and lodged.holder_name == turkish_carnet().holder_name


def test_g3_turkish_carnet_typed_in_unknown_to_tobb_or_not_turkish_is_refused() -> None:
    # rule: G3
    typed = Story().refuses(declare("M1", "5800", BORDER, carnet=turkish_carnet()))
    assert typed.rule == "G3" and "fetched from TOBB" in typed.reason
    on_2600 = Story().refuses(declare("E1", "2600", BORDER, carnet=turkish_carnet()))
    assert on_2600.rule == "G3" and "fetched from TOBB" in on_2600.reason
    unknown = Story().refuses_tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), None)
    assert unknown.rule == "G3" and f"TOBB does not know carnet {TURKISH}" in unknown.reason
    foreign = Story().refuses_tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), carnet_data(TURKISH, "DE"))
    assert foreign.rule == "G3" and "not in Türkiye" in foreign.reason
    down = rules.tobb_unavailable(declare("E1", "2600", BORDER, carnet_number=TURKISH), "timeout")
    assert down.rule == "G3" and "could not be fetched from TOBB" in down.reason


def test_g3_expired_turkish_carnet_cannot_be_used() -> None:
    # rule: G3 ("one that has expired cannot be used"), refused under V1
    expired = carnet_data(TURKISH, "TR", issued=date(2025, 5, 12), valid_until=date(2026, 5, 11))
    refusal = Story().refuses_tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), expired)
    assert refusal.rule == "V1" and "expired on 2026-05-11" in refusal.reason


def test_g3_foreign_carnet_typed_in_once_then_used_from_the_record() -> None:
    # rule: G3 (only foreign carnets are typed in; a second, contradicting copy is refused)
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 1),)))
    assert story.carnet.source is CarnetSource.DECLARANT
    story.do(declare("M2", "5800", BORDER, lines=((1, 1),)))  # no carnet data: the record is used
    assert story.emitted(CarnetRecorded) == []
    other = story.refuses(declare("M3", "5800", BORDER, carnet=carnet_data(quantities=(99, 1)), lines=((1, 1),)))
    assert other.rule == "G3" and "contradicts carnet" in other.reason
    mismatch = Story().refuses(declare("M1", "5800", BORDER, carnet_number="FR/2026/B-7", carnet=None))
    assert mismatch.rule == "G3" and "not on record" in mismatch.reason


def test_g3_g7_tobb_record_listing_less_than_a_live_2600_entered_is_refused() -> None:
    # rule: G3, G7 (TOBB's record replaces the carnet's, but not below what an open entry carried)
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet((3, 5)))
    story.do(
        accept_at("E1", BORDER),
        inspect_at("E1", BORDER),
        declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1", lines=((2, 3),)),
        accept_at("I1", BORDER),
        inspect_at("I1", BORDER),
    )
    assert story.quantities("E1") == {1: (3, 0, 3), 2: (5, 3, 2)}  # 2 of line 2 still abroad
    refusal = story.refuses_tobb(declare("E2", "2600", BORDER, carnet_number=TURKISH), turkish_carnet((3, 4)))
    assert refusal.rule == "G3"
    assert f"TOBB's record of {TURKISH} lists 4 on line 2, but E1, still open, carries 5 of it under 2600" in (
        refusal.reason
    )
    story.do(
        declare("I2", "6326", BORDER, carnet_number=TURKISH, previous="E1"),
        accept_at("I2", BORDER),
        inspect_at("I2", BORDER),
    )
    assert story.status("E1") is Status.CLOSED  # finished: TOBB's record is the truth for what comes next
    story.tobb(declare("E2", "2600", BORDER, carnet_number=TURKISH, lines=((2, 4),)), turkish_carnet((3, 4)))
    assert story.carnet.goods_list_quantity(2) == 4


def test_g3_carnet_data_for_another_number_is_refused() -> None:
    # rule: G3
    command = declare("M1", "5800", BORDER, carnet=carnet_data()).model_copy(update={"carnet_number": "FR/2026/B-7"})
    refusal = Story().refuses(command)
    assert refusal.rule == "G3" and f"carnet data is for {FOREIGN}" in refusal.reason


# --- G4: six regimes -----------------------------------------------------------------------------


@pytest.mark.parametrize("regime", ["4000", "5800 ", "ata-tr/giriş", "ATA-TR/GIRIS", ""])
def test_g4_unknown_regime_code_is_refused(regime: str) -> None:
    # rule: G4
    story = border_5800(lines=((1, 1),))
    refusal = story.refuses(declare("X1", regime, BORDER, previous="M1"))
    assert refusal.rule == "G4" and "is none of 5800, 3158, 2600, 6326, ATA-TR/GİRİŞ, ATA-TR/ÇIKIŞ" in refusal.reason


def test_g4_the_six_regimes_and_which_enter_goods() -> None:
    # rule: G4
    assert [r.value for r in Regime] == ["5800", "3158", "2600", "6326", "ATA-TR/GİRİŞ", "ATA-TR/ÇIKIŞ"]
    assert {r.value for r in Regime if r.is_regime_entry} == {"5800", "2600"}
    assert {r.value for r in Regime if r.is_discharge} == {"3158", "6326"}


def test_g4_foreign_carnet_regime_on_a_turkish_carnet_is_refused() -> None:
    # rule: G4 (5800 and a typed-in GİRİŞ are for foreign carnets)
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    refusal = story.refuses(declare("M1", "5800", BORDER, carnet_number=TURKISH))
    assert refusal.rule == "G4" and "issued in Türkiye" in refusal.reason
    giris = story.refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=TURKISH, destination=INLAND))
    assert giris.rule == "G4"


# --- G5: transit in e-ATA/TR itself ------------------------------------------------------------------


def test_g5_transit_is_an_ata_declaration_with_a_known_destination() -> None:
    # rule: G5 (no separate transit declaration: the GİRİŞ is one of the carnet's declarations)
    story = Story().do(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=EXIT_BORDER))
    giris = story.declaration("G1")
    assert (giris.regime, giris.destination_office, giris.status) == (Regime.TRANSIT_IN, EXIT_BORDER, Status.LODGED)
    unknown = Story().refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination="999999"))
    assert unknown.rule == "G5" and "'999999' is not a customs office" in unknown.reason


# --- G7: quantities per line ---------------------------------------------------------------------


def test_g7_several_5800_up_to_the_goods_list_then_refused() -> None:
    # rule: G7 (peyderpey in)
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 5),)),
        declare("M2", "5800", EXIT_BORDER, lines=((1, 4),)),
        declare("M3", "5800", BORDER, lines=((1, 3), (2, 1))),
    )
    assert story.carnet.outstanding_entry(Regime.TEMPORARY_IMPORT, 1) == 12
    beyond = story.refuses(declare("M4", "5800", BORDER, lines=((1, 1),)))
    assert beyond.rule == "G7" and "only 0 of 12" in beyond.reason
    nothing = story.refuses(declare("M4", "5800", BORDER))
    assert nothing.rule == "G7" and "already under 5800" in nothing.reason


def test_g7_several_3158_down_to_zero_then_refused() -> None:
    # rule: G7 (peyderpey out)
    story = border_5800().do(
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
        declare("R2", "3158", BORDER, previous="M1", lines=((1, 4),)),  # lodged, not yet inspected: reserved
    )
    beyond = story.refuses(declare("R3", "3158", BORDER, previous="M1", lines=((1, 4),)))
    assert beyond.rule == "G7" and "only 3 of the 12 entered on M1" in beyond.reason
    story.do(
        accept_at("R2", BORDER),
        inspect_at("R2", BORDER),
        declare("R3", "3158", BORDER, previous="M1", lines=((1, 3),)),
        accept_at("R3", BORDER),
        inspect_at("R3", BORDER),
    )
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 0, 1)}
    assert story.status("M1") is Status.INSPECTION_COMPLETED  # line 2 still in Türkiye
    zero_left = story.refuses(declare("R4", "3158", BORDER, previous="M1", lines=((1, 1),)))
    assert zero_left.rule == "G7" and "only 0" in zero_left.reason
    story.do(declare("R4", "3158", BORDER, previous="M1"), accept_at("R4", BORDER), inspect_at("R4", BORDER))
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)} and story.closed_by("M1") == "R1"
    story.assert_replays()


def test_g7_discharge_of_a_line_the_entry_does_not_have_is_refused() -> None:
    # rule: G7
    story = border_5800(lines=((1, 5),))
    refusal = story.refuses(declare("R1", "3158", BORDER, previous="M1", lines=((2, 1),)))
    assert refusal.rule == "G7" and "M1 has no line 2" in refusal.reason


def test_g7_rejected_discharge_releases_what_it_reserved() -> None:
    # rule: G7
    story = border_5800(lines=((1, 5),)).do(declare("R1", "3158", BORDER, previous="M1"))
    assert story.refuses(declare("R2", "3158", BORDER, previous="M1", lines=((1, 1),))).rule == "G7"
    story.do(reject_at("R1", BORDER), declare("R2", "3158", BORDER, previous="M1", lines=((1, 5),)))
    assert story.status("R2") is Status.LODGED


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (((1, 2), (1, 3)), "line 1 is declared twice"),
        (((1, 0),), "quantity 0 is not at least 1"),
        (((1, -4),), "quantity -4 is not at least 1"),
        (((0, 1),), "start at 1, not 0"),
        (((9, 1),), "no goods-list line 9"),
        (((1, 13),), "13 declared, only 12 of 12"),
    ],
)
def test_g7_bad_lines_on_a_5800_are_refused(lines: tuple[tuple[int, int], ...], words: str) -> None:
    # rule: G7
    refusal = Story().refuses(declare("M1", "5800", BORDER, carnet=carnet_data(), lines=lines))
    assert refusal.rule == "G7" and words in refusal.reason


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (((1, 2), (1, 3)), "line 1 is declared twice"),
        (((1, 0),), "quantity 0 is not at least 1"),
        (((2, -1),), "quantity -1 is not at least 1"),
    ],
)
def test_g7_bad_lines_on_a_discharge_are_refused(lines: tuple[tuple[int, int], ...], words: str) -> None:
    # rule: G7
    story = border_5800()
    refusal = story.refuses(declare("R1", "3158", BORDER, previous="M1", lines=lines))
    assert refusal.rule == "G7" and words in refusal.reason


def test_g7_giris_beyond_the_goods_list_is_refused() -> None:
    # rule: G7
    refusal = Story().refuses(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND, lines=((2, 2),))
    )
    assert refusal.rule == "G7" and "the goods list has 1" in refusal.reason


def test_g7_inland_5800_beyond_what_may_still_enter_is_refused() -> None:
    # rule: G7 (a 5800 at the border already holds line 2; the GİRİŞ's 5800 may not enter it again)
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((2, 1),)),
        declare("G1", "ATA-TR/GİRİŞ", BORDER, destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
    )
    refusal = story.refuses(declare("M2", "5800", INLAND, previous="G1"))
    assert refusal.rule == "G7" and "line 2: only 0 may still enter under 5800" in refusal.reason


def test_g7_2600_entries_never_exceed_the_goods_list() -> None:
    # rule: G7 (2600 is a regime entry too)
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH, lines=((2, 4),)), turkish_carnet())
    story.tobb(declare("E2", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    assert story.quantities("E2") == {1: (3, 0, 3), 2: (1, 0, 1)}
    refusal = story.refuses_tobb(
        declare("E3", "2600", BORDER, carnet_number=TURKISH, lines=((1, 1),)), turkish_carnet()
    )
    assert refusal.rule == "G7" and "only 0 of 3" in refusal.reason


# --- bad references ------------------------------------------------------------------------------


def test_r1_t3_r2_unknown_reference_is_refused_naming_the_path_rule() -> None:
    # rule: R1, T3, R2 (an unknown reference, on each referencing path)
    story = border_5800()
    for command, rule in (
        (declare("R1", "3158", BORDER, previous="M9"), "R1"),
        (declare("M2", "5800", INLAND, previous="M9"), "T3"),
        (declare("C1", "ATA-TR/ÇIKIŞ", EXIT_BORDER, previous="M9"), "R2"),
    ):
        refusal = story.refuses(command)
        assert refusal.rule == rule and "reference M9" in refusal.reason
        assert "no such declaration is registered" in refusal.reason


def test_r1_t3_reference_to_another_carnets_declaration_is_refused_naming_that_carnet() -> None:
    # rule: R1, T3 (the reference lives on another carnet)
    story = border_5800()
    elsewhere = rules.Context(reference_carnet="FR/2026/B-7")
    refusal = story.refuses(declare("R1", "3158", BORDER, previous="G-FR-1"), ctx=elsewhere)
    assert refusal.rule == "R1"
    assert "reference G-FR-1 cannot be used for carnet DE/2026/A-1" in refusal.reason
    assert "it belongs to carnet FR/2026/B-7" in refusal.reason
    inland = story.refuses(declare("M2", "5800", INLAND, previous="G-FR-1"), ctx=elsewhere)
    assert inland.rule == "T3" and "FR/2026/B-7" in inland.reason
    first_use = Story().refuses(declare("R1", "3158", BORDER, previous="G-FR-1"), ctx=elsewhere)
    assert first_use.rule == "R1" and "FR/2026/B-7" in first_use.reason


def test_r1_carnet_data_contradicting_the_reference_is_refused() -> None:
    # rule: R1 (filled from the reference: carnet data sent must agree with it)
    story = border_5800()
    refusal = story.refuses(declare("R1", "3158", BORDER, previous="M1", carnet=carnet_data(quantities=(12, 2))))
    assert refusal.rule == "R1" and "contradicts M1's carnet" in refusal.reason


def test_g7_discharge_with_nothing_left_open_is_refused() -> None:
    # rule: G7 (everything open is already on its way back)
    story = border_5800().do(declare("R1", "3158", BORDER, previous="M1"))
    refusal = story.refuses(declare("R2", "3158", BORDER, previous="M1"))
    assert refusal.rule == "G7" and "nothing is left open on M1" in refusal.reason


def test_g7_giris_with_a_line_not_on_the_goods_list_is_refused() -> None:
    # rule: G7
    refusal = Story().refuses(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND, lines=((9, 1),))
    )
    assert refusal.rule == "G7" and "no goods-list line 9" in refusal.reason
