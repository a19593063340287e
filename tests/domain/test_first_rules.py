"""The rules behind the first flows, checked on the pure core: no Kafka, no store, no clock."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from pydantic import BaseModel

from hub.domain import rules
from hub.domain.commands import Actor, DeclarantIn
from hub.domain.events import DeclarationAccepted, DeclarationLodged, InspectionCompleted
from hub.domain.model import Carnet, CarnetSource, Status
from tests.domain.builders import (
    BORDER,
    INLAND,
    INSPECTOR,
    LIAISON,
    VALID_TCKN,
    accept,
    carnet_data,
    clock,
    inspect,
    lodge,
)

T = TypeVar("T", bound=BaseModel)


def applied(outcome: rules.Outcome) -> rules.Applied:
    assert isinstance(outcome, rules.Applied), outcome
    return outcome


def the(kind: type[T], outcome: rules.Outcome) -> T:
    """The one event of this kind in an applied outcome."""
    found = [e for e in applied(outcome).events if isinstance(e, kind)]
    assert len(found) == 1, applied(outcome).events
    return found[0]


def refused(outcome: rules.Outcome) -> rules.Refused:
    assert isinstance(outcome, rules.Refused), outcome
    return outcome


def test_t1_5800_at_border_lodged_accepted_inspected_enters_goods_list_quantities() -> None:
    # rule: T1 (and G7: quantities tracked on the regime-entry declaration)
    lodged = applied(rules.lodge(None, lodge(), clock()))
    assert [ln.quantity for ln in the(DeclarationLodged, lodged).lines] == [12, 1]
    after_accept = applied(rules.accept(lodged.carnet, accept(), clock()))
    assert the(DeclarationAccepted, after_accept).status == Status.ACCEPTED
    done = applied(rules.complete_inspection(after_accept.carnet, inspect(), clock()))
    event = the(InspectionCompleted, done)
    assert event.status == Status.INSPECTION_COMPLETED
    assert [(ln.line_no, ln.entered, ln.open) for ln in event.ledger] == [(1, 12, 12), (2, 1, 1)]
    assert done.carnet.declarations["D1"].status is Status.INSPECTION_COMPLETED


def test_g3_turkish_carnet_is_fetched_from_tobb_not_typed_in() -> None:
    # rule: G3
    looked_up = rules.lodge(None, lodge(regime="2600", carnet=None), clock())
    assert looked_up == rules.LookUpCarnet("TR/2026/000123")
    typed = refused(rules.lodge(None, lodge(regime="5800", carnet=carnet_data("TR/2026/000123", "TR")), clock()))
    assert typed.rule == "G3" and "TOBB" in typed.reason


def test_g3_carnet_unknown_to_tobb_cannot_be_used() -> None:
    # rule: G3
    outcome = refused(rules.lodge_with_tobb_answer(None, lodge(regime="2600", carnet=None), None, clock()))
    assert outcome.rule == "G3" and "does not know" in outcome.reason


def test_g3_tobb_answer_fills_the_declaration() -> None:
    # rule: G3 and E1: a 2600 at the border filled from TOBB's record
    tobb = carnet_data("TR/2026/000123", "TR", quantities=(3, 5))
    done = applied(rules.lodge_with_tobb_answer(None, lodge(regime="2600", carnet=None), tobb, clock()))
    event = the(DeclarationLodged, done)
    assert event.carnet_source == CarnetSource.TOBB and event.holder_name == tobb.holder_name
    assert [(ln.line_no, ln.quantity) for ln in event.lines] == [(1, 3), (2, 5)]


def test_v1_expired_carnet_cannot_be_used() -> None:
    # rule: V1 (and G3: "one that has expired cannot be used")
    expired = carnet_data("TR/2025/004512", "TR", issued=date(2025, 5, 12), valid_until=date(2026, 5, 11))
    outcome = refused(rules.lodge_with_tobb_answer(None, lodge(regime="2600", carnet=None), expired, clock()))
    assert outcome.rule == "V1" and "expired on 2026-05-11" in outcome.reason
    on_last_day = rules.lodge_with_tobb_answer(
        None, lodge(regime="2600", carnet=None), expired, clock(date(2026, 5, 11))
    )
    assert isinstance(on_last_day, rules.Applied)


def test_v1_carnet_valid_more_than_one_year_is_refused() -> None:
    # rule: V1
    too_long = carnet_data(issued=date(2026, 3, 2), valid_until=date(2027, 3, 3))
    assert refused(rules.lodge(None, lodge(carnet=too_long), clock())).rule == "V1"


def test_v1_inspection_on_a_carnet_expired_since_lodging_is_refused() -> None:
    # rule: V1
    data = carnet_data(valid_until=date(2026, 11, 30))
    carnet = applied(
        rules.accept(applied(rules.lodge(None, lodge(carnet=data), clock())).carnet, accept(), clock())
    ).carnet
    assert refused(rules.complete_inspection(carnet, inspect(), clock(date(2026, 12, 1)))).rule == "V1"


def test_v1_discharge_deadline_is_the_carnet_validity() -> None:
    # rule: V1
    carnet = applied(rules.lodge(None, lodge(), clock())).carnet
    carnet = applied(rules.accept(carnet, accept(), clock())).carnet
    event = the(InspectionCompleted, rules.complete_inspection(carnet, inspect(), clock()))
    assert event.discharge_deadline == date(2027, 3, 1)


def test_g2_declarant_with_malformed_tckn_is_refused_with_reason() -> None:
    # rule: G2
    bad = DeclarantIn(id_kind="TCKN", id_value="12345678901", name="Ayşe Yılmaz", acts_as="representative")
    outcome = refused(rules.lodge(None, lodge(declarant=bad), clock()))
    assert outcome.rule == "G2" and "check digits" in outcome.reason
    good = DeclarantIn(id_kind="TCKN", id_value=VALID_TCKN, name="Ayşe Yılmaz", acts_as="representative")
    assert isinstance(rules.lodge(None, lodge(declarant=good), clock()), rules.Applied)


def test_g4_unknown_regime_is_refused() -> None:
    # rule: G4
    outcome = refused(rules.lodge(None, lodge(regime="4000"), clock()))
    assert outcome.rule == "G4" and "5800" in outcome.reason


def test_g3_2600_never_takes_typed_in_carnet_data() -> None:
    # rule: G3 (a 2600 is for a Turkish carnet, whose data only TOBB gives)
    outcome = refused(rules.lodge(None, lodge(regime="2600", carnet=carnet_data()), clock()))
    assert outcome.rule == "G3" and "fetched from TOBB" in outcome.reason


def test_g7_partial_entries_never_exceed_the_goods_list() -> None:
    # rule: G7 (peyderpey)
    first = applied(rules.lodge(None, lodge("D1", lines=((1, 8),)), clock())).carnet
    second = applied(rules.lodge(first, lodge("D2", lines=((1, 4),)), clock())).carnet
    assert second.outstanding_entry(second.declarations["D1"].regime, 1) == 12
    too_many = refused(rules.lodge(second, lodge("D3", lines=((1, 1),)), clock()))
    assert too_many.rule == "G7" and "only 0 of 12" in too_many.reason
    rest = applied(rules.lodge(second, lodge("D3", lines=()), clock()))  # no lines: what is left, line 2
    assert [(ln.line_no, ln.quantity) for ln in the(DeclarationLodged, rest).lines] == [(2, 1)]
    nothing_left = refused(rules.lodge(rest.carnet, lodge("D4", lines=()), clock()))
    assert nothing_left.rule == "G7" and "already under" in nothing_left.reason


def test_g7_line_not_on_goods_list_is_refused() -> None:
    # rule: G7
    assert refused(rules.lodge(None, lodge(lines=((9, 1),)), clock())).rule == "G7"


def test_g1_same_declaration_number_twice_is_refused() -> None:
    # rule: G1
    carnet = applied(rules.lodge(None, lodge("D1", lines=((1, 1),)), clock())).carnet
    assert refused(rules.lodge(carnet, lodge("D1", lines=((1, 1),)), clock())).rule == "G1"


def test_c1_only_liaison_of_the_office_accepts() -> None:
    # rule: C1
    carnet = applied(rules.lodge(None, lodge(), clock())).carnet
    wrong_role = refused(rules.accept(carnet, accept(actor=INSPECTOR), clock()))
    assert wrong_role.rule == "C1" and "liaison" in wrong_role.reason
    other_office = Actor(role="liaison", office=INLAND, officer_id="irtibat-09")
    assert refused(rules.accept(carnet, accept(actor=other_office), clock())).rule == "C1"


def test_c1_only_inspection_officer_completes_inspection() -> None:
    # rule: C1
    carnet = applied(rules.accept(applied(rules.lodge(None, lodge(), clock())).carnet, accept(), clock())).carnet
    outcome = refused(rules.complete_inspection(carnet, inspect(actor=LIAISON), clock()))
    assert outcome.rule == "C1"
    director = Actor(role="director", office=BORDER, officer_id="mudur-1")
    assert refused(rules.complete_inspection(carnet, inspect(actor=director), clock())).rule == "C1"


def test_g1_inspection_before_acceptance_is_refused() -> None:
    # rule: G1 (lodging, acceptance, inspection happen in this order in e-ATA/TR)
    carnet = applied(rules.lodge(None, lodge(), clock())).carnet
    assert refused(rules.complete_inspection(carnet, inspect(), clock())).rule == "G1"


def test_e2_inland_2600_needs_transit_period_destination_and_plate() -> None:
    # rule: E2
    outcome = refused(
        rules.lodge(None, lodge(regime="2600", carnet=None, office=INLAND, destination_office=BORDER), clock())
    )
    assert outcome.rule == "E2" and "transit period" in outcome.reason and "vehicle plate" in outcome.reason
    complete = lodge(
        regime="2600",
        carnet=None,
        office=INLAND,
        kind="inland",
        destination_office=BORDER,
        transit_period_days=3,
        vehicle_plate="34 ABC 123",
    )
    assert isinstance(rules.lodge(None, complete, clock()), rules.LookUpCarnet)


def test_t3_inland_5800_without_giris_reference_is_refused() -> None:
    # rule: T3
    outcome = refused(rules.lodge(None, lodge(office=INLAND), clock()))
    assert outcome.rule == "T3"


def test_rules_do_not_change_the_carnet_they_are_given() -> None:
    carnet: Carnet = applied(rules.lodge(None, lodge(), clock())).carnet
    rules.accept(carnet, accept(), clock())
    assert carnet.declarations["D1"].status is Status.LODGED


def test_g8_paper_voucher_stamped_by_hand_is_recorded_with_the_inspection() -> None:
    # rule: G8 (the system records the voucher the officer signed and stamped; it does not replace it)
    carnet = applied(rules.accept(applied(rules.lodge(None, lodge(), clock())).carnet, accept(), clock())).carnet
    stamped = inspect().model_copy(update={"voucher_number": "IM-1/3"})
    done = applied(rules.complete_inspection(carnet, stamped, clock()))
    assert the(InspectionCompleted, done).voucher_number == "IM-1/3"
    assert done.carnet.declarations["D1"].voucher_number == "IM-1/3"
