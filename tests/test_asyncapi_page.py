"""The AsyncAPI document as a page a person reads (hub/contract/asyncapi_page.py), from schemas/asyncapi.yaml."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml

from hub.contract.asyncapi_page import render_asyncapi_html
from hub.contract.schemas import ASYNCAPI
from hub.contract.topics import catalog


class Page(HTMLParser):
    """What a reader sees: the title, the text under each element with an id, its tables, the links, the
    tags and attributes used."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text_by_id: dict[str, list[str]] = {}
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.rows: dict[str, list[list[str]]] = {}  # id of the element around a table -> its rows of cells
        self._open: list[tuple[str, str | None]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._h1: list[str] | None = None
        self.title = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._cell = []
        if tag == "h1":
            self._h1 = []
        if tag not in self.VOID:
            element_id = found.get("id")
            self._open.append((tag, element_id))
            if element_id:
                self.text_by_id.setdefault(element_id, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            for _, element_id in self._open:
                if element_id:
                    self.rows.setdefault(element_id, []).append(self._row)
            self._row = None
        if tag == "h1" and self._h1 is not None:
            self.title = " ".join("".join(self._h1).split())
            self._h1 = None
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._h1 is not None:
            self._h1.append(data)

    def text(self, element_id: str) -> str:
        return " ".join(" ".join(self.text_by_id[element_id]).split())


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def page(document: dict[str, Any]) -> Page:
    return Page(render_asyncapi_html(document))


def test_every_topic_with_its_description_and_the_messages_it_carries(page: Page) -> None:
    topics = {spec.name: spec for spec in catalog()}
    shown = {key.removeprefix("topic-") for key in page.text_by_id if key.startswith("topic-")}
    # hub.deadletter is written by a plain producer, not by FastStream: the document does not know it
    assert set(topics) - shown == {"hub.deadletter"}
    assert shown <= set(topics)
    for name in shown:
        spec = topics[name]
        section = page.text(f"topic-{name}")
        assert f"Topic {name}" in section
        assert words(spec.description) in section, name
        for message_type in spec.messages:
            assert re.search(rf"\b{re.escape(message_type)}\b", section), (name, message_type)
        for process in {*spec.producers, *spec.consumers} & {
            "hub-core",
            "adapter-tobb",
            "adapter-bilge",
            "adapter-ykts",
        }:
            assert process in section, (name, process)


def test_title_version_contents_and_the_raw_document(document: dict[str, Any], page: Page) -> None:
    assert page.title == f"{document['info']['title']} {document['info']['version']}"
    topics = {key for key in page.text_by_id if key.startswith("topic-")}
    assert {h.removeprefix("#") for h in page.hrefs if h.startswith("#topic-")} == topics
    assert {h.removeprefix("#") for h in page.hrefs if h.startswith("#")} <= set(page.text_by_id)  # no dead link
    assert "#ata.declaration.commands--LodgeDeclaration" in page.hrefs  # each message type from the contents
    assert "/asyncapi.yaml" in page.hrefs


def test_a_message_shows_its_fields_with_type_required_and_description(page: Page) -> None:
    rows = {row[0]: row for row in page.rows["ata.declaration.commands--LodgeDeclaration"][1:]}
    assert rows["declaration_number"] == [
        "declaration_number",
        "string",
        "yes",
        "e-ATA/TR declaration number. min length 1; max length 40",
    ]
    assert rows["previous_declaration"][1:3] == ["string or null", ""]
    assert rows["lines"][1] == "array of LineQuantity"
    assert rows["lines[].quantity"][1:3] == ["integer", "yes"]  # followed through $ref into components
    assert rows["carnet.goods[].line_no"][1] == "integer"  # through anyOf [CarnetData, null], then an array
    # a subscriber reads bytes; the types it names are shown from components/schemas all the same
    command = {row[0] for row in page.rows["ata.declaration.commands--DrawDownByTcgb"][1:]}
    assert {"tcgb_number", "rows[].declaration_number", "rows[].quantity"} <= command
    envelope = {row[0]: row for row in page.rows["envelope"][1:]}
    assert envelope["message_id"][1:3] == ["string (uuid)", "yes"]
    assert envelope["causation_id"][1:3] == ["string (uuid) or null", ""]


def test_the_page_fetches_nothing_and_runs_nothing(document: dict[str, Any]) -> None:
    html = render_asyncapi_html(document)
    page = Page(html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not {a for a in page.attributes if a.startswith("on")} | ({"src"} & page.attributes)
    assert all(h.startswith("#") or h == "/asyncapi.yaml" for h in page.hrefs)
    assert "@import" not in html and "url(" not in html


def test_everything_from_the_document_is_escaped(document: dict[str, Any]) -> None:
    hostile = copy.deepcopy(document)
    attack = '<script>alert("x")</script>'
    hostile["info"]["title"] = f"Hub {attack}"
    first = next(iter(hostile["channels"].values()))
    first["description"] = f"Topic text {attack} & more"
    hostile["components"]["schemas"]["LodgeDeclaration"]["properties"]['x"><img src=x onerror=alert(1)>'] = {
        "type": "string",
        "description": attack,
    }
    html = render_asyncapi_html(hostile, yaml_href='/asyncapi.yaml"><script>')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    page = Page(html)
    assert "script" not in page.tags and "img" not in page.tags
    section = page.text(f"topic-{first['address']}")
    assert f"Topic text {attack} & more" in section  # shown as text, as written


def test_a_schema_that_contains_itself_is_shown_once_then_named() -> None:
    document = {
        "asyncapi": "3.0.0",
        "info": {"title": "Trees", "version": "1"},
        "channels": {
            "app:trees": {"address": "trees", "messages": {"M": {"$ref": "#/components/messages/M"}}},
        },
        "operations": {
            "app:trees": {
                "action": "send",
                "channel": {"$ref": "#/channels/app:trees"},
                "messages": [{"$ref": "#/channels/app:trees/messages/M"}],
            }
        },
        "components": {
            "messages": {"M": {"payload": {"$ref": "#/components/schemas/Node"}}},
            "schemas": {
                "Node": {
                    "title": "Node",
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "parent": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    },
                }
            },
        },
    }
    page = Page(render_asyncapi_html(document))
    section = page.text("topic-trees")
    assert "Node" in section and "sent by app" in section
    fields = [row[0] for row in page.rows["trees--Node"][1:]]
    assert fields == ["name", "parent", "parent…", "children", "children[]…"]
    assert "contains itself" in section


def test_descriptions_are_markdown_shown_as_html_with_raw_html_escaped(document: dict[str, Any]) -> None:
    written = copy.deepcopy(document)
    first = next(iter(written["channels"].values()))
    first["description"] = (
        "Holds **bold** words:\n\n- a `code span`\n- another line\n\n<script>alert(1)</script> "
        "[a link](javascript:alert(1)) ![a picture](https://example.org/x.png)"
    )
    fields = written["components"]["schemas"]["LodgeDeclaration"]["properties"]
    fields["declaration_number"]["description"] = "The `beyan numarası`, **unique**."
    html = render_asyncapi_html(written)
    section = html[html.index(f'id="topic-{first["address"]}"') :]
    assert "<strong>bold</strong>" in section
    assert "<ul>\n<li>a <code>code span</code></li>\n<li>another line</li>\n</ul>" in section
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "javascript:" not in html.replace("[a link](javascript:alert(1))", "")  # left as text, not a link
    page = Page(html)
    assert not page.tags & {"script", "img"}
    assert '<a href="https://example.org/x.png">a picture</a>' in section  # a picture is a link, never fetched
    assert "The <code>beyan numarası</code>, <strong>unique</strong>." in html  # a field's description too
    rows = {row[0]: row for row in page.rows["ata.declaration.commands--LodgeDeclaration"][1:]}
    assert rows["declaration_number"][3].startswith("The beyan numarası")  # the cell reads as text


def test_the_hubs_own_descriptions_read_as_lists_and_code(page: Page, document: dict[str, Any]) -> None:
    html = render_asyncapi_html(document)
    lodge = html[html.index('id="ata.declaration.commands--LodgeDeclaration"') :]
    assert "<li>2600: a Turkish carnet; leave <code>carnet</code> empty" in lodge
    assert "`" not in page.text("ata.declaration.commands--LodgeDeclaration").split("Fields")[0]
