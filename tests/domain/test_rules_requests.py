"""Corrections after inspection and extensions of the period (G6), decided by the director (C1), and
the carnet's validity (V1) that an extension lets discharges outlive."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain import rules
from hub.domain.events import (
    CorrectionRequested,
    DeclarationClosed,
    ExtensionRequested,
    RequestDecided,
)
from hub.domain.evolve import evolve
from hub.domain.model import Status
from tests.domain.builders import carnet_data, clock
from tests.domain.scenario import (
    BORDER,
    EXIT_BORDER,
    FOREIGN,
    INLAND,
    OTHER_DECLARANT,
    TURKISH,
    Story,
    accept_at,
    correction,
    decision,
    declare,
    extension,
    inspect_at,
    turkish_carnet,
)

VALID_UNTIL = date(2027, 3, 1)  # carnet_data()'s validity: the discharge deadline until extended
AFTER_EXPIRY = date(2027, 4, 1)
EXTENDED_TO = date(2027, 6, 30)


def inspected_5800(lines: tuple[tuple[int, int], ...] = ()) -> Story:
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=lines),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
    )


def extended_5800() -> Story:
    return inspected_5800().do(extension("M1", "U-1", EXTENDED_TO), decision("M1", "U-1", BORDER))


# --- corrections ----------------------------------------------------------------------------------


def test_g6_correction_requested_by_the_declarant_approved_by_the_director_changes_the_ledger() -> None:
    # rule: G6 (and C1: the director decides)
    story = inspected_5800().do(correction("M1", "K-1", (1, 10)))
    requested = story.emitted(CorrectionRequested)[0]
    assert (requested.request_id, requested.lines) == ("K-1", ((1, 10),))
    assert story.declaration("M1").requests["K-1"].decision is None
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}  # nothing changes before the decision

    story.do(decision("M1", "K-1", BORDER))
    decided = story.emitted(RequestDecided)[0]
    assert (decided.kind, decided.approved, decided.by.role) == ("correction", True, "director")
    assert [(ln.line_no, ln.goods_list_quantity, ln.entered, ln.discharged, ln.open) for ln in decided.ledger] == [
        (1, 12, 10, 0, 10)
    ]
    assert story.quantities("M1") == {1: (10, 0, 10), 2: (1, 0, 1)}
    assert story.declaration("M1").requests["K-1"].decision == "approved"
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    # the 2 corrected away may enter on another 5800 (G7)
    story.do(declare("M2", "5800", BORDER, lines=((1, 2),)))
    assert story.refuses(declare("M3", "5800", BORDER, lines=((1, 1),))).rule == "G7"
    story.assert_replays()


def test_g6_correction_by_another_declarant_is_refused() -> None:
    # rule: G6
    story = inspected_5800()
    refusal = story.refuses(correction("M1", "K-1", (1, 10), declarant=OTHER_DECLARANT))
    assert refusal.rule == "G6" and "only the declarant of M1" in refusal.reason


def test_g6_correction_only_after_inspection_and_only_on_a_regime_entry() -> None:
    # rule: G6
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()), accept_at("M1", BORDER))
    early = story.refuses(correction("M1", "K-1", (1, 10)))
    assert early.rule == "G6" and "after its inspection" in early.reason
    story.do(
        inspect_at("M1", BORDER), declare("R1", "3158", BORDER, previous="M1", lines=((1, 1),)), accept_at("R1", BORDER)
    )
    on_3158 = story.refuses(correction("R1", "K-1", (1, 1)))
    assert on_3158.rule == "G6" and "R1 is a 3158" in on_3158.reason


def test_g6_correction_below_what_was_discharged_is_refused_g7() -> None:
    # rule: G6, G7 (a correction cannot undo goods already re-exported)
    story = inspected_5800().do(
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
        correction("M1", "K-1", (1, 4)),
    )
    refusal = story.refuses(decision("M1", "K-1", BORDER))
    assert refusal.rule == "G7" and "4 is less than the 5 already discharged" in refusal.reason
    assert story.declaration("M1").requests["K-1"].decision is None


def test_g6_correction_below_what_is_on_its_way_back_is_refused_g7() -> None:
    # rule: G6, G7 (a lodged 3158 reserves its quantities)
    story = inspected_5800().do(
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 6),)), correction("M1", "K-1", (1, 5))
    )
    refusal = story.refuses(decision("M1", "K-1", BORDER))
    assert refusal.rule == "G7" and "6 already discharged or on its way back" in refusal.reason


def test_g6_correction_beyond_the_goods_list_is_refused_g7() -> None:
    # rule: G6, G7
    story = inspected_5800(lines=((1, 8),)).do(declare("M2", "5800", BORDER, lines=((1, 4),)))
    story.do(correction("M1", "K-1", (1, 9)))
    refusal = story.refuses(decision("M1", "K-1", BORDER))
    assert refusal.rule == "G7" and "more than the 12 of the goods list" in refusal.reason


TEN_ON_LINE_1 = carnet_data(quantities=(10, 1))


def ten_entered_three_re_exported() -> Story:
    """Line 1 of a carnet listing 10: all 10 entered on M1, 3 of them re-exported since (7 open)."""
    return Story().do(
        declare("M1", "5800", BORDER, carnet=TEN_ON_LINE_1, lines=((1, 10),)),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 3),)),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
    )


def test_g6_g7_correction_above_the_goods_list_is_refused_even_after_a_discharge() -> None:
    # rule: G6, G7 (issue 11: 11 entered on a line the goods list holds 10 of, accepted because 3 had left)
    story = ten_entered_three_re_exported()
    assert story.quantities("M1") == {1: (10, 3, 7)}
    refusal = story.refuses(correction("M1", "K-1", (1, 11)))
    assert refusal.rule == "G7"
    assert "line 1 of M1 cannot be corrected to 11" in refusal.reason
    assert f"the goods list of carnet {FOREIGN} holds 10 of it" in refusal.reason
    story.do(correction("M1", "K-2", (1, 10)), decision("M1", "K-2", BORDER))  # up to the goods list: taken
    assert story.quantities("M1") == {1: (10, 3, 7)}
    story.assert_replays()


def test_g6_g7_director_cannot_approve_a_correction_above_the_goods_list() -> None:
    # rule: G6, G7 (a request already on record, as issue 11's was, is refused when it is decided)
    story = ten_entered_three_re_exported()
    asked = CorrectionRequested(declaration_number="M1", request_id="K-1", lines=((1, 11),), reason="sayım farkı")
    pending = Story(evolve(story.carnet, asked))
    refusal = pending.refuses(decision("M1", "K-1", BORDER))
    assert refusal.rule == "G7"
    assert "line 1 of M1 cannot be corrected to 11" in refusal.reason and "holds 10 of it" in refusal.reason
    assert pending.declaration("M1").requests["K-1"].decision is None
    pending.do(decision("M1", "K-1", BORDER, approve=False))  # rejecting it is still possible
    assert pending.quantities("M1") == {1: (10, 3, 7)}


def test_g6_g7_correction_asked_within_the_goods_list_is_refused_once_tobb_lists_less() -> None:
    # rule: G6, G7, G3 (TOBB's record is the current truth: the bound is checked again at the decision)
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH, lines=((2, 3),)), turkish_carnet())
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER), correction("E1", "K-1", (2, 5)))
    story.tobb(declare("E2", "2600", BORDER, carnet_number=TURKISH, lines=((1, 1),)), turkish_carnet((3, 4)))
    refusal = story.refuses(decision("E1", "K-1", BORDER))
    assert refusal.rule == "G7"
    assert f"line 2 of E1 cannot be corrected to 5: the goods list of carnet {TURKISH} holds 4 of it" in (
        refusal.reason
    )


def test_g6_g7_correction_above_what_other_declarations_leave_of_the_goods_list_is_refused() -> None:
    # rule: G6, G7 (within the goods list on its own, not with what another 5800 of the carnet holds)
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=TEN_ON_LINE_1, lines=((1, 8),)),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 3),)),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
        declare("M2", "5800", BORDER, lines=((1, 5),)),  # 5 open on M1, 5 on M2: the whole goods list
        correction("M1", "K-1", (1, 9)),
    )
    refusal = story.refuses(decision("M1", "K-1", BORDER))
    assert refusal.rule == "G7"
    assert "line 1 of M1 corrected to 9 would leave 6 open" in refusal.reason
    assert "with the 5 under 5800 on other declarations, 11: more than the 10 of the goods list" in refusal.reason
    story.do(correction("M1", "K-2", (1, 8)), decision("M1", "K-2", BORDER))  # what it was: still fits
    assert story.quantities("M1") == {1: (8, 3, 5)}


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        (((3, 1),), "M1 has no line 3"),
        (((1, 1), (1, 2)), "line 1 is corrected twice"),
        (((1, -1),), "cannot be negative"),
    ],
)
def test_g6_malformed_correction_request_is_refused_g7(pairs: tuple[tuple[int, int], ...], words: str) -> None:
    # rule: G6, G7
    refusal = inspected_5800().refuses(correction("M1", "K-1", *pairs))
    assert refusal.rule == "G7" and words in refusal.reason


def test_g6_correction_to_what_was_discharged_closes_the_entry() -> None:
    # rule: G6 (nothing left open: the entry closes)
    story = inspected_5800().do(
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 9), (2, 1))),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
        correction("M1", "K-1", (1, 9)),
        decision("M1", "K-1", BORDER),
    )
    assert story.quantities("M1") == {1: (9, 9, 0), 2: (1, 1, 0)}
    assert story.status("M1") is Status.CLOSED and story.closed_by("M1") == "G6"
    assert [e.rule for e in story.emitted(DeclarationClosed)] == ["G6"]
    story.assert_replays()


def test_g6_rejected_correction_changes_nothing_and_requests_are_decided_once() -> None:
    # rule: G6
    story = inspected_5800().do(correction("M1", "K-1", (1, 10)), decision("M1", "K-1", BORDER, approve=False))
    decided = story.emitted(RequestDecided)[0]
    assert decided.approved is False and decided.ledger == ()
    assert story.quantities("M1") == {1: (12, 0, 12), 2: (1, 0, 1)}
    assert story.declaration("M1").requests["K-1"].decision == "rejected"
    twice = story.refuses(decision("M1", "K-1", BORDER))
    assert twice.rule == "G6" and "was rejected already" in twice.reason
    unknown = story.refuses(decision("M1", "K-9", BORDER))
    assert unknown.rule == "G6" and "no request K-9" in unknown.reason
    same_id = story.refuses(correction("M1", "K-1", (1, 11)))
    assert same_id.rule == "G6" and "exists already" in same_id.reason


# --- extensions -------------------------------------------------------------------------------------


def test_g6_extension_approved_moves_the_deadline_beyond_the_carnet_validity() -> None:
    # rule: G6 (and V1: an extension may outlive the carnet)
    story = inspected_5800()
    assert story.declaration("M1").discharge_deadline == VALID_UNTIL
    story.do(extension("M1", "U-1", EXTENDED_TO))
    assert story.emitted(ExtensionRequested)[0].until == EXTENDED_TO
    assert story.declaration("M1").discharge_deadline == VALID_UNTIL  # not before the decision
    story.do(decision("M1", "U-1", BORDER))
    decided = story.emitted(RequestDecided)[0]
    assert (decided.kind, decided.approved, decided.discharge_deadline) == ("extension", True, EXTENDED_TO)
    m1 = story.declaration("M1")
    assert (m1.discharge_deadline, m1.extended) == (EXTENDED_TO, True)
    story.assert_replays()


def test_g6_extension_must_move_the_deadline_later_and_be_asked_by_the_declarant() -> None:
    # rule: G6
    story = inspected_5800()
    earlier = story.refuses(extension("M1", "U-1", VALID_UNTIL))
    assert earlier.rule == "G6" and "later than 2027-03-01" in earlier.reason
    other = story.refuses(extension("M1", "U-1", EXTENDED_TO, declarant=OTHER_DECLARANT))
    assert other.rule == "G6" and "only the declarant" in other.reason
    story.do(extension("M1", "U-1", EXTENDED_TO))
    same_id = story.refuses(extension("M1", "U-1", date(2027, 7, 31)))
    assert same_id.rule == "G6" and "request U-1 exists already" in same_id.reason


def test_g6_rejected_extension_leaves_the_deadline() -> None:
    # rule: G6
    story = inspected_5800().do(extension("M1", "U-1", EXTENDED_TO), decision("M1", "U-1", BORDER, approve=False))
    assert story.emitted(RequestDecided)[0].discharge_deadline is None
    m1 = story.declaration("M1")
    assert (m1.discharge_deadline, m1.extended) == (VALID_UNTIL, False)


def test_g6_approving_a_shorter_extension_after_a_longer_one_never_moves_the_deadline_earlier() -> None:
    # rule: G6
    story = inspected_5800().do(
        extension("M1", "U-1", date(2027, 8, 31)),
        extension("M1", "U-2", date(2027, 5, 31)),  # both later than 2027-03-01 when asked
        decision("M1", "U-1", BORDER),
    )
    assert story.declaration("M1").discharge_deadline == date(2027, 8, 31)
    outcome = rules.decide(story.carnet, decision("M1", "U-2", BORDER), clock())
    if isinstance(outcome, rules.Refused):  # refusing the now-shorter extension is right
        assert outcome.rule == "G6"
    else:  # so is approving it without shortening the period already granted
        assert isinstance(outcome, rules.Applied)
        deadline = outcome.carnet.declarations["M1"].discharge_deadline
        assert deadline is not None and deadline >= date(2027, 8, 31), f"deadline moved back to {deadline}"


# --- V1 with and without an extension ------------------------------------------------------------------


def test_v1_discharge_after_the_carnet_expired_is_accepted_only_with_an_extension() -> None:
    # rule: V1, G6
    without = inspected_5800().on(AFTER_EXPIRY)
    refusal = without.refuses(declare("R1", "3158", BORDER, previous="M1"))
    assert refusal.rule == "V1" and "expired on 2027-03-01" in refusal.reason

    story = extended_5800().on(AFTER_EXPIRY)
    story.do(declare("R1", "3158", BORDER, previous="M1"), accept_at("R1", BORDER), inspect_at("R1", BORDER))
    assert story.quantities("M1") == {1: (12, 12, 0), 2: (1, 1, 0)}
    assert story.closed_by("M1") == "R1" and story.closed_by("R1") == "R1"
    story.assert_replays()


def test_v1_discharge_after_the_extended_deadline_is_refused() -> None:
    # rule: V1
    story = extended_5800().on(date(2027, 7, 1))
    refusal = story.refuses(declare("R1", "3158", BORDER, previous="M1"))
    assert refusal.rule == "V1" and "expired" in refusal.reason
    assert extended_5800().on(EXTENDED_TO).do(declare("R1", "3158", BORDER, previous="M1")).status("R1") is (
        Status.LODGED
    )


def test_v1_extension_does_not_let_new_goods_enter_on_an_expired_carnet() -> None:
    # rule: V1 (the extension covers discharges of that entry, not new entries or transits)
    story = extended_5800().on(AFTER_EXPIRY)
    entry = story.refuses(declare("M2", "5800", BORDER, lines=((1, 1),)))
    assert entry.rule == "V1" and "expired on 2027-03-01" in entry.reason
    transit = story.refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, destination=EXIT_BORDER))
    assert transit.rule == "V1"


def test_v1_inland_3158_and_its_cikis_after_expiry_with_an_extension() -> None:
    # rule: V1, G6, R3
    story = Story().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
        declare("M1", "5800", INLAND, previous="G1"),
        accept_at("M1", INLAND),
        inspect_at("M1", INLAND),
    )
    story.do(extension("M1", "U-1", EXTENDED_TO), decision("M1", "U-1", INLAND))
    story.on(AFTER_EXPIRY).do(
        declare("R1", "3158", INLAND, previous="M1"),
        accept_at("R1", INLAND),
        inspect_at("R1", INLAND),
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=EXIT_BORDER),
        accept_at("C1", INLAND),
        inspect_at("C1", EXIT_BORDER),
    )
    assert story.closed_by("M1") == "R3" and story.closed_by("R1") == "R3" and story.closed_by("C1") == "R3"
    story.assert_replays()


def test_v1_re_import_after_expiry_with_an_extension_of_the_2600() -> None:
    # rule: V1, G6, I3
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    late = Story(story.carnet, AFTER_EXPIRY)
    assert late.refuses(declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1")).rule == "V1"
    story.do(extension("E1", "U-1", EXTENDED_TO), decision("E1", "U-1", BORDER)).on(AFTER_EXPIRY)
    story.do(
        declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1"),
        accept_at("I1", BORDER),
        inspect_at("I1", BORDER),
    )
    assert story.closed_by("E1") == "I3"


def test_v1_5800_lodged_or_inspected_after_the_carnet_expired_is_refused() -> None:
    # rule: V1
    late = Story(day=AFTER_EXPIRY).refuses(declare("M1", "5800", BORDER, carnet=carnet_data()))
    assert late.rule == "V1" and "expired on 2027-03-01" in late.reason
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()), accept_at("M1", BORDER))
    on_last_day = Story(story.carnet, VALID_UNTIL).do(inspect_at("M1", BORDER))
    assert on_last_day.status("M1") is Status.INSPECTION_COMPLETED
    refusal = story.on(date(2027, 3, 2)).refuses(inspect_at("M1", BORDER))
    assert refusal.rule == "V1" and "expired on 2027-03-01" in refusal.reason


def test_v1_carnet_claiming_more_than_a_year_of_validity_is_refused() -> None:
    # rule: V1
    too_long = carnet_data(issued=date(2026, 3, 2), valid_until=date(2027, 3, 3))
    refusal = Story().refuses(declare("M1", "5800", BORDER, carnet=too_long))
    assert refusal.rule == "V1" and "more than one year after issue" in refusal.reason
    giris = Story().refuses(declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=too_long, destination=INLAND))
    assert giris.rule == "V1"


def test_g6_requests_on_an_entry_closed_meanwhile_cannot_be_approved() -> None:
    # rule: G6
    story = inspected_5800().do(
        extension("M1", "U-1", EXTENDED_TO),
        correction("M1", "K-1", (1, 12)),
        declare("R1", "3158", BORDER, previous="M1"),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
    )
    assert story.status("M1") is Status.CLOSED
    late_extension = story.refuses(decision("M1", "U-1", BORDER))
    assert late_extension.rule == "G6" and "M1 is closed now" in late_extension.reason
    late_correction = story.refuses(decision("M1", "K-1", BORDER))
    assert late_correction.rule == "G6" and "M1 is closed now" in late_correction.reason
    story.do(decision("M1", "U-1", BORDER, approve=False))  # rejecting it is still possible
    assert story.declaration("M1").requests["U-1"].decision == "rejected"
