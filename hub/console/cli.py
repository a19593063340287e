"""`hub operators`: the console's operator accounts, made on the machine by whoever runs it.

    hub operators add ayse.demir --role act          # password asked twice at the prompt
    hub operators add ci-watch --role watch --password-file /run/secrets/console-ci
    HUB_OPERATOR_PASSWORD=... hub operators password ayse.demir   # a new one: unlocks, ends sessions
    hub operators list | remove NAME

A password is never an argument (it would stay in the shell's history and in `ps`): it comes from
``--password-file``, from ``$HUB_OPERATOR_PASSWORD``, or from the prompt. The store is
``$HUB_DATABASE_URL``, the core's, which the console reads.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import HubSettings
from hub.console.operators import OperatorAccounts, OperatorError, Role

T = TypeVar("T")

PASSWORD_ENV = "HUB_OPERATOR_PASSWORD"


class OperatorToolSettings(HubSettings):
    """`hub operators add` and `password` without a terminal (a script, a container's first start)."""

    model_config = SettingsConfigDict(env_prefix="HUB_")

    operator_password: SecretStr | None = None
    """The new operator's password, when no --password-file is given (never as an argument)."""


operators_app = typer.Typer(
    help="Operator accounts of the console (roles: watch, act), kept in the core's store ($HUB_DATABASE_URL).",
    no_args_is_help=True,
    add_completion=False,
)

Operator = Annotated[str, typer.Argument(help="The operator's login name (hub operators list).")]
PasswordFile = Annotated[
    Path | None,
    typer.Option(
        help=f"Read the password from this file (its first line); else ${PASSWORD_ENV}; else the prompt.",
        exists=True,
        dir_okay=False,
    ),
]


def _password(password_file: Path | None) -> str:
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


def _run(work: Callable[[OperatorAccounts], Awaitable[T]]) -> T:
    from hub.config import Settings
    from hub.entrypoints.cli_config import configured
    from hub.store.engine import create_engine
    from hub.store.schema import SchemaNotCurrent, require_current

    database_url = configured(Settings.from_env).database_url

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            await require_current(engine)
            return await work(OperatorAccounts(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (OperatorError, SchemaNotCurrent) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None


@operators_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'; recorded with decisions.")],
    role: Annotated[Role, typer.Option(help="watch: sees everything; act: may also replay, discard, degrade.")],
    password_file: PasswordFile = None,
) -> None:
    """Add an operator who may log in to the console."""
    password = _password(password_file)
    added = _run(lambda accounts: accounts.add(name, role, password))
    print(f"operator {added.name} added with the role {added.role}")


@operators_app.command("password")
def password(name: Operator, password_file: PasswordFile = None) -> None:
    """Give an operator a new password; this unlocks them and ends their sessions."""
    new = _password(password_file)
    _run(lambda accounts: accounts.set_password(name, new))
    print(f"operator {name.strip().lower()} has a new password; their sessions ended")


@operators_app.command("remove")
def remove(name: Operator) -> None:
    """Remove an operator; their sessions end, what they decided stays recorded under their name."""
    _run(lambda accounts: accounts.remove(name))
    print(f"operator {name.strip().lower()} removed")


@operators_app.command("list")
def listed() -> None:
    """The operators, their roles, and who is locked out after failed logins."""
    now = datetime.now(UTC)
    for operator in _run(lambda accounts: accounts.listed()):
        lock = operator.locked_until
        locked = f", locked until {lock:%Y-%m-%d %H:%M} UTC" if lock is not None and lock > now else ""
        print(f"{operator.name}\t{operator.role}\tsince {operator.created_at:%Y-%m-%d}{locked}")
