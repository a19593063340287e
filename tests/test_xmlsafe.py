"""hub.runtime.xmlsafe: hostile, malformed, oversize and schema-invalid XML are refused with a reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from lxml import etree

import hub.runtime.xmlsafe as xmlsafe
from hub.runtime.http_server import BackgroundServer
from hub.runtime.xmlsafe import (
    DEFAULT_MAX_BYTES,
    XmlRejected,
    XsdSchema,
    load_schema,
    parse_and_validate,
    parse_untrusted,
    serialize_validated,
)

SCHEMA = """\
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:siparis"
           xmlns="urn:test:siparis" elementFormDefault="qualified">
  <xs:element name="Siparis">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="No" type="xs:positiveInteger"/>
        <xs:element name="Not" type="xs:string" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

VALID = b'<?xml version="1.0" encoding="UTF-8"?>\n<Siparis xmlns="urn:test:siparis"><No>7</No></Siparis>'

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Siparis [
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
<Siparis xmlns="urn:test:siparis"><No>1</No><Not>&lol9;</Not></Siparis>"""

SECRET = "GIZLI-7f3a9c"  # what a successful XXE would leak into the tree or an error message


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> XsdSchema:
    path = tmp_path_factory.mktemp("xsd") / "siparis.xsd"
    path.write_text(SCHEMA, encoding="utf-8")
    return load_schema(path)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture
def without_doctype_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off the byte scan, so the document reaches libxml2 and the inner defences are tested."""
    monkeypatch.setattr(xmlsafe, "_DOCTYPE_MARKERS", ())


def _rejected(data: bytes, schema: XsdSchema, **kwargs: int) -> str:
    with pytest.raises(XmlRejected) as caught:
        parse_and_validate(data, schema, **kwargs)
    assert caught.value.reason, "a rejection always carries a reason"
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


def test_valid_document_is_returned_as_its_root(schema: XsdSchema) -> None:
    root = parse_and_validate(VALID, schema)
    assert root.tag == "{urn:test:siparis}Siparis"
    assert root.findtext("{urn:test:siparis}No") == "7"


def test_billion_laughs_is_refused_without_expansion(schema: XsdSchema) -> None:
    started = time.perf_counter()
    reason = _rejected(BILLION_LAUGHS, schema)
    assert reason.startswith("hostile:") and "DOCTYPE" in reason
    assert time.perf_counter() - started < 0.5


@pytest.mark.usefixtures("without_doctype_scan")
def test_billion_laughs_past_the_byte_scan_is_still_refused(schema: XsdSchema) -> None:
    # Second layer: libxml2 sees the DTD but expands nothing; the bomb never goes off.
    started = time.perf_counter()
    _rejected(BILLION_LAUGHS, schema)
    assert time.perf_counter() - started < 0.5


def test_billion_laughs_in_utf16_is_refused(schema: XsdSchema) -> None:
    data = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    assert "hostile:" in _rejected(data.encode("utf-16"), schema)


@pytest.mark.parametrize("doctype_scan", [True, False], ids=["byte-scan", "parser"])
def test_external_entity_is_refused_and_never_read(
    schema: XsdSchema, secret_file: Path, monkeypatch: pytest.MonkeyPatch, doctype_scan: bool
) -> None:
    if not doctype_scan:
        monkeypatch.setattr(xmlsafe, "_DOCTYPE_MARKERS", ())
    for target in ("file:///etc/passwd", secret_file.as_uri()):
        internal = (
            f'<?xml version="1.0"?><!DOCTYPE Siparis [<!ENTITY x SYSTEM "{target}">]>'
            f'<Siparis xmlns="urn:test:siparis"><No>1</No><Not>&x;</Not></Siparis>'
        ).encode()
        parameter = (
            f'<?xml version="1.0"?><!DOCTYPE Siparis [<!ENTITY % p SYSTEM "{target}"> %p;]>'
            f'<Siparis xmlns="urn:test:siparis"><No>1</No></Siparis>'
        ).encode()
        external_subset = (
            f'<?xml version="1.0"?><!DOCTYPE Siparis SYSTEM "{target}">'
            f'<Siparis xmlns="urn:test:siparis"><No>1</No></Siparis>'
        ).encode()
        for data in (internal, parameter, external_subset):
            reason = _rejected(data, schema)
            assert reason.startswith("hostile:"), reason
            assert SECRET not in reason and "root:" not in reason
            # libxml2 names the file in its error when it has read it ("Content error in the
            # external subset (secret.txt, line 1)"): the reason must come from our refusal instead.
            assert "Content error" not in reason


@pytest.mark.usefixtures("without_doctype_scan")
def test_external_dtd_over_the_network_is_never_fetched(schema: XsdSchema) -> None:
    hits: list[str] = []
    app = FastAPI()

    @app.get("/{name}")
    async def dtd(name: str, request: Request) -> Response:
        hits.append(name)
        return Response('<!ENTITY x "leaked">', media_type="application/xml-dtd")

    with BackgroundServer(app) as server:
        for data in (
            f'<!DOCTYPE Siparis SYSTEM "{server.base_url}/evil.dtd"><Siparis xmlns="urn:test:siparis"/>',
            f'<!DOCTYPE S [<!ENTITY x SYSTEM "{server.base_url}/x.txt">]><Siparis xmlns="urn:test:siparis">'
            "<No>1</No><Not>&x;</Not></Siparis>",
        ):
            assert _rejected(data.encode(), schema).startswith("hostile:")
    assert hits == []


@pytest.mark.parametrize(
    "data",
    [
        b"<Siparis xmlns='urn:test:siparis'><No>1</No>",
        b"<Siparis xmlns='urn:test:siparis'><No>1</Not></Siparis>",
        b"<Siparis xmlns='urn:test:siparis'><No>&undefined;</No></Siparis>",
        b"not xml at all",
        b"",
        b"   \n",
    ],
    ids=["unclosed", "mismatched", "undefined-entity", "text", "empty", "blank"],
)
def test_malformed_document_is_refused(schema: XsdSchema, data: bytes) -> None:
    assert _rejected(data, schema).startswith("malformed:")


def test_malformed_reason_gives_the_line(schema: XsdSchema) -> None:
    reason = _rejected(b"<Siparis xmlns='urn:test:siparis'>\n<No>1</No>\n<Not>x</Siparis>", schema)
    assert "line 3" in reason


def test_schema_invalid_document_names_the_first_error_and_its_line(schema: XsdSchema) -> None:
    data = b'<Siparis xmlns="urn:test:siparis">\n  <No>yedi</No>\n  <Fazla/>\n</Siparis>'
    reason = _rejected(data, schema)
    assert reason.startswith("schema-invalid document against siparis.xsd: line 2:")
    assert "No" in reason and "yedi" in reason


def test_oversize_document_is_refused_before_parsing(schema: XsdSchema) -> None:
    padded = VALID + b" " * 100
    assert _rejected(padded, schema, max_bytes=len(padded) - 1).startswith("oversize:")
    assert parse_and_validate(padded, schema, max_bytes=len(padded)) is not None


def test_default_cap_is_five_mebibytes(schema: XsdSchema) -> None:
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    huge = VALID.replace(b"<No>", b"<Not>" + b"a" * DEFAULT_MAX_BYTES + b"</Not><No>")
    assert _rejected(huge, schema).startswith("oversize:")


def test_decoded_text_is_not_accepted() -> None:
    with pytest.raises(TypeError):
        parse_untrusted(VALID.decode())  # type: ignore[arg-type]


def test_comments_and_processing_instructions_are_dropped(schema: XsdSchema) -> None:
    data = b'<Siparis xmlns="urn:test:siparis"><!-- yorum --><?isle bunu?><No>7</No></Siparis>'
    root = parse_and_validate(data, schema)
    assert [child.tag for child in root] == ["{urn:test:siparis}No"]


def test_serialize_validated_returns_utf8_with_declaration(schema: XsdSchema) -> None:
    root = etree.Element("{urn:test:siparis}Siparis", nsmap={None: "urn:test:siparis"})
    etree.SubElement(root, "{urn:test:siparis}No").text = "42"
    etree.SubElement(root, "{urn:test:siparis}Not").text = "Gümrük müşaviri aracılığıyla"
    data = serialize_validated(root, schema)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert parse_and_validate(data, schema).findtext("{urn:test:siparis}Not") == "Gümrük müşaviri aracılığıyla"


def test_serialize_validated_refuses_an_invalid_outbound_document(schema: XsdSchema) -> None:
    root = etree.Element("{urn:test:siparis}Siparis")
    etree.SubElement(root, "{urn:test:siparis}Not").text = "No eksik"
    with pytest.raises(XmlRejected, match=r"^schema-invalid outbound document against siparis\.xsd: line"):
        serialize_validated(root, schema)


def test_load_schema_is_cached_per_path(schema: XsdSchema, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_schema(schema.path)
    assert load_schema(str(schema.path)) is first
    monkeypatch.chdir(schema.path.parent)
    assert load_schema(schema.path.name) is first


def test_schema_includes_resolve_within_the_schema_folder(tmp_path: Path) -> None:
    (tmp_path / "ortak.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns="urn:t">'
        '<xs:simpleType name="Kod"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]{2}"/>'
        "</xs:restriction></xs:simpleType></xs:schema>",
        encoding="utf-8",
    )
    main = tmp_path / "ana.xsd"
    main.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns="urn:t">'
        '<xs:include schemaLocation="ortak.xsd"/><xs:element name="Ulke" type="Kod"/></xs:schema>',
        encoding="utf-8",
    )
    schema = load_schema(main)
    assert parse_and_validate(b'<Ulke xmlns="urn:t">TR</Ulke>', schema) is not None
    assert "schema-invalid" in _rejected(b'<Ulke xmlns="urn:t">tr</Ulke>', schema)


def test_schema_may_not_reach_outside_its_folder(tmp_path: Path, secret_file: Path) -> None:
    folder = tmp_path / "xsd"
    folder.mkdir()
    evil = folder / "kotu.xsd"
    evil.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        f'<xs:include schemaLocation="{secret_file.as_uri()}"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(XmlRejected) as caught:
        load_schema(evil)
    assert SECRET not in caught.value.reason


def test_schema_with_a_doctype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xsd"
    path.write_text('<!DOCTYPE xs:schema [<!ENTITY e "x">]>' + SCHEMA, encoding="utf-8")
    with pytest.raises(XmlRejected, match="DOCTYPE"):
        load_schema(path)
