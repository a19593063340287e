"""A small driver for rule tests: run commands one after another on the pure core, keep every event.

    story = Story().do(lodge(...), accept_at("D1", BORDER), inspect_at("D1", BORDER))
    assert story.status("D1") is Status.INSPECTION_COMPLETED

`do` asserts each command is applied; `refuses` asserts a refusal and that the carnet is unchanged.
Every event applied is kept, so `replayed()` can rebuild the carnet from the log.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from hub.domain import rules
from hub.domain.carnet import CarnetData
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    AttachLineDocument,
    CancelDeclaration,
    CompleteInspection,
    DecideRequest,
    DeclarantIn,
    ExplainLine,
    LineQuantity,
    LodgeDeclaration,
    ReassignInspection,
    RejectDeclaration,
    RequestCorrection,
    RequestExtension,
)
from hub.domain.evolve import replay
from hub.domain.model import Carnet, Declaration, Status
from tests.domain.builders import BORDER, EXIT_BORDER, HOLDER, INLAND, carnet_data, clock

E = TypeVar("E", bound=BaseModel)

FOREIGN = "DE/2026/A-1"  # carnet_data()'s default number: a German carnet, typed in
TURKISH = "TR/2026/000123"  # a Turkish carnet, fetched from TOBB
OTHER_INLAND = "343300"  # Halkalı, another inland office
OTHER_BORDER = "220300"  # İpsala, a third border office
DAY = date(2026, 11, 21)  # builders.clock()'s default day; the carnets are valid until 2027-03-01
OTHER_DECLARANT = DeclarantIn(id_kind="VKN", id_value="9990001112", name="Başka Gümrük Müşavirliği Ltd.")

__all__ = ["BORDER", "EXIT_BORDER", "HOLDER", "INLAND"]


def liaison(office: str, officer_id: str = "irtibat-01") -> Actor:
    return Actor(role="liaison", office=office, officer_id=officer_id)


def inspector(office: str, officer_id: str = "muayene-07") -> Actor:
    return Actor(role="inspection_officer", office=office, officer_id=officer_id)


def director(office: str, officer_id: str = "mudur-01") -> Actor:
    return Actor(role="director", office=office, officer_id=officer_id)


def turkish_carnet(quantities: tuple[int, ...] = (3, 5)) -> CarnetData:
    return carnet_data(number=TURKISH, country="TR", quantities=quantities)


def lines_of(*pairs: tuple[int, int]) -> tuple[LineQuantity, ...]:
    return tuple(LineQuantity(line_no=n, quantity=q) for n, q in pairs)


def declare(
    number: str,
    regime: str,
    office: str,
    *,
    carnet_number: str = FOREIGN,
    carnet: CarnetData | None = None,
    lines: tuple[tuple[int, int], ...] = (),
    previous: str | None = None,
    destination: str | None = None,
    declarant: DeclarantIn = HOLDER,
    **extra: Any,
) -> LodgeDeclaration:
    """Any lodgement, every field explicit (the builders' `lodge` guesses the carnet)."""
    return LodgeDeclaration(
        declaration_number=number,
        carnet_number=carnet.carnet_number if carnet is not None else carnet_number,
        regime=regime,
        customs_office=office,
        declarant=declarant,
        carnet=carnet,
        lines=lines_of(*lines),
        previous_declaration=previous,
        destination_office=destination,
        **extra,
    )


def accept_at(number: str, office: str, inspection_officer: str | None = None) -> AcceptDeclaration:
    return AcceptDeclaration(declaration_number=number, actor=liaison(office), inspection_officer=inspection_officer)


def reject_at(number: str, office: str, reason: str = "eksik belge") -> RejectDeclaration:
    return RejectDeclaration(declaration_number=number, actor=liaison(office), reason=reason)


def cancel_by(number: str, declarant: DeclarantIn = HOLDER) -> CancelDeclaration:
    return CancelDeclaration(declaration_number=number, declarant=declarant, reason="yanlış beyan")


def inspect_at(number: str, office: str, officer_id: str = "muayene-07") -> CompleteInspection:
    return CompleteInspection(declaration_number=number, actor=inspector(office, officer_id))


def reassign_at(number: str, office: str, to: str, actor: Actor | None = None) -> ReassignInspection:
    return ReassignInspection(declaration_number=number, actor=actor or director(office), inspection_officer=to)


def correction(
    number: str, request_id: str, *pairs: tuple[int, int], declarant: DeclarantIn = HOLDER
) -> RequestCorrection:
    return RequestCorrection(
        declaration_number=number,
        declarant=declarant,
        request_id=request_id,
        lines=lines_of(*pairs),
        reason="muayene sonrası sayım farkı",
    )


def extension(number: str, request_id: str, until: date, declarant: DeclarantIn = HOLDER) -> RequestExtension:
    return RequestExtension(
        declaration_number=number, declarant=declarant, request_id=request_id, until=until, reason="fuar uzadı"
    )


def decision(
    number: str, request_id: str, office: str, approve: bool = True, actor: Actor | None = None
) -> DecideRequest:
    return DecideRequest(
        declaration_number=number, request_id=request_id, approve=approve, actor=actor or director(office)
    )


def attach(
    number: str, line_no: int, *, declarant: DeclarantIn | None = HOLDER, actor: Actor | None = None
) -> AttachLineDocument:
    """By the holder, unless an officer (`actor`) or another declarant is named."""
    return AttachLineDocument(
        declaration_number=number,
        line_no=line_no,
        name="fatura-2026-118.pdf",
        document_type="invoice",
        sha256="ab" * 32,
        location="s3://ata-hub-docs/fatura-2026-118.pdf",
        declarant=None if actor is not None else declarant,
        actor=actor,
    )


def explain(number: str, line_no: int, actor: Actor, note: str = "seri numaraları karne ile uyumlu") -> ExplainLine:
    return ExplainLine(declaration_number=number, line_no=line_no, note=note, actor=actor)


def without_version(carnet: Carnet | None) -> Carnet | None:
    return None if carnet is None else dataclasses.replace(carnet, version=0)


class Story:
    """One carnet's history on the pure core: the carnet now, and every event that made it."""

    def __init__(self, carnet: Carnet | None = None, day: date = DAY) -> None:
        self._carnet = carnet
        self.day = day
        self.events: list[BaseModel] = []
        self.last: list[BaseModel] = []  # the events of the last command applied

    @property
    def carnet(self) -> Carnet:
        assert self._carnet is not None, "nothing lodged yet"
        return self._carnet

    def on(self, day: date) -> Story:
        """Later commands happen on this day."""
        self.day = day
        return self

    def _applied(self, outcome: rules.Outcome, what: BaseModel | str) -> Story:
        assert isinstance(outcome, rules.Applied), f"{what!r} was not applied: {outcome!r}"
        self._carnet = outcome.carnet
        self.last = list(outcome.events)
        self.events.extend(outcome.events)
        return self

    def do(self, *commands: BaseModel, ctx: rules.Context | None = None) -> Story:
        for command in commands:
            self._applied(rules.decide(self._carnet, command, clock(self.day), ctx), command)
        return self

    def tobb(self, command: LodgeDeclaration, found: CarnetData | None) -> Story:
        """A 2600: the core asks TOBB (G3), then decides on TOBB's answer."""
        assert rules.decide(self._carnet, command, clock(self.day)) == rules.LookUpCarnet(command.carnet_number)
        return self._applied(rules.lodge_with_tobb_answer(self._carnet, command, found, clock(self.day)), command)

    def check_deadlines(self, warn_days: int = 30) -> Story:
        return self._applied(rules.check_deadlines(self.carnet, clock(self.day), warn_days), "check_deadlines")

    def refuses(self, command: BaseModel, ctx: rules.Context | None = None) -> rules.Refused:
        """The command is refused, and the carnet it was given is left exactly as it was."""
        before = copy.deepcopy(self._carnet)
        outcome = rules.decide(self._carnet, command, clock(self.day), ctx)
        assert isinstance(outcome, rules.Refused), f"{command!r} was not refused: {outcome!r}"
        assert self._carnet == before, "a refused command changed the carnet"
        return outcome

    def refuses_tobb(self, command: LodgeDeclaration, found: CarnetData | None) -> rules.Refused:
        before = copy.deepcopy(self._carnet)
        outcome = rules.lodge_with_tobb_answer(self._carnet, command, found, clock(self.day))
        assert isinstance(outcome, rules.Refused), f"{command!r} was not refused: {outcome!r}"
        assert self._carnet == before, "a refused command changed the carnet"
        return outcome

    def declaration(self, number: str) -> Declaration:
        return self.carnet.declarations[number]

    def status(self, number: str) -> Status:
        return self.declaration(number).status

    def closed_by(self, number: str) -> str | None:
        return self.declaration(number).closed_by

    def quantities(self, number: str) -> dict[int, tuple[int, int, int]]:
        """line -> (quantity, discharged, open) of a declaration."""
        return {n: (ln.quantity, ln.discharged, ln.open) for n, ln in sorted(self.declaration(number).lines.items())}

    def emitted(self, kind: type[E]) -> list[E]:
        """Events of this kind caused by the last command applied."""
        return [e for e in self.last if isinstance(e, kind)]

    def replayed(self) -> Carnet | None:
        return replay(self.events)

    def assert_replays(self) -> None:
        """The log of every event emitted rebuilds the carnet exactly (version aside)."""
        assert without_version(self.replayed()) == without_version(self.carnet)
