"""What BİLGE brings to the regime rules, on the pure core: TCGBs drawing down regime entries (F1, F2),
summary declarations opened and closed (S1–S4), legacy BİLGE declarations finished in e-ATA/TR (L1, L2).

Offices: 220100 Kapıkule (border), 310100 Cilvegözü (border), 342000 Erenköy (inland), 343300 Halkalı (inland).
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from hub.domain import rules
from hub.domain.bilge import (
    DrawDownByTcgb,
    LegacyDeclaration,
    LegacyLine,
    SummaryClosureRequested,
    SummaryFound,
    SummaryOpening,
    SummaryPart,
    TcgbRow,
)
from hub.domain.carnet import CarnetData
from hub.domain.commands import LodgeDeclaration
from hub.domain.events import (
    CarnetRecorded,
    DeclarationClosed,
    DeclarationLodged,
    GoodsDischarged,
    InspectionCompleted,
    LegacyDeclarationImported,
    SummaryClosureRecorded,
    TcgbItemDrawn,
    TcgbReference,
)
from hub.domain.evolve import evolve, replay
from hub.domain.model import CarnetSource, OfficeKind, Regime, Status
from hub.domain.rules.summary import closure_id
from tests.domain.builders import carnet_data, clock
from tests.domain.scenario import (
    BORDER,
    DAY,
    EXIT_BORDER,
    FOREIGN,
    INLAND,
    TURKISH,
    Story,
    accept_at,
    declare,
    inspect_at,
    turkish_carnet,
    without_version,
)

TCGB = "26220100IM000777"  # a TCGB registered in BİLGE at Kapıkule
SUMMARY = "26220100OB000123"  # an özet beyan at Kapıkule
BILGE_5800 = "21343300IM000412"  # a legacy 5800 registered in BİLGE at Halkalı, before e-ATA/TR
LEGACY_DAY = date(2021, 9, 1)  # after the cut-over, while the legacy carnets are valid
LEGACY_FOREIGN = "DE/2021/B-7"
LEGACY_TURKISH = "TR/2021/000777"


def assert_replays(story: Story) -> None:
    """hub.domain.evolve.replay of every event emitted equals the carnet the rules left (version aside)."""
    assert without_version(replay(story.events)) == without_version(story.carnet)


# --- builders -------------------------------------------------------------------------------------


def tcgb(*rows: tuple[int, str, int, int], number: str = TCGB, regime: str = "4000") -> DrawDownByTcgb:
    """A TCGB whose "TCGB Açmalar" rows are (item, e-ATA/TR declaration, line, quantity)."""
    return DrawDownByTcgb(
        tcgb_number=number,
        regime=regime,
        customs_office=BORDER,
        registered_on=DAY,
        rows=tuple(
            TcgbRow(item_no=item, declaration_number=decl, line_no=line, quantity=qty) for item, decl, line, qty in rows
        ),
    )


def border_5800(quantities: tuple[int, ...] = (12, 1)) -> Story:
    """A 5800 M1 at Kapıkule, accepted and inspected: goods under temporary import (T1)."""
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(quantities=quantities)),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
    )


def border_2600() -> Story:
    """A 2600 E1 at Kapıkule for a Turkish carnet (3, 5) fetched from TOBB, accepted and inspected (E1)."""
    return (
        Story()
        .tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet((3, 5)))
        .do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    )


def opening(
    packages: int = 4,
    *,
    document: str = "MSKU-BL-4471",
    line: int | None = None,
    storage: bool = False,
    code: str | None = None,
) -> SummaryOpening:
    return SummaryOpening(
        summary_number=SUMMARY,
        transport_document=document,
        transport_line=line,
        packages=packages,
        temporary_storage=storage,
        storage_code=code,
    )


def summary_found(number: str = SUMMARY) -> SummaryFound:
    """BİLGE's answer: the whole bill of lading MSKU-BL-4471 (10 open), and lines 1 and 2 of MSKU-BL-4472."""
    return SummaryFound(
        request_id=uuid.UUID(int=1),
        summary_number=number,
        customs_office=BORDER,
        parts=(
            SummaryPart(transport_document="MSKU-BL-4471", packages=12, open_packages=10),
            SummaryPart(transport_document="MSKU-BL-4472", transport_line=1, packages=5, open_packages=5),
            SummaryPart(transport_document="MSKU-BL-4472", transport_line=2, packages=3, open_packages=1),
        ),
    )


def with_summary(opened_in_hub: int = 0) -> rules.Context:
    return rules.Context(summary=summary_found(), summary_opened_in_hub=opened_in_hub)


def lodge_5800(summary: SummaryOpening, lines: tuple[tuple[int, int], ...] = ()) -> LodgeDeclaration:
    """A 5800 M1 at Kapıkule, the foreign carnet typed in, opening a part of the ÖB."""
    return declare("M1", "5800", BORDER, carnet=carnet_data(), lines=lines, summary=summary)


def legacy_carnet(number: str = LEGACY_FOREIGN, country: str = "DE") -> CarnetData:
    return carnet_data(
        number=number, country=country, issued=date(2021, 3, 1), valid_until=date(2022, 2, 28), quantities=(5, 1)
    )


def legacy(
    *,
    bilge_number: str = BILGE_5800,
    regime: str = "5800",
    office: str = "343300",
    registered_on: date = date(2021, 4, 15),
    carnet: CarnetData | None = None,
    lines: tuple[tuple[int, int], ...] = ((1, 5), (2, 1)),
) -> LegacyDeclaration:
    return LegacyDeclaration(
        bilge_number=bilge_number,
        regime=regime,
        customs_office=office,
        registered_on=registered_on,
        carnet=carnet or legacy_carnet(),
        lines=tuple(LegacyLine(line_no=n, quantity=q) for n, q in lines),
    )


def re_export_legacy(number: str = "R1", lines: tuple[tuple[int, int], ...] = ()) -> LodgeDeclaration:
    """A 3158 at Kapıkule referencing the legacy BİLGE 5800 by its BİLGE number (L1)."""
    return declare(number, "3158", BORDER, carnet_number=LEGACY_FOREIGN, previous=BILGE_5800, lines=lines)


def ledger_of(event: GoodsDischarged) -> list[tuple[int, int, int, int]]:
    return [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in event.ledger]


# --- F1, F2: TCGBs drawing down 5800 and 2600 -------------------------------------------------------


def test_f1_f2_tcgb_draws_down_an_open_5800_through_the_same_ledger_as_3158() -> None:
    # rule: F1 (a TCGB references e-ATA/TR declarations), F2 (it draws down the referenced lines)
    story = border_5800().do(tcgb((1, "M1", 1, 4)))
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.declaration_number, discharged.rule) == ("M1", "F2")
    assert TCGB in discharged.discharged_by
    assert ledger_of(discharged) == [(1, 12, 4, 8)]
    assert story.emitted(DeclarationClosed) == []
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert story.quantities("M1") == {1: (12, 4, 8), 2: (1, 0, 1)}
    # the same ledger: a 3158 without lines takes exactly what the TCGB left open
    story.do(declare("R1", "3158", BORDER, previous="M1"))
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 8), (2, 1)]
    assert_replays(story)


def test_f1_f2_tcgb_draws_down_a_2600_and_a_6326_closes_the_rest() -> None:
    # rule: F1 (final export of goods under a 2600), F2 (drawn down through the ledger of re-import)
    story = border_2600().do(tcgb((1, "E1", 2, 5), (2, "E1", 1, 1), regime="1000"))
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.declaration_number, discharged.rule) == ("E1", "F2")
    assert ledger_of(discharged) == [(1, 3, 1, 2), (2, 5, 5, 0)]
    assert story.status("E1") is Status.INSPECTION_COMPLETED  # line 1: 2 still abroad
    story.do(declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1"))
    assert [(ln.line_no, ln.quantity) for ln in story.emitted(DeclarationLodged)[0].lines] == [(1, 2)]
    story.do(accept_at("I1", BORDER), inspect_at("I1", BORDER))
    assert story.quantities("E1") == {1: (3, 3, 0), 2: (5, 5, 0)}
    assert story.status("E1") is Status.CLOSED and story.closed_by("E1") == "I3"
    assert_replays(story)


def test_f2_3158_then_tcgb_accounting_for_everything_closes_the_5800() -> None:
    # rule: F2 (closes when re-export and TCGBs together account for all goods)
    story = border_5800().do(
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)), accept_at("R1", BORDER), inspect_at("R1", BORDER)
    )
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    story.do(tcgb((1, "M1", 1, 7), (2, "M1", 2, 1)))
    [discharged] = story.emitted(GoodsDischarged)
    assert ledger_of(discharged) == [(1, 12, 12, 0), (2, 1, 1, 0)]
    [closed] = story.emitted(DeclarationClosed)
    assert (closed.declaration_number, closed.rule, closed.status) == ("M1", "F2", "closed")
    assert story.status("M1") is Status.CLOSED and story.closed_by("M1") == "F2"
    assert_replays(story)


def test_f2_tcgb_then_3158_accounting_for_everything_closes_the_5800() -> None:
    # rule: F2 (the lodged 3158's quantity stays reserved; its inspection discharges the rest, R1)
    story = border_5800().do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)))
    story.do(tcgb((1, "M1", 1, 7), (2, "M1", 2, 1)))
    assert story.emitted(DeclarationClosed) == []  # 5 of line 1 still in Türkiye, on their way out
    assert story.quantities("M1") == {1: (12, 7, 5), 2: (1, 1, 0)}
    story.do(accept_at("R1", BORDER), inspect_at("R1", BORDER))
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)}
    assert story.status("M1") is Status.CLOSED and story.closed_by("M1") == "R1"
    assert_replays(story)


def test_f2_two_rows_on_the_same_line_add_up() -> None:
    # rule: F2
    story = border_5800().do(tcgb((1, "M1", 1, 3), (2, "M1", 1, 4)))
    [discharged] = story.emitted(GoodsDischarged)
    assert ledger_of(discharged) == [(1, 12, 7, 5)]
    assert story.quantities("M1") == {1: (12, 7, 5), 2: (1, 0, 1)}


def test_f2_one_tcgb_draws_down_two_regime_entries_of_the_carnet() -> None:
    # rule: F2 (one command per carnet; each referenced entry is drawn down, each closes on its own)
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(quantities=(12, 1, 2)), lines=((1, 12), (2, 1))),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("M2", "5800", EXIT_BORDER, carnet_number=FOREIGN, lines=((3, 2),)),
        accept_at("M2", EXIT_BORDER),
        inspect_at("M2", EXIT_BORDER),
    )
    story.do(tcgb((1, "M1", 1, 2), (2, "M2", 3, 2)))
    assert sorted((d.declaration_number, ledger_of(d)[0]) for d in story.emitted(GoodsDischarged)) == [
        ("M1", (1, 12, 2, 10)),
        ("M2", (3, 2, 2, 0)),
    ]
    assert [(c.declaration_number, c.rule) for c in story.emitted(DeclarationClosed)] == [("M2", "F2")]
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert_replays(story)


def test_f2_beyond_what_is_open_counting_lodged_3158s_is_refused_naming_the_item() -> None:
    # rule: F2 (drawing down more than is open is refused and reported back to BİLGE)
    story = border_5800().do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)))
    refusal = story.refuses(tcgb((1, "M1", 2, 1), (3, "M1", 1, 8)))
    assert refusal.rule == "F2"
    assert "item 3" in refusal.reason and "only 7 open" in refusal.reason and "item 1" not in refusal.reason
    # two rows on the same line: the second one goes beyond what the first left
    refusal = story.refuses(tcgb((1, "M1", 1, 7), (2, "M1", 1, 1)))
    assert refusal.rule == "F2" and "item 2" in refusal.reason and "only 0 open" in refusal.reason
    assert "item 1" not in refusal.reason
    # exactly what is open is fine
    story.do(tcgb((1, "M1", 1, 7)))
    assert story.quantities("M1") == {1: (12, 7, 5), 2: (1, 0, 1)}


def refusing_story() -> Story:
    """Carnet DE/2026/A-1 (12, 1, 4): M1 open 5800 (lines 1, 2), R1 a 3158 of it, M0 a closed 5800,
    M2 a lodged 5800, M3 an accepted 5800, G1 a GİRİŞ, all on Kapıkule."""
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(quantities=(12, 1, 4)), lines=((1, 12), (2, 1))),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 1),)),
        declare("M0", "5800", BORDER, carnet_number=FOREIGN, lines=((3, 1),)),
        accept_at("M0", BORDER),
        inspect_at("M0", BORDER),
        declare("R0", "3158", BORDER, previous="M0"),
        accept_at("R0", BORDER),
        inspect_at("R0", BORDER),
        declare("M2", "5800", BORDER, carnet_number=FOREIGN, lines=((3, 1),)),
        declare("M3", "5800", BORDER, carnet_number=FOREIGN, lines=((3, 1),)),
        accept_at("M3", BORDER),
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet_number=FOREIGN, destination=INLAND, lines=((3, 1),)),
    )


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ((4, "M9", 1, 1), "M9 is not registered"),
        ((4, "R1", 1, 1), "R1 is a 3158"),
        ((4, "G1", 3, 1), "G1 is a ATA-TR/GİRİŞ"),
        ((4, "M2", 3, 1), "M2 is lodged"),
        ((4, "M3", 3, 1), "M3 is accepted"),
        ((4, "M0", 3, 1), "M0 is closed"),
        ((4, "M1", 3, 1), "M1 has no goods line 3"),
        ((4, "M1", 1, 0), "quantity 0 is not at least 1"),
        ((4, "M1", 1, -2), "quantity -2 is not at least 1"),
    ],
    ids=["unknown", "a-3158", "a-giris", "lodged", "accepted", "closed", "unknown-line", "zero", "negative"],
)
def test_f2_tcgb_row_that_cannot_be_drawn_down_is_refused(row: tuple[int, str, int, int], why: str) -> None:
    # rule: F2 (only an open 5800/2600 line of this carnet, by at least one)
    story = refusing_story()
    assert story.status("M0") is Status.CLOSED and story.status("M2") is Status.LODGED
    refusal = story.refuses(tcgb(row))
    assert refusal.rule == "F2"
    assert "item 4" in refusal.reason and why in refusal.reason


def test_f2_tcgb_for_a_carnet_not_on_record_is_refused() -> None:
    # rule: F2
    refusal = Story().refuses(tcgb((1, "M1", 1, 1)))
    assert refusal.rule == "F2" and "not registered" in refusal.reason


def test_f2_all_or_nothing_one_bad_row_refuses_the_whole_tcgb() -> None:
    # rule: F2 (a TCGB is registered in BİLGE as a whole: no row is applied when one is refused)
    story = border_5800()
    events_before = list(story.events)
    refusal = story.refuses(tcgb((1, "M1", 1, 3), (2, "M1", 2, 1), (3, "M9", 1, 1)))
    assert refusal.rule == "F2" and "item 3" in refusal.reason
    assert "item 1" not in refusal.reason and "item 2" not in refusal.reason
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}
    assert story.events == events_before


def test_f1_f2_the_discharge_and_closure_by_a_tcgb_name_it_and_its_items() -> None:
    # rule: F1, F2 (issue 14 part 5: an outcome that names the TCGB and the items behind each ledger line)
    story = border_5800().do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)))
    story.do(accept_at("R1", BORDER), inspect_at("R1", BORDER))
    [by_3158] = story.emitted(GoodsDischarged)
    assert by_3158.tcgb is None  # a re-export is no TCGB
    story.do(tcgb((1, "M1", 1, 4), (2, "M1", 2, 1), (3, "M1", 1, 3)))
    [discharged] = story.emitted(GoodsDischarged)
    named = TcgbReference(
        tcgb_number=TCGB,
        items=(
            TcgbItemDrawn(item_no=1, declaration_number="M1", line_no=1, quantity=4),
            TcgbItemDrawn(item_no=2, declaration_number="M1", line_no=2, quantity=1),
            TcgbItemDrawn(item_no=3, declaration_number="M1", line_no=1, quantity=3),
        ),
    )
    assert discharged.tcgb == named
    assert ledger_of(discharged) == [(1, 12, 12, 0), (2, 1, 1, 0)]  # line 1: items 1 and 3
    [closed] = story.emitted(DeclarationClosed)
    assert (closed.declaration_number, closed.rule, closed.tcgb) == ("M1", "F2", named)
    assert_replays(story)


def test_f2_a_refused_tcgb_names_it_and_each_item_that_failed_with_why() -> None:
    # rule: F2 (the refusal names the TCGB and its failing items; the items that could apply are not named)
    story = border_5800()
    refusal = story.refuses(tcgb((1, "M1", 1, 3), (2, "M1", 2, 2), (3, "M9", 1, 1)))
    assert refusal.rule == "F2" and refusal.tcgb is not None
    assert refusal.tcgb.tcgb_number == TCGB
    assert [(i.item_no, i.declaration_number, i.line_no, i.quantity, i.problem) for i in refusal.tcgb.items] == [
        (2, "M1", 2, 2, "2 drawn down, only 1 open on M1 line 2"),
        (3, "M9", 1, 1, "e-ATA/TR declaration M9 is not registered for this carnet"),
    ]


def test_f2_tcgb_answer_accepts_every_item_when_applied() -> None:
    # rule: F2 (BİLGE is told the outcome of every item)
    story = border_5800()
    command = tcgb((1, "M1", 1, 3), (2, "M1", 2, 1))
    outcome = rules.decide(story.carnet, command, clock())
    assert isinstance(outcome, rules.Applied)
    answer = rules.tcgb_answer(story.carnet, command, outcome)
    assert (answer.tcgb_number, answer.accepted, answer.rule) == (TCGB, True, None)
    assert [(i.item_no, i.declaration_number, i.line_no, i.accepted, i.reason) for i in answer.items] == [
        (1, "M1", 1, True, ""),
        (2, "M1", 2, True, ""),
    ]


def test_f2_tcgb_answer_gives_each_refused_item_its_reason_and_the_others_not_applied() -> None:
    # rule: F2 (refused and reported back to BİLGE, per item)
    story = border_5800().do(declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)))
    command = tcgb((1, "M1", 2, 1), (2, "M1", 1, 8), (3, "M9", 1, 1))
    outcome = rules.decide(story.carnet, command, clock())
    assert isinstance(outcome, rules.Refused) and outcome.rule == "F2"
    answer = rules.tcgb_answer(story.carnet, command, outcome)
    assert (answer.tcgb_number, answer.accepted, answer.rule) == (TCGB, False, "F2")
    one, two, three = answer.items
    assert (one.item_no, one.accepted) == (1, False) and one.reason.startswith("not applied")
    assert (two.item_no, two.accepted) == (2, False) and "only 7 open on M1 line 1" in two.reason
    assert (three.item_no, three.accepted) == (3, False) and "M9 is not registered" in three.reason


# --- S1, S2, S3: declarations opening an özet beyan --------------------------------------------------


def test_s1_s2_5800_opening_an_ob_asks_bilge_first_then_is_applied_with_the_opening() -> None:
    # rule: S1 (the declaration opens the ÖB), S2 (what is open is asked of BİLGE first)
    command = lodge_5800(opening(4))
    assert rules.decide(None, command, clock()) == rules.LookUpSummary(SUMMARY)
    story = Story().do(command, ctx=with_summary())
    [lodged] = story.emitted(DeclarationLodged)
    assert lodged.summary == opening(4)
    assert story.declaration("M1").summary == opening(4)
    assert story.declaration("M1").summary_closed is False
    assert_replays(story)


def test_s1_s2_a_transport_line_may_be_opened() -> None:
    # rule: S1, S2 (one transport line of the ÖB)
    story = Story().do(lodge_5800(opening(5, document="MSKU-BL-4472", line=1)), ctx=with_summary())
    [lodged] = story.emitted(DeclarationLodged)
    assert lodged.summary is not None and lodged.summary.transport_line == 1


def test_s1_a_giris_bringing_arriving_goods_may_open_an_ob() -> None:
    # rule: S1 (arriving goods: 5800, 6326 and GİRİŞ)
    command = declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND, summary=opening(2))
    assert rules.decide(None, command, clock()) == rules.LookUpSummary(SUMMARY)
    story = Story().do(command, ctx=with_summary())
    assert story.declaration("G1").summary == opening(2)


@pytest.mark.parametrize(
    ("packages", "opened_in_hub", "applied"),
    [(10, 0, True), (11, 0, False), (6, 4, True), (7, 4, False)],
    ids=["all-open", "one-beyond", "rest-after-hub", "beyond-after-hub"],
)
def test_s2_packages_beyond_what_is_open_less_what_hub_declarations_opened_are_refused(
    packages: int, opened_in_hub: int, applied: bool
) -> None:
    # rule: S2 (MSKU-BL-4471 has 10 open in BİLGE; live hub declarations already opened `opened_in_hub`)
    command, ctx = lodge_5800(opening(packages)), with_summary(opened_in_hub)
    if applied:
        assert isinstance(rules.decide(None, command, clock(), ctx), rules.Applied)
        return
    refusal = Story().refuses(command, ctx)
    assert refusal.rule == "S2" and f"only {10 - opened_in_hub} are open" in refusal.reason


def test_s2_packages_beyond_an_opened_transport_line_are_refused() -> None:
    # rule: S2 (MSKU-BL-4472 line 2 has 1 package open)
    refusal = Story().refuses(lodge_5800(opening(2, document="MSKU-BL-4472", line=2)), with_summary())
    assert refusal.rule == "S2" and "line 2" in refusal.reason and "only 1 are open" in refusal.reason


@pytest.mark.parametrize(
    ("document", "line"),
    [("MSKU-BL-9999", None), ("MSKU-BL-4472", 3)],
    ids=["unknown-document", "unknown-line"],
)
def test_s2_unknown_transport_document_or_line_is_refused(document: str, line: int | None) -> None:
    # rule: S2 (the link names a transport document or line of that ÖB)
    refusal = Story().refuses(lodge_5800(opening(1, document=document, line=line)), with_summary())
    assert refusal.rule == "S2" and "has no transport document" in refusal.reason and document in refusal.reason


@pytest.mark.parametrize("packages", [0, -1])
def test_s2_no_packages_opened_is_refused_before_bilge_is_asked(packages: int) -> None:
    # rule: S2 (the number of packages opened: at least one)
    refusal = Story().refuses(lodge_5800(opening(packages)))
    assert refusal.rule == "S2" and "at least one" in refusal.reason


@pytest.mark.parametrize("regime", ["3158", "2600", "ATA-TR/ÇIKIŞ"], ids=["3158", "2600", "cikis"])
def test_s1_declarations_of_goods_not_arriving_open_no_ob(regime: str) -> None:
    # rule: S1 (only goods that arrived under an ÖB are linked to it)
    if regime == "2600":  # a Turkish carnet, refused before TOBB is asked
        story, command = Story(), declare("X1", regime, BORDER, carnet_number=TURKISH, summary=opening(1))
    else:  # a 3158 re-exporting, or a ÇIKIŞ carrying out, goods of the 5800 M1
        story = border_5800()
        command = declare("X1", regime, BORDER, carnet_number=FOREIGN, previous="M1", summary=opening(1))
    refusal = story.refuses(command)
    assert refusal.rule == "S1" and regime in refusal.reason
    assert story.refuses(command, with_summary()).rule == "S1"  # BİLGE's answer changes nothing


@pytest.mark.parametrize(
    ("storage", "code"), [(True, None), (False, "34GDY0042")], ids=["storage-without-code", "code-without-storage"]
)
def test_s3_temporary_storage_and_its_code_go_together(storage: bool, code: str | None) -> None:
    # rule: S3
    command = lodge_5800(opening(2, storage=storage, code=code))
    refusal = Story().refuses(command)
    assert refusal.rule == "S3" and "storage location code" in refusal.reason
    assert Story().refuses(command, with_summary()).rule == "S3"


def test_s3_goods_in_temporary_storage_record_the_storage_code() -> None:
    # rule: S3
    story = Story().do(lodge_5800(opening(2, storage=True, code="22GDY0007")), ctx=with_summary())
    recorded = story.declaration("M1").summary
    assert recorded is not None and (recorded.temporary_storage, recorded.storage_code) == (True, "22GDY0007")


@pytest.mark.parametrize("code", ["", "   "], ids=["empty", "blank"])
def test_s3_temporary_storage_with_an_empty_code_is_refused(code: str) -> None:
    # rule: S3 (the declaration records the storage location code)
    outcome = rules.decide(None, lodge_5800(opening(2, storage=True, code=code)), clock(), with_summary())
    assert isinstance(outcome, rules.Refused) and outcome.rule == "S3"


def test_s2_bilge_answer_about_another_ob_is_not_used() -> None:
    # rule: S2 (packages are checked against the ÖB the declaration names)
    ctx = rules.Context(summary=summary_found(number="26220100OB000999"))
    outcome = rules.decide(None, lodge_5800(opening(4)), clock(), ctx)
    assert outcome == rules.LookUpSummary(SUMMARY) or isinstance(outcome, rules.Refused)


# --- S4: inspection closes the ÖB part in BİLGE --------------------------------------------------------


def test_s4_inspection_of_a_declaration_with_an_opening_requests_one_stable_closure() -> None:
    # rule: S4 (the hub tells BİLGE to close the transport document and release the goods from storage)
    the_opening = opening(2, storage=True, code="22GDY0007")
    story = Story().do(lodge_5800(the_opening, lines=((1, 12),)), ctx=with_summary())
    story.do(declare("M2", "5800", EXIT_BORDER, carnet_number=FOREIGN, lines=((2, 1),)))  # no ÖB
    story.do(accept_at("M1", BORDER), accept_at("M2", EXIT_BORDER))
    assert rules.closures(story.carnet, story.events) == []  # nothing inspected yet
    story.do(inspect_at("M1", BORDER))
    inspected = list(story.last)
    story.do(inspect_at("M2", EXIT_BORDER))
    inspected += story.last
    assert [type(e) for e in inspected] == [InspectionCompleted, InspectionCompleted]
    expected = [SummaryClosureRequested(closure_id=closure_id("M1"), declaration_number="M1", opening=the_opening)]
    assert rules.closures(story.carnet, inspected) == expected
    assert rules.closures(story.carnet, story.events) == expected  # other events are ignored
    assert rules.closures(story.carnet, inspected) == expected  # the same id every time it is asked
    assert closure_id("M1") == closure_id("M1") and closure_id("M1") != closure_id("M2")
    assert_replays(story)


def test_s4_no_closure_once_bilge_confirmed_it() -> None:
    # rule: S4 (a part already closed in BİLGE is not closed again)
    story = Story().do(lodge_5800(opening(2)), ctx=with_summary()).do(accept_at("M1", BORDER), inspect_at("M1", BORDER))
    inspected = list(story.last)
    confirmed = evolve(
        story.carnet,
        SummaryClosureRecorded(declaration_number="M1", summary_number=SUMMARY, closure_id=closure_id("M1")),
    )
    assert confirmed.declarations["M1"].summary_closed is True
    assert rules.closures(confirmed, inspected) == []


def test_s4_no_closure_for_a_declaration_without_an_opening() -> None:
    # rule: S4
    story = border_5800()
    assert any(isinstance(e, InspectionCompleted) for e in story.events)
    assert rules.closures(story.carnet, story.events) == []


# --- L1, L2: legacy BİLGE declarations finished in e-ATA/TR ------------------------------------------


def test_l1_3158_referencing_a_bilge_number_asks_bilge_for_it_first() -> None:
    # rule: L1 (the hub fetches the BİLGE declaration)
    command = re_export_legacy()
    assert rules.decide(None, command, clock(LEGACY_DAY)) == rules.LookUpLegacy(BILGE_5800)
    other_answer = rules.Context(legacy=legacy(bilge_number="21343300IM000999"))
    assert rules.decide(None, command, clock(LEGACY_DAY), other_answer) == rules.LookUpLegacy(BILGE_5800)


def test_l1_legacy_5800_recorded_imported_and_discharged_by_a_3158_at_the_border() -> None:
    # rule: L1 (the BİLGE 5800 is the regime entry the 3158 discharges), R1 (at the border)
    story = Story(day=LEGACY_DAY).do(re_export_legacy(), ctx=rules.Context(legacy=legacy()))
    assert [type(e) for e in story.last] == [CarnetRecorded, LegacyDeclarationImported, DeclarationLodged]
    [recorded] = story.emitted(CarnetRecorded)
    assert recorded.source == "BİLGE" and recorded.carnet == legacy_carnet()
    assert story.carnet.source is CarnetSource.BILGE
    entry = story.declaration(BILGE_5800)
    assert (entry.regime, entry.status, entry.legacy) == (Regime.TEMPORARY_IMPORT, Status.INSPECTION_COMPLETED, True)
    assert (entry.customs_office, entry.office_kind) == ("343300", OfficeKind.INLAND)
    assert entry.discharge_deadline == legacy_carnet().valid_until
    assert story.quantities(BILGE_5800) == {1: (5, 0, 5), 2: (1, 0, 1)}
    [lodged] = story.emitted(DeclarationLodged)
    assert (lodged.regime, lodged.previous_declaration) == ("3158", BILGE_5800)
    assert [(ln.line_no, ln.quantity) for ln in lodged.lines] == [(1, 5), (2, 1)]

    story.do(accept_at("R1", BORDER), inspect_at("R1", BORDER))
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.declaration_number, discharged.discharged_by, discharged.rule) == (BILGE_5800, "R1", "R1")
    assert ledger_of(discharged) == [(1, 5, 5, 0), (2, 1, 1, 0)]
    assert story.status(BILGE_5800) is Status.CLOSED and story.closed_by(BILGE_5800) == "R1"
    assert story.status("R1") is Status.CLOSED
    assert_replays(story)


def test_l1_f2_legacy_5800_discharged_by_3158s_and_a_tcgb() -> None:
    # rule: L1 (once imported, the legacy entry is referenced like any other), R1, F2
    story = Story(day=LEGACY_DAY).do(re_export_legacy("R1", ((1, 2),)), ctx=rules.Context(legacy=legacy()))
    story.do(accept_at("R1", BORDER), inspect_at("R1", BORDER))
    assert story.status(BILGE_5800) is Status.INSPECTION_COMPLETED  # 3 of line 1 and line 2 still open
    story.do(re_export_legacy("R2", ((2, 1),)))  # on record now: BİLGE is not asked again
    assert story.emitted(LegacyDeclarationImported) == [] and story.emitted(CarnetRecorded) == []
    story.do(accept_at("R2", BORDER), inspect_at("R2", BORDER))
    assert story.quantities(BILGE_5800) == {1: (5, 2, 3), 2: (1, 1, 0)}
    story.do(tcgb((1, BILGE_5800, 1, 3)))
    [discharged] = story.emitted(GoodsDischarged)
    assert (discharged.rule, ledger_of(discharged)) == ("F2", [(1, 5, 5, 0)])
    assert story.status(BILGE_5800) is Status.CLOSED and story.closed_by(BILGE_5800) == "F2"
    refusal = story.refuses(re_export_legacy("R3", ((1, 1),)))
    assert refusal.rule == "R1" and "closed" in refusal.reason
    assert_replays(story)


def test_l1_carnet_already_on_record_is_not_recorded_again() -> None:
    # rule: L1 (CarnetRecorded only when the carnet is not on record)
    story = Story(day=LEGACY_DAY).do(
        declare("M2", "5800", BORDER, carnet=legacy_carnet(), lines=((2, 1),)),
    )
    story.do(re_export_legacy("R1", ((1, 1),)), ctx=rules.Context(legacy=legacy(lines=((1, 5),))))
    assert [type(e) for e in story.last] == [LegacyDeclarationImported, DeclarationLodged]
    assert story.carnet.source is CarnetSource.DECLARANT
    assert_replays(story)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (legacy(regime="3158"), "is a 3158"),
        (legacy(carnet=legacy_carnet(number="FR/2021/C-3", country="FR")), "is for carnet FR/2021/C-3"),
    ],
    ids=["regime-3158", "another-carnet"],
)
def test_l1_bilge_declaration_that_is_no_5800_2600_of_this_carnet_is_refused(
    answer: LegacyDeclaration, why: str
) -> None:
    # rule: L1 (checks it is a 5800/2600 for the same carnet)
    refusal = Story(day=LEGACY_DAY).refuses(re_export_legacy(), rules.Context(legacy=answer))
    assert refusal.rule == "L1" and why in refusal.reason


@pytest.mark.parametrize(
    ("registered_on", "cutover", "refused"),
    [
        (date(2021, 6, 1), None, False),
        (date(2021, 6, 2), None, True),
        (date(2021, 7, 20), None, True),
        (date(2021, 4, 15), date(2021, 4, 15), True),
        (date(2021, 4, 15), date(2021, 4, 16), False),
    ],
    ids=["day-before-cutover", "on-cutover", "after-cutover", "on-configured-cutover", "before-configured-cutover"],
)
def test_l2_legacy_declaration_registered_on_or_after_the_cutover_is_refused(
    registered_on: date, cutover: date | None, refused: bool
) -> None:
    # rule: L2 (from the circular's effective date BİLGE takes no 5800: such a declaration is an anomaly)
    answer = legacy(registered_on=registered_on)
    ctx = rules.Context(legacy=answer) if cutover is None else rules.Context(legacy=answer, cutover=cutover)
    if not refused:
        assert isinstance(rules.decide(None, re_export_legacy(), clock(LEGACY_DAY), ctx), rules.Applied)
        return
    refusal = Story(day=LEGACY_DAY).refuses(re_export_legacy(), ctx)
    assert refusal.rule == "L2" and str(registered_on) in refusal.reason


def test_v1_l1_legacy_carnet_expired_today_is_refused_without_an_extension() -> None:
    # rule: V1 (the legacy carnet, valid until 2022-02-28, cannot be used on 2026-11-21), L1
    ctx = rules.Context(legacy=legacy())
    assert isinstance(rules.decide(None, re_export_legacy(), clock(LEGACY_DAY), ctx), rules.Applied)
    refusal = Story(day=DAY).refuses(re_export_legacy(), ctx)
    assert refusal.rule == "V1" and "expired on 2022-02-28" in refusal.reason


def test_l1_legacy_2600_at_a_border_office_is_discharged_by_a_6326() -> None:
    # rule: L1 (a legacy 2600 likewise), I3
    answer = legacy(
        bilge_number="21220100EX000031",
        regime="2600",
        office=BORDER,
        carnet=legacy_carnet(LEGACY_TURKISH, "TR"),
        lines=((1, 3),),
    )
    command = declare("I1", "6326", BORDER, carnet_number=LEGACY_TURKISH, previous="21220100EX000031")
    assert rules.decide(None, command, clock(LEGACY_DAY)) == rules.LookUpLegacy("21220100EX000031")
    story = Story(day=LEGACY_DAY).do(command, ctx=rules.Context(legacy=answer))
    story.do(accept_at("I1", BORDER), inspect_at("I1", BORDER))
    assert story.status("21220100EX000031") is Status.CLOSED and story.closed_by("21220100EX000031") == "I3"
    assert_replays(story)


def test_l1_legacy_2600_at_an_inland_office_can_be_re_imported() -> None:
    # rule: L1 (the legacy declaration is treated as the regime entry to discharge), I3
    answer = legacy(
        bilge_number="21343300EX000032",
        regime="2600",
        office="343300",
        carnet=legacy_carnet(LEGACY_TURKISH, "TR"),
        lines=((1, 3),),
    )
    command = declare("I1", "6326", BORDER, carnet_number=LEGACY_TURKISH, previous="21343300EX000032")
    outcome = rules.decide(None, command, clock(LEGACY_DAY), rules.Context(legacy=answer))
    assert isinstance(outcome, rules.Applied), outcome


def test_l1_g3_turkish_carnet_recorded_from_bilge_may_be_used_for_a_new_2600() -> None:
    # rule: L1, G3 (a carnet issued in Türkiye is fetched from TOBB)
    answer = legacy(
        bilge_number="21220100EX000031",
        regime="2600",
        office=BORDER,
        carnet=legacy_carnet(LEGACY_TURKISH, "TR"),
        lines=((1, 3),),
    )
    story = Story(day=LEGACY_DAY).do(
        declare("I1", "6326", BORDER, carnet_number=LEGACY_TURKISH, previous="21220100EX000031"),
        ctx=rules.Context(legacy=answer),
    )
    assert story.carnet.source is CarnetSource.BILGE
    command = declare("E2", "2600", BORDER, carnet_number=LEGACY_TURKISH, lines=((2, 1),))
    assert rules.decide(story.carnet, command, clock(LEGACY_DAY)) == rules.LookUpCarnet(LEGACY_TURKISH)


def test_l1_foreign_carnet_recorded_from_bilge_may_be_used_for_a_new_5800() -> None:
    # rule: L1, G4 (a foreign carnet on record is used from the record)
    answer = legacy(lines=((1, 3),))  # 2 of line 1 may still enter under a 5800
    story = Story(day=LEGACY_DAY).do(re_export_legacy("R1", ((1, 1),)), ctx=rules.Context(legacy=answer))
    command = declare("M2", "5800", BORDER, carnet_number=LEGACY_FOREIGN, lines=((1, 1),))
    outcome = rules.decide(story.carnet, command, clock(LEGACY_DAY))
    assert isinstance(outcome, rules.Applied), outcome
