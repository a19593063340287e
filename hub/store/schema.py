"""Which schema a store has, bringing it to the code's (`hub db upgrade`), and refusing to run on another.

One migration history covers every table (hub/store/migrations). Deployed processes never change the
schema: each checks at its start that the store is at the head revision of its code and refuses
otherwise (`SchemaNotCurrent`, saying which command to run). Only `hub db upgrade` migrates, and the
development paths that call it themselves (`hub run`, the tests' stores).

Several upgrades started at once are safe: each runs in one transaction holding the store's write
lock first (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), reads the revision only then, and
the later ones find the store at head and do nothing. On PostgreSQL the DDL is transactional, so a
failed upgrade leaves nothing half done; on SQLite too (it runs DDL inside the transaction).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.operations.logs import ALEMBIC_NOISE
from hub.store.migrations import SCRIPT_LOCATION
from hub.store.migrations.releases import Release, UnknownStore, recognise

UPGRADE_COMMAND = "hub db upgrade"
VERSION_TABLE = "alembic_version"  # Alembic's own: the revision, one row (none after a downgrade to base)

# Any fixed number: the key of the advisory lock that upgrades started together take on PostgreSQL.
_SCHEMA_LOCK = 0x6174_6168  # "atah"


logging.getLogger("alembic.runtime.migration").addFilter(ALEMBIC_NOISE)


class SchemaNotCurrent(RuntimeError):
    """The store's schema is not the one this code was written for; the message says what to do."""


@dataclass(frozen=True)
class SchemaState:
    """Where a store stands against this code's migration history."""

    where: str  # the store's URL, password hidden
    revision: str | None  # None: no migration history (an empty store, or one made before migrations)
    head: str
    empty: bool  # no table at all
    known: bool  # the revision is one of this code's (False: a newer release migrated the store)

    @property
    def at_head(self) -> bool:
        return self.revision == self.head

    def problem(self) -> str | None:
        """Why a process of this code may not run on the store, and what to run; None when it may."""
        if self.at_head:
            return None
        if self.revision is None and self.empty:
            return f"the store at {self.where} is empty: this code needs revision {self.head}: run `{UPGRADE_COMMAND}`"
        if self.revision is None:
            return (
                f"the store at {self.where} was made by a release before migrations (no revision), this code "
                f"needs {self.head}: run `{UPGRADE_COMMAND}`, which recognises that release and migrates it"
            )
        if not self.known:
            return (
                f"the store at {self.where} is at revision {self.revision}, which this code does not know (a newer "
                f"release migrated it); this code needs {self.head}: run the release the store was migrated for"
            )
        return (
            f"the store at {self.where} is at revision {self.revision}, this code needs {self.head}: "
            f"run `{UPGRADE_COMMAND}`"
        )


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: from which revision to which; `adopted`, a release before migrations it recognised."""

    where: str
    before: str | None
    after: str
    adopted: Release | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.adopted is not None


def head() -> str:
    """The revision this code needs."""
    found = _script().get_current_head()
    assert found is not None, "the migration history has no revision"
    return found


async def schema_state(engine: AsyncEngine) -> SchemaState:
    async with engine.connect() as conn:
        return await conn.run_sync(_state, _where(engine))


async def require_current(engine: AsyncEngine) -> None:
    """Raise `SchemaNotCurrent` unless the store is at this code's head revision: a process's first step.
    A refusal also closes the engine's pooled connections, so that the refused process can exit."""
    state = await schema_state(engine)
    problem = state.problem()
    if problem is not None:
        await engine.dispose()
        raise SchemaNotCurrent(problem)


async def upgrade(engine: AsyncEngine) -> Upgrade:
    """Bring the store to the head revision, under the store's lock; a store at head is left as it is.

    An empty store gets every table. A store made by a release before migrations (tables, no
    revision) is recognised by its tables (hub/store/migrations/releases.py), completed, stamped at
    that release's revision and upgraded; any other store without a revision is refused
    (`SchemaNotCurrent`), as is one at a revision this code does not know."""
    where = _where(engine)
    async with _locked(engine) as conn:
        return await conn.run_sync(_upgrade, where)


async def create_head_schema(engine: AsyncEngine) -> None:
    """Give the store every table at the head revision: `hub.store.engine.create_schema` and the other
    `create_*_schema` of the tests and tools. Upgrading is honest but costs about as much as the old
    `create_all` did for the core's tables alone (tens of milliseconds on SQLite), and many tests make a
    fresh store each: a SQLite file that does not exist yet becomes a byte copy of a store that `upgrade`
    made once in this process (a few milliseconds). Anything else is upgraded."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and await asyncio.to_thread(_copy_if_new, await _template(), database):
        return
    await upgrade(engine)


def _copy_if_new(template: Path, database: str) -> bool:
    if Path(database).exists():
        return False
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, database)
    return True


_TEMPLATES: dict[str, Path] = {}


async def _template() -> Path:
    """A SQLite store this process upgraded to head, closed (so its WAL is checkpointed into it)."""
    from hub.store.engine import create_engine

    made = _TEMPLATES.get(head())
    if made is not None and made.exists():
        return made
    folder = Path(tempfile.mkdtemp(prefix="hub-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / f"head-{head()}.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    _TEMPLATES[head()] = path
    return path


async def upgrade_store(database_url: str) -> Upgrade:
    """`upgrade` on an engine of its own: `hub db upgrade`, `hub run`."""
    from hub.store.engine import create_engine

    engine = create_engine(database_url)
    try:
        return await upgrade(engine)
    finally:
        await engine.dispose()


# ---- internals ---------------------------------------------------------------------------------


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def alembic_config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = conn
    return config


def _where(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except CommandError:  # alembic's ResolutionError
        return False


def _state(conn: Connection, where: str) -> SchemaState:
    revision = MigrationContext.configure(conn).get_current_revision()
    empty = revision is None and not set(inspect(conn).get_table_names()) - {VERSION_TABLE}
    return SchemaState(where, revision, head(), empty, revision is None or _known(revision))


def _upgrade(conn: Connection, where: str) -> Upgrade:
    state = _state(conn, where)
    if state.revision is not None and not state.known:
        problem = state.problem()
        assert problem is not None
        raise SchemaNotCurrent(problem)
    adopted = None
    if state.revision is None and not state.empty:
        try:
            adopted = recognise(conn)
        except UnknownStore as exc:
            raise SchemaNotCurrent(
                f"the store at {where} has tables but no migration history, and {exc}: refusing to migrate it; "
                "point HUB_DATABASE_URL at the hub's store, or at an empty database"
            ) from None
        adopted.metadata().create_all(conn)  # the tables its processes had not made yet, as it would have
        command.stamp(alembic_config(conn), adopted.revision)
    if not state.at_head:
        command.upgrade(alembic_config(conn), "head")
    return Upgrade(where, state.revision, head(), adopted)


@contextlib.asynccontextmanager
async def _locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that holds the store's write lock from its first statement."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            yield conn
            await conn.commit()
            return
        # SQLite. The driver opens no transaction before DDL, so the write lock is taken by hand;
        # foreign keys are off meanwhile (batch migrations copy tables), and checked before committing.
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
            broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        finally:
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()
