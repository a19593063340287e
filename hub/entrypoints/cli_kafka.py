"""`hub kafka ...`: a local single-node Apache Kafka broker (KRaft, no Docker) for development.

The broker keeps running after `hub kafka start` returns; its files (config, data, broker.log,
broker.pid, bootstrap.txt) live in <project>/.kafka/run/dev unless --home says otherwise.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hub.kafka.launcher import (
    KafkaStartError,
    default_dev_home,
    ensure_jars,
    find_project_root,
    start_detached,
    status,
    stop_detached,
)

kafka_app = typer.Typer(
    help="Local single-node Apache Kafka broker (KRaft, no Docker) for development.",
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Broker directory (config, data, log). Default: <project>/.kafka/run/dev",
        file_okay=False,
    ),
]


def _home(home: Path | None) -> Path:
    return (home or default_dev_home(find_project_root())).resolve()


@kafka_app.command()
def start(
    home: HomeOption = None,
    port: Annotated[
        int | None,
        typer.Option(help="PLAINTEXT port on 127.0.0.1. Default: the previous run's port, else a free one."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker to be ready.")] = 90,
) -> None:
    """Start the broker in the background (or report the one already running)."""
    target = _home(home)
    typer.echo(f"starting Kafka in {target} ...", err=True)
    began = time.monotonic()
    try:
        current = start_detached(target, port=port, timeout=timeout, project_root=find_project_root())
    except KafkaStartError as err:
        typer.echo(f"Kafka did not start: {err}", err=True)
        raise typer.Exit(1) from err
    if current.reused:
        typer.echo("Kafka is already running; not starting a second broker.")
    else:
        typer.echo(f"Kafka is ready ({time.monotonic() - began:.1f}s).")
    typer.echo(current.describe())
    typer.echo("stop it with: hub kafka stop")


@kafka_app.command()
def stop(
    home: HomeOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds of clean shutdown before the broker is killed.")] = 30,
) -> None:
    """Stop the background broker (clean shutdown, killed after --timeout)."""
    target = _home(home)
    if stop_detached(target, timeout=timeout):
        typer.echo(f"Kafka stopped ({target}).")
    else:
        typer.echo(f"Kafka was not running ({target}).")


@kafka_app.command("status")
def status_command(home: HomeOption = None) -> None:
    """Show whether the broker runs, its pid, bootstrap address and log; exit code 1 if not running."""
    current = status(_home(home))
    typer.echo(current.describe())
    if not current.running:
        raise typer.Exit(1)


@kafka_app.command()
def jars() -> None:
    """Only resolve Kafka's jars with Maven into .kafka/lib (a no-op when already done)."""
    try:
        lib = ensure_jars(find_project_root())
    except KafkaStartError as err:  # JarResolutionError: Maven output tail included
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    count = len(list(lib.glob("*.jar")))
    typer.echo(f"{count} jars in {lib}")
