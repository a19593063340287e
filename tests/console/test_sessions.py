"""Operator accounts and sessions on a store of their own, on a clock the test moves: expiry, idle timeout,
lock-out, removal, and the development operator of `make run`. (The HTTP side is test_login_api.py.)"""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from hub.operations.console.operators import OperatorAccounts, OperatorError, Role, development_operator
from hub.operations.console.sessions import (
    IDLE_TIMEOUT,
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    LoggedIn,
    LoginRefused,
    Sessions,
)
from hub.operations.console.tables import create_console_schema
from hub.store.engine import create_engine
from hub.web.passwords import Passwords
from tests.store_fixture import StoreKind

PASSWORD = "a long enough password"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def move(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Store:
    accounts: OperatorAccounts
    sessions: Sessions
    clock: Clock


@pytest.fixture
async def store(stores: StoreKind) -> AsyncIterator[Store]:
    engine = create_engine(stores.new_url("console"))
    await create_console_schema(engine)
    # Argon2id still, with cheap parameters: the test is about the sessions, not the hash's cost.
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))
    clock = Clock()
    try:
        yield Store(OperatorAccounts(engine, passwords, clock), Sessions(engine, passwords, clock), clock)
    finally:
        await engine.dispose()


async def _login(store: Store, name: str = "ayse", password: str = PASSWORD) -> LoggedIn:
    outcome = await store.sessions.login(name, password)
    assert isinstance(outcome, LoggedIn), outcome
    return outcome


async def test_a_session_ends_after_its_idle_timeout_or_its_lifetime(store: Store) -> None:
    await store.accounts.add("ayse", Role.ACT, PASSWORD)
    first = await _login(store, "  Ayse ")  # names are typed without case or surrounding blanks
    assert first.operator.name == "ayse" and first.operator.role is Role.ACT

    store.clock.move(IDLE_TIMEOUT - timedelta(minutes=2))
    assert await store.sessions.session(first.token) is not None  # a request: the idle time starts again
    store.clock.move(IDLE_TIMEOUT - timedelta(minutes=2))
    assert await store.sessions.session(first.token) is not None
    store.clock.move(IDLE_TIMEOUT + timedelta(seconds=1))
    assert await store.sessions.session(first.token) is None  # idle too long
    assert await store.sessions.session(first.token) is None

    second = await _login(store)
    for _ in range(int(store.sessions.ttl / timedelta(minutes=10)) - 1):
        store.clock.move(timedelta(minutes=10))
        assert await store.sessions.session(second.token) is not None
    store.clock.move(timedelta(minutes=10))
    assert await store.sessions.session(second.token) is None  # busy all along, but past its lifetime


async def test_the_role_is_read_at_each_request_and_removal_ends_sessions(store: Store) -> None:
    await store.accounts.add("ayse", Role.ACT, PASSWORD)
    logged = await _login(store)
    session = await store.sessions.session(logged.token)
    assert session is not None and session.csrf_token == logged.operator.csrf_token
    assert session.csrf_token != logged.token and len(session.csrf_token) == 64

    await store.accounts.remove("ayse")
    assert await store.sessions.session(logged.token) is None
    await store.accounts.add("ayse", Role.WATCH, PASSWORD)
    assert await store.sessions.session(logged.token) is None  # a new account is not the old session
    again = await _login(store)
    assert again.operator.role is Role.WATCH

    await store.accounts.set_password("ayse", PASSWORD + "!")
    assert await store.sessions.session(again.token) is None  # a new password ends every session


async def test_failed_logins_lock_a_name_for_a_while(store: Store) -> None:
    await store.accounts.add("ayse", Role.ACT, PASSWORD)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert await store.sessions.login("ayse", "wrong password") == LoginRefused("wrong")
    await _login(store)  # a success starts the count again
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert await store.sessions.login("ayse", "wrong password") == LoginRefused("wrong")
    locked = await store.sessions.login("ayse", "wrong password")
    assert locked == LoginRefused("locked", store.clock.now + LOCK_DURATION)
    assert await store.sessions.login("ayse", PASSWORD) == locked
    store.clock.move(LOCK_DURATION)
    await _login(store)

    assert await store.sessions.login("nobody", PASSWORD) == LoginRefused("wrong")  # unknown: like a wrong one


async def test_names_and_passwords_operators_may_have(store: Store) -> None:
    for name, password, problem in (
        ("Ayşe", PASSWORD, "not an operator name"),
        ("ay se", PASSWORD, "not an operator name"),
        (".ayse", PASSWORD, "not an operator name"),
        ("ayse", "short", "at least 12 characters"),
        ("ayse", "x" * 257, "at most 256 characters"),
        ("ayse", "my name is AYSE, ok", "must not contain the operator's name"),
    ):
        with pytest.raises(OperatorError, match=problem):
            await store.accounts.add(name, Role.ACT, password)
    await store.accounts.add("AYSE.demir", Role.WATCH, PASSWORD)
    with pytest.raises(OperatorError, match=r"already an operator named ayse\.demir"):
        await store.accounts.add("ayse.demir", Role.ACT, PASSWORD)
    assert [(o.name, o.role) for o in await store.accounts.listed()] == [("ayse.demir", Role.WATCH)]
    with pytest.raises(OperatorError, match="no operator named nobody"):
        await store.accounts.remove("nobody")


async def test_the_development_operator_is_made_once_on_an_empty_store(store: Store, tmp_path: Path) -> None:
    where = tmp_path / "demo" / "console-operator.txt"
    made = await development_operator(store.accounts, where)
    assert made is not None
    name, password = made
    assert where.read_text(encoding="utf-8") == f"operator: {name}\nrole: act\npassword: {password}\n"
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    assert (await _login(store, name, password)).operator.role is Role.ACT

    assert await development_operator(store.accounts, tmp_path / "again.txt") is None
    assert not (tmp_path / "again.txt").exists()
