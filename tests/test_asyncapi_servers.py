"""The servers of the AsyncAPI document: neutral in the checked-in contract whatever the machine that
writes it, the configured brokers in what a process serves (tests/console/test_asyncapi_served.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

from hub.contract import asyncapi_servers
from hub.contract.schemas import ASYNCAPI
from hub.contract.topics import PROJECT_ROOT


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    return loaded


def test_the_checked_in_document_names_a_variable_not_a_machines_broker(written: dict[str, Any]) -> None:
    assert list(written["servers"]) == ["kafka"]
    server = written["servers"]["kafka"]
    assert server["host"] == "{bootstrap}" and server["protocol"] == "kafka"
    assert server["variables"]["bootstrap"]["default"] == "kafka.example:9092"
    assert server["security"] == [{"$ref": "#/components/securitySchemes/scram512"}]
    assert "127.0.0.1" not in ASYNCAPI.read_text(encoding="utf-8")
    assert all(channel["servers"] == [{"$ref": "#/servers/kafka"}] for channel in written["channels"].values())


def test_hub_schemas_check_passes_wherever_kafka_is_configured() -> None:
    """`hub schemas write` on a machine configured for another cluster writes the same file."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HUB_KAFKA_BOOTSTRAP": "10.9.9.9:9999,10.9.9.8:9999"}
    check = subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", "schemas", "check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_bootstrap_list_is_one_server_per_broker(written: dict[str, Any]) -> None:
    served = asyncapi_servers.configured(written, " broker-a.customs:9093 ,broker-b.customs:9093,", tls=True)
    assert {name: (s["host"], s["protocol"]) for name, s in served["servers"].items()} == {
        "kafka-1": ("broker-a.customs:9093", "kafka-secure"),
        "kafka-2": ("broker-b.customs:9093", "kafka-secure"),
    }
    assert "kafka" in written["servers"]  # the document served from is left as it was
    with pytest.raises(ValueError, match="no Kafka broker"):
        asyncapi_servers.configured(written, " , ", tls=False)
