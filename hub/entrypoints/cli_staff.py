"""What `hub operators` (the console's accounts) and `hub officers` (the offices' page's) share: where a
new password comes from, and how a command reaches the accounts in the core's store.

    password = password_from(password_file)          # --password-file, else $HUB_OPERATOR_PASSWORD, else the prompt
    added = on_store(OperatorAccounts, (OperatorError,), lambda accounts: accounts.add(name, role, password))

A password is never an argument (it would stay in the shell's history and in `ps`). The store is
``$HUB_DATABASE_URL``, the core's, at the current schema (only `hub db upgrade` changes it).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.base import HubSettings

A = TypeVar("A")
T = TypeVar("T")

PASSWORD_ENV = "HUB_OPERATOR_PASSWORD"


class OperatorToolSettings(HubSettings):
    """`hub operators add` and `password` without a terminal (a script, a container's first start)."""

    model_config = SettingsConfigDict(env_prefix="HUB_")

    operator_password: SecretStr | None = None
    """The new operator's password, when no --password-file is given (never as an argument)."""


PasswordFile = Annotated[
    Path | None,
    typer.Option(
        help=f"Read the password from this file (its first line); else ${PASSWORD_ENV}; else the prompt.",
        exists=True,
        dir_okay=False,
    ),
]


def password_from(password_file: Path | None) -> str:
    """The first line of `password_file`, else $HUB_OPERATOR_PASSWORD, else typed twice at the prompt
    (exit 2 without a terminal)."""
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if (given := OperatorToolSettings.from_env().operator_password) is not None:
        return given.get_secret_value()
    if not sys.stdin.isatty():
        print(f"error: no terminal to ask the password on: give --password-file or ${PASSWORD_ENV}", file=sys.stderr)
        raise typer.Exit(2)
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


def on_store(
    accounts: Callable[[AsyncEngine], A],
    refusals: tuple[type[Exception], ...],
    work: Callable[[A], Awaitable[T]],
) -> T:
    """`work` on the `accounts` of the core's store; a refusal (one of `refusals`, or a store not at the
    current schema) is printed as `error: ...` and exits 1."""
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli_config import configured
    from hub.store.engine import create_engine
    from hub.store.schema import SchemaNotCurrent, require_current

    database_url = configured(Settings.from_env).database_url

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            await require_current(engine)
            return await work(accounts(engine))
        finally:
            await engine.dispose()

    caught: tuple[type[Exception], ...] = (*refusals, SchemaNotCurrent)
    try:
        return asyncio.run(run())
    except caught as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None


def locked_note(locked_until: datetime | None, now: datetime) -> str:
    """The note `, locked until ...` of a listing while an account is locked after failed logins, else empty."""
    if locked_until is None or locked_until <= now:
        return ""
    return f", locked until {locked_until:%Y-%m-%d %H:%M} UTC"
