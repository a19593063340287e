"""What the end-to-end tests share: commands of the first flows, and reading Kafka back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from hub.configuration.dev_senders import ensure_dev_senders
from hub.contract.messages.envelope import Envelope
from hub.contract.signing import SIGNATURE_HEADER, sign
from hub.contract.topics import TopicSpec, catalog
from hub.domain.carnet import CarnetData
from hub.domain.commands import DeclarantIn, LineQuantity, LodgeDeclaration
from hub.operations.kafka.reading import read_topic
from hub.runtime.client import HubClient
from hub.runtime.kafka.security import ADMIN, FRONTEND, client_options
from tests.conftest import SESSION_DAY
from tests.domain.builders import BORDER, HOLDER, carnet_data

__all__ = ["read_topic"]  # the tests read topics as operators do

TURKISH_CARNET = "TR/2026/000457"  # a valid fixture carnet of the TOBB simulator; line 1 has 40 pieces

# The holders of the TOBB simulator's carnets: who lodges "as holder" carries the holder's VKN (G2).
_TOBB_HOLDERS = {
    "TR/2026/000123": ("3841022679", "Boğaziçi Film Prodüksiyon ve Reklamcılık A.Ş."),
    "TR/2026/000457": ("5112980345", "Ege Pamuk Tekstil Sanayi ve Ticaret Ltd. Şti."),
    "TR/2026/000789": ("6204477183", "Nilüfer Makine Otomotiv Sanayi A.Ş."),
    "TR/2026/001024": ("9470058132", "Anatolia Harita Mühendislik Ltd. Şti."),
    "TR/2025/004512": ("7356612092", "Kuzey Işık Sahne ve Müzik Organizasyon A.Ş."),
}


def holder_of(carnet_number: str) -> DeclarantIn:
    """The holder lodging for itself: TOBB's holder for its carnets, the builders' holder otherwise."""
    if carnet_number not in _TOBB_HOLDERS:
        return HOLDER
    vkn, name = _TOBB_HOLDERS[carnet_number]
    return DeclarantIn(id_kind="VKN", id_value=vkn, name=name)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def carnet_valid_today(number: str, **kwargs: Any) -> CarnetData:
    """The builders' foreign carnet, valid on the session's day as theirs is on FIXTURE_DAY: issued 264
    days before it, valid 100 days after it (unless `kwargs` say otherwise)."""
    kwargs.setdefault("issued", SESSION_DAY - timedelta(days=264))
    kwargs.setdefault("valid_until", SESSION_DAY + timedelta(days=100))
    return carnet_data(number=number, **kwargs)


def foreign_5800(number: str | None = None) -> LodgeDeclaration:
    """A 5800 at the border on a foreign carnet of its own, so tests never share a ledger."""
    data = carnet_valid_today(unique("DE/2026/E2E-"))
    return LodgeDeclaration(
        declaration_number=number or unique("220300ATA"),
        carnet_number=data.carnet_number,
        regime="5800",
        customs_office=BORDER,
        declarant=HOLDER,
        carnet=data,
    )


def turkish_2600(carnet_number: str = TURKISH_CARNET, quantity: int = 1) -> LodgeDeclaration:
    """A 2600 at the border with the carnet number only: the rest comes from TOBB (G3)."""
    return LodgeDeclaration(
        declaration_number=unique("220300ATA"),
        carnet_number=carnet_number,
        regime="2600",
        customs_office=BORDER,
        declarant=holder_of(carnet_number),
        lines=(LineQuantity(line_no=1, quantity=quantity),),
    )


async def only_outcome(client: HubClient, command: Envelope[Any], wait_s: float = 30) -> Envelope[Any]:
    """The one event answering a command (a first use of a carnet also records the carnet)."""
    events = [e for e in await client.outcome(command, wait_s=wait_s) if e.type != "CarnetRecorded"]
    assert len(events) == 1, [e.type for e in events]
    return events[0]


async def eventually(check: Any, wait_s: float = 15, every_s: float = 0.2) -> Any:
    """Poll an async check until it returns something truthy."""
    async with asyncio.timeout(wait_s):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(every_s)


def signature_of(value: bytes, sender: str = FRONTEND) -> str:
    """`value` signed as the sending system `sender` signs (its development key: the stack's registry has it)."""
    return sign(value, ensure_dev_senders().key(sender))


def signed_headers(message: Envelope[Any], sender: str = FRONTEND) -> dict[str, str]:
    """A command's headers as its sender writes them, signature included."""
    return {**message.headers(), SIGNATURE_HEADER: signature_of(message.encode(), sender)}


async def produce_raw(
    bootstrap: str,
    topic: str,
    value: bytes,
    key: bytes,
    headers: dict[str, str] | None = None,
    *,
    signed_by: str | None = FRONTEND,
) -> Any:
    """Bytes as any producer could write them (not through the hub's client); the broker's metadata.

    On a topic whose records must be signed, the bytes are signed by `signed_by` (None: not signed),
    so that what the test sends reaches the check it is about, past the signature's.
    """
    headers = dict(headers or {})
    if signed_by is not None and topic in catalog().names and catalog().topic(topic).signed:
        headers[SIGNATURE_HEADER] = signature_of(value, signed_by)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(ADMIN), acks="all")
    await producer.start()
    try:
        encoded = [(k, v.encode()) for k, v in headers.items()]
        return await producer.send_and_wait(topic, value, key=key, headers=encoded)
    finally:
        await producer.stop()


def one_partition_topic(name: str) -> TopicSpec:
    """A topic of a test's own, carrying LodgeDeclaration on one partition (so one poll sees it all)."""
    return TopicSpec(
        name=name,
        description="test topic",
        partitions=1,
        replication_factor=1,
        cleanup_policy="delete",
        retention_ms=3600000,
        key="carnet_number",
        messages={"LodgeDeclaration": "schemas/json/LodgeDeclaration.v1.json"},
        producers=("test",),
        consumers=("test",),
    )
