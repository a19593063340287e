"""Every command the rules decide ends in an outcome: a check deep in a rule refuses, it never raises."""

from datetime import date

from hub.domain.bilge import DrawDownByTcgb
from hub.domain.rules import _HANDLERS as HANDLERS
from hub.domain.rules import Refused, decide
from tests.domain.builders import carnet_data, clock
from tests.domain.scenario import (
    BORDER,
    Story,
    accept_at,
    attach,
    cancel_by,
    correction,
    decision,
    declare,
    explain,
    extension,
    inspect_at,
    inspector,
    reassign_at,
    reject_at,
)

# One command of each kind the dispatcher decides, about D9: a declaration this carnet does not have.
ABOUT_D9 = [
    accept_at("D9", BORDER),
    reject_at("D9", BORDER),
    cancel_by("D9"),
    reassign_at("D9", BORDER, to="muayene-08"),
    inspect_at("D9", BORDER),
    correction("D9", "R1", (1, 1)),
    extension("D9", "R2", date(2027, 6, 1)),
    decision("D9", "R1", BORDER),
    attach("D9", 1),
    explain("D9", 1, inspector(BORDER)),
]


def test_g1_every_command_about_a_declaration_the_carnet_lacks_is_refused_not_raised() -> None:
    carnet = Story().do(declare("D1", "5800", BORDER, carnet=carnet_data())).carnet
    assert {type(c) for c in ABOUT_D9} == set(HANDLERS) - {DrawDownByTcgb}  # every rule the dispatcher calls
    for command in ABOUT_D9:
        outcome = decide(carnet, command, clock())
        assert isinstance(outcome, Refused), command
        assert outcome.rule == "G1" and "no declaration D9" in outcome.reason
