"""The AsyncAPI document as one page a person reads: ``render_asyncapi_html(yaml.safe_load(...))``.

Self-contained (inline CSS, no script, nothing fetched: customs sites have no Internet), every text
of the document escaped; descriptions are Markdown, rendered with raw HTML off (hub/contract/markdown_html.py).
The document FastStream writes for the hub (``schemas/asyncapi.yaml``) has one channel per process
and topic; the page shows one section per topic (the channels' address):
its description, which processes publish and subscribe to it (the operations), and every message
type it carries with its fields, ``$ref`` followed into ``components`` (a schema that contains
itself is shown once, then named).

Every operation's message names its payload: the envelope of one message type, or ``anyOf`` the
envelopes of several (publishers and subscribers alike, hub/contract/messages/carried.py); a type that is not an
envelope (BİLGE's XML documents) is shown as the schema it is.

About 500 lines, one job: the reading of the document by topic and the page written from it share
private shapes (``_Topic``, ``_Message``) that would otherwise become a public interface.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from hub.contract.markdown_html import markdown_html, markdown_inline_html

__all__ = ["render_asyncapi_html"]

MAX_DEPTH: Final = 8  # nested objects shown below a message's field; deeper ones are named only
_NOTES: Final = (
    ("minLength", "min length"),
    ("maxLength", "max length"),
    ("minimum", "≥"),
    ("exclusiveMinimum", ">"),
    ("maximum", "≤"),
    ("exclusiveMaximum", "<"),
    ("minItems", "min items"),
    ("maxItems", "max items"),
    ("pattern", "pattern"),
)

Schema = Mapping[str, Any]


def render_asyncapi_html(document: Mapping[str, Any], *, yaml_href: str = "/asyncapi.yaml") -> str:
    """The whole page: title and version, contents, one section per topic, the envelope's fields."""
    doc = _Document(document)
    topics = doc.topics()
    info = _mapping(document.get("info"))
    title = str(info.get("title") or "AsyncAPI document")
    version = str(info.get("version") or "")
    content_type = f" · messages in {document['defaultContentType']}" if document.get("defaultContentType") else ""
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} {_e(version)} — message contract</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header>",
        f"<h1>{_e(title)} <span class=version>{_e(version)}</span></h1>",
        f"<p class=meta>AsyncAPI {_e(document.get('asyncapi', '?'))}{_e(content_type)}"
        f' · <a href="{_e(yaml_href)}">the document as YAML</a></p>',
    ]
    if info.get("description"):
        out.append(_description(info["description"]))
    out.extend(_servers(_mapping(document.get("servers"))))
    out.append("</header>")
    out.extend(_contents(topics, doc.envelope is not None))
    out.append("<main>")
    for topic in topics:
        out.extend(_topic_section(topic, doc))
    if doc.envelope is not None:
        out.extend(_envelope_section(doc.envelope, doc))
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


# --- what the document says, by topic ----------------------------------------------------------


@dataclass
class _Message:
    name: str
    schema: Schema | None  # the message's own fields (an envelope's payload), None when unknown
    schema_name: str | None
    publishers: set[str] = field(default_factory=set)
    subscribers: set[str] = field(default_factory=set)
    anchor: str = ""


@dataclass
class _Topic:
    address: str
    anchor: str
    descriptions: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    subscribers: list[str] = field(default_factory=list)
    messages: dict[str, _Message] = field(default_factory=dict)
    bindings: dict[str, Any] = field(default_factory=dict)


class _Document:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.components = _mapping(document.get("components"))
        self.schemas = _mapping(self.components.get("schemas"))
        self.envelope: Schema | None = None  # the first envelope met: its fields are every message's
        self._anchors: set[str] = set()

    def resolve(self, node: Any) -> tuple[str | None, Schema]:
        """Follow ``$ref`` (local JSON pointers) to the node; its component name when it is one."""
        name: str | None = None
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            name = _ref_name(ref)
            target = self._pointer(ref)
            if target is None:
                return name, {"description": f"(unresolved reference {ref})"}
            node = target
        return name, node if isinstance(node, Mapping) else {}

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return None
        node: Any = self.document
        for raw in ref[2:].split("/"):
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def anchor(self, text: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"
        anchor, n = base, 1
        while anchor in self._anchors:
            n += 1
            anchor = f"{base}-{n}"
        self._anchors.add(anchor)
        return anchor

    def topics(self) -> list[_Topic]:
        channels = _mapping(self.document.get("channels"))
        by_key: dict[str, _Topic] = {}
        topics: dict[str, _Topic] = {}
        for key, channel in channels.items():
            if not isinstance(channel, Mapping):
                continue
            address = str(channel.get("address") or key)
            topic = topics.get(address)
            if topic is None:
                topic = topics[address] = _Topic(address, self.anchor(f"topic-{address}"))
                topic.bindings = dict(_mapping(channel.get("bindings")))
            by_key[str(key)] = topic
            description = str(channel.get("description") or "").strip()
            if description and description not in topic.descriptions:
                topic.descriptions.append(description)
        operations = _mapping(self.document.get("operations"))
        seen_channels: set[str] = set()
        for op_key, operation in operations.items():
            if not isinstance(operation, Mapping):
                continue
            channel_ref = _mapping(operation.get("channel")).get("$ref", "")
            channel_key = _ref_name(channel_ref) if isinstance(channel_ref, str) else None
            topic = by_key.get(channel_key or "")
            if topic is None or channel_key is None:
                continue
            seen_channels.add(channel_key)
            process = _process(channel_key, topic.address) or str(op_key)
            sends = operation.get("action") == "send"
            (topic.publishers if sends else topic.subscribers).append(process)
            refs = operation.get("messages") or list(_mapping(channels[channel_key].get("messages")).values())
            for message in refs if isinstance(refs, list) else []:
                self._add_messages(topic, message, process, sends)
        for channel_key, topic in by_key.items():  # channels no operation names: their messages still count
            if channel_key not in seen_channels:
                for message in _mapping(channels[channel_key].get("messages")).values():
                    self._add_messages(topic, message, None, True)
        ordered = sorted(topics.values(), key=lambda t: t.address)
        for topic in ordered:
            topic.publishers = sorted(set(topic.publishers))
            topic.subscribers = sorted(set(topic.subscribers))
            topic.messages = {name: topic.messages[name] for name in sorted(topic.messages)}
            for message in topic.messages.values():
                message.anchor = self.anchor(f"{topic.address}--{message.name}")
        return ordered

    def _add_messages(self, topic: _Topic, ref: Any, process: str | None, sends: bool) -> None:
        _, message = self.resolve(ref)
        _, payload = self.resolve(message.get("payload", {}))
        for name, schema, schema_name in self._payload_types(message, payload):
            entry = topic.messages.get(name)
            if entry is None:
                entry = topic.messages[name] = _Message(name, schema, schema_name)
            elif entry.schema is None and schema is not None:
                entry.schema, entry.schema_name = schema, schema_name
            if process is not None:
                (entry.publishers if sends else entry.subscribers).add(process)

    def _payload_types(self, message: Schema, payload: Schema) -> Iterator[tuple[str, Schema | None, str | None]]:
        alternatives = payload.get("anyOf") or payload.get("oneOf")
        if isinstance(alternatives, list):
            for alternative in alternatives:
                name, schema = self.resolve(alternative)
                yield self._envelope_type(name, schema)
            return
        name, schema = self.resolve(message.get("payload", {}))
        yield self._envelope_type(name or str(message.get("name") or message.get("title") or "message"), schema)

    def _envelope_type(self, name: str | None, schema: Schema) -> tuple[str, Schema | None, str | None]:
        """An envelope names its type by its ``payload``'s schema; anything else is its own message."""
        props = _mapping(schema.get("properties"))
        inner = props.get("payload")
        if isinstance(inner, Mapping) and "$ref" in inner and "type" in props:
            inner_name, inner_schema = self.resolve(inner)
            if self.envelope is None:
                self.envelope = schema
            return inner_name or str(name), inner_schema, inner_name
        title = str(schema.get("title") or name or "message")
        return title, schema, name


# --- HTML ------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _description(text: Any) -> str:
    """A description of the document: Markdown, rendered with raw HTML off (hub/contract/markdown_html.py)."""
    return f"<div class=description>{markdown_html(str(text))}</div>"


def _servers(servers: Mapping[str, Any]) -> list[str]:
    """Each server: where (protocol://host), what it is, and the variables its host names."""
    if not servers:
        return []
    items = []
    for name, server in servers.items():
        s = _mapping(server)
        where = f"{s.get('protocol', '?')}://{s.get('host', '?')}{s.get('pathname') or ''}"
        item = f"<li><b>{_e(name)}</b>: <code>{_e(where)}</code>"
        if s.get("description"):
            item += _description(s["description"])
        for variable, spec in _mapping(s.get("variables")).items():
            v = _mapping(spec)
            default = f" (default <code>{_e(v['default'])}</code>)" if "default" in v else ""
            described = markdown_inline_html(str(v.get("description", "")))
            item += f"<div class=dim><code>{{{_e(variable)}}}</code>{default}: {described}</div>"
        items.append(item + "</li>")
    return ["<p class=meta>Servers:</p><ul class=servers>", *items, "</ul>"]


def _contents(topics: Sequence[_Topic], envelope: bool) -> list[str]:
    out = ['<nav aria-label="Contents"><h2>Contents</h2><ol>']
    for topic in topics:
        names = ", ".join(f'<a href="#{_e(m.anchor)}">{_e(m.name)}</a>' for m in topic.messages.values())
        out.append(
            f'<li><a href="#{_e(topic.anchor)}"><code>{_e(topic.address)}</code></a>'
            f" <span class=dim>{len(topic.messages)} message type(s){': ' + names if names else ''}</span></li>"
        )
    if envelope:
        out.append('<li><a href="#envelope">The envelope: fields of every message</a></li>')
    out.append("</ol></nav>")
    return out


def _topic_section(topic: _Topic, doc: _Document) -> list[str]:
    out = [f'<section class=topic id="{_e(topic.anchor)}">', f"<h2>Topic <code>{_e(topic.address)}</code></h2>"]
    out.extend(_description(d) for d in topic.descriptions)
    out.append("<dl class=who>")
    out.append(f"<dt>Published by</dt><dd>{_names(topic.publishers)}</dd>")
    out.append(f"<dt>Consumed by</dt><dd>{_names(topic.subscribers)}</dd>")
    kafka = _mapping(topic.bindings.get("kafka"))
    for key in ("partitions", "replicas"):
        if key in kafka:
            out.append(f"<dt>{_e(key.capitalize())}</dt><dd>{_e(kafka[key])}</dd>")
    out.append("</dl>")
    if not topic.messages:
        out.append("<p class=dim>The document names no message type on this topic.</p>")
    for message in topic.messages.values():
        out.extend(_message_article(message, doc))
    out.append("</section>")
    return out


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"<code>{_e(n)}</code>" for n in names) or '<span class="dim">no process in this document</span>'


def _message_article(message: _Message, doc: _Document) -> list[str]:
    out = [f'<article class=message id="{_e(message.anchor)}">', f"<h3>{_e(message.name)}</h3>"]
    who = []
    if message.publishers:
        who.append(f"sent by {', '.join(_e(p) for p in sorted(message.publishers))}")
    if message.subscribers:
        who.append(f"accepted by {', '.join(_e(p) for p in sorted(message.subscribers))}")
    if who:
        out.append(f"<p class=dim>{'; '.join(who)}</p>")
    schema = message.schema or {}
    if schema.get("description"):
        out.append(_description(schema["description"]))
    if schema.get("type") not in (None, "object"):  # not an envelope (BİLGE's XML): the value is the document
        media = f" ({schema['contentMediaType']})" if schema.get("contentMediaType") else ""
        kind = _e(f"{_type(schema, doc)}{media}")
        out.append(f"<p class=dim>Not an envelope: the record's value is the document itself, a {kind}.</p>")
    else:
        label = "Fields of the envelope's <code>payload</code>" if doc.envelope is not None else "Fields"
        out.append(f"<p class=dim>{label}:</p>")
        out.extend(_field_table(schema, doc, message.schema_name))
    out.append("</article>")
    return out


def _envelope_section(envelope: Schema, doc: _Document) -> list[str]:
    shown = dict(envelope)
    shown["properties"] = {k: v for k, v in _mapping(envelope.get("properties")).items() if k != "payload"}
    return [
        '<section class=topic id="envelope">',
        "<h2>The envelope</h2>",
        "<p class=description>Every JSON message is an envelope with these fields; <code>payload</code> holds the "
        "fields shown under its type above.</p>",
        *_field_table(shown, doc, None, expand=False),
        "</section>",
    ]


@dataclass(frozen=True)
class _Row:
    path: str
    depth: int
    type: str
    required: bool
    description: str
    notes: str


def _field_table(schema: Schema, doc: _Document, name: str | None, *, expand: bool = True) -> list[str]:
    rows = list(_rows(schema, doc, "", 0, frozenset({name}) if name else frozenset(), expand))
    if not rows:
        return ["<p class=dim>No fields.</p>"]
    out = ["<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>"]
    for row in rows:
        notes = f'<div class="notes">{_e(row.notes)}</div>' if row.notes else ""
        out.append(
            f'<tr><td class="field" style="padding-left:{0.5 + 1.2 * row.depth:.1f}em"><code>{_e(row.path)}</code></td>'
            f"<td>{_e(row.type)}</td><td>{'yes' if row.required else ''}</td>"
            f'<td class="text">{markdown_html(row.description)}{notes}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _rows(
    schema: Schema, doc: _Document, prefix: str, depth: int, path: frozenset[str], expand: bool
) -> Iterator[_Row]:
    _, schema = doc.resolve(schema)
    required = set(schema.get("required") or ())
    for prop, raw in _mapping(schema.get("properties")).items():
        node = raw if isinstance(raw, Mapping) else {}
        _, target = doc.resolve(node)
        description = str(node.get("description") or target.get("description") or "")
        yield _Row(
            path=f"{prefix}{prop}",
            depth=depth,
            type=_type(node, doc),
            required=prop in required,
            description=description,
            notes=_notes(node, target),
        )
        if not expand:
            continue
        nested = _nested(node, doc)
        if nested is None:
            continue
        ref, suffix, inner = nested
        if ref in path:
            yield _Row(f"{prefix}{prop}{suffix}…", depth + 1, f"{ref} (contains itself: see above)", False, "", "")
        elif depth + 1 >= MAX_DEPTH:
            yield _Row(
                f"{prefix}{prop}{suffix}…", depth + 1, f"{ref or 'object'} (nested too deep to show)", False, "", ""
            )
        else:
            yield from _rows(inner, doc, f"{prefix}{prop}{suffix}.", depth + 1, path | {ref} if ref else path, expand)


def _nested(node: Schema, doc: _Document) -> tuple[str | None, str, Schema] | None:
    """The object below a field, if any: (its component name, the path suffix, its schema)."""
    name, target = doc.resolve(node)
    if _mapping(target.get("properties")):
        return name, "", target
    alternatives = [a for a in (target.get("anyOf") or target.get("oneOf") or ()) if a != {"type": "null"}]
    if len(alternatives) == 1:
        found = _nested(alternatives[0], doc)
        return found
    if target.get("type") == "array" and isinstance(target.get("items"), Mapping):
        found = _nested(target["items"], doc)
        if found is not None:
            return found[0], "[]" + found[1], found[2]
    return None


def _type(node: Any, doc: _Document, depth: int = 0) -> str:
    if not isinstance(node, Mapping):
        return "any"
    if "$ref" in node:
        name, target = doc.resolve(node)
        if depth < 3 and not _mapping(target.get("properties")) and ("type" in target or "anyOf" in target):
            return _type(target, doc, depth + 1)
        return name or "object"
    if "const" in node:
        return f"{json.dumps(node['const'], ensure_ascii=False)} (constant)"
    if isinstance(node.get("enum"), list):
        return "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in node["enum"])
    for combinator, word in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if isinstance(node.get(combinator), list):
            kinds = [_type(a, doc, depth + 1) for a in node[combinator]]
            return word.join(dict.fromkeys(kinds))
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        if isinstance(node.get("prefixItems"), list):
            return "[" + ", ".join(_type(i, doc, depth + 1) for i in node["prefixItems"]) + "]"
        return f"array of {_type(node.get('items', {}), doc, depth + 1)}"
    if kind is None:
        return "object" if "properties" in node else "any"
    return f"{kind} ({node['format']})" if node.get("format") else str(kind)


def _notes(node: Schema, target: Schema) -> str:
    notes = []
    for source in (node, target) if target is not node else (node,):
        for key, label in _NOTES:
            if key in source:
                notes.append(f"{label} {source[key]}")
        if "default" in source:
            notes.append(f"default {json.dumps(source['default'], ensure_ascii=False)}")
    return "; ".join(dict.fromkeys(notes))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ref_name(ref: str) -> str:
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def _process(channel_key: str, address: str) -> str | None:
    suffix = f":{address}"
    return channel_key[: -len(suffix)] if channel_key.endswith(suffix) and len(channel_key) > len(suffix) else None


_CSS: Final = """
:root { color-scheme: light; --ink: #1d2430; --dim: #5b6472; --line: #d8dde5; --bg: #f6f7f9; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; font: 15px/1.5 system-ui, sans-serif; color: var(--ink); }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; } h1 .version { color: var(--dim); font-weight: normal; }
h2 { font-size: 1.25rem; margin: 0 0 .5rem; } h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
a { color: var(--accent); } code { font: 0.92em ui-monospace, monospace; }
.meta, .dim { color: var(--dim); }
.description > :first-child, .text > :first-child { margin-top: 0; }
.description > :last-child, .text > :last-child { margin-bottom: 0; } .text p { margin: 0 0 .4em; }
nav { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
nav ol { margin: 0; padding-left: 1.5rem; } nav li { margin: .2rem 0; }
section.topic { border-top: 2px solid var(--line); padding-top: 1rem; margin-top: 2rem; }
dl.who { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
dl.who dt { color: var(--dim); } dl.who dd { margin: 0; }
article.message { border-left: 3px solid var(--line); padding-left: .75rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .75rem; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg); } td.field { white-space: nowrap; } .notes { color: var(--dim); font-size: .85rem; }
@media print { nav { display: none; } a { color: inherit; text-decoration: none; } }
"""
