"""The demo scenario of `hub run`: a foreign carnet in at the border (T1), a Turkish carnet out via
TOBB (E1, G3), and the refusals an officer would expect (G3 unknown carnet, V1 expired carnet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TextIO

from hub.client import HubClient
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import AcceptDeclaration, Actor, CompleteInspection, DeclarantIn, LodgeDeclaration
from hub.messages.envelope import Envelope

KAPIKULE = "220100"  # Kapıkule Gümrük Müdürlüğü: a border office
LIAISON = Actor(role="liaison", office=KAPIKULE, officer_id="irtibat-01")
INSPECTOR = Actor(role="inspection_officer", office=KAPIKULE, officer_id="muayene-07")


def foreign_carnet(today: date) -> CarnetData:
    """A German carnet issued some months ago: typed in from the paper carnet, as foreign carnets are."""
    issued = today - timedelta(days=264)
    return CarnetData(
        carnet_number=f"DE/{issued.year}/A-118804",
        holder_name="Lichtwerk Bühnentechnik GmbH",
        issuing_country="DE",
        issuing_chamber="DIHK Berlin",
        issued_on=issued,
        valid_until=issued + timedelta(days=364),
        goods=tuple(
            GoodsListLine(
                line_no=no,
                description=text,
                quantity=qty,
                weight_kg=Decimal(kg),
                value=Decimal(eur),
                currency="EUR",
                origin_country="DE",
            )
            for no, text, qty, kg, eur in (
                (1, "LED moving-head spotlights", 12, "264", "38400"),
                (2, "Lighting console with flight case", 1, "41.5", "17900"),
            )
        ),
    )


FOREIGN_HOLDER = DeclarantIn(id_kind="PASSPORT", id_value="C01X00T47", name="Jonas Weber", acts_as="representative")
TURKISH_HOLDER = DeclarantIn(id_kind="VKN", id_value="4810023456", name="Demo Holder", acts_as="holder")


def main_event(outcome: list[Envelope[Any]]) -> Envelope[Any]:
    """The event that answers the command (a new carnet is recorded first, closures follow)."""
    return next(e for e in outcome if e.type != "CarnetRecorded")


@dataclass
class Step:
    what: str
    command: Envelope[Any]
    outcome: list[Envelope[Any]]

    def describe(self) -> str:
        first = main_event(self.outcome)
        p = first.payload
        if first.type == "CommandRefused":
            return f"refused ({p.rule}): {p.reason}"
        status = getattr(p, "status", "")
        return f"{first.type} -> {status}"


def at_kapikule(number: str, carnet_number: str, regime: str, declarant: DeclarantIn, **extra: Any) -> LodgeDeclaration:
    return LodgeDeclaration(
        declaration_number=number,
        carnet_number=carnet_number,
        regime=regime,
        customs_office=KAPIKULE,
        declarant=declarant,
        **extra,
    )


async def play(client: HubClient, out: TextIO, run_id: str, today: date) -> list[Step]:
    """Run the scenario on `today`; `run_id` keeps declaration numbers unique across runs on one store."""
    foreign = foreign_carnet(today)
    steps: list[Step] = []

    async def do(what: str, command: Any, carnet: str) -> Step:
        sent = await client.send(command, carnet)
        step = Step(what, sent, await client.outcome(sent, wait_s=60))
        steps.append(step)
        print(f"  {what:<58} {step.describe()}", file=out, flush=True)
        return step

    print("Temporary import and re-export at the border, foreign carnet (T1, R1):", file=out)
    n5800 = f"{KAPIKULE}ATA{run_id}01"
    carnet = foreign.carnet_number
    await do(
        f"lodge 5800 {n5800}",
        at_kapikule(n5800, carnet, "5800", FOREIGN_HOLDER, carnet=foreign),
        carnet,
    )
    await do("liaison accepts", AcceptDeclaration(declaration_number=n5800, actor=LIAISON), carnet)
    done = await do("inspection completed", CompleteInspection(declaration_number=n5800, actor=INSPECTOR), carnet)
    for line in main_event(done.outcome).payload.ledger:
        print(f"    line {line.line_no}: {line.entered} of {line.goods_list_quantity} entered", file=out)
    n3158 = f"{KAPIKULE}ATA{run_id}05"
    await do(
        f"lodge 3158 {n3158} referencing the 5800 only",
        at_kapikule(n3158, carnet, "3158", FOREIGN_HOLDER, previous_declaration=n5800),
        carnet,
    )
    await do("liaison accepts", AcceptDeclaration(declaration_number=n3158, actor=LIAISON), carnet)
    out_again = await do(
        "inspection completed: goods re-exported (R1)",
        CompleteInspection(declaration_number=n3158, actor=INSPECTOR),
        carnet,
    )
    for event in out_again.outcome:
        if event.type == "DeclarationClosed":
            print(
                f"    {event.payload.declaration_number} closed ({event.payload.rule}): {event.payload.reason}",
                file=out,
            )

    print("Temporary export at the border, Turkish carnet fetched from TOBB (E1, G3):", file=out)
    n2600 = f"{KAPIKULE}ATA{run_id}02"
    carnet = "TR/2026/000123"
    await do(
        f"lodge 2600 {n2600} with the carnet number only",
        at_kapikule(n2600, carnet, "2600", TURKISH_HOLDER),
        carnet,
    )
    await do("liaison accepts", AcceptDeclaration(declaration_number=n2600, actor=LIAISON), carnet)
    await do("inspection completed", CompleteInspection(declaration_number=n2600, actor=INSPECTOR), carnet)

    print("What customs refuses:", file=out)
    for number, carnet, why in (
        (f"{KAPIKULE}ATA{run_id}03", "TR/2026/999999", "unknown to TOBB"),
        (f"{KAPIKULE}ATA{run_id}04", "TR/2025/004512", "expired"),
    ):
        await do(
            f"lodge 2600 on a carnet {why}",
            at_kapikule(number, carnet, "2600", TURKISH_HOLDER),
            carnet,
        )
    return steps
