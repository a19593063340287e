"""Structured logs: every line about a message carries its ids, so one grep follows a carnet."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hub.contract.messages.envelope import Envelope
from hub.contract.topics import catalog
from hub.operations import tracing
from hub.operations.logs import JsonFormatter, MessageContextFilter, TextFormatter, configure, message_context
from hub.runtime.kafka.brokers import kafka_broker
from hub.runtime.kafka.consuming import subscribe_reliably
from tests.getapp_tracking.builders import two_firms

TOPIC = "ata.declaration.events"
log = logging.getLogger("tests.logs")


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """Leave the root logger (pytest's handlers included) and aiokafka's level as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    aiokafka_level = logging.getLogger("aiokafka").level
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(aiokafka_level)


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured(root_logging: logging.Logger) -> Captured:
    """JSON lines of everything logged, as `configure` writes them to its file."""
    capture = Captured()
    handler = logging.StreamHandler(capture.stream)
    # Only this test's thread: in the full suite the session's hub (simulators, SQLite workers) logs too.
    here = threading.get_ident()
    handler.addFilter(lambda record: record.thread == here)
    handler.addFilter(MessageContextFilter())
    handler.setFormatter(JsonFormatter("hub-test"))
    root_logging.addHandler(handler)
    root_logging.setLevel(logging.DEBUG)
    return capture


def an_event(index: int = 0) -> Envelope[Any]:
    return two_firms()[index]


def test_lines_inside_a_message_context_carry_its_ids_and_lines_outside_none(captured: Captured) -> None:
    event = an_event()
    log.info("before")
    with message_context(event, TOPIC):
        logging.getLogger("adapters.tobb.client").info("an adapter's line")
    log.info("after")

    before, inside, after = captured.lines()
    for line in (before, inside, after):
        assert {"ts", "level", "logger", "msg", "service", "pid"} <= line.keys()
        assert line["service"] == "hub-test"
        assert line["ts"].endswith("+00:00")
    assert inside["logger"] == "adapters.tobb.client" and inside["msg"] == "an adapter's line"
    assert inside["level"] == "INFO"
    assert inside["message_id"] == str(event.message_id)
    assert inside["correlation_id"] == str(event.correlation_id)
    assert inside["carnet_number"] == event.carnet_number
    assert inside["message_type"] == event.type
    assert inside["topic"] == TOPIC
    for line in (before, after):
        assert not {"message_id", "correlation_id", "carnet_number", "message_type", "topic"} & line.keys()


def test_a_nested_context_adds_to_the_outer_one(captured: Captured) -> None:
    event = an_event()
    with message_context(topic=TOPIC, partition=2, offset=41, key=b"TR/2026/000123") as context:
        log.info("undecoded yet")
        context.bind(event)
        log.info("decoded")
        with message_context(causation_id="c-1"):
            log.info("nested")
        log.info("back")

    undecoded, decoded, nested, back = captured.lines()
    assert undecoded["topic"] == TOPIC and undecoded["partition"] == 2 and undecoded["offset"] == 41
    assert undecoded["key"] == "TR/2026/000123" and "message_id" not in undecoded
    assert decoded["message_id"] == str(event.message_id) and decoded["offset"] == 41
    assert nested["causation_id"] == "c-1" and nested["message_id"] == str(event.message_id)
    assert "causation_id" not in back


async def test_concurrent_tasks_each_keep_their_own_message(captured: Captured) -> None:
    first, second = an_event(0), an_event(1)
    assert first.message_id != second.message_id

    async def handle(event: Envelope[Any]) -> None:
        with message_context(event, TOPIC):
            for step in range(3):
                log.info("%s step %d", event.message_id, step)
                await asyncio.sleep(0)  # let the other task log in between

            async def child() -> None:  # a task started while handling inherits the message
                log.info("%s child", event.message_id)

            await asyncio.create_task(child())

    await asyncio.gather(handle(first), handle(second))

    lines = [line for line in captured.lines() if line["logger"] == "tests.logs"]
    assert len(lines) == 8
    assert [line["msg"].split()[0] for line in lines[:2]] == [str(first.message_id), str(second.message_id)]
    for line in lines:
        assert line["message_id"] == line["msg"].split()[0]
        event = first if line["message_id"] == str(first.message_id) else second
        assert line["carnet_number"] == event.carnet_number


def test_exceptions_are_serialised_on_their_line(captured: Captured) -> None:
    event = an_event()
    with message_context(event, TOPIC):
        try:
            raise ValueError("BİLGE said no")
        except ValueError:
            log.exception("handling failed")

    (line,) = captured.lines()
    assert line["level"] == "ERROR" and line["msg"] == "handling failed"
    assert "Traceback" in line["exc_info"] and "ValueError: BİLGE said no" in line["exc_info"]
    assert line["carnet_number"] == event.carnet_number


def test_the_terminal_text_appends_the_ids() -> None:
    event = an_event()
    record = logging.LogRecord("hub.x", logging.WARNING, __file__, 1, "slow answer", None, None)
    with message_context(event, TOPIC):
        MessageContextFilter().filter(record)
    text = TextFormatter().format(record)
    assert "WARNING hub.x: slow answer [" in text
    assert f"message_id={event.message_id}" in text and f"carnet_number={event.carnet_number}" in text


async def test_the_reliable_subscription_logs_inside_the_message_context(captured: Captured) -> None:
    handled: list[Envelope[Any]] = []

    async def handle(event: Envelope[Any]) -> None:
        logging.getLogger("adapters.some.service").info("handling %s", event.message_id)
        handled.append(event)

    broker = KafkaBroker("127.0.0.1:1")
    subscribe_reliably(broker, catalog(), TOPIC, "logs-test", handle)
    first, second = an_event(0), an_event(1)
    async with TestKafkaBroker(broker) as test_broker:
        for event in (first, second):
            await test_broker.publish(event.encode(), topic=TOPIC, key=event.key, headers=event.headers())
        await test_broker.publish(b"not an envelope", topic=TOPIC, key=b"TR/2026/000999")

    assert handled == [first, second]
    lines = captured.lines()
    for event in (first, second):
        (line,) = [
            x for x in lines if x["logger"] == "adapters.some.service" and x["msg"] == f"handling {event.message_id}"
        ]
        assert line["message_id"] == str(event.message_id)
        assert line["correlation_id"] == str(event.correlation_id)
        assert line["carnet_number"] == event.carnet_number
        assert line["message_type"] == event.type
        assert line["topic"] == TOPIC
        # and the consumer's own line saying it handled the message, so every process leaves a trace
        (done,) = [
            x for x in lines if "handled by logs-test" in x["msg"] and x.get("message_id") == str(event.message_id)
        ]
        assert done["carnet_number"] == event.carnet_number
    (dead,) = [x for x in lines if x["msg"].startswith("dead-lettered")]
    assert dead["topic"] == TOPIC and dead["key"] == "TR/2026/000999"
    assert "partition" in dead and "offset" in dead and "message_id" not in dead
    assert not any("message_id" in x for x in lines if x["logger"].startswith("faststream"))


def test_one_grep_of_a_carnet_number_finds_exactly_its_message_lines(
    root_logging: logging.Logger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_LOG_FORMAT", raising=False)
    log_file = tmp_path / "hub.log"
    configure(log_file, service="hub-run")
    ours, other = an_event(0), an_event(2)
    assert ours.carnet_number != other.carnet_number
    log.info("starting")
    with message_context(ours, TOPIC):
        log.info("lodged")
        logging.getLogger("hub.store").warning("slow commit")
    with message_context(other, TOPIC):
        log.info("lodged")
    log.info("idle")
    for handler in root_logging.handlers:
        handler.flush()

    needle = f'"carnet_number": "{ours.carnet_number}"'
    found = [line for line in log_file.read_text(encoding="utf-8").splitlines() if needle in line]
    assert [json.loads(line)["msg"] for line in found] == ["lodged", "slow commit"]
    assert all(json.loads(line)["message_id"] == str(ours.message_id) for line in found)
    assert all(json.loads(line)["service"] == "hub-run" for line in found)


def test_log_format_text_keeps_the_file_plain(
    root_logging: logging.Logger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_LOG_FORMAT", "text")
    log_file = tmp_path / "hub.log"
    configure(log_file)
    event = an_event()
    with message_context(event, TOPIC):
        log.info("lodged")
    for handler in root_logging.handlers:
        handler.flush()
    (line,) = log_file.read_text(encoding="utf-8").splitlines()
    assert not line.startswith("{")
    assert f"INFO tests.logs: lodged [message_id={event.message_id} " in line
    assert f"carnet_number={event.carnet_number}" in line


def test_http_request_lines_are_not_logged_at_info_but_their_warnings_are(
    root_logging: logging.Logger, tmp_path: Path
) -> None:
    """The console scrapes every process each few seconds: one httpx line per request drowned the log."""
    log_file = tmp_path / "hub.log"
    configure(log_file)
    try:
        logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:8781/metrics "HTTP/1.1 200 OK"')
        logging.getLogger("httpx").warning("a connection the pool could not reuse")
        log.info("lodged")
        for handler in root_logging.handlers:
            handler.flush()
        lines = log_file.read_text(encoding="utf-8")
        assert "HTTP Request" not in lines and "could not reuse" in lines and "lodged" in lines
    finally:
        logging.getLogger("httpx").setLevel(logging.NOTSET)


def test_a_line_logged_inside_a_span_carries_its_trace_and_span_ids(
    tmp_path: Path, root_logging: logging.Logger
) -> None:
    log_file = tmp_path / "hub.log"
    configure(log_file, service="hub-core")
    with tracing.exporting_to(InMemorySpanExporter()):
        tracer = tracing.tracer("hub-core")
        assert tracer is not None
        with tracer.start_as_current_span("decide LodgeDeclaration") as span:
            logging.getLogger("hub.test").info("inside")
        logging.getLogger("hub.test").info("outside")
    inside, outside = (json.loads(line) for line in log_file.read_text().splitlines()[-2:])
    ids = span.get_span_context()
    assert inside["trace_id"] == format(ids.trace_id, "032x") and inside["span_id"] == format(ids.span_id, "016x")
    assert "trace_id" not in outside


def test_a_process_does_not_warn_at_each_subscription_that_it_creates_no_topics(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Topics come from topics.yaml: FastStream's warning, ten times at every start, told an operator nothing.
    kafka_broker("127.0.0.1:1", "hub-core")
    caplog.set_level(logging.WARNING)
    faststream_logger = logging.getLogger("hub.runtime.kafka.hub-core")  # what FastStream logs through
    faststream_logger.warning("Auto create topics is disabled. Make sure the topics exist.")
    faststream_logger.warning("Consumer group rebalanced")
    assert [r.getMessage() for r in caplog.records] == ["Consumer group rebalanced"]
