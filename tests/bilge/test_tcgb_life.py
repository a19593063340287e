"""The life of import and export TCGBs from BİLGE (A2): the simulator's generator, its documents against
tcgb-durum.xsd, and what the adapter makes of them, or refuses (issue 14, part 2)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from adapters.bilge.service import decode_inbound
from adapters.bilge.simulator import sample_tcgb_xml
from adapters.bilge.tcgb_life import (
    DEFAULT_START,
    MAX_RECORDS_PER_DOCUMENT,
    status_document,
    status_documents,
    tcgb_lives,
    tcgb_stage_events,
)
from adapters.bilge.tcgb_stages import TcgbStatusBatch, parse_tcgb_statuses, stage_event_id
from adapters.bilge.xml import MAX_TCGB_BYTES, ParsedTcgb
from hub.contract.messages.envelope import UndecodableMessage
from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from hub.domain.model import OfficeKind
from hub.domain.offices import OfficeRegistry
from hub.runtime.xmlsafe import XmlRejected

ORDER = list(TcgbStage)  # registered, channel_assigned, examined, paid, released, exited


def _one_document(stages: list[TcgbStageReached]) -> bytes:
    return status_document(stages, transaction_id="T-1", sent_at=stages[-1].reached_at)


@pytest.fixture(scope="module")
def stream() -> list[TcgbStageReached]:
    return tcgb_stage_events(2000, seed=7)


def test_a2_generator_covers_both_directions_every_channel_and_several_offices(
    stream: list[TcgbStageReached],
) -> None:
    registered = [s for s in stream if s.stage is TcgbStage.REGISTERED]
    assert len(registered) == 2000 and len({s.tcgb_number for s in stream}) == 2000
    directions = Counter(s.direction for s in registered)
    assert directions[TcgbDirection.IMPORT] > 900 and directions[TcgbDirection.EXPORT] > 700
    channels = Counter(s.channel for s in stream if s.stage is TcgbStage.CHANNEL_ASSIGNED)
    assert set(channels) == set(TcgbChannel)
    shares = {channel: round(n / 2000, 2) for channel, n in channels.items()}  # about 60/25/10/5
    assert 0.55 < shares[TcgbChannel.GREEN] < 0.65 and 0.21 < shares[TcgbChannel.YELLOW] < 0.29
    assert 0.07 < shares[TcgbChannel.RED] < 0.13 and 0.03 < shares[TcgbChannel.BLUE] < 0.07
    assert len({s.customs_office for s in registered}) >= 8
    assert all(s.regime not in ("5800", "2600", "3158", "6326") for s in registered)  # never an ATA regime


def test_a2_every_generated_life_is_in_a_valid_stage_order(stream: list[TcgbStageReached]) -> None:
    lives: dict[str, list[TcgbStageReached]] = defaultdict(list)
    for stage in stream:
        lives[stage.tcgb_number].append(stage)
    borders = {o.code for o in OfficeRegistry.shipped() if o.kind is OfficeKind.BORDER}
    for life in lives.values():
        stages = [s.stage for s in life]
        assert stages == sorted(stages, key=ORDER.index) and len(set(stages)) == len(stages)
        assert [s.reached_at for s in life] == sorted({s.reached_at for s in life})  # strictly in time
        assert len({(s.tcgb_number, s.direction, s.regime, s.customs_office) for s in life}) == 1
        channel = life[1].channel
        assert stages[:2] == [TcgbStage.REGISTERED, TcgbStage.CHANNEL_ASSIGNED] and channel is not None
        assert (TcgbStage.EXAMINED in stages) == (channel in (TcgbChannel.YELLOW, TcgbChannel.RED))
        head = life[0]
        if head.direction is TcgbDirection.IMPORT:
            assert stages[-2:] == [TcgbStage.PAID, TcgbStage.RELEASED] and head.consignee_vkn is not None
        else:
            exit_ = life[-1]
            assert stages[-1] is TcgbStage.EXITED and TcgbStage.PAID not in stages and head.consignor_vkn
            assert (exit_.office or head.customs_office) in borders  # the goods leave at a border office


def test_a2_red_examinations_take_longer_than_yellow_document_checks(stream: list[TcgbStageReached]) -> None:
    channel = {s.tcgb_number: s for s in stream if s.stage is TcgbStage.CHANNEL_ASSIGNED}
    took: dict[TcgbChannel, list[timedelta]] = defaultdict(list)
    for s in stream:
        if s.stage is TcgbStage.EXAMINED:
            assigned = channel[s.tcgb_number]
            assert assigned.channel is not None
            took[assigned.channel].append(s.reached_at - assigned.reached_at)
    median = {c: sorted(t)[len(t) // 2] for c, t in took.items()}
    assert timedelta(minutes=20) < median[TcgbChannel.YELLOW] < timedelta(hours=2)
    assert timedelta(hours=2) < median[TcgbChannel.RED] < timedelta(hours=8)


def test_a2_generator_is_deterministic_and_cut_at_until() -> None:
    assert tcgb_stage_events(50, seed=3) == tcgb_stage_events(50, seed=3) != tcgb_stage_events(50, seed=4)
    until = DEFAULT_START + timedelta(hours=12)
    cut = tcgb_stage_events(300, seed=3, until=until)
    whole = tcgb_stage_events(300, seed=3)
    assert cut == [s for s in whole if s.reached_at <= until] and len(cut) < len(whole)
    lives = list(tcgb_lives(300, seed=3, until=until))
    assert sum(map(len, lives)) == len(cut) and any(0 < len(life) < 4 for life in lives)  # some under way


def test_a2_the_first_firms_trade_most_and_given_firms_are_used() -> None:
    firms = ["3841022679", "1111111111", "2222222222"]
    stages = tcgb_stage_events(600, seed=1, firms=firms)
    ours = Counter(
        s.consignee_vkn if s.direction is TcgbDirection.IMPORT else s.consignor_vkn
        for s in stages
        if s.stage is TcgbStage.REGISTERED
    )
    assert set(ours) == set(firms) and ours[firms[0]] > ours[firms[1]] > ours[firms[2]]


def test_a2_simulator_documents_are_valid_and_read_back_as_generated(stream: list[TcgbStageReached]) -> None:
    documents = list(status_documents(stream, prefix="SIM-7", batch_size=MAX_RECORDS_PER_DOCUMENT))
    assert [number for number, _ in documents] == ["SIM-7-1", "SIM-7-2"]
    read = [stage for _, body in documents for stage in parse_tcgb_statuses(body).stages]
    assert read == stream
    full = documents[0][1]  # 5,000 records: well within the intake's limit
    assert len(full) < MAX_TCGB_BYTES / 2


def test_a2_inbound_documents_are_told_apart_by_their_root() -> None:
    life = tcgb_stage_events(3, seed=2)
    batch = decode_inbound(_one_document(life))
    assert isinstance(batch, TcgbStatusBatch) and batch.transaction_id == "T-1" and batch.stages == tuple(life)
    tcgb = decode_inbound(sample_tcgb_xml("26220100IM000123", "4000", "220100", []))
    assert isinstance(tcgb, ParsedTcgb)


def test_a2_stage_event_ids_are_derived_from_tcgb_and_stage() -> None:
    a = stage_event_id("26220100IM000123", TcgbStage.RELEASED)
    assert a == stage_event_id("26220100IM000123", TcgbStage.RELEASED)
    others = {
        stage_event_id("26220100IM000123", TcgbStage.PAID),
        stage_event_id("26220100IM000124", TcgbStage.RELEASED),
    }
    assert a not in others and len(others) == 2
    # As docs/decisions.md publishes it: uuid5 of the namespace and "<TCGB number>|<stage>".
    assert a == uuid.uuid5(uuid.UUID("5d1f0a4e-7c2b-4b8e-9a51-2f6c3e8d7b14"), "26220100IM000123|released")


def _document(records: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<TcgbDurumBildirimi xmlns="urn:gtb:bilge:tcgb-durum:1" surum="1.0">'
        "<IslemNo>T-9</IslemNo><IslemZamani>2026-12-02T10:00:00+03:00</IslemZamani>"
        f"<DurumKayitlari>{records}</DurumKayitlari></TcgbDurumBildirimi>"
    ).encode()


def _record(stage: str = "TESCIL_EDILDI", *, direction: str = "ITHALAT", extra: str = "", kanal: str = "") -> str:
    return (
        "<DurumKaydi><BeyannameNo>26220100IM000123</BeyannameNo>"
        f"<Yon>{direction}</Yon><Rejim>4000</Rejim><GumrukIdaresi>220100</GumrukIdaresi>"
        f"<AliciVergiNo>3841022679</AliciVergiNo>{extra}<Durum>{stage}</Durum>"
        f"<DurumZamani>2026-12-02T09:00:00+03:00</DurumZamani>{kanal}</DurumKaydi>"
    )


def test_a2_a_hand_written_document_is_read() -> None:
    batch = parse_tcgb_statuses(_document(_record() + _record("KANAL_BELIRLENDI", kanal="<Kanal>KIRMIZI</Kanal>")))
    first, second = batch.stages
    assert (first.tcgb_number, first.direction, first.consignee_vkn, first.consignor_vkn, first.stage) == (
        "26220100IM000123", TcgbDirection.IMPORT, "3841022679", None, TcgbStage.REGISTERED,
    )  # fmt: skip
    assert first.reached_at == datetime.fromisoformat("2026-12-02T06:00:00+00:00") and first.channel is None
    assert (second.stage, second.channel) == (TcgbStage.CHANNEL_ASSIGNED, TcgbChannel.RED)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (_document(""), "schema-invalid"),  # no record
        (_document(_record("ARANDI")), "schema-invalid"),  # a status BİLGE does not have
        (_document(_record(direction="TRANSIT")), "schema-invalid"),
        (_document(_record(kanal="<Kanal>MOR</Kanal>")), "schema-invalid"),
        (_document(_record(extra="<GondericiVergiNo>12345</GondericiVergiNo>")), "schema-invalid"),
        (_document(_record().replace("+03:00", "")), "schema-invalid"),  # a time without its offset
        (_document(_record() * (MAX_RECORDS_PER_DOCUMENT + 1)), "schema-invalid"),  # over the bound
        (_document(_record("KANAL_BELIRLENDI")), "inconsistent: record 1 (26220100IM000123 KANAL_BELIRLENDI) without"),
        (
            _document(_record(kanal="<Kanal>YESIL</Kanal>")),
            "inconsistent: record 1 (26220100IM000123 TESCIL_EDILDI) with ",
        ),
        (_document(_record("CIKIS_YAPILDI")), "inconsistent: record 1 (26220100IM000123 CIKIS_YAPILDI): an import"),
        (
            _document(_record()).replace(b"<IslemNo>", b"<!DOCTYPE r [<!ENTITY x 'y'>]><IslemNo>"),
            "hostile: a DOCTYPE is not allowed",
        ),  # a DOCTYPE anywhere is refused before parsing
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            + _document(_record())[len(b'<?xml version="1.0" encoding="UTF-8"?>') :].replace(b"T-9", b"&b;"),
            "hostile: a DOCTYPE is not allowed",
        ),  # an entity bomb
        (
            b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd">'
            + _document(_record())[len(b'<?xml version="1.0" encoding="UTF-8"?>') :],
            "hostile",
        ),  # an external DTD
    ],
)
def test_a2_bad_or_hostile_documents_are_refused_with_a_reason(document: bytes, reason: str) -> None:
    with pytest.raises(XmlRejected) as refused:
        parse_tcgb_statuses(document)
    assert refused.value.reason.startswith(reason), refused.value.reason
    with pytest.raises(UndecodableMessage, match="^BİLGE document rejected: " + reason[:10]):
        decode_inbound(document)  # the adapter dead-letters it with the reason


def test_a2_a_document_over_the_intakes_limit_is_refused_before_parsing() -> None:
    document = _document(_record())
    huge = document.replace(b"</DurumKayitlari>", b" " * MAX_TCGB_BYTES + b"</DurumKayitlari>")
    with pytest.raises(UndecodableMessage, match="oversize"):
        decode_inbound(huge)
