"""Migrations of the store (hub/store/migrations), on SQLite and on a real PostgreSQL.

A store of each release kept as a fixture, rows in it, upgrades to head keeping them; the head schema
the migrations make is the models' (the check that no table changes without a migration); a process
refuses a store not upgraded, naming `hub db upgrade`; several `hub db upgrade` at once leave one schema
at head; a second upgrade does nothing; unknown and newer stores are refused.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from hub.configuration.settings import Settings
from hub.devtools.kafka.launcher import find_project_root
from hub.entrypoints.cli import app
from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.processes.core import CoreProcess
from hub.entrypoints.processes.getapp import GetAppProcess
from hub.entrypoints.processes.office import OfficeProcess
from hub.getapp.accounts.mail import SmtpSettings
from hub.getapp.tracking.tables import getapp_stages
from hub.operations.console.tables import operators
from hub.store.engine import create_engine, create_schema
from hub.store.migrations import target_metadata
from hub.store.migrations.releases import RELEASES, Release
from hub.store.schema import SchemaNotCurrent, alembic_config, head, require_current, schema_state, upgrade
from hub.store.tables import carnets, declarations
from tests.store.release_ddl import ddl, statements
from tests.store_fixture import StoreKind

ROOT = find_project_root()
FIXTURES = Path(__file__).parent / "fixtures"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DIALECTS = ("sqlite", "postgresql")


@pytest.fixture
def store_url(stores: StoreKind) -> str:
    """The URL of an empty store, on SQLite or on the suite's PostgreSQL server."""
    return stores.new_url("migrations")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(store_url)
    yield engine
    await engine.dispose()


def _differences(conn: Connection) -> list[Any]:
    """What Alembic's autogenerate finds between the store and every MetaData of the code."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, target_metadata()))  # type: ignore[arg-type]


async def _made_by(engine: AsyncEngine, release: Release, only: set[str] | None = None) -> None:
    """The store as that release's processes made it: its fixture DDL (generated from the released
    commit), only the statements about the tables `only` names when given."""
    fixture = (FIXTURES / f"schema_{release.commit}.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    async with engine.begin() as conn:
        for statement in statements(fixture):
            if only is None or any(f" {name} " in f"{statement} " for name in only):
                await conn.exec_driver_sql(statement)


async def _release_rows(engine: AsyncEngine, release: Release) -> None:
    """Rows written as that release wrote them: through its own tables."""
    tables = release.metadata().tables
    async with engine.begin() as conn:
        await conn.execute(
            insert(tables["carnets"]),
            {"carnet_number": "DE/2026/000042", "source": "foreign", "state": "{}", "version": 3},
        )
        await conn.execute(
            insert(tables["declarations"]),
            {
                "declaration_number": "5800-KPK-000001",
                "carnet_number": "DE/2026/000042",
                "regime": "5800",
                "customs_office": "TR220000",
                "office_kind": "border",
                "status": "accepted",
                "declarant_kind": "holder",
                "declarant_id": "DE123",
                "lodged_at": AT,
                "discharge_deadline": date(2027, 6, 1),
                "deadline_warned": False,
                "deadline_passed": False,
                "summary_closed": False,
            },
        )
        if "getapp_stages" in tables:
            await conn.execute(
                insert(tables["getapp_stages"]),
                {
                    "declaration_number": "5800-KPK-000001",
                    "stage": "lodged",
                    "rank": 1,
                    "started_at": AT,
                    "message_id": "m-1",
                },
            )
        if "console_operators" in tables:
            await conn.execute(
                insert(tables["console_operators"]),
                {"name": "ayse", "role": "act", "password_hash": "$argon2id$x", "failed_logins": 0,
                 "created_at": AT, "password_changed_at": AT},
            )  # fmt: skip


async def _rows_read_by_todays_code(engine: AsyncEngine) -> tuple[Any, ...]:
    async with engine.connect() as conn:
        carnet = (await conn.execute(select(carnets.c.carnet_number, carnets.c.version))).one()
        declaration = (await conn.execute(select(declarations.c.lodged_at, declarations.c.status))).one()
        stages = (await conn.execute(select(getapp_stages.c.stage, getapp_stages.c.sent_by))).all()
        names = (await conn.execute(select(operators.c.name))).scalars().all()
    return tuple(carnet), tuple(declaration), [tuple(s) for s in stages], list(names)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.commit)
def test_the_frozen_release_schemas_are_the_released_ones(release: Release, dialect: str) -> None:
    """releases.py (what 0001 creates and what recognition compares with) is what the commits made."""
    fixture = (FIXTURES / f"schema_{release.commit}.{dialect}.sql").read_text(encoding="utf-8")
    assert sorted(statements(ddl([release.metadata()], dialect))) == sorted(statements(fixture))


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.commit)
async def test_a_store_of_a_release_upgrades_to_head_keeping_its_rows(store: AsyncEngine, release: Release) -> None:
    await _made_by(store, release)
    await _release_rows(store, release)

    done = await upgrade(store)

    assert (done.adopted, done.after) == (release, head())
    assert (await schema_state(store)).at_head
    async with store.connect() as conn:
        assert await conn.run_sync(_differences) == []
    assert await _rows_read_by_todays_code(store) == (
        ("DE/2026/000042", 3), (AT, "accepted"), [("lodged", None)], ["ayse"]
    )  # fmt: skip
    async with store.begin() as conn:  # today's code writes what the new column holds
        await conn.execute(getapp_stages.update().values(sent_by="frontend"))


async def test_a_store_a_release_made_in_part_is_completed(store: AsyncEngine) -> None:
    """docker-compose ran the core and the console of 3653a8d, never GET-APP: no getapp_* table."""
    release = RELEASES[-1]
    await _made_by(store, release, only={t for t in release.metadata().tables if not t.startswith("getapp_")})

    done = await upgrade(store)

    assert done.adopted == release
    async with store.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_an_empty_store_upgrades_to_the_models_and_a_second_upgrade_does_nothing(store: AsyncEngine) -> None:
    first = await upgrade(store)
    second = await upgrade(store)

    assert (first.before, first.after, second.before, second.changed) == (None, head(), head(), False)
    async with store.connect() as conn:
        # The guard: a table changed in hub/**/tables.py without a revision in hub/store/migrations fails here.
        assert await conn.run_sync(_differences) == []


async def test_create_schema_of_the_tests_and_tools_is_the_head_schema(tmp_path: Path) -> None:
    """A new SQLite file is a copy of a store the migrations made once (hub.store.schema.create_head_schema)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'copied.db'}")
    try:
        await create_schema(engine)
        await require_current(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_every_revision_downgrades_and_upgrades_again(store: AsyncEngine) -> None:
    await upgrade(store)
    async with store.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
    async with store.connect() as conn:  # nothing left but Alembic's own (empty) version table
        assert await conn.run_sync(lambda c: inspect(c).get_table_names()) == ["alembic_version"]
    await upgrade(store)
    async with store.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_a_store_that_is_not_the_hubs_is_refused(store: AsyncEngine) -> None:
    async with store.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")

    with pytest.raises(SchemaNotCurrent, match=r"table invoices is not the hub's.*refusing to migrate it"):
        await upgrade(store)
    async with store.connect() as conn:  # left as it was
        assert await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision()) is None


async def test_a_store_newer_than_the_code_is_refused(store: AsyncEngine) -> None:
    await upgrade(store)
    async with store.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))

    message = f"is at revision 0099, which this code does not know .* this code needs {head()}"
    with pytest.raises(SchemaNotCurrent, match=message):
        await require_current(store)
    with pytest.raises(SchemaNotCurrent, match=message):
        await upgrade(store)


async def test_the_core_refuses_a_store_older_than_its_code(store: AsyncEngine, store_url: str) -> None:
    await _made_by(store, RELEASES[0])
    async with store.begin() as conn:
        await conn.run_sync(lambda c: command.stamp(alembic_config(c), "0001"))
    core = CoreProcess(Settings.from_env().model_copy(update={"database_url": store_url}))

    with pytest.raises(SchemaNotCurrent) as refused:
        await core.start()

    where = store.url.render_as_string(hide_password=True)
    assert str(refused.value) == (
        f"the store at {where} is at revision 0001, this code needs {head()}: run `hub db upgrade`"
    )


@pytest.mark.parametrize("name", ["getapp", "console", "office"])
async def test_getapp_and_the_console_refuse_an_empty_store(name: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    settings = Settings.from_env().model_copy(update={"database_url": url})
    process: GetAppProcess | ConsoleProcess | OfficeProcess
    if name == "getapp":
        process = GetAppProcess(settings, SmtpSettings(host="127.0.0.1", port=25, sender="getapp@example.org"))
    elif name == "console":
        process = ConsoleProcess(settings, dict)
    else:
        process = OfficeProcess(settings)
    try:
        with pytest.raises(SchemaNotCurrent, match=r"is empty: this code needs revision \d+: run `hub db upgrade`"):
            await process.start()
    finally:
        await process.engine.dispose()


def _hub(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_LOG_FORMAT": "text"}
    return subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_hub_core_on_an_empty_store_says_to_run_hub_db_upgrade_without_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-upgraded.db'}"

    done = _hub("core", "--ops-port", "0", database_url=url)

    assert done.returncode == 1
    assert f"error: the store at {url} is empty: this code needs revision {head()}: run `hub db upgrade`" in done.stderr
    assert "Traceback" not in done.stderr


async def test_four_hub_db_upgrade_at_once_on_an_empty_store_leave_one_schema_at_head(store_url: str) -> None:
    url = store_url

    done = await asyncio.gather(*(asyncio.to_thread(_hub, "db", "upgrade", database_url=url) for _ in range(4)))

    assert [d.returncode for d in done] == [0, 0, 0, 0], [d.stderr for d in done]
    said = sorted(d.stdout.strip().split(": ", 1)[1] for d in done)
    assert said == [f"at revision {head()} (head), nothing to do"] * 3 + [
        f"upgraded from revision none to {head()} (head)"
    ]
    again = _hub("db", "upgrade", database_url=url)
    assert again.stdout.strip().endswith(f"at revision {head()} (head), nothing to do")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(text("alembic_version")))).scalar() == 1
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


def test_hub_db_current_says_where_the_store_stands(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    runner = CliRunner()

    before = runner.invoke(app, ["db", "current", "--database-url", url])
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    after = runner.invoke(app, ["db", "current", "--database-url", url])

    assert (before.exit_code, before.stdout.strip()) == (1, f"none (head: {head()})")
    assert upgraded.exit_code == 0, upgraded.output
    assert (after.exit_code, after.stdout.strip()) == (0, f"{head()} (head)")


def test_compose_upgrades_the_store_before_a_process_uses_it() -> None:
    """docker-compose: the one-shot `hub db upgrade` on the store, and every process with a store waits
    for it to succeed (they refuse a store not upgraded)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    upgrader = services["db-upgrade"]
    assert upgrader["command"] == ["db", "upgrade"]
    users = {
        name: s for name, s in services.items() if "HUB_DATABASE_URL" in s.get("environment", {}) and s is not upgrader
    }
    assert {"core", "getapp", "console", "office"} <= set(users)
    for name, service in users.items():
        assert service["environment"]["HUB_DATABASE_URL"] == upgrader["environment"]["HUB_DATABASE_URL"], name
        assert service["depends_on"]["db-upgrade"] == {"condition": "service_completed_successfully"}, name
