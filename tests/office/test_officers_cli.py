"""`hub officers`, as whoever runs the machine uses it: accounts with an office and a C1 role, the
password never an argument, disabled rather than deleted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain.model import Role
from hub.office.accounts import OfficerAccounts, OfficerSessions, development_officer
from hub.store.engine import create_engine
from hub.web.logins import LoggedIn, LoginRefused
from tests.store_fixture import StoreKind


def _hub(store: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "HUB_OPERATOR_PASSWORD"}
    environment |= {"HUB_DATABASE_URL": store, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hub.entrypoints.cli", *args],
        env=environment,
        stdin=subprocess.DEVNULL,  # no terminal: a password must come from a file or the environment
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_officers_are_added_listed_given_a_new_password_and_disabled(tmp_path: Path, stores: StoreKind) -> None:
    # rule: C1 (each officer has one profile at one office)
    store = stores.new_url()
    secret = tmp_path / "secret"
    secret.write_text("from a secret file 1\n", encoding="utf-8")
    refused = _hub(store, "officers", "list")
    assert refused.returncode == 1 and "run `hub db upgrade`" in refused.stderr
    assert _hub(store, "db", "upgrade", "--database-url", store).returncode == 0

    added = _hub(store, "officers", "add", "a.yilmaz", "--name", "Ayşe Yılmaz", "--office", "220100",
                 "--role", "liaison", "--password-file", str(secret))  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "officer a.yilmaz (Ayşe Yılmaz) added at office 220100 as liaison"
    from_env = _hub(store, "officers", "add", "m.kaya", "--name", "Mehmet Kaya", "--office", "310100",
                    "--role", "director", env={"HUB_OPERATOR_PASSWORD": "from the environment"})  # fmt: skip
    assert from_env.returncode == 0, from_env.stderr
    no_password = _hub(store, "officers", "add", "x", "--name", "X", "--office", "220100", "--role", "liaison")
    assert no_password.returncode == 2 and "$HUB_OPERATOR_PASSWORD" in no_password.stderr
    unknown_office = _hub(store, "officers", "add", "y", "--name", "Y", "--office", "999999", "--role", "liaison",
                          "--password-file", str(secret))  # fmt: skip
    assert unknown_office.returncode == 1 and "no customs office the hub knows" in unknown_office.stderr
    bad_role = _hub(store, "officers", "add", "z", "--name", "Z", "--office", "220100", "--role", "act",
                    "--password-file", str(secret))  # fmt: skip
    assert bad_role.returncode == 2

    listed = _hub(store, "officers", "list")
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()] == [
        ["a.yilmaz", "220100", "liaison"],
        ["m.kaya", "310100", "director"],
    ]

    engine = create_engine(store)
    try:
        accounts = OfficerAccounts(engine)
        sessions = OfficerSessions(engine, accounts.passwords)
        assert isinstance(await sessions.login("A.Yilmaz ", "from a secret file 1"), LoggedIn)
        changed = _hub(store, "officers", "password", "a.yilmaz", env={"HUB_OPERATOR_PASSWORD": "a new one 12345"})
        assert changed.returncode == 0, changed.stderr
        assert isinstance(await sessions.login("a.yilmaz", "from a secret file 1"), LoginRefused)
        logged = await sessions.login("a.yilmaz", "a new one 12345")
        assert isinstance(logged, LoggedIn)
        assert _hub(store, "officers", "disable", "a.yilmaz").returncode == 0
        assert await sessions.session(logged.token) is None  # the session ended with the account
        assert isinstance(await sessions.login("a.yilmaz", "a new one 12345"), LoginRefused)
        assert "disabled since" in _hub(store, "officers", "list").stdout.splitlines()[0]
        again = _hub(store, "officers", "disable", "a.yilmaz")
        assert again.returncode == 1 and "no enabled officer a.yilmaz" in again.stderr
    finally:
        await engine.dispose()


async def test_hub_run_makes_one_development_officer_on_a_fresh_store(engine: AsyncEngine, tmp_path: Path) -> None:
    """`hub run`: a director at Kapıkule with a generated password, written for its owner only, once."""
    accounts = OfficerAccounts(engine)
    where = tmp_path / "demo" / "office-officer.txt"
    made = await development_officer(accounts, where)
    assert made is not None
    name, password = made
    assert name == "dev.officer" and f"password: {password}" in where.read_text(encoding="utf-8")
    assert where.stat().st_mode & 0o777 == 0o600
    [officer] = await accounts.listed()
    assert (officer.office, officer.role) == ("220100", Role.DIRECTOR)
    assert isinstance(await OfficerSessions(engine, accounts.passwords).login(name, password), LoggedIn)
    assert await development_officer(accounts, where) is None  # not made twice
