"""The one envelope every message travels in, JSON on the wire, keyed by carnet number."""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import accumulate
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from hub.contract.messages.types import message_type, payload_model

P = TypeVar("P", bound=BaseModel)

# Header on every event of a command's outcome: how many events the outcome has.
OUTCOME_SIZE_HEADER = "outcome_events"


class Envelope(BaseModel, Generic[P]):
    """Identity, causality and key of a message, around its payload."""

    model_config = ConfigDict(frozen=True)

    message_id: UUID = Field(description="Unique id; consumers use it to apply a message once.")
    type: str = Field(description="Message type, e.g. LodgeDeclaration.")
    schema_version: int = Field(ge=1, description="Version of the payload schema of this type.")
    occurred_at: AwareDatetime = Field(description="When it happened (for a command: when it was issued).")
    correlation_id: UUID = Field(description="Shared by every message of one business flow.")
    causation_id: UUID | None = Field(
        default=None, description="The message this one answers; an outcome's causation id is its command's id."
    )
    received_at: AwareDatetime | None = Field(
        default=None,
        description="When the hub received the command: the broker's append time, stamped by the core on "
        "receipt, whatever a sender wrote here. Every rule judges the command at this time (V1).",
    )
    sent_by: str | None = Field(
        default=None,
        description="The sending system whose signature the hub checked (topics.yaml `senders:`); on an "
        "outcome, the sender of its command. Stamped by the hub, whatever a sender wrote here.",
    )
    carnet_number: str = Field(
        min_length=1,
        description="The Kafka key: the carnet number, so all of a carnet's traffic is on one partition. "
        "On topics not about one carnet, the key topics.yaml names for them (e.g. the firm's VKN).",
    )
    payload: P

    @property
    def key(self) -> bytes:
        return self.carnet_number.encode()

    def headers(self) -> dict[str, str]:
        """Headers let tools route and trace without parsing the body."""
        return {
            "message_id": str(self.message_id),
            "type": self.type,
            "correlation_id": str(self.correlation_id),
            "carnet_number": self.carnet_number,
            "content-type": "application/json",
        }

    def encode(self) -> bytes:
        return self.model_dump_json().encode()


def envelope(
    payload: P,
    *,
    carnet_number: str,
    occurred_at: datetime,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    message_id: UUID | None = None,
    sent_by: str | None = None,
) -> Envelope[P]:
    """Wrap a payload. Without a correlation id the message starts a new flow of its own."""
    mid = message_id or uuid4()
    name, version = message_type(type(payload))
    return Envelope[P](
        message_id=mid,
        type=name,
        schema_version=version,
        occurred_at=occurred_at,
        correlation_id=correlation_id or mid,
        causation_id=causation_id,
        sent_by=sent_by,
        carnet_number=carnet_number,
        payload=payload,
    )


def reply(payload: P, *, to: Envelope[Any], occurred_at: datetime) -> Envelope[P]:
    """A message caused by another: same flow, same carnet, same sender at its origin."""
    return envelope(
        payload,
        carnet_number=to.carnet_number,
        occurred_at=occurred_at,
        correlation_id=to.correlation_id,
        causation_id=to.message_id,
        sent_by=to.sent_by,
    )


class UndecodableMessage(ValueError):
    """Bytes that are not a valid message of an expected type: they go to the dead-letter topic."""


# What a record may be before it is parsed at all, so that no record can make parsing slow, deep or
# raise something else (docs/decisions.md, "Dead letters"). The largest real messages are carnets:
# 2,000 goods lines with long descriptions encode to about 680 KB. A goods line nests 5 deep, and
# numbers (quantities, kilograms, values) have a few digits.
MAX_MESSAGE_BYTES = 768 * 1024
MAX_NESTING = 64
MAX_NUMBER_DIGITS = 100
MAX_REASON_CHARS = 500  # a reason goes into a header and a log line: an exception's text is cut

_STRINGS = re.compile(r'"[^"]*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def shortened(text: str, limit: int = MAX_REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure(exc: BaseException) -> str:
    """An exception as a reason: its type and its text, shortened."""
    try:
        text = str(exc)
    except Exception:  # an exception may fail to print itself
        text = ""
    return shortened(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def nesting(text: str) -> int:
    """How deep arrays and objects nest outside strings, or 0 if too few open to pass MAX_NESTING.

    Linear, without recursion nor a loop per character: it runs before json.loads, on any bytes.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0  # the usual message: nothing to scan
    # Without escaped backslashes, then escaped quotes, every string is a quote, no quote, a quote;
    # after a quote never closed, everything is inside it.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", unescaped).partition('"')[0])
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _digits(number: str) -> str:
    if len(number) > MAX_NUMBER_DIGITS:
        digits = sum(c.isdigit() for c in number)
        if digits > MAX_NUMBER_DIGITS:
            raise UndecodableMessage(f"a number of {digits} digits, more than {MAX_NUMBER_DIGITS}")
    return number


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON within the limits above; anything else raises UndecodableMessage saying why."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise UndecodableMessage(f"{len(raw)} bytes, more than the {MAX_MESSAGE_BYTES} a message may have")
    try:
        text = raw.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8
    except UnicodeDecodeError as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from None
    depth = nesting(text)
    if depth > MAX_NESTING:
        raise UndecodableMessage(f"nested {depth} deep, deeper than {MAX_NESTING}")
    try:
        return json.loads(text, parse_int=lambda n: int(_digits(n)), parse_float=lambda n: float(_digits(n)))
    except json.JSONDecodeError as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from None


def decode(raw: bytes | None, expected: set[str] | None = None) -> Envelope[Any]:
    """Parse and validate one message; `expected` limits the types a topic may carry.

    Whatever the bytes, the only exception is UndecodableMessage, with a reason of bounded length.
    """
    if raw is None:
        raise UndecodableMessage("empty message (tombstone) where a message was expected")
    try:
        return _decode(raw, expected)
    except UndecodableMessage as exc:
        raise UndecodableMessage(shortened(str(exc))) from None  # a type name may be the whole record
    except Exception as exc:  # anything else the bytes provoke is still the bytes' fault
        raise UndecodableMessage(f"cannot be decoded: {failure(exc)}") from exc


def _decode(raw: bytes, expected: set[str] | None) -> Envelope[Any]:
    data = parse_json(raw)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise UndecodableMessage("not an envelope: no 'type'")
    kind = data["type"]
    if expected is not None and kind not in expected:
        raise UndecodableMessage(f"type {kind!r} is not carried on this topic")
    model = payload_model(kind)
    if model is None:
        raise UndecodableMessage(f"unknown message type {kind!r}")
    try:
        env: Envelope[Any] = Envelope[model].model_validate(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UndecodableMessage(f"invalid {kind}: {where}: {first['msg']} ({exc.error_count()} errors)") from None
    _, version = message_type(model)
    if env.schema_version != version:
        raise UndecodableMessage(f"{kind} schema version {env.schema_version} is not the supported {version}")
    return env
