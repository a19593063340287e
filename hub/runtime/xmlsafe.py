"""Hardened XML for every adapter that talks XML (TOBB now, BİLGE and YKTS later).

Everything that comes from outside goes through :func:`parse_and_validate` and everything that
leaves through :func:`serialize_validated`; nothing else in the hub should call ``lxml`` parsing
functions on untrusted bytes directly.

Defences, in the order they apply:

1. a byte cap (default 5 MiB) before any parsing;
2. any DOCTYPE is refused outright. Our partners' messages are schema-described and never need a
   DTD, so a DOCTYPE is either a mistake or an attack (entity bombs, XXE). It is looked for in the
   raw bytes first, so that in the usual UTF-8 case libxml2 never sees the internal subset, and
   again on the parsed tree, for encodings the byte scan cannot read (UTF-16 and others);
3. a parser that expands no entities, loads no DTD, uses no network, keeps libxml2's size/depth
   limits (``huge_tree=False``) and has a resolver that refuses every external resource. The
   resolver matters: measured with lxml 6.1.3 / libxml2 2.14.6, ``load_dtd=False`` and
   ``resolve_entities=False`` still let libxml2 *read* an external DTD subset or an external
   parameter entity (``<!DOCTYPE r SYSTEM "file:///…">``); only a resolver stops the read;
4. XSD validation; the first schema error (with its line) is reported.

All failures raise one exception type, :class:`XmlRejected`, with a reason fit for a log line
or an answer to the partner. A reason may quote an offending value (libxml2's schema messages do),
shortened; it never carries anything read from outside the document.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from lxml import etree

__all__ = [
    "DEFAULT_MAX_BYTES",
    "XmlRejected",
    "XsdSchema",
    "load_schema",
    "parse_and_validate",
    "parse_untrusted",
    "serialize_validated",
]

DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
_MAX_REASON_DETAIL: Final = 300

# "<!DOCTYPE" in the encodings a partner may plausibly send without an XML declaration we can
# trust. The post-parse check covers anything else; this scan just keeps the internal subset away
# from libxml2 in the common case.
_DOCTYPE_MARKERS: Final = tuple(
    "<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class XmlRejected(Exception):
    """An XML document was refused: malformed, hostile, oversize or schema-invalid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExternalResourceRefused(Exception):
    """A document asked for an external resource (DTD, entity, XInclude): refused before it is read."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class RefuseAll(etree.Resolver):  # type: ignore[misc]  # lxml ships no stubs
    """Refuses every external resource (DTDs, external entities, XIncludes) before it is read."""

    def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
        raise ExternalResourceRefused(url)


class _LocalFilesUnder(etree.Resolver):  # type: ignore[misc]
    """For our own XSDs: an ``xs:include``/``xs:import`` may read files under the schema's folder only."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root

    def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
        parsed = urlsplit(url)
        path = Path(unquote(parsed.path)) if parsed.scheme in ("file", "") and parsed.path else None
        if path is not None and path.is_absolute() and path.resolve().is_relative_to(self._root):
            return None  # let libxml2 read it
        raise ExternalResourceRefused(url)


# What every parser of the hub is told, the pull parser of BİLGE's exports too: no entities expanded,
# no DTD loaded, nothing fetched, libxml2's size limits kept, nothing guessed from a broken document.
HARDENED_PARSER: Final[dict[str, bool]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
    "decompress": False,
    "recover": False,
}


def _hardened_parser(resolver: Any) -> Any:
    # A fresh parser per document: lxml parsers are not meant to be shared between threads, and
    # building one costs microseconds.
    parser = etree.XMLParser(**HARDENED_PARSER)
    parser.resolvers.add(resolver)
    return parser


def parse_untrusted(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse bytes from outside with every defence but the schema; return the root element."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_untrusted takes the raw bytes, not decoded text")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlRejected(f"oversize: {len(data)} bytes, more than the {max_bytes} allowed")
    if not data.strip():
        raise XmlRejected("malformed: empty document")
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise XmlRejected("hostile: a DOCTYPE is not allowed (DTDs and entity declarations are refused)")
    try:
        root = etree.fromstring(data, parser=_hardened_parser(RefuseAll()))
    except ExternalResourceRefused as exc:
        raise XmlRejected(f"hostile: reference to an external resource refused ({exc.url})") from None
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"malformed: {_syntax_message(exc)}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected("hostile: a DOCTYPE is not allowed (DTDs and entity declarations are refused)")
    return root


def _syntax_message(exc: Any) -> str:
    # lxml appends "(<string>, line N)"; the message already carries line and column.
    message = str(exc.msg) if getattr(exc, "msg", None) else str(exc)
    return _shorten(" ".join(message.split()))


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_REASON_DETAIL else text[: _MAX_REASON_DETAIL - 1] + "…"


class XsdSchema:
    """A compiled XSD. Obtain it with :func:`load_schema`, which caches one per file."""

    def __init__(self, path: Path, compiled: Any) -> None:
        self.path = path
        self._compiled = compiled
        # lxml keeps the last validation's error log on the schema object; the lock keeps two
        # threads from reading each other's errors.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"XsdSchema({str(self.path)!r})"

    def validate(self, element: etree._Element, *, what: str = "document") -> None:
        """Raise :class:`XmlRejected` naming the first schema error (with its line) if invalid."""
        with self._lock:
            if self._compiled.validate(element):
                return
            errors = list(self._compiled.error_log)
        if not errors:  # pragma: no cover - libxml2 always logs why
            raise XmlRejected(f"schema-invalid {what} against {self.path.name}")
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise XmlRejected(
            f"schema-invalid {what} against {self.path.name}: line {first.line}: {_shorten(first.message)}{more}"
        )


def load_schema(path: str | Path) -> XsdSchema:
    """Compile the XSD at ``path`` with the hardened parser; cached per resolved path."""
    return _load_schema(Path(path).resolve())


@lru_cache(maxsize=64)
def _load_schema(path: Path) -> XsdSchema:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XmlRejected(f"schema {path}: cannot be read ({exc.strerror})") from None
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise XmlRejected(f"schema {path}: a DOCTYPE is not allowed")
    parser = _hardened_parser(_LocalFilesUnder(path.parent))
    try:
        # base_url lets relative xs:include/xs:import resolve next to the schema file.
        doc = etree.fromstring(data, parser=parser, base_url=path.as_uri()).getroottree()
        compiled = etree.XMLSchema(doc)
    except ExternalResourceRefused as exc:
        raise XmlRejected(f"schema {path}: external resource refused ({exc.url})") from None
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"schema {path}: malformed: {_syntax_message(exc)}") from None
    except etree.XMLSchemaParseError as exc:
        raise XmlRejected(f"schema {path}: not a valid XSD: {exc}") from None
    return XsdSchema(path, compiled)


def parse_and_validate(data: bytes, schema: XsdSchema, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes and validate them against ``schema``; return the root element.

    Raises :class:`XmlRejected` for malformed, hostile (DOCTYPE, entities, external references),
    oversize (more than ``max_bytes``) or schema-invalid documents.
    """
    root = parse_untrusted(data, max_bytes=max_bytes)
    schema.validate(root)
    return root


def serialize_validated(element: etree._Element, schema: XsdSchema) -> bytes:
    """Validate an outbound document against ``schema`` and serialise it as UTF-8 with a declaration.

    An invalid outbound document is our bug, not the partner's: it raises :class:`XmlRejected`
    instead of leaving.
    """
    schema.validate(element, what="outbound document")
    result: bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    return result
