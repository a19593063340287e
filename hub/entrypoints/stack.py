"""The whole hub in one process: what `hub run` starts, and what the end-to-end tests start.

Kafka runs in its own JVM (started by the launcher); the simulators, the core and the adapters
run here as asyncio tasks and threads, each with its own Kafka clients, exactly as they would in
separate processes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from adapters.bilge import simulator as bilge_simulator
from adapters.bilge.client import BilgeSettings
from adapters.bilge.intake import BilgeIntakeSettings, IntakeSettings
from adapters.tobb import simulator as tobb_simulator
from adapters.tobb.client import TobbSettings
from adapters.ykts import simulator as ykts_simulator
from adapters.ykts.client import YktsSettings
from hub.configuration.dev_senders import ensure_dev_senders
from hub.configuration.settings import Settings
from hub.devtools.pki import ensure_dev_pki
from hub.entrypoints.processes.bilge import BilgeAdapterProcess
from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.processes.core import CoreProcess
from hub.entrypoints.processes.getapp import GetAppProcess
from hub.entrypoints.processes.office import OfficeProcess
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.entrypoints.processes.ykts import YktsAdapterProcess
from hub.getapp.accounts.mail import SmtpSettings
from hub.getapp.mailcatcher import MailCatcher
from hub.runtime.http_server import BackgroundServer
from hub.runtime.tls import ClientTls
from hub.store.schema import upgrade_store


@dataclass
class Stack:
    settings: Settings
    core: CoreProcess
    tobb_adapter: TobbAdapterProcess
    bilge_adapter: BilgeAdapterProcess
    ykts_adapter: YktsAdapterProcess
    getapp: GetAppProcess
    simulators: list[BackgroundServer]
    mail: MailCatcher | None
    console: ConsoleProcess | None = None
    office: OfficeProcess | None = None  # the offices' page and API
    bilge_sender: ClientTls | None = None  # what BİLGE (the demo, the tests) presents to the intake
    bilge_simulator: BackgroundServer | None = None  # the BİLGE simulator, when this stack runs one

    def ops_targets(self) -> dict[str, str]:
        """Each running process's operations endpoints: what the console watches. Read at each
        sample, so a process a caller restarted is watched under its new address."""
        processes = (self.core, self.tobb_adapter, self.bilge_adapter, self.ykts_adapter, self.getapp, self.office)
        return {p.NAME: p.ops.base_url for p in processes if p is not None and p.ops.serving}

    @property
    def bilge_intake_url(self) -> str:
        assert self.bilge_adapter.intake is not None
        return f"{self.bilge_adapter.intake.base_url}/bilge/belgeler"


@dataclass(frozen=True)
class OpsPorts:
    """Where each process serves /metrics and /health/* (0: any free port, as in the tests);
    `hub run` and docker-compose use the fixed ports of DEFAULT_OPS_PORTS."""

    console: int = 0
    core: int = 0
    tobb_adapter: int = 0
    bilge_adapter: int = 0
    ykts_adapter: int = 0
    getapp: int = 0
    office: int = 0


DEFAULT_OPS_PORTS = OpsPorts(
    console=8780, core=8781, tobb_adapter=8782, bilge_adapter=8783, ykts_adapter=8784, getapp=8785, office=8786
)


@contextlib.asynccontextmanager
async def running_stack(
    settings: Settings,
    tobb: TobbSettings | None = None,
    bilge: BilgeSettings | None = None,
    ykts: YktsSettings | None = None,
    smtp: SmtpSettings | None = None,
    getapp_port: int = 0,
    ops_ports: OpsPorts | None = None,
    intake: IntakeSettings | None = None,
    office_port: int = 0,
) -> AsyncIterator[Stack]:
    """Start simulators (for TOBB, BİLGE and YKTS unless $TOBB_BASE_URL, $BILGE_BASE_URL, $YKTS_BASE_URL
    or the arguments name real ones), core and adapters; stop them in reverse. The BİLGE intake serves
    mutual TLS with `intake`, else the BILGE_INTAKE_* certificates, else the development PKI of
    .data/pki (made on first start), whose client certificate the BİLGE simulator then presents.

    The simulators run on the real calendar (their fixture dates moved to today). With the BİLGE
    simulator, the core and the BİLGE adapter judge L2 at the cut-over its records are written
    around, moved alike, instead of `settings.bilge_cutover`: under the legal cut-over (2021-06-02)
    every record would be an anomaly, since a carnet valid today has no declaration from before it.

    The store is first upgraded to the code's schema, as `hub db upgrade` would: a development tool
    may migrate by itself, a deployed process only checks (docs/decisions.md)."""
    await upgrade_store(settings.database_url)
    if intake is None:
        configured = BilgeIntakeSettings.from_env().server_tls()
        intake = IntakeSettings.from_env(fallback_tls=configured or ensure_dev_pki().intake_tls())
    sender = bilge_simulator.BilgeSimulatorSettings.from_env().sender_tls()
    if sender is None:
        sender = ensure_dev_pki().sender_tls()
    simulators = []
    today = date.today()
    if tobb is None and os.environ.get("TOBB_BASE_URL"):
        tobb = TobbSettings.from_env()
    if tobb is None:
        # The demo runs on the real calendar: fixture carnets stay as valid (or expired) as written.
        app = tobb_simulator.create_app(api_key=tobb_simulator.DEFAULT_API_KEY, today=today)
        simulators.append(BackgroundServer(app).start())
        tobb = TobbSettings(base_url=simulators[-1].base_url, api_key=tobb_simulator.DEFAULT_API_KEY)
    if bilge is None and os.environ.get("BILGE_BASE_URL"):
        bilge = BilgeSettings.from_env()
    bilge_server = None
    if bilge is None:
        # The demo's legacy records stay on their side of the cut-over whatever the day (see above).
        settings = settings.model_copy(update={"bilge_cutover": bilge_simulator.fixture_cutover(today)})
        simulators.append(
            BackgroundServer(
                bilge_simulator.create_app(
                    sender_tls=sender, today=today, signing_key=ensure_dev_senders().key(bilge_simulator.SENDER)
                )
            ).start()
        )
        bilge = BilgeSettings(base_url=simulators[-1].base_url, api_key=bilge_simulator.DEFAULT_API_KEY)
        bilge_server = simulators[-1]
    if ykts is None and os.environ.get("YKTS_BASE_URL"):
        ykts = YktsSettings.from_env()
    if ykts is None:
        app = ykts_simulator.create_app(api_key=ykts_simulator.DEFAULT_API_KEY, today=today)
        simulators.append(BackgroundServer(app).start())
        ykts = YktsSettings(base_url=simulators[-1].base_url, api_key=ykts_simulator.DEFAULT_API_KEY)
    mail = None
    if smtp is None and os.environ.get("GETAPP_SMTP_HOST"):
        smtp = SmtpSettings.from_env()
    if smtp is None:
        mail = MailCatcher().start()
        smtp = mail.settings
    ports = ops_ports or OpsPorts()
    stack = Stack(
        settings,
        CoreProcess(settings, ops_port=ports.core),
        TobbAdapterProcess(settings, tobb, ops_port=ports.tobb_adapter),
        BilgeAdapterProcess(settings, bilge, ops_port=ports.bilge_adapter, intake=intake),
        YktsAdapterProcess(settings, ykts, ops_port=ports.ykts_adapter),
        GetAppProcess(settings, smtp, port=getapp_port, ops_port=ports.getapp),
        simulators,
        mail,
        bilge_sender=sender,
        bilge_simulator=bilge_server,
    )
    stack.console = console = ConsoleProcess(settings, stack.ops_targets, port=ports.console)
    stack.office = office = OfficeProcess(settings, port=office_port, ops_port=ports.office)

    try:
        await stack.core.start()
        await stack.tobb_adapter.start()
        await stack.bilge_adapter.start()
        await stack.ykts_adapter.start()
        await stack.getapp.start()
        await office.start()
        await console.start()
        yield stack
    finally:
        # The stack's current processes: a caller may have replaced one (a restart).
        await console.stop()
        await office.stop()
        await stack.getapp.stop()
        await stack.ykts_adapter.stop()
        await stack.bilge_adapter.stop()
        await stack.tobb_adapter.stop()
        await stack.core.stop()
        for server in simulators:
            server.stop()
        if mail is not None:
            mail.stop()
