"""One command followed as one trace through the core, the outbox relay, the TOBB adapter, its HTTP
call and the TOBB simulator, and back (hub/operations/tracing.py; tracing is on for the session:
tests/tracing_fixture.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from hub.entrypoints.stack import Stack
from hub.operations import tracing
from hub.runtime.client import HubClient
from tests.e2e.helpers import eventually, only_outcome, turkish_2600

pytestmark = pytest.mark.kafka


class Trace:
    """The spans of one trace, and the questions a person reading it in a trace back end asks."""

    def __init__(self, spans: Sequence[ReadableSpan]) -> None:
        self.spans = list(spans)

    def one(self, name: str, service: str, **attributes: Any) -> ReadableSpan:
        found = [
            s
            for s in self.spans
            if s.name == name
            and s.resource.attributes.get("service.name") == service
            and all(s.attributes is not None and s.attributes.get(k) == v for k, v in attributes.items())
        ]
        assert len(found) == 1, (name, service, attributes, self.names())
        return found[0]

    def children(self, parent: ReadableSpan, kind: SpanKind | None = None) -> list[ReadableSpan]:
        assert parent.context is not None
        return [
            s
            for s in self.spans
            if s.parent is not None and s.parent.span_id == parent.context.span_id and (kind is None or s.kind == kind)
        ]

    def names(self) -> list[tuple[str, str]]:
        return sorted((str(s.resource.attributes.get("service.name")), s.name) for s in self.spans)


def trace_of(spans: InMemorySpanExporter, trace_id: int) -> Trace:
    return Trace([s for s in spans.get_finished_spans() if s.context is not None and s.context.trace_id == trace_id])


def child_of(span: ReadableSpan, parent: ReadableSpan) -> bool:
    assert span.context is not None and parent.context is not None
    same_trace = span.context.trace_id == parent.context.trace_id
    return same_trace and span.parent is not None and span.parent.span_id == parent.context.span_id


async def test_a_lodging_looked_up_in_tobb_is_one_trace_from_its_sender_to_its_outcome(
    client: HubClient, stack: Stack, spans: InMemorySpanExporter
) -> None:
    # The back end sending the command traces too: the hub continues its trace, and the command's
    # signature (over the record's value) still holds with `traceparent` among its headers.
    backend = tracing.tracer("back-end-system")
    assert backend is not None
    lodge = turkish_2600()
    with backend.start_as_current_span("send LodgeDeclaration", kind=SpanKind.PRODUCER) as sent:
        command = await client.send(lodge, lodge.carnet_number)
    lodged = await only_outcome(client, command)
    assert lodged.type == "DeclarationLodged" and lodged.payload.carnet_source == "TOBB"
    trace_id = sent.get_span_context().trace_id

    async def relayed() -> bool:
        sends = [s for s in trace_of(spans, trace_id).spans if s.name == "send ata.declaration.events"]
        return any(s.attributes and s.attributes.get("messaging.message.id") == str(lodged.message_id) for s in sends)

    await eventually(relayed)
    got = trace_of(spans, trace_id)

    # The core takes the command: a child of the sender's span, with what it is about.
    consumed = got.one("process ata.declaration.commands", "hub-core")
    assert consumed.parent is not None and consumed.parent.span_id == sent.get_span_context().span_id
    assert consumed.kind == SpanKind.CONSUMER
    assert consumed.attributes is not None
    assert {k: consumed.attributes.get(k) for k in ("messaging.system", "messaging.destination.name")} == {
        "messaging.system": "kafka",
        "messaging.destination.name": "ata.declaration.commands",
    }
    assert consumed.attributes["messaging.kafka.message.key"] == lodge.carnet_number
    assert consumed.attributes["messaging.message.id"] == str(command.message_id)
    assert consumed.attributes["ata.message.type"] == "LodgeDeclaration"
    assert consumed.attributes["ata.carnet.number"] == lodge.carnet_number
    assert consumed.attributes["ata.declaration.number"] == lodge.declaration_number

    # Decided (TOBB must be asked) and committed under it; the question relayed to TOBB from the decision.
    decided = got.one("decide LodgeDeclaration", "hub-core")
    assert child_of(decided, consumed)
    committed = [s for s in got.children(consumed) if s.name == "commit"]
    assert len(committed) == 1 and committed[0].attributes is not None
    assert isinstance(batch := committed[0].attributes["ata.batch.messages"], int) and batch >= 1
    asked = got.one("send tobb.carnet.requests", "hub-core")
    assert child_of(asked, decided) and asked.kind == SpanKind.PRODUCER

    # The TOBB adapter: its consume, its HTTP call to TOBB, TOBB's own span, and the answer it sends.
    looked_up = got.one("process tobb.carnet.requests", "adapter-tobb")
    assert child_of(looked_up, asked)
    (called,) = got.children(looked_up, SpanKind.CLIENT)
    assert called.attributes is not None and called.attributes["http.request.method"] == "GET"
    assert called.attributes["http.response.status_code"] == 200
    assert called.attributes["server.address"] == "127.0.0.1"
    (served,) = got.children(called, SpanKind.SERVER)
    assert served.resource.attributes["service.name"] == "tobb-simulator"
    answered = got.one("send tobb.carnet.results", "adapter-tobb")
    assert child_of(answered, looked_up)

    # Back in the core: the answer resumes the command, and the outcome is relayed from that decision.
    resumed = got.one("process tobb.carnet.results", "hub-core")
    assert child_of(resumed, answered)
    (decided_again,) = [s for s in got.children(resumed) if s.name.startswith("decide ")]
    outcome_id = {"messaging.message.id": str(lodged.message_id)}
    relayed_outcome = got.one("send ata.declaration.events", "hub-core", **outcome_id)
    assert child_of(relayed_outcome, decided_again)
    assert relayed_outcome.attributes is not None
    assert relayed_outcome.attributes["ata.message.type"] == "DeclarationLodged"
    # One trace: every span above shares the sender's trace id (trace_of selected by it).
    assert {s.context.trace_id for s in got.spans if s.context is not None} == {trace_id}


async def test_a_refusal_names_its_rule_on_the_decision_span(client: HubClient, spans: InMemorySpanExporter) -> None:
    # rule: G3
    lodge = turkish_2600("TR/2026/999999")
    command = await client.send(lodge, lodge.carnet_number)
    refusal = await only_outcome(client, command)
    assert refusal.type == "CommandRefused" and refusal.payload.rule == "G3"

    async def consumed() -> list[ReadableSpan]:
        return [
            s
            for s in spans.get_finished_spans()
            if s.name == "process ata.declaration.commands"
            and s.attributes
            and s.attributes.get("messaging.message.id") == str(command.message_id)
        ]

    (taken,) = await eventually(consumed)
    assert taken.context is not None
    trace_id = taken.context.trace_id

    async def decided() -> list[ReadableSpan]:
        return [
            s
            for s in trace_of(spans, trace_id).spans
            if s.name.startswith("decide ") and s.attributes and s.attributes.get("ata.refusal.rule") == "G3"
        ]

    (refused,) = await eventually(decided)  # on the decision TOBB's "not found" resumed
    assert refused.name == "decide CarnetNotFound"
