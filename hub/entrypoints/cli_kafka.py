"""`hub kafka ...`: a local Apache Kafka broker (KRaft, no Docker) for development, or a cluster of
several (`--brokers 3`, hub/devtools/kafka/cluster.py) on this machine.

The broker keeps running after `hub kafka start` returns; its files (config, data, broker.log,
broker.pid, bootstrap.txt) live in <project>/.kafka/run/dev unless --home says otherwise; a cluster's
nodes each in a node-<id> folder of it, with bootstrap.txt listing them all.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from hub.devtools.kafka.cluster import start_detached, status, stop_detached
from hub.devtools.kafka.launcher import KafkaStartError, default_dev_home, ensure_jars, find_project_root

kafka_app = typer.Typer(
    help="Local Apache Kafka (KRaft, no Docker) for development: one broker, or a cluster of several.",
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
        typer.Option(help="Clients' (SASL) port on 127.0.0.1. Default: the previous run's port, else a free one."),
    ] = None,
    brokers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Nodes (broker+controller each): 3 for a cluster with replicated topics. "
            "Default: what --home already holds, else 1.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker(s) to be ready.")] = 180,
) -> None:
    """Start the broker, or every node of the cluster, in the background (or report those already running)."""
    target = _home(home)
    typer.echo(f"starting Kafka in {target} ...", err=True)
    began = time.monotonic()
    try:
        current = start_detached(target, brokers, port=port, timeout=timeout, project_root=find_project_root())
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
    """Stop the background broker or every node of the cluster (clean shutdown, killed after --timeout)."""
    target = _home(home)
    if stop_detached(target, timeout=timeout):
        typer.echo(f"Kafka stopped ({target}).")
    else:
        typer.echo(f"Kafka was not running ({target}).")


@kafka_app.command("status")
def status_command(home: HomeOption = None) -> None:
    """Show whether the broker (each node) runs, its pid, bootstrap address and log; exit code 1 unless all run."""
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


@kafka_app.command()
def acls(
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Set every principal's SCRAM password (from the environment or secret files) and make the "
            "cluster's ACLs exactly these, as the admin principal (HUB_KAFKA_PASSWORD_ADMIN or its secret file).",
        ),
    ] = False,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: $HUB_KAFKA_BOOTSTRAP)")
    ] = None,
) -> None:
    """Print the ACLs generated from topics.yaml (its producers, consumers and principals); with
    --apply, put them on the cluster and remove any other. The launcher does this on every start."""
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli_config import configured
    from hub.operations.kafka.authorization import hub_acls, sync_security
    from hub.runtime.kafka.security import KafkaSecurity

    generated = hub_acls()
    if not apply:
        for acl in generated:
            typer.echo(acl.describe())
        typer.echo(f"{len(generated)} ACLs; everything else is denied (super user: User:admin)")
        return
    target = bootstrap or configured(Settings.from_env).kafka_bootstrap
    report = asyncio.run(sync_security(target, KafkaSecurity.from_env(), acls=generated))
    for line in report.lines():
        typer.echo(line)
