"""What every rule shares: the command's clock, the three kinds of outcome, and refusing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from typing import ParamSpec

from pydantic import BaseModel

from hub.domain.bilge import LegacyDeclaration, SummaryFound
from hub.domain.carnet import CarnetData
from hub.domain.events import TcgbReference
from hub.domain.evolve import evolve
from hub.domain.model import Carnet
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.domain.ykts import AuthorityChecked

# The circular's effective date: from then on BİLGE takes no 5800, 2600, 3158, 6326 (L2). The
# circular rests on the communiqué published 2 June 2021; configurable as HUB_BILGE_CUTOVER.
BILGE_CUTOVER = date(2021, 6, 2)


@dataclass(frozen=True)
class Clock:
    """The command's own time, handed in: the core never reads a clock."""

    now: datetime
    today: date  # the date in Türkiye at `now`


@dataclass(frozen=True)
class TobbAnswer:
    """What TOBB said about the carnet a 2600 names: its record, or None when it does not know it (G3)."""

    found: CarnetData | None


@dataclass(frozen=True)
class Context:
    """What the rules may know beyond the carnet: the offices, and where a reference lives."""

    offices: OfficeRegistry = OFFICES
    reference_carnet: str | None = None  # the carnet of the referenced declaration, when it is another one
    number_taken_by: str | None = None  # the carnet that already has this declaration number, if another one
    summary: SummaryFound | None = None  # BİLGE's answer about the özet beyan a declaration opens (S2)
    summary_opened_in_hub: int = 0  # packages of that part opened by live hub declarations not yet closed (S2)
    legacy: LegacyDeclaration | None = None  # BİLGE's answer about a referenced legacy declaration (L1)
    cutover: date = BILGE_CUTOVER  # BİLGE stopped taking ATA regime codes (L2)
    tobb: TobbAnswer | None = None  # TOBB's answer for this lodgement's Turkish carnet (G3)
    authority: AuthorityChecked | None = None  # YKTS's answer about the representative lodging (G2, A4)


@dataclass(frozen=True)
class Refused:
    rule: str
    reason: str
    # A TCGB's drawing-down refused for its items (F2): the TCGB and the items that failed, for the
    # CommandRefused to name them. None for every other refusal.
    tcgb: TcgbReference | None = None


@dataclass(frozen=True)
class LookUpCarnet:
    """Nothing is decided until TOBB has answered for this Turkish carnet (G3)."""

    carnet_number: str


@dataclass(frozen=True)
class LookUpSummary:
    """Nothing is decided until BİLGE has said what is open on this özet beyan (S2)."""

    summary_number: str


@dataclass(frozen=True)
class LookUpLegacy:
    """Nothing is decided until BİLGE has given the legacy declaration referenced (L1)."""

    bilge_number: str


@dataclass(frozen=True)
class LookUpAuthority:
    """Nothing is decided until YKTS has said whether this person directly represents this firm (G2, A4)."""

    firm_vkn: str
    person_tckn: str


@dataclass
class Applied:
    carnet: Carnet
    events: list[BaseModel] = field(default_factory=list)


LookUp = LookUpCarnet | LookUpSummary | LookUpLegacy | LookUpAuthority
Outcome = Refused | LookUp | Applied


class Pending(Exception):
    """Raised deep in a rule when an external answer is needed first: the lodgement waits for it."""

    def __init__(self, lookup: LookUp) -> None:
        super().__init__(str(lookup))
        self.lookup = lookup


class Refusal(Exception):
    """Raised by a check deep in a rule; the entry point's `@decides` turns it into its Refused outcome."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.refused = Refused(rule, reason)


def refuse_unless(condition: bool, rule: str, reason: str) -> None:
    if not condition:
        raise Refusal(rule, reason)


_Args = ParamSpec("_Args")


def decides(rule: Callable[_Args, Outcome]) -> Callable[_Args, Outcome]:
    """A rule's entry point: a Refusal raised anywhere beneath it is its outcome, Refused, and a Pending
    its look-up. The one place they become outcomes, so that checks deep in a rule simply raise."""

    @wraps(rule)
    def deciding(*args: _Args.args, **kwargs: _Args.kwargs) -> Outcome:
        try:
            return rule(*args, **kwargs)
        except Refusal as refusal:
            return refusal.refused
        except Pending as pending:
            return pending.lookup

    return deciding


class Decision:
    """Events decided so far, and the carnet as they leave it: cascades read the updated state."""

    def __init__(self, carnet: Carnet | None) -> None:
        self.carnet = carnet
        self.events: list[BaseModel] = []

    def emit(self, event: BaseModel) -> None:
        self.carnet = evolve(self.carnet, event)
        self.events.append(event)

    def applied(self) -> Applied:
        assert self.carnet is not None
        return Applied(self.carnet, self.events)
