"""G2 with A4: a representative lodging for a holder registered in Türkiye is checked in YKTS."""

from __future__ import annotations

from uuid import uuid4

import pytest

from hub.domain import rules
from hub.domain.carnet import CarnetData
from hub.domain.commands import DeclarantIn
from hub.domain.events import DeclarationLodged
from hub.domain.ykts import AuthorityChecked
from tests.domain.builders import BORDER, HOLDER, carnet_data, clock, lodge
from tests.domain.scenario import TURKISH, Story, accept_at, declare, inspect_at, turkish_carnet

BOGAZICI = "3841022679"  # the holder's VKN, as TOBB records it
DENIZ = "48251973650"  # a person's TCKN
THE_HOLDER = DeclarantIn(id_kind="VKN", id_value=BOGAZICI, name="Boğaziçi Film A.Ş.")
REPRESENTATIVE = DeclarantIn(id_kind="TCKN", id_value=DENIZ, name="Deniz Yılmaz", acts_as="representative")


def tobb_record(holder_id: str | None = BOGAZICI) -> CarnetData:
    return turkish_carnet().model_copy(update={"holder_id": holder_id})


def ykts(authorised: bool, firm: str = BOGAZICI, person: str = DENIZ, reason: str = "") -> rules.Context:
    answer = AuthorityChecked(
        request_id=uuid4(), firm_vkn=firm, person_tckn=person, authorised=authorised, reason=reason
    )
    return rules.Context(authority=answer)


def export_by(declarant: DeclarantIn) -> rules.Outcome:
    command = declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=declarant)
    return rules.lodge_with_tobb_answer(None, command, tobb_record(), clock())


def test_g2_a4_a_representative_of_a_turkish_firm_waits_for_ykts() -> None:
    # rule: G2, A4 - nothing is lodged until YKTS has said the person represents the holder
    assert export_by(REPRESENTATIVE) == rules.LookUpAuthority(firm_vkn=BOGAZICI, person_tckn=DENIZ)


def test_g2_a4_a_representative_ykts_authorises_lodges_for_the_holder() -> None:
    # rule: G2, A4
    command = declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=REPRESENTATIVE)
    outcome = rules.lodge_with_tobb_answer(None, command, tobb_record(), clock(), ykts(authorised=True))
    assert isinstance(outcome, rules.Applied)
    lodged = [e for e in outcome.events if isinstance(e, DeclarationLodged)]
    assert lodged[0].declaration_number == "E1"
    assert outcome.carnet.declarations["E1"].declarant.acts_as == "representative"


def test_g2_a4_a_representative_ykts_does_not_authorise_is_refused_with_ykts_reason() -> None:
    # rule: G2, A4
    command = declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=REPRESENTATIVE)
    reason = "the authority ended on 2025-12-31"
    refused = rules.lodge_with_tobb_answer(None, command, tobb_record(), clock(), ykts(False, reason=reason))
    assert isinstance(refused, rules.Refused) and refused.rule == "G2"
    assert "Deniz Yılmaz" in refused.reason and BOGAZICI in refused.reason and reason in refused.reason


def test_g2_an_answer_about_another_person_or_firm_is_not_taken() -> None:
    # rule: G2 - YKTS's answer counts only for the pair it was asked about
    command = declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=REPRESENTATIVE)
    for other in (ykts(True, person="10000000146"), ykts(True, firm="1423789050")):
        outcome = rules.lodge_with_tobb_answer(None, command, tobb_record(), clock(), other)
        assert outcome == rules.LookUpAuthority(firm_vkn=BOGAZICI, person_tckn=DENIZ)


@pytest.mark.parametrize(
    "declarant",
    [
        DeclarantIn(id_kind="VKN", id_value="9990001112", name="Başka Müşavirlik Ltd.", acts_as="representative"),
        DeclarantIn(id_kind="PASSPORT", id_value="C01X00T47", name="Jonas Weber", acts_as="representative"),
    ],
    ids=["vkn", "passport"],
)
def test_g2_a_representative_of_a_turkish_firm_identifies_by_tckn(declarant: DeclarantIn) -> None:
    # rule: G2 - YKTS knows the persons authorised for a firm by TCKN; no other id can be confirmed
    refused = export_by(declarant)
    assert isinstance(refused, rules.Refused) and refused.rule == "G2" and "TCKN" in refused.reason


def test_g2_the_holder_lodging_itself_is_not_asked_about() -> None:
    # rule: G2 - only a representative is checked in YKTS
    assert isinstance(export_by(THE_HOLDER), rules.Applied)


def test_g2_who_lodges_as_holder_carries_the_holders_id() -> None:
    # rule: G2 - lodging "as holder" under another id would pass by the representative's check
    refused = export_by(HOLDER)
    assert isinstance(refused, rules.Refused) and refused.rule == "G2"
    assert "not the holder of carnet TR/2026/000123" in refused.reason and "representative" in refused.reason


def test_g2_a_representative_of_a_holder_without_turkish_vkn_is_not_checked_in_ykts() -> None:
    # rule: G2 - a foreign holder is not in YKTS: nothing there to confirm
    foreign = lodge(carnet=carnet_data(), declarant=REPRESENTATIVE)
    assert isinstance(rules.lodge(None, foreign, clock()), rules.Applied)
    person = declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=REPRESENTATIVE)
    held_by_a_person = rules.lodge_with_tobb_answer(None, person, tobb_record(holder_id="10000000146"), clock())
    assert isinstance(held_by_a_person, rules.Applied)


def test_g2_a4_a_representative_closing_the_regime_is_checked_too() -> None:
    # rule: G2, A4 - every lodgement for the holder, not only the first
    story = Story().tobb(declare("E1", "2600", BORDER, carnet_number=TURKISH, declarant=THE_HOLDER), tobb_record())
    story.do(accept_at("E1", BORDER), inspect_at("E1", BORDER))
    reimport = declare("I1", "6326", BORDER, carnet_number=TURKISH, previous="E1", declarant=REPRESENTATIVE)
    assert rules.decide(story.carnet, reimport, clock()) == rules.LookUpAuthority(firm_vkn=BOGAZICI, person_tckn=DENIZ)
    refused = story.refuses(reimport, ctx=ykts(authorised=False, reason="not on record"))
    assert refused.rule == "G2"
    story.do(reimport, ctx=ykts(authorised=True))
    assert story.status("I1").value == "lodged"
