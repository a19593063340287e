"""The one envelope every message travels in, JSON on the wire, keyed by carnet number."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from hub.messages.types import message_type, payload_model

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
        carnet_number=carnet_number,
        payload=payload,
    )


def reply(payload: P, *, to: Envelope[Any], occurred_at: datetime) -> Envelope[P]:
    """A message caused by another: same flow, same carnet."""
    return envelope(
        payload,
        carnet_number=to.carnet_number,
        occurred_at=occurred_at,
        correlation_id=to.correlation_id,
        causation_id=to.message_id,
    )


class UndecodableMessage(ValueError):
    """Bytes that are not a valid message of an expected type: they go to the dead-letter topic."""


def decode(raw: bytes | None, expected: set[str] | None = None) -> Envelope[Any]:
    """Parse and validate one message; `expected` limits the types a topic may carry."""
    if raw is None:
        raise UndecodableMessage("empty message (tombstone) where a message was expected")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from None
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
