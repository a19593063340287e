"""Customs office work, Circular 2021/17 section V: roles (C1) and goods-line documents and notes (C3)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    AttachLineDocument,
    CompleteInspection,
    DeclarantIn,
    RejectDeclaration,
)
from hub.domain.events import InspectionReassigned, LineDocumentAttached, LineExplained
from hub.domain.model import LineDocument, Status
from tests.domain.builders import HOLDER, carnet_data
from tests.domain.scenario import (
    BORDER,
    EXIT_BORDER,
    INLAND,
    Story,
    accept_at,
    attach,
    correction,
    decision,
    declare,
    director,
    explain,
    inspect_at,
    inspector,
    liaison,
    reassign_at,
    reject_at,
)


def lodged_5800() -> Story:
    return Story().do(declare("M1", "5800", BORDER, carnet=carnet_data()))


def inspected_5800() -> Story:
    return lodged_5800().do(accept_at("M1", BORDER), inspect_at("M1", BORDER))


def not_liaison() -> list[Actor]:
    return [inspector(BORDER), director(BORDER), liaison(INLAND), Actor(role="clerk", office=BORDER, officer_id="x-1")]


# --- C1: the liaison service accepts and rejects -----------------------------------------------------


@pytest.mark.parametrize("actor", not_liaison(), ids=lambda a: f"{a.role}@{a.office}")
def test_c1_only_the_liaison_of_the_lodging_office_accepts_or_rejects(actor: Actor) -> None:
    # rule: C1
    story = lodged_5800()
    refusal = story.refuses(AcceptDeclaration(declaration_number="M1", actor=actor))
    assert refusal.rule == "C1"
    assert ("only the liaison profile" in refusal.reason) or (f"this is for office {BORDER}" in refusal.reason)
    rejected = story.refuses(RejectDeclaration(declaration_number="M1", actor=actor, reason="eksik"))
    assert rejected.rule == "C1"
    story.do(accept_at("M1", BORDER))
    assert story.status("M1") is Status.ACCEPTED and story.declaration("M1").accepted_by == "irtibat-01"
    assert lodged_5800().do(reject_at("M1", BORDER)).status("M1") is Status.REJECTED


# --- C1: the inspection officer inspects; the director reassigns ------------------------------------


@pytest.mark.parametrize(
    "actor",
    [liaison(BORDER), director(BORDER), inspector(INLAND), inspector(EXIT_BORDER)],
    ids=lambda a: f"{a.role}@{a.office}",
)
def test_c1_only_an_inspection_officer_of_the_office_completes_inspection(actor: Actor) -> None:
    # rule: C1
    story = lodged_5800().do(accept_at("M1", BORDER))
    refusal = story.refuses(CompleteInspection(declaration_number="M1", actor=actor))
    assert refusal.rule == "C1"
    assert ("only the inspection_officer profile" in refusal.reason) or (
        f"this is for office {BORDER}" in refusal.reason
    )


def test_c1_only_the_assigned_inspection_officer_inspects_until_the_director_reassigns() -> None:
    # rule: C1
    story = lodged_5800().do(accept_at("M1", BORDER, inspection_officer="muayene-07"))
    assert story.declaration("M1").inspection_officer == "muayene-07"
    other = story.refuses(inspect_at("M1", BORDER, officer_id="muayene-12"))
    assert other.rule == "C1" and "assigned to muayene-07" in other.reason

    for actor in (liaison(BORDER), inspector(BORDER), director(INLAND)):
        refusal = story.refuses(reassign_at("M1", BORDER, "muayene-12", actor=actor))
        assert refusal.rule == "C1"
    story.do(reassign_at("M1", BORDER, "muayene-12"))
    assert story.emitted(InspectionReassigned)[0].inspection_officer == "muayene-12"
    assert story.declaration("M1").inspection_officer == "muayene-12"

    before = story.refuses(inspect_at("M1", BORDER, officer_id="muayene-07"))
    assert before.rule == "C1" and "assigned to muayene-12" in before.reason
    story.do(inspect_at("M1", BORDER, officer_id="muayene-12"))
    assert story.status("M1") is Status.INSPECTION_COMPLETED
    assert story.declaration("M1").inspected_by == "muayene-12"
    late = story.refuses(reassign_at("M1", BORDER, "muayene-07"))
    assert late.rule == "C1" and "can no longer be reassigned" in late.reason
    story.assert_replays()


def test_c1_cikis_is_accepted_where_lodged_and_inspected_and_reassigned_at_its_destination() -> None:
    # rule: C1 (with R3: the ÇIKIŞ completes at its destination office)
    story = Story().do(
        declare("G1", "ATA-TR/GİRİŞ", BORDER, carnet=carnet_data(), destination=INLAND),
        accept_at("G1", BORDER),
        inspect_at("G1", BORDER),
        declare("M1", "5800", INLAND, previous="G1"),
        accept_at("M1", INLAND),
        inspect_at("M1", INLAND),
        declare("R1", "3158", INLAND, previous="M1"),
        accept_at("R1", INLAND),
        inspect_at("R1", INLAND),
        declare("C1", "ATA-TR/ÇIKIŞ", INLAND, previous="R1", destination=EXIT_BORDER),
    )
    assert story.refuses(accept_at("C1", EXIT_BORDER)).rule == "C1"
    story.do(accept_at("C1", INLAND))
    assert story.refuses(reassign_at("C1", INLAND, "muayene-31")).rule == "C1"
    story.do(reassign_at("C1", EXIT_BORDER, "muayene-31"))
    assert story.refuses(inspect_at("C1", EXIT_BORDER, officer_id="muayene-07")).rule == "C1"
    story.do(inspect_at("C1", EXIT_BORDER, officer_id="muayene-31"))
    assert story.closed_by("C1") == "R3" and story.closed_by("M1") == "R3"


# --- C1: the director decides requests --------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [liaison(BORDER), inspector(BORDER), director(INLAND)],
    ids=lambda a: f"{a.role}@{a.office}",
)
def test_c1_only_the_director_of_the_office_decides_correction_requests(actor: Actor) -> None:
    # rule: C1 (and G6)
    story = inspected_5800().do(correction("M1", "K-1", (1, 10)))
    refusal = story.refuses(decision("M1", "K-1", BORDER, actor=actor))
    assert refusal.rule == "C1"
    assert ("only the director profile" in refusal.reason) or (f"this is for office {BORDER}" in refusal.reason)
    story.do(decision("M1", "K-1", BORDER))
    assert story.declaration("M1").requests["K-1"].decision == "approved"


# --- C3: documents and explanations per goods line ---------------------------------------------------


def test_c3_documents_attached_to_a_goods_line_come_back_on_that_line() -> None:
    # rule: C3
    story = inspected_5800().do(attach("M1", 1))
    event = story.emitted(LineDocumentAttached)[0]
    assert (event.declaration_number, event.line_no) == ("M1", 1)
    assert story.declaration("M1").lines[1].documents == [
        LineDocument(
            name="fatura-2026-118.pdf",
            document_type="invoice",
            sha256="ab" * 32,
            location="s3://ata-hub-docs/fatura-2026-118.pdf",
            attached_by="4810023456",
        )
    ]
    assert story.declaration("M1").lines[2].documents == []
    story.do(attach("M1", 1, actor=inspector(BORDER)))
    assert [d.attached_by for d in story.declaration("M1").lines[1].documents] == ["4810023456", "muayene-07"]
    story.assert_replays()


def test_c3_c1_a_document_is_attached_by_the_declarant_or_an_officer_of_the_declarations_offices() -> None:
    # rule: C3 (the declarant's own declaration), C1 (an officer of its office)
    story = inspected_5800()
    other = DeclarantIn(id_kind="VKN", id_value="1234567890", name="Başka Firma Ltd.")
    stranger = story.refuses(attach("M1", 1, declarant=other))
    assert stranger.rule == "C3" and "only the declarant of M1" in stranger.reason
    elsewhere = story.refuses(attach("M1", 1, actor=liaison(INLAND)))
    assert elsewhere.rule == "C1" and INLAND in elsewhere.reason
    story.do(attach("M1", 2, actor=liaison(BORDER)), attach("M1", 2, actor=director(BORDER)))
    assert [d.attached_by for d in story.declaration("M1").lines[2].documents] == [
        liaison(BORDER).officer_id,
        director(BORDER).officer_id,
    ]
    story.assert_replays()


def test_c3_a_document_names_exactly_one_party_who_attaches_it() -> None:
    # rule: C3
    with pytest.raises(ValidationError, match="exactly one"):
        AttachLineDocument(
            declaration_number="M1", line_no=1, name="x.pdf", document_type="invoice", sha256="ab" * 32,
            location="s3://docs/x.pdf", declarant=HOLDER, actor=inspector(BORDER),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="exactly one"):
        AttachLineDocument(
            declaration_number="M1", line_no=1, name="x.pdf", document_type="invoice", sha256="ab" * 32,
            location="s3://docs/x.pdf",
        )  # fmt: skip


def test_c3_document_on_a_line_the_declaration_lacks_or_a_rejected_declaration_is_refused() -> None:
    # rule: C3
    story = Story().do(declare("M1", "5800", BORDER, carnet=carnet_data(), lines=((1, 2),)))
    missing = story.refuses(attach("M1", 2))
    assert missing.rule == "C3" and "no goods line 2" in missing.reason
    story.do(reject_at("M1", BORDER))
    rejected = story.refuses(attach("M1", 1))
    assert rejected.rule == "C3" and "rejected" in rejected.reason


def test_c3_explanation_per_goods_line_is_written_by_the_inspection_officer_only() -> None:
    # rule: C3 (and C1: identity checks of the goods are the inspection officer's)
    story = lodged_5800().do(accept_at("M1", BORDER), explain("M1", 2, inspector(BORDER)))
    event = story.emitted(LineExplained)[0]
    assert (event.line_no, event.note, event.by.officer_id) == (2, "seri numaraları karne ile uyumlu", "muayene-07")
    assert story.declaration("M1").lines[2].notes == ["seri numaraları karne ile uyumlu"]
    assert story.declaration("M1").lines[1].notes == []
    for actor in (liaison(BORDER), director(BORDER), inspector(INLAND)):
        refusal = story.refuses(explain("M1", 1, actor))
        assert refusal.rule == "C1"
    missing = story.refuses(explain("M1", 7, inspector(BORDER)))
    assert missing.rule == "C3" and "no goods line 7" in missing.reason
    story.do(inspect_at("M1", BORDER))
    assert story.declaration("M1").lines[2].notes == ["seri numaraları karne ile uyumlu"]  # kept on the line
    story.assert_replays()


def test_c1_director_reassignment_before_acceptance_survives_the_acceptance() -> None:
    # rule: C1 (the director may reassign; office.reassign allows it while lodged)
    story = lodged_5800().do(reassign_at("M1", BORDER, "muayene-12"))
    assert story.declaration("M1").inspection_officer == "muayene-12"
    story.do(accept_at("M1", BORDER))  # the liaison names no inspector
    assert story.declaration("M1").inspection_officer == "muayene-12"
    refusal = story.refuses(inspect_at("M1", BORDER, officer_id="muayene-07"))
    assert refusal.rule == "C1" and "assigned to muayene-12" in refusal.reason
