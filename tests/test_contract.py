"""The contract: topics.yaml is the only list of topics, and the checked-in schemas match the code."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import jsonschema
import pytest
import yaml
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import create_async_engine

from hub.contract.catalogue import MissingDocstring, own_doc, render
from hub.contract.messages.envelope import UndecodableMessage, decode, envelope
from hub.contract.messages.types import all_types
from hub.contract.schemas import catalog_problems
from hub.contract.topics import PROJECT_ROOT, TopicCatalog, UndeclaredTopic, catalog
from hub.entrypoints import checked_in
from hub.runtime.client import HubClient
from hub.runtime.kafka.consuming import subscribe_reliably
from hub.runtime.kafka.publishing import Publisher
from hub.store.uow import UnitOfWork
from tests.e2e.helpers import foreign_5800


def test_checked_in_json_schemas_and_asyncapi_match_the_code() -> None:
    assert checked_in.drift() == [], "run `hub schemas write` and commit schemas/"


def test_topics_yaml_names_the_generated_schema_of_every_message_type() -> None:
    assert catalog_problems(catalog()) == []


def test_asyncapi_document_has_only_topics_of_topics_yaml() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "schemas" / "asyncapi.yaml").read_text(encoding="utf-8"))
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses and addresses <= set(catalog().names)
    assert {"ata.declaration.commands", "ata.declaration.events", "tobb.carnet.requests"} <= addresses


def test_a_message_on_the_wire_validates_against_its_checked_in_json_schema() -> None:
    lodge = foreign_5800()
    wire = json.loads(envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC)).encode())
    schema = json.loads((PROJECT_ROOT / "schemas/json/LodgeDeclaration.v1.json").read_text(encoding="utf-8"))
    jsonschema.validate(wire, schema)
    wire["type"] = "AcceptDeclaration"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire, schema)


def test_envelope_carries_ids_causality_and_the_carnet_key() -> None:
    lodge = foreign_5800()
    command = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    assert command.correlation_id == command.message_id and command.causation_id is None
    assert command.key == lodge.carnet_number.encode()
    decoded = decode(command.encode(), {"LodgeDeclaration"})
    assert decoded == command
    with pytest.raises(UndecodableMessage, match="not carried on this topic"):
        decode(command.encode(), {"AcceptDeclaration"})


def test_subscribing_to_an_undeclared_topic_is_refused() -> None:
    async def handle(_: Any) -> None:
        return None

    with pytest.raises(UndeclaredTopic, match=r"not declared in topics\.yaml"):
        subscribe_reliably(KafkaBroker("127.0.0.1:1"), catalog(), "ata.declaration.secret", "g", handle)


async def test_publishing_to_an_undeclared_topic_or_an_undeclared_type_is_refused() -> None:
    lodge = foreign_5800()
    message = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    publisher = Publisher(KafkaBroker("127.0.0.1:1"), catalog())
    with pytest.raises(UndeclaredTopic):
        await publisher.publish("ata.declaration.secret", message)
    with pytest.raises(UndeclaredTopic, match=r"does not let topic .ata\.declaration\.events. carry"):
        await publisher.publish("ata.declaration.events", message)  # a command on the events topic
    uow = UnitOfWork(create_async_engine("sqlite+aiosqlite://"), catalog(), "test")
    with pytest.raises(UndeclaredTopic):
        uow.publish("somewhere.else", message)
    client = HubClient("127.0.0.1:1", catalog())
    wrong = message.model_copy(update={"type": "DeclarationLodged"})  # an event sent as a command
    with pytest.raises(UndeclaredTopic):
        await client.send_envelope(wrong)


def test_every_message_in_the_catalogue_is_described_by_its_own_docstring() -> None:
    """docs/messages.md never shows pydantic's BaseModel docstring for a message that has none of its own."""
    text = render(catalog())
    assert "Usage Documentation" not in text and "!!! abstract" not in text
    undocumented = [name for name, (model, _) in all_types().items() if not own_doc(model)]
    assert undocumented == []


def test_a_message_type_without_a_docstring_stops_the_catalogue() -> None:
    class Undocumented(BaseModel):
        declaration_number: str

    spec = dataclasses.replace(catalog().topic("ata.declaration.events"), messages={"Undocumented": "x.json"})
    with (
        patch("hub.contract.catalogue.all_types", return_value={"Undocumented": (Undocumented, 1)}),
        pytest.raises(MissingDocstring, match="Undocumented"),
    ):
        render(TopicCatalog([spec]))
