"""OpenTelemetry tracing: one command followed across the hub's processes, off unless configured.

**Configuration** is the SDK's own, by the standard variables (never hub/configuration/settings.py): tracing is on when
`OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`) or `OTEL_EXPORTER_OTLP_ENDPOINT` /
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true`. The OTLP exporter speaks
http/protobuf and reads its endpoint, headers, timeout and certificate from its own `OTEL_EXPORTER_OTLP_*`
variables; the batch processor reads `OTEL_BSP_*`, the sampler `OTEL_TRACES_SAMPLER(_ARG)`, the
propagators `OTEL_PROPAGATORS` (default W3C `traceparent`/`tracestate` and baggage).

**Off** (the default), no SDK provider is made and nothing is instrumented: every process gets `None`
for a tracer, and the message path pays one `is None` test per poll or record, nothing per span.

**One provider per service.** `hub run` and the tests run the core, the adapters, GET-APP and the
simulators in one OS process, each a service of its own (`service.name` = the process's NAME:
hub-core, adapter-tobb, ...), so the global provider is never set; `OTEL_SERVICE_NAME`, when set,
names every service of the OS process (meant for a process run alone). The providers share one span
processor per exporter, so there is one export thread and queue per OS process.

**Where spans are made**: the Kafka consumers (hub/runtime/kafka/batches.py, consuming.py), the publisher
(hub/runtime/kafka/publishing.py), the outbox relay (hub/runtime/relay.py), the HTTP clients of the adapters
(hub/runtime/edge.py, by opentelemetry-instrumentation-httpx) and the FastAPI apps (GET-APP, the simulators,
by opentelemetry-instrumentation-fastapi). The context travels in Kafka record headers and in HTTP
headers; the outbox keeps it in a row's `headers` until the relay sends the row.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from hub.contract.messages.envelope import Envelope

INSTRUMENTATION = "ata-hub"
SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"  # the HTTP instrumentations' attribute names: stable ones

# Attribute names: OpenTelemetry's messaging semantic conventions; the hub's own under `ata.`.
MESSAGING_SYSTEM = "messaging.system"
OPERATION_NAME = "messaging.operation.name"
OPERATION_TYPE = "messaging.operation.type"
DESTINATION = "messaging.destination.name"
PARTITION = "messaging.destination.partition.id"
OFFSET = "messaging.kafka.offset"
KEY = "messaging.kafka.message.key"
GROUP = "messaging.consumer.group.name"
MESSAGE_ID = "messaging.message.id"
CONVERSATION_ID = "messaging.message.conversation_id"  # the envelope's correlation id
MESSAGE_TYPE = "ata.message.type"
CARNET_NUMBER = "ata.carnet.number"
DECLARATION_NUMBER = "ata.declaration.number"
REFUSAL_RULE = "ata.refusal.rule"
BATCH_MESSAGES = "ata.batch.messages"  # how many messages one store transaction committed


class TracingConfigError(ValueError):
    """An OTEL_* variable asks for what this installation cannot do."""


# --- configuration: read once per OS process -----------------------------------------------------

_processors: list[SpanProcessor] | None = None  # set: tracing is on (from the environment, or a test's)
_configured = False
_providers: dict[str, TracerProvider] = {}


def exporters_from_env(env: Mapping[str, str] | None = None) -> list[SpanExporter]:
    """The exporters the OTEL_* variables ask for; empty: tracing is off."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = ["otlp"]
    if "none" in names:
        return []
    found: list[SpanExporter] = []
    for name in dict.fromkeys(names):
        if name == "otlp":
            protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            if protocol not in (None, "", "http/protobuf"):
                raise TracingConfigError(f"OTLP protocol {protocol!r}: only http/protobuf is installed")
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            found.append(OTLPSpanExporter())  # endpoint, headers, timeout: its own OTEL_EXPORTER_OTLP_* variables
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            found.append(ConsoleSpanExporter())
        else:
            raise TracingConfigError(f"OTEL_TRACES_EXPORTER={name!r}: not one of otlp, console, none")
    return found


def _configure() -> None:
    global _configured, _processors
    if _configured:
        return
    _configured = True
    exporters = exporters_from_env()
    if exporters:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        _processors = [BatchSpanProcessor(exporter) for exporter in exporters]


def enabled() -> bool:
    """Whether this OS process traces; read once (asked per outgoing message and log line: kept short)."""
    if not _configured:
        _configure()
    return _processors is not None


def provider(service: str) -> TracerProvider | None:
    """The tracer provider of one service of this OS process (made once); None when tracing is off."""
    _configure()
    if _processors is None:
        return None
    made = _providers.get(service)
    if made is None:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider

        named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
        made = _providers[service] = TracerProvider(resource=Resource.create(named))
        for processor in _processors:
            made.add_span_processor(processor)
    return made


def tracer(service: str) -> Tracer | None:
    """The tracer of one service (hub-core, adapter-tobb, ...); None when tracing is off."""
    made = provider(service)
    return made.get_tracer(INSTRUMENTATION) if made is not None else None


@contextlib.contextmanager
def exporting_to(exporter: SpanExporter) -> Iterator[None]:
    """Tests: every service whose tracer is asked for inside traces, each span exported to
    `exporter` as it ends (whatever OTEL_* says); outside, as before."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    global _configured, _processors, _providers
    saved = _configured, _processors, _providers
    _configured, _processors, _providers = True, [SimpleSpanProcessor(exporter)], {}
    try:
        yield
    finally:
        _configured, _processors, _providers = saved


# --- Kafka: context in record headers, spans per record ------------------------------------------


class _RecordHeaders(Getter[Sequence[tuple[str, bytes]]]):
    """A Kafka record's headers, a sequence of (name, bytes), as the propagators read a carrier."""

    def get(self, carrier: Sequence[tuple[str, bytes]], key: str) -> list[str] | None:
        found = [value.decode("latin-1") for name, value in carrier if name == key and value is not None]
        return found or None

    def keys(self, carrier: Sequence[tuple[str, bytes]]) -> list[str]:
        return [name for name, _ in carrier]


_RECORD_HEADERS = _RecordHeaders()


def _plain(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def start_consume(tracer: Tracer, record: Any, group: str) -> Span:
    """A record's processing span (not made current): a child of the context its sender put in its
    headers, so one command is one trace across processes."""
    parent = propagate.extract(record.headers or (), getter=_RECORD_HEADERS)
    attributes: dict[str, Any] = {
        MESSAGING_SYSTEM: "kafka",
        OPERATION_NAME: "process",
        OPERATION_TYPE: "process",
        DESTINATION: record.topic,
        PARTITION: str(record.partition),
        OFFSET: record.offset,
        GROUP: group,
    }
    if record.key is not None:
        attributes[KEY] = _plain(record.key)
    return tracer.start_span(f"process {record.topic}", context=parent, kind=SpanKind.CONSUMER, attributes=attributes)


@contextlib.contextmanager
def consuming(tracer: Tracer, record: Any, group: str) -> Iterator[Span]:
    """A record's processing span, current while it is handled (the single-record consumer)."""
    span = start_consume(tracer, record, group)
    with trace.use_span(span, end_on_exit=True):
        yield span


def describe(span: Span, message: Any) -> None:
    """What a decoded message is, on its span: ids, type, carnet and declaration numbers."""
    if not span.is_recording():
        return
    span.set_attributes(
        {
            MESSAGE_ID: str(message.message_id),
            CONVERSATION_ID: str(message.correlation_id),
            MESSAGE_TYPE: message.type,
            CARNET_NUMBER: message.carnet_number,
        }
    )
    number = getattr(message.payload, "declaration_number", None)
    if isinstance(number, str):
        span.set_attribute(DECLARATION_NUMBER, number)


def describe_current(message: Any) -> None:
    describe(trace.get_current_span(), message)


def failed(span: Span, reason: str) -> None:
    span.set_status(Status(StatusCode.ERROR, reason))


def failed_current(reason: str) -> None:
    failed(trace.get_current_span(), reason)


@contextlib.contextmanager
def ending(spans: Sequence[Span]) -> Iterator[None]:
    """End each of `spans` when the block ends, marked failed if it raised (a batch's commit, a relay round)."""
    try:
        yield
    except BaseException as exc:
        for span in spans:
            failed(span, repr(exc))
        raise
    finally:
        for span in spans:
            span.end()


def stamp_outgoing(message: Envelope[Any], headers: dict[str, str]) -> None:
    """A message produced while handling another (an outbox row): the current context goes in its
    headers, so whoever sends it later continues this trace; a refusal's rule goes on the span."""
    propagate.inject(headers)
    if message.type == "CommandRefused":
        trace.get_current_span().set_attribute(REFUSAL_RULE, message.payload.rule)


def _send_attributes(topic: str, key: str, message_id: str, kind: str) -> dict[str, Any]:
    return {
        MESSAGING_SYSTEM: "kafka",
        OPERATION_NAME: "send",
        OPERATION_TYPE: "send",
        DESTINATION: topic,
        KEY: key,
        MESSAGE_ID: message_id,
        MESSAGE_TYPE: kind,
        CARNET_NUMBER: key,
    }


@contextlib.contextmanager
def sending(tracer: Tracer, topic: str, message: Envelope[Any], headers: dict[str, str]) -> Iterator[Span]:
    """A publish span, child of the current one, whose context goes in the record's headers."""
    attributes = _send_attributes(topic, message.carnet_number, str(message.message_id), message.type)
    with tracer.start_as_current_span(f"send {topic}", kind=SpanKind.PRODUCER, attributes=attributes) as span:
        propagate.inject(headers)
        yield span


def start_relay(tracer: Tracer, topic: str, key: str, message_id: str, kind: str, headers: dict[str, str]) -> Span:
    """The relay's send of an outbox row: a child of the context stored with the row (the decision
    that produced it), and the parent of whoever consumes the record (its headers now say so)."""
    parent = propagate.extract(headers)
    attributes = _send_attributes(topic, key, message_id, kind)
    span = tracer.start_span(f"send {topic}", context=parent, kind=SpanKind.PRODUCER, attributes=attributes)
    propagate.inject(headers, context=trace.set_span_in_context(span))
    return span


# --- HTTP: the adapters' clients and the FastAPI apps --------------------------------------------


def instrument_http_client(client: httpx.AsyncClient, traced_by: TracerProvider | None) -> None:
    """Each request of `client` a client span with `traceparent` sent along; nothing when off."""
    if traced_by is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    _stable_http_names()
    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=traced_by)


def _stable_http_names() -> None:
    """The HTTP instrumentations write the stable attribute names (http.request.method, url.full,
    http.response.status_code) unless the operator's OTEL_SEMCONV_STABILITY_OPT_IN says otherwise;
    they read it once, at the first instrumentation of the OS process."""
    os.environ.setdefault(SEMCONV_OPT_IN, "http")


def untraced_http() -> contextlib.AbstractContextManager[object]:
    """Requests made inside are not traced (an adapter's idle health probes: no trace of their own)."""
    if not enabled():
        return contextlib.nullcontext()
    from opentelemetry.instrumentation.utils import suppress_http_instrumentation

    return suppress_http_instrumentation()


def instrument_app(app: FastAPI, traced_by: TracerProvider | None) -> None:
    """Each request to `app` a server span, child of the caller's `traceparent`; nothing when off."""
    if traced_by is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    _stable_http_names()
    FastAPIInstrumentor.instrument_app(app, tracer_provider=traced_by, exclude_spans=["receive", "send"])


# --- logs ----------------------------------------------------------------------------------------


def current_ids() -> dict[str, str]:
    """The current span's trace and span ids as logs and trace back ends write them (hex)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}
