"""`hub operators`, as whoever runs the machine uses it: the password never an argument."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.operations.console.operators import OperatorAccounts, Role
from hub.operations.console.sessions import LoggedIn, Sessions
from hub.store.engine import create_engine
from tests.store_fixture import StoreKind


def _hub(store: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "HUB_OPERATOR_PASSWORD"}
    environment |= {"HUB_DATABASE_URL": store, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", "operators", *args],
        env=environment,
        stdin=subprocess.DEVNULL,  # no terminal: a password must come from a file or the environment
        capture_output=True,
        text=True,
        timeout=120,
    )


def _db_upgrade(store: str) -> None:
    upgrade = ["db", "upgrade", "--database-url", store]
    subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", *upgrade], check=True, capture_output=True, timeout=120
    )


async def test_operators_are_added_listed_given_a_new_password_and_removed(tmp_path: Path, stores: StoreKind) -> None:
    store = stores.new_url()
    secret = tmp_path / "secret"
    secret.write_text("from a secret file 1\n", encoding="utf-8")
    refused = _hub(store, "list")  # a store not upgraded to this code's schema: no operator is written there
    assert refused.returncode == 1 and "run `hub db upgrade`" in refused.stderr
    _db_upgrade(store)

    added = _hub(store, "add", "ayse.demir", "--role", "act", "--password-file", str(secret))
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "operator ayse.demir added with the role act"
    from_env = _hub(store, "add", "ci", "--role", "watch", env={"HUB_OPERATOR_PASSWORD": "from the environment"})
    assert from_env.returncode == 0, from_env.stderr
    no_password = _hub(store, "add", "nobody", "--role", "watch")
    assert no_password.returncode == 2 and "give --password-file or $HUB_OPERATOR_PASSWORD" in no_password.stderr
    twice = _hub(store, "add", "ci", "--role", "act", env={"HUB_OPERATOR_PASSWORD": "from the environment"})
    assert twice.returncode == 1 and "already an operator named ci" in twice.stderr
    bad_role = _hub(store, "add", "x", "--role", "admin", "--password-file", str(secret))
    assert bad_role.returncode == 2

    listed = _hub(store, "list")
    assert [line.split("\t")[:2] for line in listed.stdout.splitlines()] == [["ayse.demir", "act"], ["ci", "watch"]]

    engine = create_engine(store)
    try:
        accounts = OperatorAccounts(engine)
        sessions = Sessions(engine, accounts.passwords)
        assert isinstance(await sessions.login("ayse.demir", "from a secret file 1"), LoggedIn)
        renewed = _hub(store, "password", "ayse.demir", env={"HUB_OPERATOR_PASSWORD": "a new one, from env"})
        assert renewed.returncode == 0, renewed.stderr
        assert not isinstance(await sessions.login("ayse.demir", "from a secret file 1"), LoggedIn)
        assert isinstance(await sessions.login("ayse.demir", "a new one, from env"), LoggedIn)

        assert _hub(store, "remove", "ci").returncode == 0
        assert [o.name for o in await accounts.listed()] == ["ayse.demir"]
        assert [o.role for o in await accounts.listed()] == [Role.ACT]
    finally:
        await engine.dispose()
