"""The DDL of every table the hub's code on `sys.path` defines, per dialect: how the release fixtures
in fixtures/ were made, and how a test compares them with the frozen schemas of hub/store/migrations.

The fixtures were generated once from the released commits themselves (not from today's code), e.g.:

    git worktree add /tmp/hub-ff58bfb ff58bfb
    PYTHONPATH=/tmp/hub-ff58bfb python tests/store/release_ddl.py ff58bfb sqlite \\
        > tests/store/fixtures/schema_ff58bfb.sqlite.sql

This module imports nothing of the hub at its top, so that it runs against an old checkout's code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}  # type: ignore[no-untyped-call]


def ddl(metadatas: Iterable[MetaData], dialect: str) -> str:
    """CREATE TABLE and CREATE INDEX statements, one per paragraph, each ending with `;`."""
    statements = []
    for metadata in metadatas:
        for table in metadata.sorted_tables:
            statements.append(str(CreateTable(table).compile(dialect=DIALECTS[dialect])).strip())
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                statements.append(str(CreateIndex(index).compile(dialect=DIALECTS[dialect])).strip())
    # Lines stripped of the trailing blanks SQLAlchemy leaves after each comma.
    return "".join("\n".join(line.rstrip() for line in s.splitlines()) + ";\n\n" for s in statements)


def statements(fixture: str) -> list[str]:
    """The statements of a fixture's text, its `--` header left out."""
    body = "\n".join(line for line in fixture.splitlines() if not line.startswith("--"))
    return [s.strip().removesuffix(";") for s in body.split(";\n\n") if s.strip()]


def _code_metadatas() -> list[MetaData]:
    """The four MetaData objects of the code on sys.path (the core's, GET-APP's two, the console's)."""
    from hub.getapp.accounts.tables import metadata as accounts
    from hub.getapp.tracking.tables import tracking_metadata
    from hub.operations.console.tables import metadata as console
    from hub.store.tables import metadata as core

    return [core, tracking_metadata, accounts, console]


def main(release: str, dialect: str) -> None:
    print(f"-- The schema of release {release} on {dialect}: every table of the hub at that commit.")
    print("-- Generated from that commit's own table modules, not from later code, by:")
    print(f"--   git worktree add /tmp/hub-{release} {release}")
    print(f"--   PYTHONPATH=/tmp/hub-{release} python tests/store/release_ddl.py {release} {dialect}")
    print("-- (CreateTable/CreateIndex of hub.store.tables, hub.getapp.tracking.tables,")
    print(
        "-- hub.getapp.accounts.tables and hub.operations.console.tables, compiled for the dialect)."
        " Never edit by hand."
    )
    print()
    sys.stdout.write(ddl(_code_metadatas(), dialect))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
