"""Tracing is off unless OTEL_* turns it on (hub/operations/tracing.py), and what the variables ask for. A trace
end to end: tests/e2e/test_trace.py; log lines inside a span: tests/test_logs.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hub.operations import tracing

ROOT = Path(__file__).resolve().parents[1]

# Run in a process of its own with no OTEL_* variable: builds every process of the hub the way
# `hub run` does, and reports what tracing each has and whether the SDK was even imported.
_UNSET = """
import json, sys
from opentelemetry import trace
from hub.operations import tracing
from hub.configuration.settings import Settings
from hub.entrypoints.processes.core import CoreProcess
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from adapters.tobb.client import TobbSettings
from adapters.tobb.simulator import create_app

core = CoreProcess(Settings.from_env())
tobb = TobbAdapterProcess(Settings.from_env(), TobbSettings(base_url="http://127.0.0.1:9", api_key="k"))
create_app(api_key="k")
print(json.dumps({
    "enabled": tracing.enabled(),
    "core": [core.tracer is None, core.tracer_provider is None],
    "tobb": [tobb.tracer is None, tobb.tracer_provider is None],
    "global_provider": type(trace.get_tracer_provider()).__name__,
    "sdk_imported": "opentelemetry.sdk.trace" in sys.modules,
    "httpx_instrumented": getattr(tobb.client._http, "_is_instrumented_by_opentelemetry", False),
}))
"""


def test_without_otel_variables_no_provider_is_installed_and_nothing_is_instrumented() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(ROOT)
    ran = subprocess.run(
        [sys.executable, "-c", _UNSET], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen == {
        "enabled": False,
        "core": [True, True],
        "tobb": [True, True],
        "global_provider": "ProxyTracerProvider",
        "sdk_imported": False,
        "httpx_instrumented": False,
    }


def test_what_the_otel_variables_ask_for() -> None:
    assert tracing.exporters_from_env({}) == []
    assert tracing.exporters_from_env({"OTEL_TRACES_EXPORTER": "none"}) == []
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example:4318"}
    (otlp,) = tracing.exporters_from_env(endpoint)
    assert isinstance(otlp, OTLPSpanExporter)
    assert tracing.exporters_from_env({**endpoint, "OTEL_SDK_DISABLED": "true"}) == []
    assert tracing.exporters_from_env({**endpoint, "OTEL_TRACES_EXPORTER": "none"}) == []
    both = tracing.exporters_from_env({"OTEL_TRACES_EXPORTER": "otlp,console"})
    assert [type(e) for e in both] == [OTLPSpanExporter, ConsoleSpanExporter]
    with pytest.raises(tracing.TracingConfigError, match="http/protobuf"):
        tracing.exporters_from_env({**endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    with pytest.raises(tracing.TracingConfigError, match="zipkin"):
        tracing.exporters_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_each_service_is_named_after_its_process() -> None:
    with tracing.exporting_to(InMemorySpanExporter()):
        core, tobb = tracing.provider("hub-core"), tracing.provider("adapter-tobb")
        assert core is not None and tobb is not None and core is not tobb
        assert tracing.provider("hub-core") is core
        assert core.resource.attributes["service.name"] == "hub-core"
        assert tobb.resource.attributes["service.name"] == "adapter-tobb"
