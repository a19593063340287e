"""What TOBB, BİLGE and YKTS answer, entering the rules: an answer is kept for the lodgement that
waits for it, or it refuses the lodgement under the rule it was asked for.

A lodgement that needs an outside answer waits (a LookUp outcome); each answer either joins what the
lodgement has been told (`Answers`, from which the rules' Context is built) or ends it:
- TOBB (G3): the carnet's record, or that TOBB does not know it; no answer within the adapter's bound
  refuses under G3.
- YKTS (G2, A4): whether the representative is authorised; no answer refuses under G2.
- BİLGE: the özet beyan (S1, S2) or the legacy declaration (L1); an özet beyan BİLGE does not know is
  refused under S1, a legacy declaration under L1; no answer refuses under the rule it was asked for
  (S2 for the özet beyan the lodgement opens, L1 for a referenced legacy declaration).

Also the two answers of BİLGE that are not look-ups: the closure of an özet beyan part (S4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from hub.domain import bilge, ykts
from hub.domain import events as ev
from hub.domain.commands import LodgeDeclaration
from hub.domain.model import Carnet
from hub.domain.rules.base import Applied, Decision, Refused, TobbAnswer
from hub.domain.rules.lodging import tobb_unavailable
from hub.domain.rules.representation import authority_unavailable

# Every answer a waiting lodgement may get.
LOOKUP_ANSWERS: tuple[type[BaseModel], ...] = (
    ev.CarnetLookupSucceeded, ev.CarnetNotFound, ev.CarnetLookupFailed,
    ykts.AuthorityChecked, ykts.AuthorityCheckFailed,
    bilge.SummaryFound, bilge.SummaryNotFound, bilge.LegacyFound, bilge.LegacyNotFound, bilge.BilgeLookupFailed,
)  # fmt: skip


@dataclass(frozen=True)
class Answers:
    """What the outside systems have told a waiting lodgement so far."""

    tobb: TobbAnswer | None = None
    summary: bilge.SummaryFound | None = None
    legacy: bilge.LegacyDeclaration | None = None
    authority: ykts.AuthorityChecked | None = None


def take_answer(cmd: LodgeDeclaration, told: Answers, answer: BaseModel) -> Answers | Refused:
    """The lodgement's answers with this one added, or the refusal the answer means."""
    match answer:
        case ev.CarnetLookupSucceeded():
            return replace(told, tobb=TobbAnswer(answer.carnet))
        case ev.CarnetNotFound():
            return replace(told, tobb=TobbAnswer(None))  # G3 refuses it, with the carnet in words
        case ev.CarnetLookupFailed():
            return tobb_unavailable(cmd, answer.reason)  # G3
        case ykts.AuthorityChecked():
            return replace(told, authority=answer)
        case ykts.AuthorityCheckFailed():
            return authority_unavailable(cmd, answer.firm_vkn, answer.reason)  # G2
        case bilge.SummaryFound():
            return replace(told, summary=answer)
        case bilge.LegacyFound():
            return replace(told, legacy=answer.declaration)
        case bilge.SummaryNotFound():
            return Refused("S1", f"BİLGE has no özet beyan {answer.summary_number}")
        case bilge.LegacyNotFound():
            return Refused("L1", f"BİLGE has no declaration {answer.bilge_number}")
        case bilge.BilgeLookupFailed():
            # S2 when it was the özet beyan this lodgement opens that could not be read, else L1
            rule = "S2" if cmd.summary and cmd.summary.summary_number == answer.reference else "L1"
            return Refused(
                rule, f"{answer.reference} could not be fetched from BİLGE ({answer.reason}); lodge again later"
            )
    raise TypeError(f"{type(answer).__name__} is not an answer to a look-up")


def record_closure(carnet: Carnet | None, confirmed: bilge.SummaryClosureConfirmed) -> Applied | None:
    """S4: BİLGE closed the özet beyan part a declaration opened; recorded once, on that declaration."""
    # rule: S4
    declaration = carnet.declarations.get(confirmed.declaration_number) if carnet is not None else None
    if carnet is None or declaration is None or declaration.summary_closed:
        return None  # not ours, or recorded already: a confirmation sent twice changes nothing
    decision = Decision(carnet)
    decision.emit(
        ev.SummaryClosureRecorded(
            declaration_number=confirmed.declaration_number,
            summary_number=confirmed.summary_number,
            closure_id=confirmed.closure_id,
        )
    )
    return decision.applied()


def keyed_to_its_carnet(command: BaseModel, key: str) -> Refused | None:
    """G1: a command travels keyed by the carnet it names (so all of a carnet's traffic is ordered on
    one partition); one keyed by another carnet is refused."""
    # Not getattr(command, "carnet_number", key): a missing attribute takes pydantic's slow path
    # (measured: a quarter of the rules' time in the core's profile).
    if "carnet_number" in type(command).model_fields and command.__dict__["carnet_number"] != key:
        return Refused("G1", "the message key and the command name different carnets")
    return None
