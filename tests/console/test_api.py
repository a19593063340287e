"""The console's JSON API against the session's running hub, as a logged-in operator of the role act:
what the page relies on, and what it refuses (a discard without a reason, a decision on a dead letter
that is not there or already decided, a change asked for by another site's page). Who may do what is
tested in test_login_api.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from hub.contract import asyncapi_servers
from hub.contract.schemas import ASYNCAPI
from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.stack import Stack
from hub.operations.console.operators import Role
from hub.runtime.kafka.security import KafkaSecurity
from hub.store.reconciliations import record_reconciliation
from tests.console.logins import ensure_operator, logged_in
from tests.e2e.helpers import eventually, produce_raw

pytestmark = pytest.mark.kafka

COMMANDS = "ata.declaration.commands"
OPERATOR = "ayse"


@pytest.fixture
async def http(console: ConsoleProcess) -> AsyncIterator[httpx.AsyncClient]:
    """Logged in as an operator who may act: the session cookie, the page's Origin, the CSRF token."""
    await ensure_operator(console.operators, OPERATOR, Role.ACT)
    async with logged_in(console.base_url, OPERATOR) as session:
        yield session.http


async def _junk_dead_letter(stack: Stack, http: httpx.AsyncClient, value: bytes) -> dict[str, Any]:
    """Undecodable bytes on the commands topic, dead-lettered by the core; as the console lists it."""
    sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, value, b"CONSOLE-API")

    async def listed() -> dict[str, Any] | None:
        letters = (await http.get("/api/dead-letters")).json()["dead_letters"]
        return next(
            (d for d in letters if (d["original_partition"], d["original_offset"]) == (sent.partition, sent.offset)),
            None,
        )

    found: dict[str, Any] = await eventually(listed, wait_s=30)
    return found


async def test_the_overview_shows_every_process_of_the_hub_ready(stack: Stack, http: httpx.AsyncClient) -> None:
    async def all_ready() -> dict[str, Any] | None:
        overview: dict[str, Any] = (await http.get("/api/overview")).json()
        states = {p["name"]: p["state"] for p in overview["processes"]}
        return overview if states and set(states.values()) == {"ready"} else None

    overview = await eventually(all_ready, wait_s=30)

    shown = {p["name"]: p for p in overview["processes"]}
    assert set(shown) == set(stack.ops_targets())
    assert overview["summary"] == f"All {len(shown)} processes ready"
    core = shown[stack.core.NAME]
    assert core["outbox"] is not None and core["outbox"]["backlog"] is not None
    assert {c["name"] for c in core["checks"]} >= {"kafka", "store"}
    assert {s["system"] for s in shown[stack.tobb_adapter.NAME]["systems"]} == {"TOBB"}
    assert shown[stack.tobb_adapter.NAME]["outbox"] is None
    lagged = {(x["group"], x["topic"]) for x in core["lag"]["partitions"]}
    assert (stack.core.NAME, COMMANDS) in lagged


async def test_a_discard_needs_a_reason(stack: Stack, http: httpx.AsyncClient) -> None:
    letter = await _junk_dead_letter(stack, http, b"\x00 console: no reason given")
    path = f"/api/dead-letters/{letter['id']}/discard"

    for body in ({}, {"reason": "   "}):
        refused = await http.post(path, json=body)
        assert refused.status_code == 422, refused.text

    still = (await http.get("/api/dead-letters")).json()["dead_letters"]
    assert letter["id"] in [d["id"] for d in still]
    done = await http.post(path, json={"reason": "test traffic of the console"})
    assert done.status_code == 200, done.text
    again = await http.post(path, json={"reason": "twice"})
    assert again.status_code == 409 and "already discarded" in again.json()["detail"]
    everything = (await http.get("/api/dead-letters", params={"all": "1"})).json()["dead_letters"]
    [after] = [d for d in everything if d["id"] == letter["id"]]
    assert after["status"] == "discarded"
    assert (after["decision"]["reason"], after["decision"]["decided_by"]) == ("test traffic of the console", "ayse")


async def test_replay_of_what_is_not_there_or_already_replayed_is_refused(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    missing = await http.post("/api/dead-letters/0:99999999/replay", json={})
    assert missing.status_code == 404 and "no dead letter 0:99999999" in missing.json()["detail"]
    nonsense = await http.post("/api/dead-letters/not-an-id/replay", json={})
    assert nonsense.status_code == 404

    letter = await _junk_dead_letter(stack, http, b"{console: still broken")
    first = await http.post(f"/api/dead-letters/{letter['id']}/replay", json={})
    assert first.status_code == 200, first.text
    assert first.json()["replayed_to"].startswith(f"{COMMANDS}:")
    second = await http.post(f"/api/dead-letters/{letter['id']}/replay", json={})
    assert second.status_code == 409 and "already replayed" in second.json()["detail"]
    forced = await http.post(f"/api/dead-letters/{letter['id']}/replay", json={"again": True})
    assert forced.status_code == 200, forced.text


async def test_degraded_is_declared_and_cleared_on_the_process_itself(stack: Stack, http: httpx.AsyncClient) -> None:
    tobb = stack.tobb_adapter
    path = f"/api/processes/{tobb.NAME}/degraded/TOBB"
    assert (await http.put(path, json={})).status_code == 422
    try:
        declared = await http.put(path, json={"reason": "TOBB maintenance until 21:00"})
        assert declared.status_code == 200, declared.text
        assert declared.json()["degraded"]["reason"] == "TOBB maintenance until 21:00"
        assert tobb.client.health.degraded is not None and tobb.client.health.degraded.by == "ayse"
    finally:
        cleared = await http.delete(path)
    assert cleared.status_code == 200 and cleared.json()["degraded"] is None
    assert tobb.client.health.degraded is None

    unknown_system = await http.put(f"/api/processes/{tobb.NAME}/degraded/GİB", json={"reason": "x"})
    assert unknown_system.status_code == 404 and "no external system named GİB" in unknown_system.json()["detail"]
    unknown_process = await http.delete("/api/processes/nowhere/degraded/TOBB")
    assert unknown_process.status_code == 404


async def test_another_sites_page_changes_nothing(stack: Stack, http: httpx.AsyncClient) -> None:
    path = f"/api/processes/{stack.tobb_adapter.NAME}/degraded/TOBB"
    forged = await http.put(path, json={"reason": "forged"}, headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert stack.tobb_adapter.client.health.degraded is None


async def test_metrics_of_a_process_and_the_message_contract(stack: Stack, http: httpx.AsyncClient) -> None:
    metrics = await http.get(f"/api/processes/{stack.core.NAME}/metrics")
    assert metrics.status_code == 200 and "hub_outbox_backlog" in metrics.text

    document = await http.get("/asyncapi.yaml")
    assert document.status_code == 200
    served = yaml.safe_load(document.text)
    # The checked-in contract, naming the broker this hub runs on (tests/console/test_asyncapi_served.py).
    assert [s["host"] for s in served["servers"].values()] == [stack.settings.kafka_bootstrap]
    assert served == asyncapi_servers.configured(
        yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8")),
        stack.settings.kafka_bootstrap,
        tls=KafkaSecurity.from_env().ca_file is not None,
    )

    page = await http.get("/asyncapi")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "e-ATA/TR integration hub" in page.text and COMMANDS in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script runs there at all


async def test_the_latest_reconciliation_runs_are_listed_newest_first(
    http: httpx.AsyncClient, console: ConsoleProcess
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=5)  # newer than any run another test recorded
    for minutes, source in ((0, "bilge-export-older.xml"), (1, "bilge-export-newer.xml")):
        summary = {"records_read": 1200 + minutes, "counts": {"missing_in_hub": 2, "status_differs": minutes}}
        await record_reconciliation(
            console.engine, summary, source, [f"/srv/reports/{source}.json"], soon + timedelta(minutes=minutes)
        )
    answer = await http.get("/api/reconciliations", params={"limit": 2})
    assert answer.status_code == 200
    runs = answer.json()["runs"]
    assert [(r["source"], r["records_read"], r["findings"]) for r in runs] == [
        ("bilge-export-newer.xml", 1201, 3),
        ("bilge-export-older.xml", 1200, 2),
    ]
    assert runs[0]["reports"] == ["/srv/reports/bilge-export-newer.xml.json"]
