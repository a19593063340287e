"""`hub reconcile bilge SOURCE`: a BİLGE bulk export (a file, or BİLGE's export endpoint) against the
hub's store; the report written as JSON or CSV with a summary, the run recorded for the operator
console, and with --emit-corrections the corrective DrawDownByTcgb commands sent through Kafka.

What is compared and what each finding means: :mod:`adapters.bilge.reconciliation`.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Final

import httpx
import typer

from adapters.bilge.reconciliation import (
    Report,
    emit_corrections,
    print_progress,
    reconcile,
    reconcile_url,
    write_csv,
    write_json,
)
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS
from hub.contract.topics import catalog
from hub.domain.bilge import DrawDownByTcgb
from hub.runtime.kafka.security import BILGE_RECONCILIATION

__all__ = ["EXIT_NOT_SENT", "EXIT_REJECTED", "reconcile_app", "reconcile_bilge"]

reconcile_app = typer.Typer(help="Compare the hub with the records of other systems.", no_args_is_help=True)


@reconcile_app.callback()
def _group() -> None:
    """Compare the hub with the records of other systems (a group, so that it reads `reconcile bilge`)."""


EXIT_REJECTED: Final = 2  # the export was refused (malformed, hostile, schema-invalid) or unreadable
EXIT_NOT_SENT: Final = 3  # --emit-corrections, but the corrective commands could not be sent


@reconcile_app.command("bilge")
def reconcile_bilge(
    source: Annotated[str, typer.Argument(help="Export file, or the http(s):// URL of BİLGE's export endpoint.")],
    out: Annotated[Path, typer.Option(help="Directory the report is written to.")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="json (report.json) or csv (report.csv).")] = "json",
    cutover: Annotated[str | None, typer.Option(help="L2 cut-over, YYYY-MM-DD (default: $HUB_BILGE_CUTOVER).")] = None,
    database_url: Annotated[str | None, typer.Option(help="The hub's store (default: $HUB_DATABASE_URL).")] = None,
    emit: Annotated[
        bool,
        typer.Option(
            "--emit-corrections",
            help="Send the corrective DrawDownByTcgb commands to the hub through Kafka (never the store).",
        ),
    ] = False,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: $HUB_KAFKA_BOOTSTRAP).")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the outcomes of sent commands; 0: do not wait.")
    ] = 30.0,
    api_key: Annotated[
        str | None, typer.Option(envvar="HUB_BILGE_EXPORT_API_KEY", help="X-Api-Key for the export endpoint.")
    ] = None,
) -> None:
    """Read a BİLGE bulk export and report where BİLGE and the hub disagree (F1, F2, L1, L2)."""
    from hub.configuration.settings import Settings
    from hub.entrypoints.cli_config import configured

    settings = configured(Settings.from_env)
    if fmt not in ("json", "csv"):
        raise typer.BadParameter("json or csv", param_hint="--format")
    try:
        cut = date.fromisoformat(cutover) if cutover else settings.bilge_cutover
    except ValueError:
        raise typer.BadParameter("a date, YYYY-MM-DD", param_hint="--cutover") from None
    report = asyncio.run(
        _reconcile_cli(source, cutover=cut, database_url=database_url or settings.database_url, api_key=api_key)
    )
    if report is None:
        raise typer.Exit(EXIT_REJECTED)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(report, out / "report.json")] if fmt == "json" else write_csv(report, out / "report.csv")
    summary = report.summary()
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    written.append(out / "summary.txt")
    print(summary)
    print("written: " + ", ".join(str(p) for p in written))
    store = database_url or settings.database_url
    where = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    asyncio.run(_record_cli(report, where, [p.resolve() for p in written], database_url=store))
    if emit and report.corrections:
        code = asyncio.run(_emit_cli(report, bootstrap or settings.kafka_bootstrap, wait))
        if code:
            raise typer.Exit(code)


async def _reconcile_cli(source: str, *, cutover: date, database_url: str, api_key: str | None) -> Report | None:
    from hub.runtime.xmlsafe import XmlRejected
    from hub.store.engine import create_engine
    from hub.store.schema import SchemaNotCurrent, require_current

    engine = create_engine(database_url)
    show = print_progress()
    try:
        try:
            await require_current(engine)  # before reading a byte of the export
        except SchemaNotCurrent as exc:
            print(f"reconcile: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
        if source.startswith(("http://", "https://")):
            headers = {"X-Api-Key": api_key} if api_key else None
            return await reconcile_url(source, engine, cutover=cutover, progress=show, headers=headers)
        return await reconcile(Path(source), engine, cutover=cutover, progress=show)
    except XmlRejected as exc:
        print(f"reconcile: export refused: {exc.reason}", file=sys.stderr)
    except (OSError, httpx.HTTPError) as exc:
        print(f"reconcile: cannot read {source}: {exc}", file=sys.stderr)
    finally:
        await engine.dispose()
    return None


async def _record_cli(report: Report, source: str, written: list[Path], *, database_url: str) -> None:
    """Keep the run in the store it was reconciled against, for the operator console. The reports are
    written already: a store that refuses the write is said on stderr, and the command still succeeds."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.store.engine import create_engine
    from hub.store.reconciliations import record_reconciliation
    from hub.store.schema import SchemaNotCurrent, require_current

    engine = create_engine(database_url)
    try:
        await require_current(engine)
        await record_reconciliation(engine, report, source, written, datetime.now(UTC))
    except (SQLAlchemyError, OSError, SchemaNotCurrent) as exc:
        print(f"reconcile: the run was not recorded in the store: {exc}", file=sys.stderr)
    finally:
        await engine.dispose()


async def _emit_cli(report: Report, bootstrap: str, wait: float) -> int:
    from hub.contract.topics import UndeclaredTopic
    from hub.runtime.client import HubClient

    try:
        catalog().check_carries(ATA_DECLARATION_COMMANDS, DrawDownByTcgb.__name__)
    except UndeclaredTopic as exc:
        print(f"reconcile: corrective commands not sent: {exc}", file=sys.stderr)
        return EXIT_NOT_SENT
    async with HubClient(bootstrap, principal=BILGE_RECONCILIATION) as client:
        sent = await emit_corrections(report.corrections, client)
        print(f"sent {len(sent)} DrawDownByTcgb command(s) to {ATA_DECLARATION_COMMANDS}")
        if wait <= 0:
            return 0
        outcomes = await asyncio.gather(*(client.outcome(m, wait) for m in sent), return_exceptions=True)
    applied = refused = silent = 0
    for message, outcome in zip(sent, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            silent += 1  # applied on an earlier run (the hub drops a message id it has seen), or the hub is down
            continue
        refusal = next((e for e in outcome if e.type == "CommandRefused"), None)
        if refusal is None:
            applied += 1
        else:
            refused += 1
            payload = refusal.payload
            print(f"refused: TCGB {message.payload.tcgb_number} ({message.carnet_number}): {payload.reason}")
    print(f"outcomes: {applied} applied, {refused} refused, {silent} without an outcome within {wait:g}s")
    return 0
