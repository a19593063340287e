"""`hub office` (the offices' page and API as a process) and `hub officers` (its accounts, made on the
machine by whoever runs it, never through the page).

    hub office                                              # page and API :8791, operations :8786
    hub officers add a.yilmaz --name "Ayşe Yılmaz" --office 220100 --role liaison   # password: prompt
    HUB_OPERATOR_PASSWORD=... hub officers password a.yilmaz    # a new one: unlocks, ends sessions
    hub officers list | disable STAFF_ID

A password is never an argument (shell history, `ps`): it comes from ``--password-file``, from
``$HUB_OPERATOR_PASSWORD`` (as for `hub operators`), or from the prompt. The store is
``$HUB_DATABASE_URL``, the core's, which the page reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from hub.domain.model import Role
from hub.entrypoints.cli_staff import PasswordFile, locked_note, on_store, password_from
from hub.office.accounts import OfficerAccounts, OfficerError
from hub.office.settings import DEFAULT_OPS_PORT, DEFAULT_PORT

T = TypeVar("T")

officers_app = typer.Typer(
    help="Officer accounts of the offices' page (office, C1 role), kept in the core's store ($HUB_DATABASE_URL).",
    no_args_is_help=True,
    add_completion=False,
)

StaffId = Annotated[str, typer.Argument(help="The officer's staff id, their login name (hub officers list).")]


def _run(work: Callable[[OfficerAccounts], Awaitable[T]]) -> T:
    return on_store(OfficerAccounts, (OfficerError,), work)


@officers_app.command("add")
def add(
    staff_id: Annotated[str, typer.Argument(help="Staff id (login name): a-z, 0-9, '.', '_', '-'.")],
    name: Annotated[str, typer.Option(help="The officer's full name, as the page shows it.")],
    office: Annotated[str, typer.Option(help="Code of the customs office they work at (docs/offices.md).")],
    role: Annotated[Role, typer.Option(help="C1 profile: liaison, inspection_officer or director.")],
    password_file: PasswordFile = None,
) -> None:
    """Add an officer who may log in to the offices' page and see what their office may see (C2)."""
    password = password_from(password_file)
    added = _run(lambda accounts: accounts.add(staff_id, name, office, role, password))
    print(f"officer {added.name} ({added.full_name}) added at office {added.office} as {added.role}")


@officers_app.command("password")
def password(staff_id: StaffId, password_file: PasswordFile = None) -> None:
    """Give an officer a new password; this unlocks them and ends their sessions."""
    new = password_from(password_file)
    _run(lambda accounts: accounts.set_password(staff_id, new))
    print(f"officer {staff_id.strip().lower()} has a new password; their sessions ended")


@officers_app.command("disable")
def disable(staff_id: StaffId) -> None:
    """Disable an officer: no more logins, their sessions end; the account stays, as what they did names them."""
    _run(lambda accounts: accounts.disable(staff_id))
    print(f"officer {staff_id.strip().lower()} disabled")


@officers_app.command("list")
def listed() -> None:
    """The officers: staff id, office, role, and who is locked out or disabled."""
    now = datetime.now(UTC)
    for officer in _run(lambda accounts: accounts.listed()):
        state = locked_note(officer.locked_until, now)
        if officer.disabled_at is not None:
            state = f", disabled since {officer.disabled_at:%Y-%m-%d}"
        print(f"{officer.name}\t{officer.office}\t{officer.role}\t{officer.full_name}{state}")


def office(
    host: Annotated[str, typer.Option(help="Address the offices' page and API listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the offices' page and API.")] = DEFAULT_PORT,
    ops_port: Annotated[
        int, typer.Option(help=f"Port of /metrics and /health/* on $HUB_OPS_HOST (default {DEFAULT_OPS_PORT}).")
    ] = DEFAULT_OPS_PORT,
) -> None:
    """Run the offices' page and API (customs officers; C2, C3, C4) on $HUB_DATABASE_URL, with $HUB_OFFICE_*.
    Officers are made with `hub officers add`."""
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli import _serve
    from hub.entrypoints.cli_config import configured, require
    from hub.entrypoints.processes.office import OfficeProcess
    from hub.operations.logs import configure as configure_logging

    require("office")
    configure_logging(None, service="office")
    asyncio.run(_serve(OfficeProcess(configured(Settings.from_env), host=host, port=port, ops_port=ops_port)))


async def office_demo_login(process: Any, password_file: Path, shown: Path | None = None) -> None:
    """The development officer of a fresh store (`hub run`): made once, printed once, kept in `password_file`
    (named as `shown`)."""
    from hub.office.accounts import DEVELOPMENT_OFFICE, development_officer

    print(f"\nOffices' page (gümrük idareleri): {process.base_url}/ (API: {process.base_url}/docs)", flush=True)
    made = await development_officer(process.accounts, password_file)
    if made is not None:
        name, secret = made
        print(f"  officer login: {name}, password {secret} (director at {DEVELOPMENT_OFFICE}, Kapıkule; also in "
              f"{shown or password_file})", flush=True)  # fmt: skip
