"""Discharge monitoring (V2): open regime entries flagged near and past their deadline, once each."""

from __future__ import annotations

from datetime import date

from hub.domain.events import DeadlineApproaching, DeadlinePassed
from tests.domain.builders import carnet_data
from tests.domain.scenario import (
    BORDER,
    INLAND,
    TURKISH,
    Story,
    accept_at,
    decision,
    declare,
    extension,
    inspect_at,
    turkish_carnet,
)

DEADLINE = date(2027, 3, 1)  # carnet_data()'s validity: the 5800's discharge deadline


def open_5800() -> Story:
    """A 5800 M1 inspected, 5 of line 1 re-exported: 7 of line 1 and 1 of line 2 still in Türkiye."""
    return Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data()),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("R1", "3158", BORDER, previous="M1", lines=((1, 5),)),
        accept_at("R1", BORDER),
        inspect_at("R1", BORDER),
    )


def test_v2_nothing_is_flagged_before_the_warning_period() -> None:
    # rule: V2
    story = open_5800().on(date(2027, 1, 29)).check_deadlines(warn_days=30)  # 31 days left
    assert story.last == []


def test_v2_deadline_approaching_is_published_once() -> None:
    # rule: V2
    story = open_5800().on(date(2027, 2, 1)).check_deadlines(warn_days=30)
    [warning] = story.last
    assert isinstance(warning, DeadlineApproaching)
    assert (warning.declaration_number, warning.discharge_deadline, warning.days_left) == ("M1", DEADLINE, 28)
    assert [(ln.line_no, ln.entered, ln.discharged, ln.open) for ln in warning.open_lines] == [
        (1, 12, 5, 7),
        (2, 1, 0, 1),
    ]
    assert story.declaration("M1").deadline_warned is True
    assert story.check_deadlines(warn_days=30).last == []  # the resulting carnet: nothing again
    assert story.on(DEADLINE).check_deadlines(warn_days=30).last == []  # last day: still warned only
    story.assert_replays()


def test_v2_deadline_passed_is_published_once_after_the_deadline() -> None:
    # rule: V2
    story = open_5800().on(date(2027, 2, 1)).check_deadlines(warn_days=30)
    story.on(date(2027, 3, 2)).check_deadlines(warn_days=30)
    [passed] = story.last
    assert isinstance(passed, DeadlinePassed)
    assert (passed.declaration_number, passed.discharge_deadline) == ("M1", DEADLINE)
    assert passed.guaranteeing_association == "DIHK Berlin"
    assert [(ln.line_no, ln.open) for ln in passed.open_lines] == [(1, 7), (2, 1)]
    assert story.declaration("M1").deadline_passed is True
    assert story.check_deadlines(warn_days=30).last == []
    assert story.on(date(2027, 6, 1)).check_deadlines(warn_days=30).last == []
    story.assert_replays()


def test_v2_passed_without_a_warning_first_publishes_only_deadline_passed() -> None:
    # rule: V2
    story = open_5800().on(date(2027, 3, 10)).check_deadlines(warn_days=30)
    assert [type(e) for e in story.last] == [DeadlinePassed]
    assert story.check_deadlines(warn_days=30).last == []


def test_v2_closed_declarations_and_transits_are_never_flagged() -> None:
    # rule: V2
    story = open_5800().do(
        declare("R2", "3158", BORDER, previous="M1"), accept_at("R2", BORDER), inspect_at("R2", BORDER)
    )
    assert story.closed_by("M1") == "R1"
    story.do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
    )
    assert story.on(date(2027, 2, 20)).check_deadlines(warn_days=30).last == []
    assert story.on(date(2027, 3, 20)).check_deadlines(warn_days=30).last == []


def test_v2_entries_not_yet_inspected_have_no_deadline_to_flag() -> None:
    # rule: V2
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()), accept_at("M1", BORDER))
    assert story.declaration("M1").discharge_deadline is None
    assert story.on(date(2027, 2, 20)).check_deadlines(warn_days=30).last == []


def test_v2_an_extension_gives_the_new_deadline_its_own_warnings() -> None:
    # rule: V2, G6
    story = open_5800().on(date(2027, 2, 1)).check_deadlines(warn_days=30)
    story.do(extension("M1", "U-1", date(2027, 6, 30)), decision("M1", "U-1", BORDER))
    m1 = story.declaration("M1")
    assert (m1.deadline_warned, m1.deadline_passed) == (False, False)
    assert story.on(date(2027, 3, 2)).check_deadlines(warn_days=30).last == []  # not passed: extended
    story.on(date(2027, 6, 10)).check_deadlines(warn_days=30)
    [warning] = story.last
    assert isinstance(warning, DeadlineApproaching) and warning.days_left == 20
    story.on(date(2027, 7, 1)).check_deadlines(warn_days=30)
    assert [type(e) for e in story.last] == [DeadlinePassed]
    story.assert_replays()


def test_v2_open_2600_abroad_is_flagged_with_the_turkish_guaranteeing_chamber() -> None:
    # rule: V2 (2600 is a regime entry too; TOBB's chamber guarantees it)
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH), turkish_carnet())
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    story.on(date(2027, 3, 5)).check_deadlines(warn_days=30)
    [passed] = story.last
    assert isinstance(passed, DeadlinePassed)
    assert passed.guaranteeing_association == "İstanbul Ticaret Odası"
    assert [(ln.line_no, ln.open) for ln in passed.open_lines] == [(1, 3), (2, 5)]


def test_v2_each_open_entry_is_flagged_on_its_own() -> None:
    # rule: V2
    story = Story().do(
        declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 4),)),
        accept_at("M1", BORDER),
        inspect_at("M1", BORDER),
        declare("M2", "5800", BORDER, lines=((1, 4),)),
        accept_at("M2", BORDER),
        inspect_at("M2", BORDER),
    )
    story.on(date(2027, 2, 15)).check_deadlines(warn_days=30)
    assert [(type(e), e.declaration_number) for e in story.last] == [  # type: ignore[attr-defined]
        (DeadlineApproaching, "M1"),
        (DeadlineApproaching, "M2"),
    ]
