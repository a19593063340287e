"""adapters.bilge.xml: BİLGE's documents to and from the hub's models, and hostile documents refused."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from adapters.bilge.simulator import DEFAULT_FIXTURES, sample_tcgb_xml
from adapters.bilge.xml import (
    CLOSURE_SCHEMA_PATH,
    NS_LEGACY,
    NS_TCGB_ANSWER,
    TCGB_ANSWER_SCHEMA_PATH,
    closure_request_xml,
    drawdowns_by_carnet,
    parse_closure_answer,
    parse_legacy_answer,
    parse_summary_answer,
    parse_tcgb,
    parse_tcgb_receipt,
    tcgb_answer_xml,
)
from hub.domain.bilge import (
    DrawDownByTcgb,
    LegacyLine,
    SummaryClosureRequested,
    SummaryOpening,
    SummaryPart,
    TcgbAnswered,
    TcgbItemAnswer,
    TcgbRow,
)
from hub.runtime.xmlsafe import XmlRejected, load_schema, parse_and_validate

# A final import (4000) at Kapıkule drawing down two e-ATA/TR declarations of two carnets; item 2
# is ordinary goods, not under a carnet.
TCGB = """<?xml version="1.0" encoding="UTF-8"?>
<Tcgb xmlns="urn:gtb:bilge:tcgb:1" surum="1.0">
  <IslemNo>BLG-7f3a-0001</IslemNo>
  <IslemZamani>2026-11-21T10:15:00+03:00</IslemZamani>
  <BeyannameNo>26220100IM000123</BeyannameNo>
  <Rejim>4000</Rejim>
  <GumrukIdaresi>220100</GumrukIdaresi>
  <TescilTarihi>2026-11-21</TescilTarihi>
  <KapAdedi>5</KapAdedi>
  <EsyaninBulunduguYer>Kapıkule TIR parkı geçici depolama yeri</EsyaninBulunduguYer>
  <Kalemler>
    <Kalem>
      <KalemNo>1</KalemNo>
      <Gtip>940540390000</Gtip>
      <TicariTanim>LED hareketli başlıklı spot ışık</TicariTanim>
      <Miktar birim="C62">4</Miktar>
      <BrutAgirlik>96.000</BrutAgirlik>
      <NetAgirlik>88.000</NetAgirlik>
      <IstatistikiKiymet>13850.00</IstatistikiKiymet>
      <TcgbAcma>
        <BeyannameNo>220100ATA12345601</BeyannameNo>
        <KarneNo>DE/2025/A-118804</KarneNo>
        <KalemNo>1</KalemNo>
        <Miktar>4</Miktar>
        <Aciklama>Kati ithalat: fuar sonrası satış</Aciklama>
      </TcgbAcma>
    </Kalem>
    <Kalem>
      <KalemNo>2</KalemNo>
      <Gtip>392690979000</Gtip>
      <TicariTanim>Plastik kablo kanalı</TicariTanim>
      <Miktar birim="MTR">120.5</Miktar>
      <BrutAgirlik>30.000</BrutAgirlik>
      <NetAgirlik>28.500</NetAgirlik>
      <IstatistikiKiymet>410.00</IstatistikiKiymet>
    </Kalem>
    <Kalem>
      <KalemNo>3</KalemNo>
      <Gtip>900659000000</Gtip>
      <TicariTanim>Sinema kamerası ve ışık paneli</TicariTanim>
      <Miktar birim="C62">3</Miktar>
      <BrutAgirlik>30.000</BrutAgirlik>
      <NetAgirlik>25.000</NetAgirlik>
      <IstatistikiKiymet>26500.00</IstatistikiKiymet>
      <TcgbAcma>
        <BeyannameNo>220100ATA55500102</BeyannameNo>
        <KarneNo>TR/2026/000123</KarneNo>
        <KalemNo>1</KalemNo>
        <Miktar>1</Miktar>
      </TcgbAcma>
      <TcgbAcma>
        <BeyannameNo>220100ATA12345601</BeyannameNo>
        <KarneNo>DE/2025/A-118804</KarneNo>
        <KalemNo>2</KalemNo>
        <Miktar>1</Miktar>
      </TcgbAcma>
      <TcgbAcma>
        <BeyannameNo>220100ATA55500102</BeyannameNo>
        <KarneNo>TR/2026/000123</KarneNo>
        <KalemNo>2</KalemNo>
        <Miktar>2</Miktar>
      </TcgbAcma>
    </Kalem>
  </Kalemler>
</Tcgb>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Tcgb [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + TCGB.split("?>", 1)[1].replace(
    "<EsyaninBulunduguYer>Kapıkule TIR parkı geçici depolama yeri</EsyaninBulunduguYer>",
    "<EsyaninBulunduguYer>&lol9;</EsyaninBulunduguYer>",
).encode("utf-8")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Tcgb [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
""" + TCGB.split("?>", 1)[1].replace(
    "<EsyaninBulunduguYer>Kapıkule TIR parkı geçici depolama yeri</EsyaninBulunduguYer>",
    "<EsyaninBulunduguYer>&xxe;</EsyaninBulunduguYer>",
).encode("utf-8")


def _tcgb(old: str, new: str) -> bytes:
    assert old in TCGB, old
    return TCGB.replace(old, new, 1).encode("utf-8")


# --- TCGB in --------------------------------------------------------------------------------------


def test_f1_tcgb_header_and_items_are_parsed() -> None:
    # rule: F1 - a TCGB lodged in BİLGE references e-ATA/TR declarations on its "TCGB Açmalar"
    parsed = parse_tcgb(TCGB.encode("utf-8"))

    header = parsed.header
    assert (header.number, header.regime, header.customs_office) == ("26220100IM000123", "4000", "220100")
    assert header.registered_on == date(2026, 11, 21)
    assert (header.transaction_id, header.packages) == ("BLG-7f3a-0001", 5)
    assert header.goods_location == "Kapıkule TIR parkı geçici depolama yeri"
    assert header.carnet_number is None
    assert [item.item_no for item in parsed.items] == [1, 2, 3]
    first = parsed.items[0]
    assert (first.tariff_code, first.unit, first.quantity) == ("940540390000", "C62", Decimal("4"))
    assert (first.gross_kg, first.net_kg, first.statistical_value_usd) == (
        Decimal("96.000"),
        Decimal("88.000"),
        Decimal("13850.00"),
    )
    assert first.openings[0].note == "Kati ithalat: fuar sonrası satış"
    assert parsed.items[1].openings == () and parsed.items[1].quantity == Decimal("120.5")
    assert [(r.item_no, r.declaration_number, r.line_no, r.quantity) for r in parsed.rows] == [
        (1, "220100ATA12345601", 1, 4),
        (3, "220100ATA55500102", 1, 1),
        (3, "220100ATA12345601", 2, 1),
        (3, "220100ATA55500102", 2, 2),
    ]


def test_f1_f2_drawdowns_are_grouped_by_carnet() -> None:
    # rule: F1, F2 - one drawing-down per carnet the TCGB names, rows in the TCGB's order
    drawdowns = drawdowns_by_carnet(parse_tcgb(TCGB.encode("utf-8")))

    assert list(drawdowns) == ["DE/2025/A-118804", "TR/2026/000123"]
    german = drawdowns["DE/2025/A-118804"]
    assert german == DrawDownByTcgb(
        tcgb_number="26220100IM000123",
        regime="4000",
        customs_office="220100",
        registered_on=date(2026, 11, 21),
        rows=(
            TcgbRow(
                item_no=1,
                declaration_number="220100ATA12345601",
                line_no=1,
                quantity=4,
                note="Kati ithalat: fuar sonrası satış",
            ),
            TcgbRow(item_no=3, declaration_number="220100ATA12345601", line_no=2, quantity=1),
        ),
    )
    turkish = drawdowns["TR/2026/000123"]
    assert [(r.item_no, r.line_no, r.quantity) for r in turkish.rows] == [(3, 1, 1), (3, 2, 2)]
    assert {r.declaration_number for r in turkish.rows} == {"220100ATA55500102"}


def test_f1_tcgb_without_ata_rows_draws_nothing_down() -> None:
    # rule: F1, L2 - a 5800 BİLGE took after the cut-over names its carnet in the header, draws nothing
    data = sample_tcgb_xml(
        "22343300IM000901", "5800", "343300", [], registered_on=date(2022, 4, 1), carnet_number="FR/2022/B-000318"
    )
    parsed = parse_tcgb(data)
    assert parsed.header.carnet_number == "FR/2022/B-000318"
    assert parsed.header.regime == "5800" and parsed.rows == ()
    assert drawdowns_by_carnet(parsed) == {}


def test_f1_sample_tcgb_round_trips() -> None:
    # rule: F1
    data = sample_tcgb_xml(
        "26220100IM000777",
        "7100",
        "220100",
        [
            (1, "220100ATA1", "DE/2025/A-118804", 1, 3),
            (1, "220100ATA1", "DE/2025/A-118804", 2, 1),
            (2, "X-9", "TR/2026/000457", 4, 2),
        ],
        registered_on=date(2026, 11, 20),
    )
    parsed = parse_tcgb(data)
    assert (parsed.header.regime, parsed.header.registered_on) == ("7100", date(2026, 11, 20))
    assert [(item.item_no, item.quantity, len(item.openings)) for item in parsed.items] == [
        (1, Decimal("4"), 2),
        (2, Decimal("2"), 1),
    ]
    assert {carnet: len(d.rows) for carnet, d in drawdowns_by_carnet(parsed).items()} == {
        "DE/2025/A-118804": 2,
        "TR/2026/000457": 1,
    }


@pytest.mark.parametrize(
    ("data", "reason_start", "mentions"),
    [
        (b"<Tcgb xmlns='urn:gtb:bilge:tcgb:1'><BeyannameNo>", "malformed", ""),
        (b"", "malformed", "empty"),
        (_tcgb("<Gtip>940540390000</Gtip>", "<Gtip>9405403900</Gtip>"), "schema-invalid", "Gtip"),
        (
            _tcgb("<BeyannameNo>26220100IM000123</BeyannameNo>", "<BeyannameNo>2622IM123</BeyannameNo>"),
            "schema-invalid",
            "BeyannameNo",
        ),
        (
            _tcgb("<KalemNo>2</KalemNo>\n      <Gtip>392690979000", "<KalemNo>1</KalemNo>\n      <Gtip>392690979000"),
            "schema-invalid",
            "TekilKalemNo",
        ),
        (
            _tcgb(
                "<KalemNo>2</KalemNo>\n        <Miktar>2</Miktar>", "<KalemNo>1</KalemNo>\n        <Miktar>2</Miktar>"
            ),
            "schema-invalid",
            "TekilAcma",
        ),
        (
            _tcgb("<Miktar>4</Miktar>\n        <Aciklama>", "<Miktar>0</Miktar>\n        <Aciklama>"),
            "schema-invalid",
            "Miktar",
        ),
        (_tcgb("<KarneNo>TR/2026/000123</KarneNo>", "<KarneNo>TR 2026 000123</KarneNo>"), "schema-invalid", "KarneNo"),
        (_tcgb("<Rejim>4000</Rejim>", "<Rejim>4000</Rejim><Gizli>x</Gizli>"), "schema-invalid", "Gizli"),
        (BILLION_LAUGHS, "hostile", "DOCTYPE"),
        (XXE, "hostile", "DOCTYPE"),
        (
            TCGB.replace("urn:gtb:bilge:tcgb:1", "urn:gtb:bilge:tcgb-yanit:1").encode("utf-8"),
            "schema-invalid",
            "",
        ),
    ],
    ids=[
        "malformed",
        "empty",
        "gtip-10-digits",
        "bilge-number-pattern",
        "duplicate-item",
        "duplicate-row-in-item",
        "zero-quantity",
        "carnet-number-pattern",
        "unknown-element",
        "billion-laughs",
        "xxe-etc-passwd",
        "other-namespace",
    ],
)
def test_f1_hostile_or_invalid_tcgb_is_rejected_with_a_reason(data: bytes, reason_start: str, mentions: str) -> None:
    # rule: F1 - a TCGB the hub cannot trust draws nothing down: rejected (the caller dead-letters)
    with pytest.raises(XmlRejected) as caught:
        parse_tcgb(data)
    assert caught.value.reason.startswith(reason_start), caught.value.reason
    assert mentions in caught.value.reason
    assert "root:" not in caught.value.reason  # nothing read from /etc/passwd


def test_f1_oversize_tcgb_is_rejected_before_parsing() -> None:
    # rule: F1
    data = TCGB.replace("</Tcgb>", "<!--" + "x" * 4096 + "--></Tcgb>").encode("utf-8")
    with pytest.raises(XmlRejected, match=r"^oversize: \d+ bytes, more than the 2048 allowed"):
        parse_tcgb(data, max_bytes=2048)


def test_answer_document_is_not_taken_for_a_tcgb() -> None:
    # A valid document of another kind, from the same family schema, is not the one expected.
    answered = TcgbAnswered(
        tcgb_number="26220100IM000123",
        accepted=True,
        items=(TcgbItemAnswer(item_no=1, declaration_number="A-1", line_no=1, accepted=True),),
    )
    with pytest.raises(XmlRejected, match=r"unexpected document: <TcgbYanit> where <TcgbYanitAlindi> belongs"):
        parse_tcgb_receipt(tcgb_answer_xml(answered))


# --- legacy declaration answer (L1, L2) -------------------------------------------------------------


def _legacy_answer(number: str, *, result: str = "BULUNDU", record: str | None = None) -> bytes:
    """A BeyannameSorguYanit around a fixture record (or ``record`` as given)."""
    if record is None and result == "BULUNDU":
        fixtures = etree.fromstring((DEFAULT_FIXTURES / "beyannameler.xml").read_bytes())
        found = next(
            b
            for b in fixtures.iterfind(f"{{{NS_LEGACY}}}Beyanname")
            if b.findtext(f"{{{NS_LEGACY}}}BeyannameNo") == number
        )
        record = etree.tostring(found, encoding="unicode")
    return (
        f'<BeyannameSorguYanit xmlns="{NS_LEGACY}" surum="1.0"><IslemNo>t1</IslemNo>'
        f"<IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
        f"<SorgulananBeyannameNo>{number}</SorgulananBeyannameNo><Sonuc>{result}</Sonuc>{record or ''}"
        f"</BeyannameSorguYanit>"
    ).encode()


def test_l1_legacy_declaration_maps_to_the_model() -> None:
    # rule: L1 - a 5800 lodged in BİLGE before e-ATA/TR, with its carnet and declared lines
    answer = parse_legacy_answer(_legacy_answer("21343300IM000412"))
    assert answer.error is None and answer.requested == "21343300IM000412"
    declaration = answer.declaration
    assert declaration is not None
    assert (declaration.regime, declaration.customs_office, declaration.registered_on) == (
        "5800",
        "343300",
        date(2026, 3, 15),
    )
    assert declaration.carnet.carnet_number == "DE/2021/A-004711"
    assert declaration.carnet.holder_id is None  # a foreign holder
    assert [line.quantity for line in declaration.carnet.goods] == [12, 6, 1]
    assert declaration.lines == (
        LegacyLine(line_no=1, quantity=8),
        LegacyLine(line_no=2, quantity=6),
        LegacyLine(line_no=3, quantity=1),
    )


def test_l1_legacy_line_must_name_a_goods_list_line() -> None:
    # rule: L1 - a declared line that is not on the carnet's goods list cannot be tracked
    data = _legacy_answer("21343300IM000412").replace(b"<KarneSiraNo>3</KarneSiraNo>", b"<KarneSiraNo>9</KarneSiraNo>")
    with pytest.raises(XmlRejected, match=r"schema-invalid.*BeyanEdilenSiraNo"):
        parse_legacy_answer(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_legacy_answer("21343300IM000412", record=""), "BULUNDU without a <Beyanname>"),
        (
            _legacy_answer("21343300IM000412").replace(b"<Sonuc>BULUNDU</Sonuc>", b"<Sonuc>BULUNAMADI</Sonuc>"),
            "BULUNAMADI with a <Beyanname>",
        ),
    ],
)
def test_legacy_answer_contradicting_itself_is_rejected(data: bytes, message: str) -> None:
    with pytest.raises(XmlRejected, match=f"^inconsistent: {message}"):
        parse_legacy_answer(data)


def test_l1_legacy_not_found_and_error_answers() -> None:
    # rule: L1
    not_found = parse_legacy_answer(_legacy_answer("21343300IM999999", result="BULUNAMADI"))
    assert (not_found.requested, not_found.declaration, not_found.error) == ("21343300IM999999", None, None)
    error = parse_legacy_answer(
        f'<BeyannameSorguYanit xmlns="{NS_LEGACY}" surum="1.0"><IslemNo>t2</IslemNo>'
        "<IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
        '<Hata kod="HIZMET_KULLANILAMIYOR">Bakım çalışması</Hata></BeyannameSorguYanit>'.encode()
    )
    assert error.error is not None and (error.error.code, error.error.message) == (
        "HIZMET_KULLANILAMIYOR",
        "Bakım çalışması",
    )


# --- summary answer (S1, S2) ---------------------------------------------------------------------

SUMMARY = """<OzetBeyanSorguYanit xmlns="urn:gtb:bilge:ozet-beyan-sorgu:1" surum="1.0">
  <IslemNo>t3</IslemNo><IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>
  <SorgulananOzetBeyanNo>26220100OB000088</SorgulananOzetBeyanNo><Sonuc>BULUNDU</Sonuc>
  <OzetBeyan>
    <OzetBeyanNo>26220100OB000088</OzetBeyanNo><GumrukIdaresi>220100</GumrukIdaresi>
    <TescilTarihi>2026-11-19</TescilTarihi>
    <TasimaSenetleri>
      <TasimaSenedi>
        <TasimaSenediNo>DE-CMR-884120</TasimaSenediNo><KapAdedi>14</KapAdedi><AcikKapAdedi>10</AcikKapAdedi>
        <TasimaSatirlari>
          <TasimaSatiri><TasimaSatirNo>1</TasimaSatirNo><KapAdedi>10</KapAdedi><AcikKapAdedi>6</AcikKapAdedi></TasimaSatiri>
          <TasimaSatiri><TasimaSatirNo>2</TasimaSatirNo><KapAdedi>4</KapAdedi><AcikKapAdedi>4</AcikKapAdedi></TasimaSatiri>
        </TasimaSatirlari>
      </TasimaSenedi>
      <TasimaSenedi>
        <TasimaSenediNo>DE-CMR-884121</TasimaSenediNo><KapAdedi>2</KapAdedi><AcikKapAdedi>0</AcikKapAdedi>
      </TasimaSenedi>
    </TasimaSenetleri>
  </OzetBeyan>
</OzetBeyanSorguYanit>"""


def test_s1_s2_summary_parts_are_documents_then_their_lines() -> None:
    # rule: S1, S2 - an ATA declaration opens a whole transport document or one line of it
    answer = parse_summary_answer(SUMMARY.encode())
    assert answer.found and answer.customs_office == "220100"
    assert answer.parts == (
        SummaryPart(transport_document="DE-CMR-884120", packages=14, open_packages=10),
        SummaryPart(transport_document="DE-CMR-884120", transport_line=1, packages=10, open_packages=6),
        SummaryPart(transport_document="DE-CMR-884120", transport_line=2, packages=4, open_packages=4),
        SummaryPart(transport_document="DE-CMR-884121", packages=2, open_packages=0),
    )


def test_s2_more_packages_open_than_declared_is_rejected() -> None:
    # rule: S2 - the open count is what openings are checked against: it must be believable
    data = SUMMARY.replace(
        "<KapAdedi>4</KapAdedi><AcikKapAdedi>4</AcikKapAdedi>", "<KapAdedi>4</KapAdedi><AcikKapAdedi>5</AcikKapAdedi>"
    )
    with pytest.raises(XmlRejected, match=r"^inconsistent: DE-CMR-884120 line 2 has 5 packages open of 4 declared"):
        parse_summary_answer(data.encode())


def test_s2_duplicate_transport_line_is_schema_invalid() -> None:
    # rule: S2
    data = SUMMARY.replace("<TasimaSatirNo>2</TasimaSatirNo>", "<TasimaSatirNo>1</TasimaSatirNo>")
    with pytest.raises(XmlRejected, match=r"schema-invalid.*TekilTasimaSatirNo"):
        parse_summary_answer(data.encode())


# --- closure out (S3, S4) --------------------------------------------------------------------------

CLOSURE_ID = uuid.UUID("3b0c1d7e-2f4a-5b6c-8d9e-0a1b2c3d4e5f")


def _closure(**opening: object) -> SummaryClosureRequested:
    fields: dict[str, object] = {
        "summary_number": "26340900OB000214",
        "transport_document": "235-48213375",
        "transport_line": 1,
        "packages": 4,
        "temporary_storage": True,
        "storage_code": "34GDY0117",
    }
    fields.update(opening)
    return SummaryClosureRequested(
        closure_id=CLOSURE_ID,
        declaration_number="340900ATA00042",
        opening=SummaryOpening.model_validate(fields),
    )


def test_s4_closure_request_names_the_part_and_the_storage_exit() -> None:
    # rule: S3, S4 - the ÖB line closes and the goods leave the named temporary storage
    data = closure_request_xml(_closure())
    root = parse_and_validate(data, load_schema(CLOSURE_SCHEMA_PATH))
    ns = {"k": "urn:gtb:bilge:kapanis:1"}
    assert root.tag == "{urn:gtb:bilge:kapanis:1}OzetBeyanKapanisIstegi"
    assert [etree.QName(child).localname for child in root] == [
        "KapanisNo",
        "AtaBeyanNo",
        "OzetBeyanNo",
        "TasimaSenediNo",
        "TasimaSatirNo",
        "KapAdedi",
        "GeciciDepolamaCikisi",
    ]
    assert root.findtext("k:KapanisNo", namespaces=ns) == str(CLOSURE_ID)
    assert root.findtext("k:GeciciDepolamaCikisi/k:DepolamaYeriKodu", namespaces=ns) == "34GDY0117"


def test_s4_closure_of_a_whole_document_outside_storage() -> None:
    # rule: S4
    data = closure_request_xml(_closure(transport_line=None, temporary_storage=False, storage_code=None))
    assert b"TasimaSatirNo" not in data and b"GeciciDepolamaCikisi" not in data


@pytest.mark.parametrize(
    ("storage", "code"), [(True, None), (False, "34GDY0117")], ids=["storage-without-code", "code-without-storage"]
)
def test_s3_inconsistent_storage_never_leaves(storage: bool, code: str | None) -> None:
    # rule: S3 - goods in temporary storage name the storage code, and only they do
    with pytest.raises(XmlRejected, match=r"^inconsistent outbound closure .*\(S3\)"):
        closure_request_xml(_closure(temporary_storage=storage, storage_code=code))


def test_s4_closure_answer_is_parsed() -> None:
    # rule: S4
    data = (
        '<OzetBeyanKapanisYanit xmlns="urn:gtb:bilge:kapanis:1" surum="1.0"><IslemNo>t4</IslemNo>'
        "<IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
        f"<KapanisNo>{CLOSURE_ID}</KapanisNo><OzetBeyanNo>26340900OB000214</OzetBeyanNo>"
        "<Durum>DAHA_ONCE_UYGULANDI</Durum></OzetBeyanKapanisYanit>"
    ).encode()
    answer = parse_closure_answer(data)
    assert (answer.closure_id, answer.summary_number, answer.already_applied) == (
        CLOSURE_ID,
        "26340900OB000214",
        True,
    )


def test_closure_request_is_not_taken_for_its_answer() -> None:
    with pytest.raises(XmlRejected, match=r"^unexpected document"):
        parse_closure_answer(closure_request_xml(_closure()))


# --- TCGB answer out (F2) ------------------------------------------------------------------------


def test_f2_refused_tcgb_answer_carries_reasons_per_row() -> None:
    # rule: F2 - drawing down more than is open is refused and reported back to BİLGE
    long_reason = "x" * 600
    answered = TcgbAnswered(
        tcgb_number="26220100IM000123",
        accepted=False,
        rule="F2",
        items=(
            TcgbItemAnswer(
                item_no=3,
                declaration_number="220100ATA12345601",
                line_no=2,
                accepted=False,
                reason="5 drawn down, only 1 open on 220100ATA12345601 line 2",
            ),
            TcgbItemAnswer(
                item_no=1,
                declaration_number="220100ATA12345601",
                line_no=1,
                accepted=False,
                reason=long_reason,
            ),
            TcgbItemAnswer(item_no=3, declaration_number="220100ATA12345601", line_no=3, accepted=True),
        ),
    )
    root = parse_and_validate(tcgb_answer_xml(answered), load_schema(TCGB_ANSWER_SCHEMA_PATH))
    ns = {"y": NS_TCGB_ANSWER}
    assert root.findtext("y:TcgbNo", namespaces=ns) == "26220100IM000123"
    assert (root.findtext("y:Sonuc", namespaces=ns), root.findtext("y:Kural", namespaces=ns)) == ("RET", "F2")
    kalemler = root.findall("y:Kalemler/y:Kalem", ns)
    assert [k.findtext("y:KalemNo", namespaces=ns) for k in kalemler] == ["3", "1"]  # first appearance
    rows = kalemler[0].findall("y:TcgbAcma", ns)
    assert [(r.findtext("y:KalemNo", namespaces=ns), r.findtext("y:Sonuc", namespaces=ns)) for r in rows] == [
        ("2", "RET"),
        ("3", "KABUL"),
    ]
    assert rows[0].findtext("y:RetNedeni", namespaces=ns) == "5 drawn down, only 1 open on 220100ATA12345601 line 2"
    assert rows[1].find("y:RetNedeni", ns) is None
    cut = kalemler[1].findtext("y:TcgbAcma/y:RetNedeni", namespaces=ns)
    assert cut is not None and len(cut) == 500 and cut.endswith("…")


def test_f2_accepted_tcgb_answer() -> None:
    # rule: F2
    answered = TcgbAnswered(
        tcgb_number="26220100IM000123",
        accepted=True,
        items=(TcgbItemAnswer(item_no=1, declaration_number="220100ATA12345601", line_no=1, accepted=True),),
    )
    data = tcgb_answer_xml(answered)
    assert b"<Sonuc>KABUL</Sonuc>" in data and b"Kural" not in data and b"RetNedeni" not in data


def test_tcgb_answer_without_rows_is_our_bug_and_never_leaves() -> None:
    answered = TcgbAnswered(tcgb_number="26220100IM000123", accepted=True, items=())
    with pytest.raises(XmlRejected, match=r"^schema-invalid outbound document"):
        tcgb_answer_xml(answered)
