"""Officers of the offices' page: who may log in, at which customs office, under which C1 profile.

    accounts = OfficerAccounts(engine)               # Passwords() of GET-APP: Argon2id, off the loop
    await accounts.add("a.yilmaz", "Ayşe Yılmaz", "220100", Role.LIAISON, password)
    await accounts.set_password("a.yilmaz", new)     # also unlocks, and ends the officer's sessions
    await accounts.disable("a.yilmaz")               # no more logins; sessions end; the account stays

Accounts are made by whoever runs the machine (`hub officers add`), never through the page: an officer
who could make officers could give themselves any office's sight. The login name is the officer's staff
id, the `officer_id` the core records when they act (hub.domain.commands.Actor). The name and password
rules are the console's (hub/operations/console/operators.py); logins and sessions hub/web/logins.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain.model import Role
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.office.tables import officer_sessions, officers
from hub.web.logins import (
    AccountTables,
    LoggedIn,
    LoginRefused,
    Logins,
    name_problem,
    normal_name,
    password_problem,
    replace_password,
)
from hub.web.passwords import Passwords, initial_password

log = logging.getLogger(__name__)

DEVELOPMENT_OFFICER: Final = "dev.officer"
DEVELOPMENT_OFFICE: Final = "220100"  # Kapıkule, where `make run`'s demo lodges its 5800
_CSRF_LABEL: Final = b"hub-office-csrf-v1"
TABLES: Final = AccountTables(
    officers, officer_sessions, owner="officer", active=officers.c.disabled_at.is_(None), what="officer"
)


class OfficerError(ValueError):
    """A request about accounts that cannot be carried out (bad name, office, weak password, unknown, taken)."""


@dataclass(frozen=True)
class Officer:
    name: str  # staff id
    full_name: str
    office: str
    role: Role
    created_at: datetime
    locked_until: datetime | None = None
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class SessionOfficer:
    """The officer of a live session, as their account is now."""

    name: str
    full_name: str
    office: str
    role: Role
    expires_at: datetime
    csrf_token: str = field(repr=False)


def _session_officer(row: Row[Any], expires_at: datetime, csrf: str) -> SessionOfficer:
    return SessionOfficer(row.name, row.full_name, row.office, Role(row.role), expires_at, csrf)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OfficerSessions(Logins[SessionOfficer]):
    """Logins of officers: the staff pages' scheme over the office tables; a disabled officer is unknown."""

    def __init__(self, engine: AsyncEngine, passwords: Passwords, now: Callable[[], datetime] = _utc_now) -> None:
        super().__init__(engine, passwords, TABLES, _session_officer, _CSRF_LABEL, now)

    async def login(self, name: str, password: str) -> LoggedIn[SessionOfficer] | LoginRefused:
        return await super().login(normal_name(name), password)


class OfficerAccounts:
    def __init__(
        self,
        engine: AsyncEngine,
        passwords: Passwords | None = None,
        now: Callable[[], datetime] = _utc_now,
        offices: OfficeRegistry = OFFICES,
    ) -> None:
        self._engine = engine
        self.passwords = passwords or Passwords()
        self._now = now
        self._offices = offices

    async def add(self, typed_name: str, full_name: str, office: str, role: Role, password: str) -> Officer:
        name = normal_name(typed_name)
        full = " ".join(full_name.split())
        problem = name_problem(name, "an officer's staff id") or password_problem(name, password, "the officer's")
        if problem:
            raise OfficerError(problem)
        if not full or len(full) > 200:
            raise OfficerError("the officer's full name: 1 to 200 characters")
        if self._offices.get(office) is None:
            raise OfficerError(f"{office!r} is no customs office the hub knows (docs/offices.md)")
        now = self._now()
        hashed = await self.passwords.hash(password)
        values = {"name": name, "full_name": full, "office": office, "role": role.value, "password_hash": hashed}
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(officers).values(**values, failed_logins=0, created_at=now, password_changed_at=now)
                )
        except IntegrityError:
            raise OfficerError(f"there is already an officer {name}") from None
        log.info("officer %s added at office %s with the role %s", name, office, role.value)
        return Officer(name, full, office, role, now)

    async def set_password(self, typed_name: str, password: str) -> None:
        """A new password; the officer is unlocked and every session of theirs ends."""
        name = normal_name(typed_name)
        problem = password_problem(name, password, "the officer's")
        if problem:
            raise OfficerError(problem)
        hashed = await self.passwords.hash(password)
        if not await replace_password(self._engine, TABLES, name, hashed, self._now()):
            raise OfficerError(f"there is no officer {name}")

    async def disable(self, typed_name: str) -> None:
        """No more logins and every session ends; the account stays (what the officer did names them)."""
        name = normal_name(typed_name)
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(officers)
                .where(officers.c.name == name, officers.c.disabled_at.is_(None))
                .values(disabled_at=self._now())
            )
            if changed.rowcount == 0:
                raise OfficerError(f"there is no enabled officer {name}")
            await conn.execute(TABLES.sessions_of(name))
        log.info("officer %s disabled; their sessions ended", name)

    async def listed(self) -> list[Officer]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(officers).order_by(officers.c.office, officers.c.name))).all()
        return [
            Officer(r.name, r.full_name, r.office, Role(r.role), r.created_at, r.locked_until, r.disabled_at)
            for r in rows
        ]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(officers))).scalar_one())


async def development_officer(accounts: OfficerAccounts, password_file: Path) -> tuple[str, str] | None:
    """For a fresh development store (`make run`): when there is no officer at all, make `dev.officer`, a
    director at Kapıkule, with a generated password, write both to `password_file` (owner-only) and
    return them to be printed. None when the store has officers already."""
    if await accounts.count() > 0:
        return None
    password = initial_password()
    while password_problem(DEVELOPMENT_OFFICER, password, "the officer's"):
        password = initial_password()
    await accounts.add(DEVELOPMENT_OFFICER, "Geliştirme Memuru", DEVELOPMENT_OFFICE, Role.DIRECTOR, password)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(
            f"officer: {DEVELOPMENT_OFFICER}\noffice: {DEVELOPMENT_OFFICE}\nrole: director\npassword: {password}\n"
        )
    return DEVELOPMENT_OFFICER, password
