"""Documents and explanations per goods line (C3)."""

from __future__ import annotations

from hub.domain import events as ev
from hub.domain.commands import AttachLineDocument, ExplainLine
from hub.domain.model import Carnet, Declaration, Role, Status
from hub.domain.rules.base import Clock, Decision, Outcome, decides, refuse_unless
from hub.domain.rules.office import check_actor, check_declarant, find


@decides
def attach_document(carnet: Carnet | None, cmd: AttachLineDocument, clock: Clock) -> Outcome:
    d = find(carnet, cmd.declaration_number)
    refuse_unless(cmd.line_no in d.lines, "C3", f"{d.number} has no goods line {cmd.line_no}")
    refuse_unless(d.status not in (Status.REJECTED, Status.CANCELLED), "C3", f"{d.number} is {d.status}")
    attached_by = _attacher(cmd, d)
    decision = Decision(carnet)
    decision.emit(
        ev.LineDocumentAttached(
            declaration_number=d.number,
            line_no=cmd.line_no,
            name=cmd.name,
            document_type=cmd.document_type,
            sha256=cmd.sha256,
            location=cmd.location,
            attached_by=attached_by,
        )
    )
    return decision.applied()


def _attacher(cmd: AttachLineDocument, d: Declaration) -> str:
    """C3: the declarant attaches to their own declaration; an officer (any C1 profile) to one of their
    office, where it was lodged or where it is inspected. Returns who, as the event records it."""
    if cmd.actor is not None:
        offices = {d.customs_office, d.inspecting_office}
        refuse_unless(
            cmd.actor.office in offices, "C1",
            f"documents of {d.number} are attached at office {' or '.join(sorted(offices))}; "
            f"officer {cmd.actor.officer_id} is at {cmd.actor.office}",
        )  # fmt: skip
        return cmd.actor.officer_id
    assert cmd.declarant is not None  # one of the two: AttachLineDocument checks it
    check_declarant(cmd.declarant, d, "C3")
    return cmd.declarant.id_value


@decides
def explain_line(carnet: Carnet | None, cmd: ExplainLine, clock: Clock) -> Outcome:
    """Identity checks of the goods are written by the inspection officer (C1, C3)."""
    d = find(carnet, cmd.declaration_number)
    check_actor(cmd.actor, Role.INSPECTION_OFFICER, d.inspecting_office, "explain goods lines")
    refuse_unless(cmd.line_no in d.lines, "C3", f"{d.number} has no goods line {cmd.line_no}")
    decision = Decision(carnet)
    decision.emit(ev.LineExplained(declaration_number=d.number, line_no=cmd.line_no, note=cmd.note, by=cmd.actor))
    return decision.applied()
