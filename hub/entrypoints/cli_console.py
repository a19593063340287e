"""`hub operators`: the console's operator accounts, made on the machine by whoever runs it.

    hub operators add ayse.demir --role act          # password asked twice at the prompt
    hub operators add ci-watch --role watch --password-file /run/secrets/console-ci
    HUB_OPERATOR_PASSWORD=... hub operators password ayse.demir   # a new one: unlocks, ends sessions
    hub operators list | remove NAME

A password is never an argument (it would stay in the shell's history and in `ps`): it comes from
``--password-file``, from ``$HUB_OPERATOR_PASSWORD``, or from the prompt. The store is
``$HUB_DATABASE_URL``, the core's, which the console reads. What this shares with `hub officers`:
hub/entrypoints/cli_staff.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from hub.entrypoints.cli_staff import PasswordFile, locked_note, on_store, password_from
from hub.operations.console.operators import OperatorAccounts, OperatorError, Role

T = TypeVar("T")

operators_app = typer.Typer(
    help="Operator accounts of the console (roles: watch, act), kept in the core's store ($HUB_DATABASE_URL).",
    no_args_is_help=True,
    add_completion=False,
)

Operator = Annotated[str, typer.Argument(help="The operator's login name (hub operators list).")]


def _run(work: Callable[[OperatorAccounts], Awaitable[T]]) -> T:
    return on_store(OperatorAccounts, (OperatorError,), work)


@operators_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'; recorded with decisions.")],
    role: Annotated[Role, typer.Option(help="watch: sees everything; act: may also replay, discard, degrade.")],
    password_file: PasswordFile = None,
) -> None:
    """Add an operator who may log in to the console."""
    password = password_from(password_file)
    added = _run(lambda accounts: accounts.add(name, role, password))
    print(f"operator {added.name} added with the role {added.role}")


@operators_app.command("password")
def password(name: Operator, password_file: PasswordFile = None) -> None:
    """Give an operator a new password; this unlocks them and ends their sessions."""
    new = password_from(password_file)
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
        locked = locked_note(operator.locked_until, now)
        print(f"{operator.name}\t{operator.role}\tsince {operator.created_at:%Y-%m-%d}{locked}")
