"""The stores the suite runs on: every test that touches a store runs on SQLite and on PostgreSQL.

A test asks for `stores` (import it in tests/conftest.py), a maker of empty databases of one kind, and
pytest runs it once per kind (ids `[sqlite]` and `[postgresql]`; `-m "not postgresql"` leaves the
second out while developing). SQLite is the embedded default; PostgreSQL is what a ministry runs,
several processes on one database. The PostgreSQL server is Debian's (`make test` installs it),
started once for the session under `.data/pg/test-<pid>-suite`, on its first use; a session that
cannot start it fails with the server's log, never skips. Servers of earlier sessions that were
killed are swept first.

The server runs without fsync: the suite tests what the hub writes and reads, not the disk's
durability, and each test's database of its own makes hundreds of small commits.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.devtools.kafka.launcher import find_project_root
from hub.devtools.postgres import PostgresServer, PostgresStartError, sweep_stale_homes

STORES = ("sqlite", "postgresql")
_PG_HOMES = find_project_root() / ".data" / "pg"
_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class StoreKind:
    """Makes empty databases of one kind, one per call: a test's stores never see another test's rows."""

    kind: str  # "sqlite" | "postgresql"
    _files: Path
    _server: PostgresServer | None

    def new_url(self, label: str = "hub") -> str:
        """The SQLAlchemy URL of a new, empty database (no tables: the code under test creates them)."""
        number = next(_NUMBERS)
        if self._server is None:
            return f"sqlite+aiosqlite:///{self._files / f'{label}-{number}.db'}"
        return self._server.create_database(f"{label}_{number}")

    def __str__(self) -> str:
        return self.kind


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    sweep_stale_homes(_PG_HOMES, "test")
    server = PostgresServer(
        _PG_HOMES / f"test-{os.getpid()}-suite",
        settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "300"},
    )
    try:
        server.start()
    except PostgresStartError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=[STORES[0], pytest.param(STORES[1], marks=pytest.mark.postgresql)])
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> StoreKind:
    """One kind of store; the tests that use it run once per kind."""
    kind: str = request.param
    server = request.getfixturevalue("postgres_server") if kind == "postgresql" else None
    return StoreKind(kind, Path(tmp_path_factory.mktemp(f"stores-{kind}")), server)
