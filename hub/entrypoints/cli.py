"""`hub`: the command line of the integration hub.

Longer than 400 lines on purpose: each deployable process (`hub core`, `hub getapp`, the adapters, the
simulators, the console; `hub office` lives in cli_office.py) is a few lines of wiring here, side by
side, so that one file reads as the list
of what an operator can start; groups of tool commands live in modules of their own (cli_*.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer

from hub.configuration.settings import DATA_DIR, Settings
from hub.contract.topics import PROJECT_ROOT, catalog
from hub.entrypoints.cli_config import config, configured, require
from hub.entrypoints.cli_console import operators_app
from hub.entrypoints.cli_db import db_app
from hub.entrypoints.cli_kafka import kafka_app
from hub.entrypoints.cli_office import office, office_demo_login, officers_app
from hub.entrypoints.cli_reconcile import reconcile_app
from hub.entrypoints.cli_senders import senders_app
from hub.operations.kafka.admin import apply_topics
from hub.operations.logs import configure as configure_logging

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hub.entrypoints.processes.console import ConsoleProcess

T = TypeVar("T")

app = typer.Typer(help="e-ATA/TR integration hub.", no_args_is_help=True, add_completion=False)
topics_app = typer.Typer(help="Kafka topics of topics.yaml.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
schemas_app = typer.Typer(
    help="Files generated from the code: schemas/ (JSON Schemas, AsyncAPI), docs/messages.md, rules.md, offices.md.",
    no_args_is_help=True,
)
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
app.add_typer(reconcile_app, name="reconcile")
dlq_app = typer.Typer(
    help="Dead letters of hub.deadletter: list, show, replay, discard (decisions kept in $HUB_DATABASE_URL).",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")
app.add_typer(operators_app, name="operators")
app.add_typer(officers_app, name="officers")
app.command("office")(office)
app.add_typer(senders_app, name="senders")
app.command("config")(config)
app.add_typer(db_app, name="db")

Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap servers (default: $HUB_KAFKA_BOOTSTRAP)")]
# The BİLGE intake's mutual TLS without configured certificates: the development PKI of .data/pki.
_DEV_PKI = typer.Option(
    "--dev-pki", help="Use (and on first use make) the development PKI in .data/pki: never in production."
)


_SIM_HOST = typer.Option(help="Address the simulator listens on.")
_SIM_PORT = typer.Option(help="Port the simulator listens on.")


def _ops_port(default: int) -> Any:
    return typer.Option(help=f"Port of /metrics and /health/* on $HUB_OPS_HOST (default {default}).")


def _settings(bootstrap: str | None) -> Settings:
    settings = configured(Settings.from_env)
    return settings.model_copy(update={"kafka_bootstrap": bootstrap}) if bootstrap else settings


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@topics_app.command("apply")
def topics_apply(bootstrap: Bootstrap = None) -> None:
    """Create missing topics, report drift of existing ones. Safe to run again."""
    report = asyncio.run(apply_topics(_settings(bootstrap).kafka_bootstrap, catalog()))
    for line in report.lines():
        print(line)
    if report.drift:
        raise typer.Exit(1)


@schemas_app.command("write")
def schemas_write() -> None:
    """Write schemas/json/*.json, schemas/asyncapi.yaml and docs/messages.md, rules.md, offices.md again from
    the code, topics.yaml and hub/domain/offices.csv."""
    from hub.entrypoints import checked_in

    for path in checked_in.write():
        print(path)


@schemas_app.command("check")
def schemas_check() -> None:
    """Fail when a checked-in schema or generated doc differs from what `hub schemas write` would write, or
    when the code or a test names a rule id that DOMAIN.md lacks."""
    from hub.contract import rule_table
    from hub.contract.schemas import catalog_problems
    from hub.entrypoints import checked_in

    problems = [f"drift: {problem}" for problem in checked_in.drift() + catalog_problems(catalog())]
    problems += [f"unknown rule: {problem}" for problem in rule_table.unknown_rules()]
    for problem in problems:
        print(problem)
    if problems:
        raise typer.Exit(1)
    print("schemas match the code")


By = Annotated[str | None, typer.Option("--by", help="Who decides (default: the login name).")]
_ID_HELP = "<partition>:<offset> in hub.deadletter (hub dlq list)."
DeadLetterId = Annotated[str, typer.Argument(metavar="ID", help=_ID_HELP)]


async def _with_dlq_store(bootstrap: str | None, work: Callable[[str, AsyncEngine], Awaitable[T]]) -> T:
    """Run `work` on the Kafka bootstrap and the store of the settings ($HUB_DATABASE_URL)."""
    from hub.store.engine import create_engine
    from hub.store.schema import require_current

    settings = _settings(bootstrap)
    engine = create_engine(settings.database_url)
    try:
        await require_current(engine)
        return await work(settings.kafka_bootstrap, engine)
    finally:
        await engine.dispose()


def _dlq_run(bootstrap: str | None, work: Callable[[str, AsyncEngine], Awaitable[T]]) -> T:
    from aiokafka.errors import KafkaError

    from hub.contract.topics import UndeclaredTopic
    from hub.operations.dlq import DeadLetterError
    from hub.store.schema import SchemaNotCurrent

    try:
        return asyncio.run(_with_dlq_store(bootstrap, work))
    except (DeadLetterError, UndeclaredTopic, SchemaNotCurrent) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from None
    except KafkaError as exc:
        _say(f"error: Kafka did not answer at {bootstrap or 'the default address'} ({exc}); give --bootstrap")
        raise typer.Exit(1) from None


def _operator(by: str | None) -> str:
    import getpass

    try:
        return by or getpass.getuser()
    except (KeyError, OSError):
        return "operator"


@dlq_app.command("list")
def dlq_list(
    bootstrap: Bootstrap = None,
    all_: Annotated[bool, typer.Option("--all", help="Replayed and discarded ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, every field.")] = False,
) -> None:
    """What was set aside and why: the waiting dead letters (oldest first)."""
    from hub.operations.dlq import dead_letters

    found = _dlq_run(bootstrap, lambda b, e: dead_letters(b, e, include_decided=all_))
    if as_json:
        print(json.dumps([d.as_json() for d in found], ensure_ascii=False, indent=2))
        return
    rows = [
        (d.id, d.status + (" (truncated)" if d.truncated else ""), d.failed_at[:19], d.consumer, d.origin,
         d.message_type or "-", d.reason[:60])
        for d in found
    ]  # fmt: skip
    header = ("ID", "STATUS", "FAILED AT (UTC)", "CONSUMER", "ORIGINAL", "TYPE", "REASON")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    _say(f"{len(found)} {'dead letters' if all_ else 'waiting'}")


@dlq_app.command("show")
def dlq_show(dead_letter_id: DeadLetterId, bootstrap: Bootstrap = None) -> None:
    """Everything about one dead letter: reason, origin, decision, headers and first bytes."""
    from hub.operations.dlq import find

    (letter,) = _dlq_run(bootstrap, lambda b, e: find(b, e, [dead_letter_id]))
    print(json.dumps(letter.as_json(), ensure_ascii=False, indent=2))


@dlq_app.command("replay")
def dlq_replay(
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help=f"To replay: {_ID_HELP}")] = None,
    all_waiting: Annotated[bool, typer.Option("--all-waiting", help="Every waiting dead letter.")] = False,
    again: Annotated[bool, typer.Option("--again", help="Replay even if already replayed or discarded.")] = False,
    by: By = None,
    bootstrap: Bootstrap = None,
) -> None:
    """Send dead letters back to their original topic (same bytes, key, headers, correlation id), once.

    What fails again is dead-lettered again as a new waiting record: replay never loops by itself.
    A truncated copy (its original was too big to keep) cannot be replayed; --all-waiting leaves it.
    """
    from hub.operations.dlq import dead_letters, replay

    if bool(ids) == all_waiting:
        _say("error: name the dead letters to replay, or --all-waiting")
        raise typer.Exit(2)
    who = _operator(by)

    async def work(b: str, e: AsyncEngine) -> tuple[list[Any], list[str]]:
        done = await replay(b, e, None if all_waiting else ids, who, again=again)
        left = [d.id for d in await dead_letters(b, e) if d.truncated] if all_waiting else []
        return done, left

    done, left = _dlq_run(bootstrap, work)
    for r in done:
        print(f"replayed {r.dead_letter.id} to {r.topic}:{r.partition}@{r.offset}")
    _say(f"{len(done)} replayed")
    if left:
        _say(f"left waiting, truncated copies that cannot be replayed (discard them): {', '.join(left)}")


@dlq_app.command("discard")
def dlq_discard(
    dead_letter_id: DeadLetterId,
    reason: Annotated[str, typer.Option("--reason", help="Why it is set aside for good (recorded).")],
    by: By = None,
    bootstrap: Bootstrap = None,
) -> None:
    """Set a waiting dead letter aside for good, recording why and by whom."""
    from hub.operations.dlq import discard

    who = _operator(by)
    letter = _dlq_run(bootstrap, lambda b, e: discard(b, e, dead_letter_id, reason, who))
    print(f"discarded {letter.id} ({letter.origin}): {reason}")


@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="Play the demo scenario once everything is up.")] = True,
) -> None:
    """Everything on the embedded defaults: a local Kafka, SQLite, the TOBB, BİLGE and YKTS simulators,
    the core and their adapters, GET-APP, the operator console and the offices' page.

    Starts from a clean demo broker and store each time, plays the demo (unless --no-demo), then runs
    until Ctrl-C.
    """
    from hub.devtools.kafka.launcher import KafkaBroker, KafkaStartError, ensure_jars

    require("run")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop cleanly on SIGTERM too, broker included
    t0 = time.monotonic()
    _say("[1/5] Kafka jars (Maven Central, cached in .kafka/lib)")
    ensure_jars(PROJECT_ROOT)
    home = PROJECT_ROOT / ".kafka" / "run" / "main"
    store = DATA_DIR / "demo"
    for folder in (home, store):
        shutil.rmtree(folder, ignore_errors=True)
    store.mkdir(parents=True)
    configure_logging(store / "hub.log", service="hub-run")
    _say("[2/5] starting Apache Kafka (KRaft, single node) ...")
    broker = KafkaBroker(home)
    try:
        broker.start()
    except KafkaStartError as exc:
        _say(str(exc))
        raise typer.Exit(2) from None
    try:
        _say(f"      broker up at {broker.bootstrap_servers} (log: {broker.log_path.relative_to(PROJECT_ROOT)})")
        settings = Settings.from_env().model_copy(
            update={
                "kafka_bootstrap": broker.bootstrap_servers,
                "database_url": f"sqlite+aiosqlite:///{store / 'hub.db'}",
            }
        )
        asyncio.run(_run_stack(settings, demo, t0))
    except KeyboardInterrupt:
        _say("stopping ...")
    finally:
        broker.stop()
        _say("stopped.")


async def _run_stack(settings: Settings, demo: bool, t0: float) -> None:
    # Ctrl-C or SIGTERM cancels this task, so the stack below is torn down in the loop, in order:
    # a KeyboardInterrupt raised inside the loop would skip that and leave the simulators running.
    main, loop = asyncio.current_task(), asyncio.get_running_loop()
    assert main is not None

    def stop() -> None:
        _say("stopping ...")
        main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    with contextlib.suppress(asyncio.CancelledError):
        await _play_stack(settings, demo, t0)


async def _play_stack(settings: Settings, demo: bool, t0: float) -> None:
    from hub.devtools.demo import play, start_tcgb_feed
    from hub.entrypoints.stack import DEFAULT_OPS_PORTS, running_stack
    from hub.runtime.client import HubClient

    _say("[3/5] topics from topics.yaml")
    for line in (await apply_topics(settings.kafka_bootstrap, catalog())).lines():
        _say(f"      {line}")
    _say("[4/5] TOBB, BİLGE and YKTS simulators, core consumer, their adapters")
    async with running_stack(settings, ops_ports=DEFAULT_OPS_PORTS, office_port=8791) as stack:
        for name, server in zip(("TOBB", "BİLGE", "YKTS"), stack.simulators, strict=False):
            _say(f"      {name} simulator at {server.base_url}")
        _say(f"      BİLGE document intake at {stack.bilge_intake_url}")
        _say(f"      BİLGE cut-over (L2): {stack.settings.bilge_cutover}")
        for name, url in stack.ops_targets().items():
            _say(f"      {name}: {url}/metrics, {url}/health/ready")
        _say(f"      store: {settings.database_url}, log: {DATA_DIR.name}/demo/hub.log")
        if demo:
            _say(f"[5/5] demo scenario (everything up after {time.monotonic() - t0:.0f}s)")
            run_id = time.strftime("%H%M%S")
            async with HubClient(settings.kafka_bootstrap) as client:
                await play(client, sys.stdout, run_id, date.today(), stack.bilge_intake_url, stack.bilge_sender)
            if stack.bilge_simulator is not None:
                await start_tcgb_feed(stack.bilge_simulator.base_url, stack.bilge_intake_url, run_id, sys.stdout)
        if demo:
            await _getapp_demo_login(stack)
        if stack.console is not None:
            print(f"\nOperator console: {stack.console.base_url}/ (AsyncAPI: {stack.console.base_url}/asyncapi)")
            await _console_demo_login(stack.console)
        if stack.office is not None:
            where = DATA_DIR / "demo" / "office-officer.txt"
            await office_demo_login(stack.office, where, where.relative_to(PROJECT_ROOT))
        _say(f"\nThe hub is running: Kafka at {settings.kafka_bootstrap}. Ctrl-C stops it.")
        await asyncio.Event().wait()


@app.command()
def core(bootstrap: Bootstrap = None, ops_port: Annotated[int, _ops_port(8781)] = 8781) -> None:
    """Run the core consumer alone (as docker-compose does): $HUB_DATABASE_URL, $HUB_KAFKA_BOOTSTRAP; the
    commands' signatures checked against $HUB_SENDERS_FILE."""
    from hub.entrypoints.processes.core import CoreProcess

    require("core")
    configure_logging(None, service="hub-core")
    asyncio.run(_serve(CoreProcess(_settings(bootstrap), ops_port=ops_port)))


@app.command("tobb-adapter")
def tobb_adapter(bootstrap: Bootstrap = None, ops_port: Annotated[int, _ops_port(8782)] = 8782) -> None:
    """Run the TOBB adapter alone: $TOBB_BASE_URL, $TOBB_API_KEY and the TOBB_* tuning variables."""
    from adapters.tobb.client import TobbSettings
    from hub.entrypoints.processes.tobb import TobbAdapterProcess

    require("tobb-adapter")
    configure_logging(None, service="adapter-tobb")
    asyncio.run(_serve(TobbAdapterProcess(_settings(bootstrap), TobbSettings.from_env(), ops_port=ops_port)))


@app.command("tobb-simulator")
def tobb_simulator(
    host: Annotated[str, _SIM_HOST] = "127.0.0.1",
    port: Annotated[int, _SIM_PORT] = 8701,
) -> None:
    """Run the TOBB simulator alone (API key: $TOBB_SIM_API_KEY or the built-in demo key)."""
    from adapters.tobb.simulator import serve

    require("tobb-simulator")
    serve(host, port)


@app.command("bilge-adapter")
def bilge_adapter(
    bootstrap: Bootstrap = None,
    intake_port: Annotated[int, typer.Option(help="Port of the intake BİLGE delivers documents to.")] = 8703,
    intake_host: Annotated[str, typer.Option(help="Address the intake listens on.")] = "127.0.0.1",
    ops_port: Annotated[int, _ops_port(8783)] = 8783,
    dev_pki: Annotated[bool, _DEV_PKI] = False,
) -> None:
    """Run the BİLGE adapter alone: $BILGE_BASE_URL, $BILGE_API_KEY and the BILGE_* tuning variables;
    the intake's mutual TLS from $BILGE_INTAKE_TLS_CERT, $BILGE_INTAKE_TLS_KEY, $BILGE_INTAKE_CLIENT_CA.
    BİLGE's documents are checked against $HUB_SENDERS_FILE; its DrawDownByTcgb commands are signed
    with $HUB_SIGNING_KEY_FILE."""
    from adapters.bilge.client import BilgeSettings
    from adapters.bilge.intake import IntakeSettings
    from hub.devtools.pki import ensure_dev_pki
    from hub.entrypoints.processes.bilge import BilgeAdapterProcess

    require("bilge-adapter")
    intake = configured(
        lambda: IntakeSettings.from_env(fallback_tls=ensure_dev_pki().intake_tls() if dev_pki else None)
    )
    configure_logging(None, service="adapter-bilge")
    process = BilgeAdapterProcess(
        _settings(bootstrap),
        BilgeSettings.from_env(),
        intake_port=intake_port,
        intake_host=intake_host,
        ops_port=ops_port,
        intake=intake,
    )
    asyncio.run(_serve(process))


@app.command("bilge-simulator")
def bilge_simulator(
    host: Annotated[str, _SIM_HOST] = "127.0.0.1",
    port: Annotated[int, _SIM_PORT] = 8702,
    dev_pki: Annotated[bool, _DEV_PKI] = False,
) -> None:
    """Run the BİLGE simulator alone (API key: $BILGE_SIM_API_KEY or the built-in demo key). Pushing
    to an https:// intake it presents $BILGE_SIM_TLS_CERT (key $BILGE_SIM_TLS_KEY), checking the
    intake against $BILGE_SIM_INTAKE_CA. Its records' dates are moved to today, and so is the L2
    cut-over they are written around: the hub beside it needs that cut-over ($HUB_BILGE_CUTOVER)."""
    from adapters.bilge.simulator import SENDER_TLS_ENV, fixture_cutover
    from adapters.bilge.simulator import serve as serve_bilge
    from hub.devtools.pki import ensure_dev_pki

    require("bilge-simulator")
    if dev_pki and not any(os.environ.get(name) for name in SENDER_TLS_ENV):
        sender = ensure_dev_pki().sender_tls()
        paths = (sender.cert_file, sender.key_file, sender.server_ca_file)
        os.environ.update({name: str(path) for name, path in zip(SENDER_TLS_ENV, paths, strict=True)})
    _say(f"records moved to today: a hub beside it judges L2 at HUB_BILGE_CUTOVER={fixture_cutover(date.today())}")
    serve_bilge(host, port)


@app.command("ykts-adapter")
def ykts_adapter(bootstrap: Bootstrap = None, ops_port: Annotated[int, _ops_port(8784)] = 8784) -> None:
    """Run the YKTS adapter alone: $YKTS_BASE_URL, $YKTS_API_KEY and the YKTS_* tuning variables."""
    from adapters.ykts.client import YktsSettings
    from hub.entrypoints.processes.ykts import YktsAdapterProcess

    require("ykts-adapter")
    configure_logging(None, service="adapter-ykts")
    asyncio.run(_serve(YktsAdapterProcess(_settings(bootstrap), YktsSettings.from_env(), ops_port=ops_port)))


@app.command()
def console(
    target: Annotated[
        list[str],
        typer.Option(help="A process to watch, as NAME=URL of its operations endpoints (repeat for each)."),
    ],
    bootstrap: Bootstrap = None,
    host: Annotated[str | None, typer.Option(help="Address the console listens on (default: $HUB_OPS_HOST).")] = None,
    port: Annotated[int, typer.Option(help="Port of the console page.")] = 8780,
) -> None:
    """Run the operator console alone: health, lag, throughput and circuits of the given processes,
    the dead letters (with replay and discard), the outbox, the BİLGE reconciliations and the AsyncAPI
    document naming its Kafka brokers. Operators, sessions and decisions in $HUB_DATABASE_URL
    (`hub operators add` first)."""
    from hub.entrypoints.processes.console import ConsoleProcess

    require("console")
    targets: dict[str, str] = {}
    for each in target:
        name, sep, url = each.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{each!r}: give NAME=http://host:port", param_hint="--target")
        targets[name] = url.rstrip("/")
    configure_logging(None, service="console")
    settings = _settings(bootstrap)
    asyncio.run(_serve(ConsoleProcess(settings, lambda: targets, host=host or settings.ops_host, port=port)))


@app.command()
def getapp(
    bootstrap: Bootstrap = None,
    host: Annotated[str, typer.Option(help="Address the GET-APP page and API listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the GET-APP page and API.")] = 8790,
    ops_port: Annotated[int, _ops_port(8785)] = 8785,
) -> None:
    """Run GET-APP alone: the firms' tracking read model fed by the hub's events, accounts checked in
    YKTS, the mail relay ($GETAPP_SMTP_*) and the page with its API ($HUB_GETAPP_*), on $HUB_DATABASE_URL."""
    from hub.entrypoints.processes.getapp import GetAppProcess
    from hub.getapp.accounts.mail import SmtpSettings

    require("getapp")
    configure_logging(None, service="getapp")
    process = GetAppProcess(_settings(bootstrap), SmtpSettings.from_env(), host=host, port=port, ops_port=ops_port)
    asyncio.run(_serve(process))


@app.command("ykts-simulator")
def ykts_simulator(
    host: Annotated[str, _SIM_HOST] = "127.0.0.1",
    port: Annotated[int, _SIM_PORT] = 8704,
) -> None:
    """Run the YKTS simulator alone (API key: $YKTS_SIM_API_KEY or the built-in demo key)."""
    from adapters.ykts.simulator import serve as serve_ykts

    require("ykts-simulator")
    serve_ykts(host, port)


class _Process(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


async def _serve(process: _Process) -> None:
    """Start, run until SIGINT or SIGTERM, stop cleanly (offsets of finished work are committed)."""
    from hub.store.schema import SchemaNotCurrent

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await process.start()
    except SchemaNotCurrent as exc:  # the store is not at this code's schema: say what to run, no traceback
        _say(f"error: {exc}")
        raise typer.Exit(1) from None
    try:
        await stop.wait()
    finally:
        await process.stop()


async def _getapp_demo_login(stack: Any) -> None:
    """A4–A5 for real: the demo firm applies, YKTS confirms its representative, the user code arrives
    by SMTP at the firm's YKTS e-mail (the local mail catcher); print where to log in with it."""
    import re

    accounts, mail = stack.getapp.accounts, stack.mail
    _say("GET-APP: Boğaziçi Film (VKN 3841022679) applies through Deniz Yılmaz, checked in YKTS (A4, A5)")
    await accounts.apply("3841022679", "48251973650", "Deniz Yılmaz")
    for _ in range(300):
        if mail is not None and mail.to("ithalat@bogazicifilm.com.tr"):
            break
        await asyncio.sleep(0.1)
    else:
        _say("      no mail from GET-APP yet: see .data/demo/hub.log")
        return
    body = mail.to("ithalat@bogazicifilm.com.tr")[-1].get_body(("plain",)).get_content()
    code = re.search(r"\bGA[0-9A-Z]{8}\b", body)
    password = re.search(r"(?m)^\s*(?:Şifre|Geçici şifre|Password|Initial password)[^:]*:\s*(\S+)", body)
    print(f"\nGET-APP tracking page: {stack.getapp.web.base_url}/", flush=True)
    if code and password:
        print(f"  demo firm login: user code {code.group(0)}, initial password {password.group(1)}", flush=True)
        print("  (the mail went to ithalat@bogazicifilm.com.tr; change the password at first login)", flush=True)


async def _console_demo_login(console: ConsoleProcess) -> None:
    """The development operator of a fresh store: made once, printed once, kept in .data/demo/."""
    from hub.operations.console.operators import development_operator

    where = DATA_DIR / "demo" / "console-operator.txt"
    made = await development_operator(console.operators, where)
    if made is not None:
        name, password = made
        shown = where.relative_to(PROJECT_ROOT)
        print(f"  operator login: {name}, password {password} (role act; also in {shown})", flush=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
