"""How an answer of TOBB, BİLGE or YKTS enters the rules, and which rule a missing or negative answer
refuses under (hub/domain/rules/answers.py); the S4 closure; the G1 key check."""

from __future__ import annotations

from uuid import uuid4

from hub.domain import bilge, rules, ykts
from hub.domain import events as ev
from hub.domain.events import SummaryClosureRecorded
from hub.domain.rules import Answers, TobbAnswer
from tests.domain.builders import carnet_data, clock, lodge
from tests.domain.test_rules_bilge import SUMMARY, lodge_5800, opening, summary_found

REQUEST = uuid4()


def refused(outcome: object) -> tuple[str, str]:
    assert isinstance(outcome, rules.Refused), outcome
    return outcome.rule, outcome.reason


def test_g3_an_answer_of_tobb_is_kept_and_its_failure_refuses_under_g3() -> None:
    data = carnet_data(number="TR/2026/000457", country="TR")
    command = lodge("X1", regime="2600", carnet_number=data.carnet_number)
    told = rules.take_answer(command, Answers(), ev.CarnetLookupSucceeded(request_id=REQUEST, carnet=data))
    assert told == Answers(tobb=TobbAnswer(data))
    unknown = ev.CarnetNotFound(request_id=REQUEST, carnet_number=data.carnet_number)
    assert rules.take_answer(command, Answers(), unknown) == Answers(tobb=TobbAnswer(None))
    failed = ev.CarnetLookupFailed(request_id=REQUEST, carnet_number=data.carnet_number, reason="timeout", attempts=3)
    rule, reason = refused(rules.take_answer(command, Answers(), failed))
    assert rule == "G3" and "could not be fetched from TOBB (timeout)" in reason


def test_g2_a4_ykts_failing_to_answer_refuses_under_g2() -> None:
    command = lodge("X1", regime="2600", carnet_number="TR/2026/000457")
    failed = ykts.AuthorityCheckFailed(
        request_id=REQUEST, firm_vkn="5112980345", person_tckn="10000000146", reason="no answer", attempts=3
    )
    rule, reason = refused(rules.take_answer(command, Answers(), failed))
    assert rule == "G2" and "YKTS" in reason


def test_s1_s2_l1_answers_of_bilge_refuse_under_the_rule_they_were_asked_for() -> None:
    command = lodge_5800(opening(2))
    found = summary_found()
    assert rules.take_answer(command, Answers(), found) == Answers(summary=found)
    missing = bilge.SummaryNotFound(request_id=REQUEST, summary_number=SUMMARY)
    assert refused(rules.take_answer(command, Answers(), missing)) == ("S1", f"BİLGE has no özet beyan {SUMMARY}")
    unread = bilge.BilgeLookupFailed(request_id=REQUEST, reference=SUMMARY, reason="timeout", attempts=3)
    assert refused(rules.take_answer(command, Answers(), unread))[0] == "S2"
    legacy_unread = bilge.BilgeLookupFailed(request_id=REQUEST, reference="21220100IM000001", reason="x", attempts=1)
    assert refused(rules.take_answer(command, Answers(), legacy_unread))[0] == "L1"
    no_legacy = bilge.LegacyNotFound(request_id=REQUEST, bilge_number="21220100IM000001")
    assert refused(rules.take_answer(command, Answers(), no_legacy))[0] == "L1"


def test_s4_a_closure_confirmed_by_bilge_is_recorded_once() -> None:
    command = lodge_5800(opening(2))
    lodged = rules.decide(None, command, clock(), rules.Context(summary=summary_found()))
    assert isinstance(lodged, rules.Applied)
    confirmed = bilge.SummaryClosureConfirmed(
        closure_id=uuid4(), declaration_number=command.declaration_number, summary_number=SUMMARY
    )
    applied = rules.record_closure(lodged.carnet, confirmed)
    assert applied is not None and [type(e) for e in applied.events] == [SummaryClosureRecorded]
    assert applied.carnet.declarations[command.declaration_number].summary_closed
    assert rules.record_closure(applied.carnet, confirmed) is None  # sent twice: recorded once
    assert rules.record_closure(None, confirmed) is None  # not a carnet of the hub's


def test_g1_a_command_keyed_by_another_carnet_is_refused() -> None:
    command = lodge("M1")
    assert rules.keyed_to_its_carnet(command, command.carnet_number) is None
    assert refused(rules.keyed_to_its_carnet(command, "DE/2026/OTHER"))[0] == "G1"
