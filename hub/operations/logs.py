"""Logging: one JSON object per line, each line about a message carrying its ids.

While a message is handled (`message_context`), every line logged in that task, whichever library
logs it (an adapter's service, httpx, the store), carries the message id, correlation id, carnet
number, message type and topic, so `grep '"carnet_number": "TR/2026/000123"'` follows one carnet
through every process. The context lives in a ContextVar: concurrent tasks each keep their own.
When tracing is on (hub/operations/tracing.py), a line logged inside a span also carries its `trace_id` and
`span_id`, so a trace back end and the log lead to each other.

`configure` writes everything to a file as JSON with warnings and worse on the terminal as plain
text; without a file (a process on its own, as docker-compose runs them) everything goes to stderr,
JSON unless stderr is a terminal. `$HUB_LOG_FORMAT=json|text` overrides the format of that output.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import HubSettings
from hub.operations import tracing

# Fields, in the order they appear on a line, a message context may carry.
CONTEXT_FIELDS = (
    "message_id",
    "correlation_id",
    "causation_id",
    "carnet_number",
    "message_type",
    "topic",
    "partition",
    "offset",
    "key",
    "trace_id",
    "span_id",
)
RECORD_ATTRIBUTE = "hub_message"  # where MessageContextFilter puts the context on a LogRecord

_current: ContextVar[dict[str, Any] | None] = ContextVar("hub_message_context", default=None)

Format = Literal["json", "text"]


class MessageContext:
    """The fields of the message being handled; `bind` adds an envelope's ids once it is decoded."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def bind(self, envelope: Any = None, **fields: Any) -> None:
        self.fields.update(_envelope_fields(envelope))
        self.fields.update({k: _plain(v) for k, v in fields.items() if v is not None})


@contextlib.contextmanager
def message_context(envelope: Any = None, topic: str | None = None, **fields: Any) -> Iterator[MessageContext]:
    """Every line logged inside (in this task and the tasks it starts) carries the message's ids.

    `envelope` is anything with an Envelope's attributes (message_id, correlation_id, carnet_number,
    type); extra fields (partition, offset, key) are for a record that may not decode. Nested
    contexts add to the outer one.
    """
    merged = dict(_current.get() or {})
    context = MessageContext(merged)
    context.bind(envelope, topic=topic, **fields)
    token = _current.set(merged)
    try:
        yield context
    finally:
        _current.reset(token)


def current_context() -> dict[str, Any]:
    """A copy of the fields of the message being handled, empty outside `message_context`."""
    return dict(_current.get() or {})


def _envelope_fields(envelope: Any) -> dict[str, Any]:
    if envelope is None:
        return {}
    found = {
        "message_id": getattr(envelope, "message_id", None),
        "correlation_id": getattr(envelope, "correlation_id", None),
        "causation_id": getattr(envelope, "causation_id", None),
        "carnet_number": getattr(envelope, "carnet_number", None),
        "message_type": getattr(envelope, "type", None),
    }
    return {k: _plain(v) for k, v in found.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class MessageContextFilter(logging.Filter):
    """Stamps each record with the message context of the task that logged it (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, RECORD_ATTRIBUTE):
            fields = current_context()
            if tracing.enabled():
                fields.update(tracing.current_ids())
            setattr(record, RECORD_ATTRIBUTE, fields)
        return True


def _context_of(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, RECORD_ATTRIBUTE, None)
    return dict(fields) if fields is not None else current_context()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, service, pid, the message's ids, exc_info."""

    def __init__(self, service: str = "hub") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "service": self.service,
            "pid": record.process,
        }
        context = _context_of(record)
        line.update((k, context[k]) for k in CONTEXT_FIELDS if k in context)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain text for people, with the message's ids appended when there are some."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = _context_of(record)
        ids = " ".join(f"{k}={context[k]}" for k in CONTEXT_FIELDS if k in context)
        if not ids:
            return text
        first, newline, rest = text.partition("\n")  # after the message, before any traceback
        return f"{first} [{ids}]{newline}{rest}"


class LogSettings(HubSettings):
    """How a process logs."""

    model_config = SettingsConfigDict(env_prefix="HUB_LOG_")

    format: Format | None = Field(None, json_schema_extra={"default_shown": "json, or text on a terminal"})
    """The format of the log file, or of stderr when there is no file."""

    @field_validator("format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


def _format_from_env() -> Format | None:
    return LogSettings.from_env().format


def configure(
    log_file: Path | None,
    level: int = logging.INFO,
    *,
    service: str = "hub",
    log_format: Format | None = None,
) -> None:
    """Replace the root logger's handlers.

    With a file: everything there (JSON by default), warnings and worse on stderr as plain text.
    Without: everything on stderr, JSON unless stderr is a terminal. `log_format`, else
    `$HUB_LOG_FORMAT`, decides the format of the file (or of stderr when there is no file).
    """
    chosen = log_format or _format_from_env()
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    context = MessageContextFilter()

    def formatter(fmt: Format) -> logging.Formatter:
        return JsonFormatter(service) if fmt == "json" else TextFormatter()

    terminal = logging.StreamHandler(sys.stderr)
    terminal.addFilter(context)
    if log_file is not None:
        terminal.setLevel(logging.WARNING)
        terminal.setFormatter(TextFormatter())
        # aiokafka reports transient group-coordinator states while a group forms: file only.
        terminal.addFilter(lambda record: not record.name.startswith("aiokafka"))
    else:
        terminal.setLevel(level)
        terminal.setFormatter(formatter(chosen or ("text" if sys.stderr.isatty() else "json")))
    root.addHandler(terminal)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.addFilter(context)
        to_file.setFormatter(formatter(chosen or "json"))
        root.addHandler(to_file)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # One INFO line per HTTP request made (the console's scrapes of every process each few seconds
    # were 91% of the demo's log): the adapters log their calls to external systems themselves.
    logging.getLogger("httpx").setLevel(logging.WARNING)


# What the libraries say that tells an operator nothing, filtered where each library logs: the three
# filters of the hub, in one place.
_NO_AUTO_CREATE = "Auto create topics is disabled. Make sure the topics exist."


class _TopicsFromTopicsYaml(logging.Filter):
    """FastStream warns at each subscription that it creates no topic: by design here (topics come
    from topics.yaml, `hub topics apply` reports any missing), so the warning, ten times at every start
    of `hub run`, said nothing an operator could act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _NO_AUTO_CREATE


class _AlembicContext(logging.Filter):
    """Alembic says at INFO which dialect it drives each time it looks at a store: at every process's
    start, that is. Its migration steps ("Running upgrade ...") still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))


FASTSTREAM_NOISE: Final = _TopicsFromTopicsYaml()  # on each broker's logger (hub/runtime/kafka/brokers.py)
ALEMBIC_NOISE: Final = _AlembicContext()  # on alembic.runtime.migration (hub/store/schema.py)
