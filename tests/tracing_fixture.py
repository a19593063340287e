"""Tracing on for the whole session, as an operator turns it on with OTEL_*: every span the
session's processes end is kept in memory (hub/operations/tracing.py), for the tests that follow a trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hub.operations import tracing


@pytest.fixture(scope="session", autouse=True)
def spans() -> Iterator[InMemorySpanExporter]:
    """Autouse, so that it is on before any process of the session (the stack, the simulators) starts."""
    exporter = InMemorySpanExporter()
    with tracing.exporting_to(exporter):
        yield exporter


@pytest.fixture(autouse=True)
def fresh_spans(spans: InMemorySpanExporter) -> None:
    """Each test starts with none kept: a session's spans would otherwise fill the memory (hundreds of
    thousands of them); a test follows only the trace of what it sent."""
    spans.clear()
