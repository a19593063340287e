"""Commands of the benchmark, built and encoded before any clock starts.

Every declaration is a 5800 lodged at a border office (Kapıkule) by the holder of a foreign carnet
typed in from the paper carnet, then accepted by the liaison service and inspected by the inspection
officer of that office: each command's outcome is a success event, and none needs TOBB (foreign
carnets are not fetched), BİLGE (no özet beyan) or YKTS (the holder lodges itself), so the core
alone answers. The carnet is valid from 30 days ago for 300 days, whatever day the bench runs.

Each command is stamped (``occurred_at``) at the real time when it is built, which is just before its
case sends it: encoding stays out of what is measured, and a command reaches the broker seconds after
its stamp (a closed loop sends everything as fast as the producer takes it; an open loop sends for
``--open-seconds``), well within the skew a core judging commands at their arrival allows (5 minutes).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from aiokafka.partitioner import murmur2
from pydantic import BaseModel

from hub.configuration.settings import signing_key
from hub.contract.messages.envelope import envelope
from hub.contract.signing import SIGNATURE_HEADER, SigningKey, sign
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import (
    AcceptDeclaration,
    Actor,
    CompleteInspection,
    DeclarantIn,
    LineQuantity,
    LodgeDeclaration,
)
from hub.runtime.kafka.security import FRONTEND

OFFICE = "220100"  # Kapıkule, a border office
LIAISON = Actor(role="liaison", office=OFFICE, officer_id="irtibat-01")
INSPECTOR = Actor(role="inspection_officer", office=OFFICE, officer_id="muayene-07")
HOLDER = DeclarantIn(id_kind="VKN", id_value="4810023456", name="Lichtwerk Bühnentechnik GmbH")
HOT_LINE_QUANTITY = 10_000_000  # the hot carnet's one goods line: room for every declaration of a run


@dataclass(frozen=True)
class Command:
    """One record ready for the producer; `message_id` is what its outcome names as causation id."""

    message_id: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@cache
def _front_end_key() -> SigningKey:
    return signing_key(FRONTEND)


def encode(payload: BaseModel, carnet_number: str) -> Command:
    """Encoded and signed as the e-ATA/TR front end sends it: the core checks every signature."""
    message = envelope(payload, carnet_number=carnet_number, occurred_at=datetime.now(UTC))
    value = message.encode()
    headers = [(k, v.encode()) for k, v in message.headers().items()]
    headers.append((SIGNATURE_HEADER, sign(value, _front_end_key()).encode()))
    return Command(str(message.message_id), message.key, value, headers)


def carnet(number: str, quantities: tuple[int, ...] = (12, 1)) -> CarnetData:
    today = date.today()
    return CarnetData(
        carnet_number=number,
        holder_name=HOLDER.name,
        issuing_country="DE",
        issuing_chamber="DIHK Berlin",
        issued_on=today - timedelta(days=30),
        valid_until=today + timedelta(days=270),
        goods=tuple(
            GoodsListLine(
                line_no=i,
                description=f"Bühnentechnik, Posten {i}",
                quantity=q,
                weight_kg=Decimal("10"),
                value=Decimal("1000"),
                currency="EUR",
                origin_country="DE",
            )
            for i, q in enumerate(quantities, start=1)
        ),
    )


def lodge(number: str, data: CarnetData | None, carnet_number: str, one_piece: bool = False) -> Command:
    """A 5800 at the border: the carnet typed in (first use) or on record; all goods, or one piece of line 1."""
    return encode(
        LodgeDeclaration(
            declaration_number=number,
            carnet_number=carnet_number,
            regime="5800",
            customs_office=OFFICE,
            declarant=HOLDER,
            carnet=data,
            lines=(LineQuantity(line_no=1, quantity=1),) if one_piece else (),
        ),
        carnet_number,
    )


def accept(number: str, carnet_number: str) -> Command:
    return encode(AcceptDeclaration(declaration_number=number, actor=LIAISON), carnet_number)


def inspect(number: str, carnet_number: str) -> Command:
    return encode(CompleteInspection(declaration_number=number, actor=INSPECTOR), carnet_number)


def declaration_number(tag: str, i: int) -> str:
    return f"{OFFICE}ATA{tag}{i:07d}"  # at most 40 characters for a tag of up to 24


def distinct_flows(tag: str, commands: int) -> list[Command]:
    """Lodge, accept, inspect of `commands // 3` declarations, each on a foreign carnet of its own."""
    out: list[Command] = []
    for i in range(max(1, commands // 3)):
        number, carnet_number = declaration_number(tag, i), f"DE/2026/B-{tag}-{i:07d}"
        out += [lodge(number, carnet(carnet_number), carnet_number), accept(number, carnet_number)]
        out.append(inspect(number, carnet_number))
    return out


def hot_carnet(tag: str) -> CarnetData:
    return carnet(f"DE/2026/H-{tag}", quantities=(HOT_LINE_QUANTITY,))


def hot_seed(tag: str, data: CarnetData, declarations: int) -> list[Command]:
    """`declarations` lodgings of one piece each on the hot carnet: the first types the carnet in."""
    number = data.carnet_number
    return [
        lodge(declaration_number(f"{tag}S", i), data if i == 0 else None, number, one_piece=True)
        for i in range(declarations)
    ]


def hot_flows(tag: str, data: CarnetData, commands: int) -> list[Command]:
    """Lodge (one piece, the carnet on record), accept, inspect of `commands // 3` declarations on the hot carnet."""
    out: list[Command] = []
    number = data.carnet_number
    for i in range(max(1, commands // 3)):
        declaration = declaration_number(f"{tag}M", i)
        out += [lodge(declaration, None, number, one_piece=True), accept(declaration, number)]
        out.append(inspect(declaration, number))
    return out


def keys_covering(partitions: int, prefix: str) -> Iterator[str]:
    """Carnet numbers, one per partition of a topic of `partitions` (Kafka's default partitioner)."""
    seen: set[int] = set()
    for i in itertools.count():
        key = f"{prefix}-{i:04d}"
        partition = (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
        if partition not in seen:
            seen.add(partition)
            yield key
            if len(seen) == partitions:
                return


def warm_up(tag: str, partitions: int) -> list[Command]:
    """A first lodging on every partition: the consumers have joined and every process has handled one."""
    return [
        lodge(declaration_number(f"{tag}W", i), carnet(key), key)
        for i, key in enumerate(keys_covering(partitions, f"DE/2026/W-{tag}"))
    ]
