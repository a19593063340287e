"""The regime rules of Circular 2021/17: given one carnet and one command, what happens.

Each function returns an outcome (events, a refusal naming its rule, or a look-up in TOBB, BİLGE or YKTS) and
leaves the carnet it was given untouched: the events, applied by evolve(), are the change. A check deep
in a rule refuses by raising (`refuse_unless`); every entry point below is `@decides`, which turns that
into the Refused outcome (hub/domain/rules/base.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.domain import commands as cmd
from hub.domain.bilge import DrawDownByTcgb
from hub.domain.model import Carnet
from hub.domain.rules.answers import LOOKUP_ANSWERS, Answers, keyed_to_its_carnet, record_closure, take_answer
from hub.domain.rules.base import (
    Applied,
    Clock,
    Context,
    LookUpAuthority,
    LookUpCarnet,
    LookUpLegacy,
    LookUpSummary,
    Outcome,
    Refused,
    TobbAnswer,
)
from hub.domain.rules.clock import DEFAULT_CLOCK_SKEW, TURKEY, clock_at_receipt, dated_beyond_skew
from hub.domain.rules.deadlines import check_deadlines
from hub.domain.rules.lines import attach_document, explain_line
from hub.domain.rules.lodging import lodge, lodge_with_tobb_answer, tobb_unavailable
from hub.domain.rules.office import accept, cancel, complete_inspection, reassign, reject
from hub.domain.rules.representation import authority_unavailable
from hub.domain.rules.requests import decide as decide_request
from hub.domain.rules.requests import request_correction, request_extension
from hub.domain.rules.summary import closures
from hub.domain.rules.tcgb import answer as tcgb_answer
from hub.domain.rules.tcgb import draw_down_by_tcgb
from hub.domain.rules.tcgb import named as tcgb_named

_HANDLERS: dict[type[Any], Callable[[Carnet | None, Any, Clock], Outcome]] = {
    cmd.AcceptDeclaration: accept,
    cmd.RejectDeclaration: reject,
    cmd.CancelDeclaration: cancel,
    cmd.ReassignInspection: reassign,
    cmd.CompleteInspection: complete_inspection,
    cmd.RequestCorrection: request_correction,
    cmd.RequestExtension: request_extension,
    cmd.DecideRequest: decide_request,
    cmd.AttachLineDocument: attach_document,
    cmd.ExplainLine: explain_line,
    DrawDownByTcgb: draw_down_by_tcgb,
}


def decide(carnet: Carnet | None, command: Any, clock: Clock, ctx: Context | None = None) -> Outcome:
    """The one entry point: which rule applies to this command."""
    if isinstance(command, cmd.LodgeDeclaration):
        return lodge(carnet, command, clock, ctx)
    return _HANDLERS[type(command)](carnet, command, clock)


__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "LOOKUP_ANSWERS",
    "TURKEY",
    "Answers",
    "Applied",
    "Clock",
    "Context",
    "LookUpAuthority",
    "LookUpCarnet",
    "LookUpLegacy",
    "LookUpSummary",
    "Outcome",
    "Refused",
    "TobbAnswer",
    "accept",
    "authority_unavailable",
    "cancel",
    "check_deadlines",
    "clock_at_receipt",
    "closures",
    "complete_inspection",
    "dated_beyond_skew",
    "decide",
    "keyed_to_its_carnet",
    "lodge",
    "lodge_with_tobb_answer",
    "reassign",
    "record_closure",
    "reject",
    "take_answer",
    "tcgb_answer",
    "tcgb_named",
    "tobb_unavailable",
]
