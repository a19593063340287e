"""Operator accounts of the console: who may log in, and with which role.

    accounts = OperatorAccounts(engine)             # Passwords() of GET-APP: Argon2id, off the loop
    await accounts.add("ayse.demir", Role.ACT, password)
    await accounts.set_password("ayse.demir", new)  # also unlocks, and ends the operator's sessions

Two roles: `watch` reads everything the console shows; `act` may also change something (replay and
discard dead letters, declare a system knowingly degraded and clear it). Accounts are made by whoever
runs the machine (`hub operators add`), never through the console itself: an operator who could make
operators would make `act` a formality. `development_operator` makes the one of `make run`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Final

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.operations.console.tables import operators, sessions
from hub.web.logins import AccountTables, name_problem, normal_name, password_problem, replace_password
from hub.web.passwords import Passwords, initial_password

log = logging.getLogger(__name__)

DEVELOPMENT_OPERATOR: Final = "dev"
TABLES: Final = AccountTables(operators, sessions, owner="operator", what="operator")


class Role(StrEnum):
    WATCH = "watch"  # sees everything
    ACT = "act"  # and changes it: replay, discard, declare degraded and clear it


class OperatorError(ValueError):
    """A request about accounts that cannot be carried out (bad name, weak password, unknown, taken)."""


@dataclass(frozen=True)
class Operator:
    name: str
    role: Role
    created_at: datetime
    locked_until: datetime | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperatorAccounts:
    def __init__(
        self, engine: AsyncEngine, passwords: Passwords | None = None, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self._engine = engine
        self.passwords = passwords or Passwords()
        self._now = now

    async def add(self, typed_name: str, role: Role, password: str) -> Operator:
        name = normal_name(typed_name)
        problem = name_problem(name) or password_problem(name, password)
        if problem:
            raise OperatorError(problem)
        now = self._now()
        hashed = await self.passwords.hash(password)
        values = {"name": name, "role": role.value, "password_hash": hashed, "failed_logins": 0}
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(operators).values(**values, created_at=now, password_changed_at=now))
        except IntegrityError:
            raise OperatorError(f"there is already an operator named {name}") from None
        log.info("operator %s added with the role %s", name, role.value)
        return Operator(name, role, now, None)

    async def set_password(self, typed_name: str, password: str) -> None:
        """A new password; the operator is unlocked and every session of theirs ends."""
        name = normal_name(typed_name)
        problem = password_problem(name, password)
        if problem:
            raise OperatorError(problem)
        hashed = await self.passwords.hash(password)
        if not await replace_password(self._engine, TABLES, name, hashed, self._now()):
            raise OperatorError(f"there is no operator named {name}")

    async def remove(self, typed_name: str) -> None:
        """Remove the operator and end their sessions. What they decided stays recorded under their name."""
        name = normal_name(typed_name)
        async with self._engine.begin() as conn:
            await conn.execute(TABLES.sessions_of(name))
            removed = await conn.execute(delete(operators).where(operators.c.name == name))
            if removed.rowcount == 0:
                raise OperatorError(f"there is no operator named {name}")
        log.info("operator %s removed", name)

    async def listed(self) -> list[Operator]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(operators).order_by(operators.c.name))).all()
        return [Operator(r.name, Role(r.role), r.created_at, r.locked_until) for r in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(operators))).scalar_one())


async def development_operator(accounts: OperatorAccounts, password_file: Path) -> tuple[str, str] | None:
    """For a fresh development store (`make run`): when there is no operator at all, make `dev` with the
    role act and a generated password, write both to `password_file` (readable by its owner only) and
    return them to be printed. None when the store has operators already: nothing is made or written."""
    if await accounts.count() > 0:
        return None
    password = initial_password()  # GET-APP's generator: 16 characters of an unambiguous alphabet
    while password_problem(DEVELOPMENT_OPERATOR, password):  # "dev" may come up by chance
        password = initial_password()
    await accounts.add(DEVELOPMENT_OPERATOR, Role.ACT, password)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(f"operator: {DEVELOPMENT_OPERATOR}\nrole: act\npassword: {password}\n")
    return DEVELOPMENT_OPERATOR, password
