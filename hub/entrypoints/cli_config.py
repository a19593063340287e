"""`hub config`: what a process would run with, and the check every process makes before it starts.

    hub config                      # the settings of `hub run`
    hub config --process core       # of one process (names: docs/configuration.md)
    hub config --all

Each variable, its value and where it came from (environment or default); a secret is masked, never
printed. A bad value exits 2, one line per variable, as the process itself would (`require`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from hub.configuration.base import ConfigurationError

T = TypeVar("T")


def _refuse(problems: list[str]) -> typer.Exit:
    for line in problems:
        print(f"configuration: {line}", file=sys.stderr, flush=True)
    return typer.Exit(2)


def require(process: str) -> None:
    """Before `process` starts: every bad variable of it said at once, then exit status 2."""
    from hub.entrypoints.process_settings import problems

    if found := problems(process):
        raise _refuse(found)


def configured(build: Callable[[], T]) -> T:
    """`build()` (settings read at start), a ConfigurationError turned into status 2 and its lines."""
    try:
        return build()
    except ConfigurationError as exc:
        raise _refuse(exc.problems) from None


def config(
    process: Annotated[
        str, typer.Option("--process", help="The process: core, tobb-adapter, bilge-adapter, ..., run.")
    ] = "run",
    all_: Annotated[bool, typer.Option("--all", help="Every process.")] = False,
) -> None:
    """Print the effective settings of a process: each variable, its value (secrets masked) and its source."""
    from hub.entrypoints.process_settings import effective, processes

    known = processes()
    if process not in known:
        raise typer.BadParameter(f"{process!r}: one of {', '.join(known)}", param_hint="--process")
    names = list(known) if all_ else [process]
    rows_of = {name: configured(lambda name=name: effective(name)) for name in names}  # type: ignore[misc]
    for name, rows in rows_of.items():
        print(f"# {name} ({known[name].command})")
        width = max(len(r.variable) for r in rows)
        for row in rows:
            print(f"{row.variable.ljust(width)}  {row.value}  [{row.source}]")
        print()
