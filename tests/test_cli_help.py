"""`hub --help` and the help of every command: nothing left unexplained, and what `hub schemas` writes
is named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from hub.entrypoints.cli import app


def commands(command: Any, path: tuple[str, ...] = ("hub",)) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def test_every_command_option_and_argument_says_what_it_is() -> None:
    found = dict(commands(typer.main.get_command(app)))
    assert {"hub run", "hub core", "hub console", "hub schemas write", "hub dlq replay"} <= set(found)
    unexplained = [path for path, command in found.items() if not (command.help or "").strip()]
    unexplained += [
        f"{path} {param.name}"
        for path, command in found.items()
        for param in command.params
        if param.name != "help" and not getattr(param, "help", None)
    ]
    assert unexplained == []


def test_hub_schemas_names_every_file_it_writes() -> None:
    shown = CliRunner().invoke(app, ["schemas", "write", "--help"], env={"COLUMNS": "200"}).output
    for written in ("schemas/json", "schemas/asyncapi.yaml", "messages.md", "rules.md", "offices.md", "offices.csv"):
        assert written in shown, written
