"""`hub db`: the store's schema. `upgrade` migrates it to this code's head revision (the only command
that changes the schema of a deployed store), `current` says where it stands, `revision` drafts the
next migration for a developer who changed a table.

The store is $HUB_DATABASE_URL's (or --database-url). See hub/store/schema.py for the locking that makes
several upgrades started together safe, and docs/decisions.md for why processes never migrate.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

db_app = typer.Typer(
    help="The store's schema: upgrade it to this code's, or say where it stands.", no_args_is_help=True
)

DatabaseUrl = Annotated[str | None, typer.Option(help="The hub's store (default: $HUB_DATABASE_URL).")]


def _url(database_url: str | None) -> str:
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli_config import configured

    return database_url or configured(Settings.from_env).database_url


def _fail(text: str) -> typer.Exit:
    print(f"error: {text}", file=sys.stderr)
    return typer.Exit(1)


@db_app.command("upgrade")
def upgrade(database_url: DatabaseUrl = None) -> None:
    """Migrate the store to this code's schema (nothing to do when it is there already).

    Safe to run from several places at once. A store made by a release before migrations is
    recognised and taken over; an unknown one, or one a newer release migrated, is refused."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.schema import SchemaNotCurrent, upgrade_store

    url = _url(database_url)
    try:
        done = asyncio.run(upgrade_store(url))
    except SchemaNotCurrent as exc:
        raise _fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(f"the store at {_shown(url)} did not answer: {exc}") from None
    before = done.before or "none"
    if done.adopted is not None:
        before = done.adopted.revision
        print(
            f"{done.where}: no revision, the tables of release {done.adopted.commit} (made before migrations): "
            f"taken over at revision {before}"
        )
    if before == done.after:
        print(f"{done.where}: at revision {done.after} (head), nothing to do")
    else:
        print(f"{done.where}: upgraded from revision {before} to {done.after} (head)")


@db_app.command("current")
def current(database_url: DatabaseUrl = None) -> None:
    """Print the store's revision and whether it is this code's head; exit 1 when it is not."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.engine import create_engine
    from hub.store.schema import SchemaState, schema_state

    url = _url(database_url)

    async def read() -> SchemaState:
        engine = create_engine(url)
        try:
            return await schema_state(engine)
        finally:
            await engine.dispose()

    try:
        state = asyncio.run(read())
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(f"the store at {_shown(url)} did not answer: {exc}") from None
    revision = state.revision or "none"
    print(f"{revision} (head)" if state.at_head else f"{revision} (head: {state.head})")
    problem = state.problem()
    if problem is not None:
        raise _fail(problem)


@db_app.command("revision")
def revision(
    message: Annotated[str, typer.Argument(help="What the revision changes, e.g. 'carnets.holder_country'.")],
) -> None:
    """For developers: draft the next migration after changing a table.

    Written to hub/store/migrations/versions from the difference between the models and the head
    schema (Alembic's autogenerate, on a scratch SQLite store). Read and complete it before
    committing: a rename, for one, is drafted as a drop and an add."""
    import tempfile
    from pathlib import Path

    from alembic import command
    from sqlalchemy import Connection

    from hub.store.engine import create_engine
    from hub.store.schema import alembic_config, head, upgrade

    async def draft(store: Path) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{store}")
        try:
            await upgrade(engine)
            next_id = f"{int(head()) + 1:04d}"

            def write(conn: Connection) -> None:
                command.revision(alembic_config(conn), message, autogenerate=True, rev_id=next_id)

            async with engine.begin() as conn:
                await conn.run_sync(write)
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(draft(Path(scratch) / "head.db"))


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
