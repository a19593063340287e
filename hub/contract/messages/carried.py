"""What a topic carries, as one Python type: the type its publishers and subscribers are annotated
with, so that FastStream's own AsyncAPI document names every payload (hub/entrypoints/asyncapi.py).

A JSON topic carries the envelopes of the message types topics.yaml lists for it (a union when there
are several); an XML topic (bilge.inbound) an external system's documents, each a string named by its
type and described by the XSD topics.yaml names for it: the record's value is the document itself.
"""

from __future__ import annotations

import operator
from functools import cache, reduce
from typing import Any

from pydantic import ConfigDict, RootModel

from hub.contract.messages.envelope import Envelope
from hub.contract.messages.types import all_types
from hub.contract.topics import TopicSpec

XML_MEDIA_TYPE = "application/xml"


def carried_type(spec: TopicSpec) -> Any:
    """The envelope of each of the topic's message types (or each XML document type), as one union;
    the bytes themselves for a topic that lists none (hub.deadletter: any record, set aside)."""
    if not spec.messages:
        return bytes
    if spec.format == "xml":
        models = [xml_document(name, xsd) for name, xsd in spec.messages.items()]
    else:
        types = all_types()
        models = [Envelope[types[name][0]] for name in spec.messages]  # type: ignore[misc]
    return reduce(operator.or_, models)


@cache
def xml_document(name: str, xsd: str) -> type[RootModel[str]]:
    """A document in an external system's XML, as JSON Schema says it: a string, its media type and its XSD."""
    config = ConfigDict(json_schema_extra={"contentMediaType": XML_MEDIA_TYPE})
    doc = f"A `{name}` document in XML, valid against the XSD `{xsd}`."
    return type(name, (RootModel[str],), {"__doc__": doc, "model_config": config, "__module__": __name__})
