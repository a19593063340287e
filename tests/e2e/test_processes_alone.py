"""Every process on its own: the core, GET-APP and the offices' page as OS processes of their own, as an
operator (or docker-compose) deploys them, on one database of either kind.

A broker of this module's own, so that these processes' consumer groups (hub-core, getapp) do not
share the session stack's partitions. The schema is brought to the code's with `hub db upgrade`, as
README's "By hand" does, before the processes start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.contract.topics import catalog
from hub.devtools.ports import free_port
from hub.getapp.tracking.tables import getapp_declarations
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.store.engine import create_engine
from tests.e2e.helpers import eventually, foreign_5800
from tests.kafka_fixture import started_broker
from tests.os_processes import HubOs, hub_command
from tests.store_fixture import StoreKind

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def broker() -> AsyncIterator[str]:
    with started_broker("alone") as started:
        await apply_topics(started.bootstrap_servers, catalog())
        yield started.bootstrap_servers


@pytest.fixture
def processes() -> Iterator[list[HubOs]]:
    started: list[HubOs] = []
    yield started
    for process in started:
        process.stop()


async def test_getapp_run_alone_follows_what_the_core_run_alone_decides(
    broker: str, stores: StoreKind, processes: list[HubOs], tmp_path: Path
) -> None:
    database = stores.new_url()
    env = {"HUB_KAFKA_BOOTSTRAP": broker, "HUB_DATABASE_URL": database, "HUB_RELAY_POLL_S": "0.2"}
    upgraded = hub_command("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    page_port = free_port()
    core = HubOs("core", ["core", "--ops-port", "0"], env, tmp_path)
    getapp = HubOs("getapp", ["getapp", "--port", str(page_port), "--ops-port", "0"], env, tmp_path)
    processes.extend([core, getapp])
    await core.ready()
    await getapp.ready()

    lodge = foreign_5800()
    async with HubClient(broker) as client:
        sent = await client.send(lodge, lodge.carnet_number)
        outcome = [event.type for event in await client.outcome(sent, wait_s=60)]
    assert sorted(outcome) == ["CarnetRecorded", "DeclarationLodged"]

    # GET-APP, a process of its own, read the core's events into its tracking read model...
    engine = create_engine(database)
    try:

        async def tracked() -> bool:
            query = select(getapp_declarations.c.declaration_number).where(
                getapp_declarations.c.declaration_number == lodge.declaration_number
            )
            async with engine.connect() as conn:
                return (await conn.execute(query)).first() is not None

        assert await eventually(tracked, wait_s=60)
    finally:
        await engine.dispose()
    # ...and serves the firms' page and API on its own port.
    async with httpx.AsyncClient() as http:
        page = await http.get(f"http://127.0.0.1:{page_port}/")
        api = await http.get(f"http://127.0.0.1:{page_port}/api/declarations")
    assert page.status_code == 200 and "<title>GET-APP</title>" in page.text
    assert api.status_code == 401  # a firm's declarations only after its login

    # The offices' page, a process of its own too: an officer of the lodging office, made with `hub
    # officers add`, logs in and sees the declaration the core stored (C2: lodged at their office).
    password = {"HUB_OPERATOR_PASSWORD": "an officer's password 1"}
    added = hub_command("officers", "add", "k.officer", "--name", "Kapıkule Memuru", "--office",
                        lodge.customs_office, "--role", "liaison", env={**env, **password})  # fmt: skip
    assert added.returncode == 0, added.stderr
    office_port = free_port()
    office = HubOs("office", ["office", "--port", str(office_port), "--ops-port", "0"], env, tmp_path)
    processes.append(office)
    await office.ready()
    base = f"http://127.0.0.1:{office_port}"
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/api/declarations")).status_code == 401
        login = await http.post("/api/login", headers={"Origin": base},
                                json={"name": "k.officer", "password": password["HUB_OPERATOR_PASSWORD"]})  # fmt: skip
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].split(";", 1)[0]
        seen = await http.get("/api/declaration", params={"number": lodge.declaration_number},
                              headers={"Cookie": cookie})  # fmt: skip
    assert seen.status_code == 200 and seen.json()["status"] == "lodged"
