"""BİLGE's ``<TcgbDurumBildirimi>`` (``schemas/bilge/tcgb-durum.xsd``): the life of import and export
TCGBs, a batch of status records, read into :class:`~hub.domain.bilge.TcgbStageReached` (A1, A2).

BİLGE's statuses and the stages the hub makes of them (docs/decisions.md, "TCGB life from BİLGE"):

    TESCIL_EDILDI → registered        KANAL_BELIRLENDI → channel_assigned
    MUAYENE_TAMAMLANDI → examined     ODEME_YAPILDI → paid
    SERBEST_BIRAKILDI → released      CIKIS_YAPILDI → exited

A document is taken or refused whole, like every BİLGE document: hostile, malformed or
schema-invalid bytes, and valid ones that break what XSD 1.0 cannot say (a channel off its status,
an exit on an import), raise :class:`~hub.runtime.xmlsafe.XmlRejected`; the adapter dead-letters them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError

from adapters.bilge.xml import MAX_TCGB_BYTES, SCHEMA_DIR
from hub.contract.messages.envelope import Envelope, envelope
from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from hub.runtime.xmlsafe import XmlRejected, load_schema, parse_untrusted

__all__ = [
    "MAX_STATUS_RECORDS",
    "NS_TCGB_STATUS",
    "STATUS_ROOT",
    "TCGB_STAGE_EVENTS",
    "TCGB_STATUS_SCHEMA_PATH",
    "TcgbStatusBatch",
    "parse_tcgb_statuses",
    "stage_envelope",
    "stage_event_id",
    "statuses_from",
    "tcgb_flow_id",
]

NS_TCGB_STATUS: Final = "urn:gtb:bilge:tcgb-durum:1"
TCGB_STATUS_SCHEMA_PATH: Final = SCHEMA_DIR / "tcgb-durum.xsd"
STATUS_ROOT: Final = f"{{{NS_TCGB_STATUS}}}TcgbDurumBildirimi"
MAX_STATUS_RECORDS: Final = 5000  # tcgb-durum.xsd's maxOccurs of DurumKaydi

# The namespace of the message ids of TcgbStageReached: uuid5(TCGB_STAGE_EVENTS, "<TCGB number>|<stage>"),
# e.g. "26220100IM000123|released". Published (docs/messages.md, docs/decisions.md): an integrator
# can compute the id of any TCGB's stage event.
TCGB_STAGE_EVENTS: Final = uuid.UUID("5d1f0a4e-7c2b-4b8e-9a51-2f6c3e8d7b14")

_DIRECTIONS: Final = {"ITHALAT": TcgbDirection.IMPORT, "IHRACAT": TcgbDirection.EXPORT}
_STAGES: Final = {
    "TESCIL_EDILDI": TcgbStage.REGISTERED,
    "KANAL_BELIRLENDI": TcgbStage.CHANNEL_ASSIGNED,
    "MUAYENE_TAMAMLANDI": TcgbStage.EXAMINED,
    "ODEME_YAPILDI": TcgbStage.PAID,
    "SERBEST_BIRAKILDI": TcgbStage.RELEASED,
    "CIKIS_YAPILDI": TcgbStage.EXITED,
}
_CHANNELS: Final = {
    "YESIL": TcgbChannel.GREEN,
    "SARI": TcgbChannel.YELLOW,
    "KIRMIZI": TcgbChannel.RED,
    "MAVI": TcgbChannel.BLUE,
}


def stage_event_id(tcgb_number: str, stage: TcgbStage) -> uuid.UUID:
    """The message id of a TCGB's stage event: the same stage of the same TCGB is one event, however
    often BİLGE sends it (A2)."""
    return uuid.uuid5(TCGB_STAGE_EVENTS, f"{tcgb_number}|{stage.value}")


def tcgb_flow_id(tcgb_number: str) -> uuid.UUID:
    """The correlation id every stage event of one TCGB shares: its life is one flow."""
    return uuid.uuid5(TCGB_STAGE_EVENTS, tcgb_number)


def stage_envelope(stage: TcgbStageReached) -> Envelope[TcgbStageReached]:
    """A stage as the adapter publishes it on `bilge.tcgb.events`: keyed by its TCGB (topics.yaml), occurred
    when BİLGE recorded it, its id derived from TCGB and stage and its correlation id from the TCGB, so
    the same stage is one event however often it is sent (A2)."""
    return envelope(
        stage,
        carnet_number=stage.tcgb_number,
        occurred_at=stage.reached_at,
        message_id=stage_event_id(stage.tcgb_number, stage.stage),
        correlation_id=tcgb_flow_id(stage.tcgb_number),
    )


@dataclass(frozen=True, slots=True)
class TcgbStatusBatch:
    """A ``<TcgbDurumBildirimi>``: BİLGE's transaction and the stages its records say were reached."""

    transaction_id: str  # IslemNo
    sent_at: datetime  # IslemZamani
    stages: tuple[TcgbStageReached, ...]  # in document order


def parse_tcgb_statuses(data: bytes, *, max_bytes: int = MAX_TCGB_BYTES) -> TcgbStatusBatch:
    """Parse and validate a ``<TcgbDurumBildirimi>`` BİLGE sent. Raises :class:`XmlRejected`."""
    root = parse_untrusted(data, max_bytes=max_bytes)
    if root.tag != STATUS_ROOT:
        raise XmlRejected(f"unexpected document: <{root.tag}> where <TcgbDurumBildirimi> belongs")
    return statuses_from(root)


def statuses_from(root: Any) -> TcgbStatusBatch:
    """A parsed (hardened) ``<TcgbDurumBildirimi>``, validated against its XSD, then read."""
    load_schema(TCGB_STATUS_SCHEMA_PATH).validate(root)
    ns = f"{{{NS_TCGB_STATUS}}}"
    stages = []
    for number, kayit in enumerate(root.find(f"{ns}DurumKayitlari").iterfind(f"{ns}DurumKaydi"), start=1):
        values = {child.tag[len(ns) :]: " ".join((child.text or "").split()) for child in kayit}
        stages.append(_stage(values, number))
    return TcgbStatusBatch(
        transaction_id=" ".join(root.findtext(f"{ns}IslemNo").split()),
        sent_at=datetime.fromisoformat(root.findtext(f"{ns}IslemZamani").strip()),
        stages=tuple(stages),
    )


def _stage(values: dict[str, str], record: int) -> TcgbStageReached:
    where = f"record {record} ({values['BeyannameNo']} {values['Durum']})"
    stage = _STAGES[values["Durum"]]
    direction = _DIRECTIONS[values["Yon"]]
    channel = values.get("Kanal")
    if (channel is not None) != (stage is TcgbStage.CHANNEL_ASSIGNED):
        told = "without its Kanal" if channel is None else "with a Kanal, which only KANAL_BELIRLENDI has"
        raise XmlRejected(f"inconsistent: {where} {told}")
    if stage is TcgbStage.EXITED and direction is TcgbDirection.IMPORT:
        raise XmlRejected(f"inconsistent: {where}: an import (ITHALAT) does not exit Türkiye")
    try:
        return TcgbStageReached(
            tcgb_number=values["BeyannameNo"],
            direction=direction,
            regime=values["Rejim"],
            customs_office=values["GumrukIdaresi"],
            consignee_vkn=values.get("AliciVergiNo"),
            consignor_vkn=values.get("GondericiVergiNo"),
            stage=stage,
            reached_at=datetime.fromisoformat(values["DurumZamani"]),
            office=values.get("DurumIdaresi"),
            channel=_CHANNELS[channel] if channel is not None else None,
        )
    except ValidationError as exc:  # valid against the schema yet not a stage the hub can hold
        first = exc.errors()[0]
        raise XmlRejected(f"inconsistent: {where}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
