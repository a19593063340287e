"""The AsyncAPI document the console serves names the brokers its process is configured with, not
the neutral server of the checked-in schemas/asyncapi.yaml nor a developer's 127.0.0.1:9092.

A console of its own, on a bootstrap list where no broker answers: serving the document asks Kafka
nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from hub.configuration.settings import Settings
from hub.contract.schemas import ASYNCAPI
from hub.devtools.pki import ensure_dev_pki
from hub.entrypoints.processes.console import ConsoleProcess
from hub.operations.console.operators import Role
from hub.store.schema import upgrade_store
from tests.console.logins import LoggedIn, ensure_operator, logged_in

CLUSTER = "10.0.0.5:9093,10.0.0.6:9093"
READER = "ayse.watch"


@contextlib.asynccontextmanager
async def console_reader(tmp_path: Path) -> AsyncIterator[LoggedIn]:
    """A console on CLUSTER, started, with an operator of role watch logged in."""
    settings = Settings(
        kafka_bootstrap=CLUSTER,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        consumer_max_attempts=3,
        relay_poll_s=0.5,
    )
    await upgrade_store(settings.database_url)  # as `hub db upgrade` does before a console starts
    console = ConsoleProcess(settings, lambda: {})
    await console.start()
    try:
        await ensure_operator(console.operators, READER, Role.WATCH)
        async with logged_in(console.base_url, READER) as session:
            yield session
    finally:
        await console.stop()


@pytest.fixture
async def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LoggedIn]:
    monkeypatch.delenv("HUB_KAFKA_CA_FILE", raising=False)
    async with console_reader(tmp_path) as session:
        yield session


async def test_the_served_document_names_every_configured_broker_and_no_other(reader: LoggedIn) -> None:
    answer = await reader.http.get("/asyncapi.yaml")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/yaml")
    served = yaml.safe_load(answer.text)
    assert {name: (s["host"], s["protocol"]) for name, s in served["servers"].items()} == {
        "kafka-1": ("10.0.0.5:9093", "kafka"),
        "kafka-2": ("10.0.0.6:9093", "kafka"),
    }
    assert all(s["security"] == [{"$ref": "#/components/securitySchemes/scram512"}] for s in served["servers"].values())
    every_server = [{"$ref": "#/servers/kafka-1"}, {"$ref": "#/servers/kafka-2"}]
    assert all(channel["servers"] == every_server for channel in served["channels"].values())
    assert "127.0.0.1:9092" not in answer.text and "kafka.example" not in answer.text

    # Everything else is the checked-in contract.
    written = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    for document in (served, written):
        del document["servers"]
        for channel in document["channels"].values():
            del channel["servers"]
    assert served == written

    page = await reader.http.get("/asyncapi")
    assert page.status_code == 200
    assert "kafka://10.0.0.5:9093" in page.text and "kafka://10.0.0.6:9093" in page.text
    assert "127.0.0.1:9092" not in page.text and "{bootstrap}" not in page.text


async def test_a_console_whose_kafka_clients_use_tls_names_kafka_secure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "cluster-ca.pem"  # a CA the broker's certificate is checked against
    ca_file.write_text(ensure_dev_pki().ca_cert.read_text())
    monkeypatch.setenv("HUB_KAFKA_CA_FILE", str(ca_file))
    async with console_reader(tmp_path) as reader:
        served = yaml.safe_load((await reader.http.get("/asyncapi.yaml")).text)
    assert [(s["host"], s["protocol"]) for s in served["servers"].values()] == [
        ("10.0.0.5:9093", "kafka-secure"),
        ("10.0.0.6:9093", "kafka-secure"),
    ]
    assert all("over TLS" in s["description"] for s in served["servers"].values())
