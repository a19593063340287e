"""The demo scenario of `hub run`: a foreign carnet in at the border (T1), a Turkish carnet out via
TOBB (E1, G3), and the refusals an officer would expect (G3 unknown carnet, V1 expired carnet)."""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

import httpx

from adapters.bilge.service import drawdown_id
from adapters.bilge.simulator import SENDER as BILGE_SENDER
from adapters.bilge.simulator import sample_tcgb_xml
from adapters.bilge.tcgb_life import TURKIYE_TIME, default_firms, status_documents, tcgb_stage_events
from hub.configuration.dev_senders import ensure_dev_senders
from hub.contract.messages.envelope import Envelope
from hub.contract.signing import HTTP_SIGNATURE_HEADER, sign
from hub.contract.topic_names import BILGE_TCGB_EVENTS
from hub.domain.bilge import SummaryOpening, TcgbDirection, TcgbStage
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CompleteInspection,
    DeclarantIn,
    LineQuantity,
    LodgeDeclaration,
)
from hub.runtime.client import HubClient
from hub.runtime.tls import ClientTls

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
# Boğaziçi Film holds TR/2026/000123 (TOBB) and is registered in YKTS with Deniz Yılmaz as its direct
# representative: the core checks her in YKTS (G2, A4), and GET-APP shows the firm its declarations.
BOGAZICI_VKN = "3841022679"
BOGAZICI_REPRESENTATIVE = DeclarantIn(
    id_kind="TCKN", id_value="48251973650", name="Deniz Yılmaz", acts_as="representative"
)
# Elif Şahin is on record in YKTS for Nilüfer Makine (TR/2026/000789) only from a day still to come.
NILUFER_NOT_YET = DeclarantIn(id_kind="TCKN", id_value="56301829420", name="Elif Şahin", acts_as="representative")


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


def _print_closures(events: list[Envelope[Any]], out: TextIO) -> None:
    for event in events:
        if event.type == "DeclarationClosed":
            p = event.payload
            print(f"    {p.declaration_number} closed ({p.rule}): {p.reason}", file=out)


TCGB_LIVES = 120  # a day of import and export TCGBs from BİLGE, for GET-APP (A2)
TCGB_FEED_PER_HOUR = 600  # and from then on, live


def _first_sequence(run_id: str) -> int:
    """Where the run's TCGB numbers start (the day's; the live feed's 1,000 on): apart from other runs'."""
    return zlib.crc32(run_id.encode()) % 400_000 + 1


async def _tcgb_lives(out: TextIO, run_id: str, bilge_intake: str, bilge_tls: ClientTls | None) -> None:
    """BİLGE delivers the life of the last day's TCGBs (status batches, tcgb-durum.xsd) as far as each
    has come by now; Boğaziçi Film trades most, so GET-APP has TCGBs of every stage to show it."""
    now = datetime.now(TURKIYE_TIME)
    stages = tcgb_stage_events(
        TCGB_LIVES, seed=zlib.crc32(run_id.encode()), start=now - timedelta(days=1), until=now,
        firms=[BOGAZICI_VKN, *default_firms()], first_sequence=_first_sequence(run_id),
    )  # fmt: skip
    key = ensure_dev_senders().key(BILGE_SENDER)
    async with httpx.AsyncClient(verify=bilge_tls.context() if bilge_tls else True) as http:
        documents = 0
        for number, document in status_documents(stages, prefix=f"DEMO-{run_id}", batch_size=200):
            signed = {"X-Belge-No": number, HTTP_SIGNATURE_HEADER: sign(document, key)}
            (await http.post(bilge_intake, content=document, headers=signed)).raise_for_status()
            documents += 1
    registered = [s for s in stages if s.stage is TcgbStage.REGISTERED]
    imports = sum(s.direction is TcgbDirection.IMPORT for s in registered)
    channels = Counter(s.channel for s in stages if s.channel is not None)
    firm = sum(BOGAZICI_VKN in (s.consignee_vkn, s.consignor_vkn) for s in registered)
    print("The life of import and export TCGBs from BİLGE, for GET-APP (A2):", file=out)
    print(f"  {f'BİLGE sends {len(stages)} stages of {len(registered)} TCGBs in {documents} documents':<58} "
          f"{BILGE_TCGB_EVENTS}", file=out)  # fmt: skip
    offices = len({s.customs_office for s in registered})
    shares = ", ".join(f"{channel.value} {n}" for channel, n in channels.most_common())
    print(f"    {imports} imports, {len(registered) - imports} exports at {offices} offices; channels {shares}; "
          f"{firm} with Boğaziçi Film (VKN {BOGAZICI_VKN})", file=out)  # fmt: skip


async def start_tcgb_feed(simulator: str, bilge_intake: str, run_id: str, out: TextIO) -> None:
    """From now on, the BİLGE simulator delivers the stages TCGBs reach as they reach them (A2)."""
    feed = {
        "target_url": bilge_intake, "per_hour": TCGB_FEED_PER_HOUR, "seed": zlib.crc32(run_id.encode()) + 1,
        "firms": [BOGAZICI_VKN, *default_firms()], "first_sequence": _first_sequence(run_id) + 1000, "every_s": 5,
    }  # fmt: skip
    async with httpx.AsyncClient() as http:
        (await http.post(f"{simulator}/_sim/tcgb-feed", json=feed)).raise_for_status()
    print(f"BİLGE keeps delivering the stages of {TCGB_FEED_PER_HOUR} new TCGBs an hour as they are reached "
          f"(every 5 s; GET {simulator}/_sim/tcgb-feed counts them)", file=out)  # fmt: skip


def at_kapikule(number: str, carnet_number: str, regime: str, declarant: DeclarantIn, **extra: Any) -> LodgeDeclaration:
    return LodgeDeclaration(
        declaration_number=number,
        carnet_number=carnet_number,
        regime=regime,
        customs_office=KAPIKULE,
        declarant=declarant,
        **extra,
    )


# The özet beyan the demo's German goods arrived under, as BİLGE (its simulator) holds it.
SUMMARY = SummaryOpening(
    summary_number="26220100OB000088",
    transport_document="DE-CMR-884120",
    transport_line=2,
    packages=2,
    temporary_storage=True,
    storage_code="22-GDY-0007",
)


async def play(
    client: HubClient, out: TextIO, run_id: str, today: date, bilge_intake: str, bilge_tls: ClientTls | None = None
) -> list[Step]:
    """Run the scenario on `today`; `run_id` keeps declaration numbers unique across runs on one store.

    `bilge_intake` is where BİLGE delivers documents: the demo plays BİLGE sending a TCGB there,
    presenting BİLGE's client certificate `bilge_tls` (the intake serves mutual TLS only) and signing
    it with BİLGE's development key, as the simulator does.
    """
    foreign = foreign_carnet(today)
    steps: list[Step] = []

    async def do(what: str, command: Any, carnet: str) -> Step:
        sent = await client.send(command, carnet)
        step = Step(what, sent, await client.outcome(sent, wait_s=60))
        steps.append(step)
        print(f"  {what:<58} {step.describe()}", file=out, flush=True)
        return step

    print("Temporary import at the border under an özet beyan, foreign carnet (T1, S1):", file=out)
    n5800 = f"{KAPIKULE}ATA{run_id}01"
    carnet = foreign.carnet_number
    await do(
        f"lodge 5800 {n5800} opening {SUMMARY.summary_number}",
        at_kapikule(n5800, carnet, "5800", FOREIGN_HOLDER, carnet=foreign, summary=SUMMARY),
        carnet,
    )
    await do("liaison accepts", AcceptDeclaration(declaration_number=n5800, actor=LIAISON), carnet)
    done = await do("inspection completed", CompleteInspection(declaration_number=n5800, actor=INSPECTOR), carnet)
    for line in main_event(done.outcome).payload.ledger:
        print(f"    line {line.line_no}: {line.entered} of {line.goods_list_quantity} entered", file=out)
    closure = await client.first(lambda e: e.type == "SummaryClosureRecorded" and e.payload.declaration_number == n5800)
    print(f"    BİLGE confirmed: {closure.payload.summary_number} {SUMMARY.transport_document} line "
          f"{SUMMARY.transport_line} closed, goods out of temporary storage (S4)", file=out)  # fmt: skip

    print("Re-export of part, final import of the rest through a TCGB in BİLGE (R1, F1, F2):", file=out)
    n3158 = f"{KAPIKULE}ATA{run_id}05"
    await do(
        f"lodge 3158 {n3158} for the spotlights (line 1)",
        at_kapikule(n3158, carnet, "3158", FOREIGN_HOLDER, previous_declaration=n5800,
                    lines=(LineQuantity(line_no=1, quantity=12),)),
        carnet,
    )  # fmt: skip
    await do("liaison accepts", AcceptDeclaration(declaration_number=n3158, actor=LIAISON), carnet)
    out_again = await do(
        "inspection completed: goods re-exported (R1)",
        CompleteInspection(declaration_number=n3158, actor=INSPECTOR),
        carnet,
    )
    _print_closures(out_again.outcome, out)
    tcgb = f"{today:%y}{KAPIKULE}IM{zlib.crc32(run_id.encode()) % 1_000_000:06d}"  # a BİLGE-shaped number
    document = sample_tcgb_xml(tcgb, "4000", KAPIKULE, [(1, n5800, carnet, 2, 1)], registered_on=today)
    signed = {"X-Belge-No": tcgb, HTTP_SIGNATURE_HEADER: sign(document, ensure_dev_senders().key(BILGE_SENDER))}
    async with httpx.AsyncClient(verify=bilge_tls.context() if bilge_tls else True) as http:
        (await http.post(bilge_intake, content=document, headers=signed)).raise_for_status()
    drawn = await client.outcome(drawdown_id(tcgb, carnet), wait_s=60)
    print(f"  {'BİLGE sends TCGB ' + tcgb + ' (final import, line 2)':<58} {drawn[0].type}", file=out)
    _print_closures(drawn, out)

    await _tcgb_lives(out, run_id, bilge_intake, bilge_tls)

    print(
        "Temporary export at the border, Turkish carnet from TOBB, representative checked in YKTS (E1, G3, G2):",
        file=out,
    )
    n2600 = f"{KAPIKULE}ATA{run_id}02"
    carnet = "TR/2026/000123"
    await do(
        f"lodge 2600 {n2600} by a representative",
        at_kapikule(n2600, carnet, "2600", BOGAZICI_REPRESENTATIVE),
        carnet,
    )
    await do("liaison accepts", AcceptDeclaration(declaration_number=n2600, actor=LIAISON), carnet)
    await do("inspection completed", CompleteInspection(declaration_number=n2600, actor=INSPECTOR), carnet)

    print("What customs refuses:", file=out)
    for number, carnet, why, declarant in (
        (f"{KAPIKULE}ATA{run_id}03", "TR/2026/999999", "on a carnet unknown to TOBB", BOGAZICI_REPRESENTATIVE),
        (f"{KAPIKULE}ATA{run_id}04", "TR/2025/004512", "on an expired carnet", BOGAZICI_REPRESENTATIVE),
        (f"{KAPIKULE}ATA{run_id}06", "TR/2026/000789", "by a representative YKTS does not confirm", NILUFER_NOT_YET),
    ):
        await do(f"lodge 2600 {why}", at_kapikule(number, carnet, "2600", declarant), carnet)
    return steps
