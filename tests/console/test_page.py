"""The operator console in a real headless Chromium, watching the session's running hub.

Besides the session's processes, the console watches a TOBB adapter of the test's own (the session's
probes its TOBB rarely and never opens its circuit, on purpose: tests/conftest.py): quick timeouts,
a breaker that opens after two failures for one second, a probe every 0.3 s, in front of a TOBB
simulator the test stops and starts again on the same port. It joins the consumer group adapter-tobb
beside the session's adapter while this module runs.

In Chromium, an operator of the role act, logged in, sees TOBB fail and come back, declares it
knowingly degraded and clears it, replays a dead letter (and its command is then processed), discards
one with a reason; a dead letter's reason and bytes are shown as text, never run as markup. Logging in,
and what a watcher or a logged-out browser sees, is test_login_page.py.

The tests fail, never skip, when Chromium cannot start (install it: make chromium).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Error, Locator, Page, expect

from adapters.tobb.client import TobbSettings
from adapters.tobb.simulator import DEFAULT_API_KEY, create_app
from hub.contract.messages.envelope import envelope
from hub.contract.topic_names import HUB_DEADLETTER
from hub.devtools.ports import free_port
from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.entrypoints.stack import Stack
from hub.operations.console.operators import Role
from hub.runtime.client import HubClient
from hub.runtime.http_server import BackgroundServer
from hub.store.reconciliations import recent_reconciliations, record_reconciliation
from tests.console.logins import PASSWORD, ensure_operator
from tests.e2e.helpers import foreign_5800, produce_raw, signed_headers

pytestmark = [pytest.mark.kafka, pytest.mark.browser]

TIMEOUT_MS = 30_000  # for eventual states: the console samples every 0.3 s, the page reads every 2 s
COMMANDS = "ata.declaration.commands"
WATCHED = "adapter-tobb-watched"  # the test's own TOBB adapter, as the console names it
TITLE = "ATA hub — operator console"
OPERATOR = "ayse.demir"  # who the page records decisions under: the logged-in operator


# --- the test's own TOBB, which it stops and starts ---------------------------------------------------


class Simulator:
    """A TOBB simulator on a fixed port, stopped and started again on that same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: BackgroundServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._server is None:
            server = BackgroundServer(create_app(api_key=DEFAULT_API_KEY), port=self.port)
            self._server = await asyncio.to_thread(server.start)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.stop)


@dataclass
class Watched:
    simulator: Simulator
    adapter: TobbAdapterProcess


@pytest.fixture(scope="module")
async def watched(stack: Stack) -> AsyncIterator[Watched]:
    simulator = Simulator()
    await simulator.start()
    tobb = TobbSettings(
        base_url=simulator.base_url, api_key=DEFAULT_API_KEY, timeout_s=0.5, max_attempts=2, backoff_initial_s=0.05,
        backoff_max_s=0.1, breaker_failures=2, breaker_open_s=1.0, probe_every_s=0.3,
    )  # fmt: skip
    adapter = TobbAdapterProcess(stack.settings, tobb)
    await adapter.start()
    try:
        yield Watched(simulator, adapter)
    finally:
        await adapter.stop()
        await simulator.stop()


@pytest.fixture(scope="module")
async def console(stack: Stack, watched: Watched) -> AsyncIterator[ConsoleProcess]:
    def targets() -> dict[str, str]:
        own = {WATCHED: watched.adapter.ops.base_url} if watched.adapter.ops.serving else {}
        return {**stack.ops_targets(), **own}

    process = ConsoleProcess(stack.settings, targets, sample_s=0.3)
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


# --- the browser ---------------------------------------------------------------------------------------


@dataclass
class Console:
    page: Page
    errors: list[str] = field(default_factory=list)

    def process(self, name: str) -> Locator:
        return self.page.get_by_test_id(f"process-{name}")

    def system(self, process: str, system: str) -> Locator:
        return self.page.get_by_test_id(f"system-{process}-{system}")

    def dead_letter(self, letter_id: str) -> Locator:
        return self.page.get_by_test_id(f"dead-letter-{letter_id}")


def _console_message(message: ConsoleMessage, errors: list[str]) -> None:
    # A failed fetch is logged by the browser ("Failed to load resource"); the page shows those itself.
    if message.type == "error" and "Failed to load resource" not in message.text:
        errors.append(f"console: {message.text}")


@pytest.fixture
async def operator(browser: Browser, console: ConsoleProcess, tmp_path: Path) -> AsyncIterator[Console]:
    context = await browser.new_context(locale="en-GB", timezone_id="Europe/Istanbul")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    shown = Console(page)
    page.on("pageerror", lambda exc: shown.errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: _console_message(msg, shown.errors))
    await ensure_operator(console.operators, OPERATOR, Role.ACT)
    await page.goto(console.base_url + "/")
    await expect(page).to_have_title(TITLE)
    await log_in(page, OPERATOR)
    try:
        yield shown
    finally:
        with contextlib.suppress(Error):  # never hide the failure behind a failed screenshot
            await page.screenshot(path=tmp_path / "console.png", full_page=True)
        await context.close()


async def log_in(page: Page, name: str, password: str = PASSWORD) -> None:
    """Through the login form, as an operator does; the console shows who is logged in."""
    await page.get_by_test_id("login-name").fill(name)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("operator-name")).to_have_text(name)


def _health(shown: Console, process: str) -> Locator:
    return shown.process(process).get_by_test_id("process-health-text")


# --- TOBB fails and comes back ---------------------------------------------------------------------------


async def test_operator_sees_tobb_stop_answering_and_come_back(operator: Console, watched: Watched) -> None:
    health = _health(operator, WATCHED)
    tobb = operator.system(WATCHED, "TOBB")
    await expect(health).to_have_text("Ready", timeout=TIMEOUT_MS)
    await expect(tobb.get_by_test_id("system-state-text")).to_have_text("Answering", timeout=TIMEOUT_MS)
    await expect(tobb.get_by_test_id("system-circuit")).to_have_text("Circuit closed", timeout=TIMEOUT_MS)

    await watched.simulator.stop()
    try:
        await expect(health).to_contain_text("Not ready: TOBB: no answer since", timeout=TIMEOUT_MS)
        await expect(tobb.get_by_test_id("system-state-text")).to_have_text("Not answering", timeout=TIMEOUT_MS)
        await expect(tobb.get_by_test_id("system-circuit")).to_have_text(
            "Circuit open: calls are held back", timeout=TIMEOUT_MS
        )
        await expect(tobb.get_by_test_id("system-state-detail")).to_contain_text(
            re.compile(r"TOBB: no answer since \d\d:\d\d:\d\d UTC; circuit (open|half-open)")
        )
        # The rest of the hub is not concerned.
        await expect(_health(operator, "hub-core")).to_have_text("Ready")
    finally:
        await watched.simulator.start()

    await expect(tobb.get_by_test_id("system-circuit")).to_have_text("Circuit closed", timeout=TIMEOUT_MS)
    await expect(tobb.get_by_test_id("system-state-text")).to_have_text("Answering", timeout=TIMEOUT_MS)
    await expect(health).to_have_text("Ready", timeout=TIMEOUT_MS)
    await expect(tobb.get_by_test_id("system-last-answer-text")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d UTC$"))
    assert not operator.errors, operator.errors


async def test_operator_declares_tobb_knowingly_degraded_then_clears_it(operator: Console, watched: Watched) -> None:
    health = _health(operator, WATCHED)
    tobb = operator.system(WATCHED, "TOBB")
    dialog = operator.page.get_by_test_id("reason-dialog")
    await watched.simulator.stop()
    try:
        await expect(health).to_contain_text("Not ready: TOBB", timeout=TIMEOUT_MS)

        await tobb.get_by_test_id("declare-degraded").click()
        await expect(dialog).to_be_visible()
        await dialog.get_by_test_id("reason-confirm").click()  # no reason given: asked again
        await expect(dialog.get_by_test_id("reason-error")).to_have_text("Say why.")
        await expect(dialog).to_be_visible()
        await dialog.get_by_test_id("reason-input").fill("TOBB maintenance until 21:00, announced by TOBB")
        await dialog.get_by_test_id("reason-confirm").click()
        await expect(dialog).to_be_hidden()

        await expect(health).to_contain_text(
            f"Ready; TOBB: knowingly degraded (TOBB maintenance until 21:00, announced by TOBB, by {OPERATOR})",
            timeout=TIMEOUT_MS,
        )
        await expect(tobb.get_by_test_id("system-state-text")).to_have_text("Knowingly degraded")
        await expect(operator.page.get_by_test_id("info")).to_contain_text("TOBB declared knowingly degraded")
        assert watched.adapter.client.health.degraded is not None

        await tobb.get_by_test_id("clear-degraded").click()
        await expect(health).to_contain_text("Not ready: TOBB", timeout=TIMEOUT_MS)
        await expect(tobb.get_by_test_id("declare-degraded")).to_be_visible()
        assert watched.adapter.client.health.degraded is None
    finally:
        watched.adapter.client.health.clear_degraded()
        await watched.simulator.start()
    await expect(health).to_have_text("Ready", timeout=TIMEOUT_MS)
    assert not operator.errors, operator.errors


# --- dead letters --------------------------------------------------------------------------------------


def _dead_letter_headers(reason: str, offset: str = "424242") -> dict[str, str]:
    """The headers a consumer puts on a record it sets aside (hub/runtime/kafka/consuming.py)."""
    return {
        "dlq.reason": reason,
        "dlq.original_topic": COMMANDS,
        "dlq.original_partition": "0",
        "dlq.original_offset": offset,
        "dlq.consumer": "hub-core",
        "dlq.attempts": "3",
        "dlq.failed_at": datetime.now(UTC).isoformat(),
    }


async def test_operator_replays_a_dead_letter_and_its_command_is_processed(
    operator: Console, stack: Stack, client: HubClient
) -> None:
    # A valid command whose handling failed beyond its retries while the store was away, set aside as
    # the consumer does it; the fault is gone now.
    lodge = foreign_5800()
    command = envelope(lodge, carnet_number=lodge.carnet_number, occurred_at=datetime.now(UTC))
    headers = {**signed_headers(command), **_dead_letter_headers("OperationalError: database is locked")}
    dead = await produce_raw(stack.settings.kafka_bootstrap, HUB_DEADLETTER, command.encode(), command.key, headers)
    letter_id = f"{dead.partition}:{dead.offset}"
    row = operator.dead_letter(letter_id)

    await expect(row.get_by_test_id("dead-letter-status")).to_have_text("waiting", timeout=TIMEOUT_MS)
    await expect(row.get_by_test_id("dead-letter-reason")).to_have_text("OperationalError: database is locked")
    await expect(row.get_by_test_id("dead-letter-type-text")).to_have_text("LodgeDeclaration")
    await operator.page.get_by_test_id("dlq-show-all").check()  # keep the row in sight once decided
    await row.get_by_test_id("replay").click()

    await expect(row.get_by_test_id("dead-letter-status")).to_have_text(
        re.compile(rf"^replayed by {re.escape(OPERATOR)} at .* to {re.escape(COMMANDS)}:\d+@\d+$"), timeout=TIMEOUT_MS
    )
    await expect(operator.page.get_by_test_id("info")).to_contain_text(
        f"Dead letter {letter_id} sent back to {COMMANDS}"
    )
    await expect(row.get_by_test_id("replay")).to_be_hidden()
    events = [e for e in await client.outcome(command) if e.type != "CarnetRecorded"]
    assert [e.type for e in events] == ["DeclarationLodged"]
    assert events[0].correlation_id == command.correlation_id

    await operator.page.get_by_test_id("dlq-show-all").uncheck()  # the waiting ones only: it is gone
    await expect(row).to_have_count(0, timeout=TIMEOUT_MS)
    assert not operator.errors, operator.errors


async def test_operator_discards_junk_with_a_reason(operator: Console, stack: Stack) -> None:
    # Undecodable bytes on the commands topic: the core sets them aside itself.
    sent = await produce_raw(stack.settings.kafka_bootstrap, COMMANDS, b"\xff\xfe console junk", b"CONSOLE-PAGE")
    origin = f"{COMMANDS} (partition {sent.partition}, offset {sent.offset})"
    rows = operator.page.get_by_test_id("dead-letters").locator("tbody tr")
    row = rows.filter(has=operator.page.get_by_test_id("dead-letter-origin-text").filter(has_text=origin))
    await expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(row.get_by_test_id("dead-letter-reason")).to_contain_text("not JSON")
    await expect(row.get_by_test_id("dead-letter-bytes-text")).to_have_text("\\xff\\xfe console junk")
    await expect(row.get_by_test_id("dead-letter-type-text")).to_have_text("not a message")

    dialog = operator.page.get_by_test_id("reason-dialog")
    await row.get_by_test_id("discard").click()
    await dialog.get_by_test_id("reason-input").fill("   ")
    await dialog.get_by_test_id("reason-confirm").click()
    await expect(dialog.get_by_test_id("reason-error")).to_be_visible()
    await dialog.get_by_test_id("reason-cancel").click()  # thought better of it: nothing decided
    await expect(dialog).to_be_hidden()
    await expect(row.get_by_test_id("dead-letter-status")).to_have_text("waiting")

    await row.get_by_test_id("discard").click()
    await dialog.get_by_test_id("reason-input").fill("test bytes sent by the TOBB team by mistake")
    await dialog.get_by_test_id("reason-confirm").click()
    await expect(row).to_have_count(0, timeout=TIMEOUT_MS)  # no longer waiting

    await operator.page.get_by_test_id("dlq-show-all").check()
    await expect(row.get_by_test_id("dead-letter-status")).to_have_text(
        re.compile(rf"^discarded by {re.escape(OPERATOR)} at .*: test bytes sent by the TOBB team by mistake$"),
        timeout=TIMEOUT_MS,
    )
    await expect(row.get_by_test_id("replay-again")).to_be_visible()
    assert not operator.errors, operator.errors


async def test_a_dead_letter_is_shown_as_text_never_run_as_markup(operator: Console, stack: Stack) -> None:
    reason = "<img src=x onerror=\"document.title='pwned'\"> failed"
    value = b"<script>document.title='pwned'</script>"
    headers = _dead_letter_headers(reason, offset="535353")
    dead = await produce_raw(stack.settings.kafka_bootstrap, HUB_DEADLETTER, value, b"<b>key</b>", headers)
    row = operator.dead_letter(f"{dead.partition}:{dead.offset}")

    await expect(row.get_by_test_id("dead-letter-reason")).to_have_text(reason, timeout=TIMEOUT_MS)
    await expect(row.get_by_test_id("dead-letter-bytes-text")).to_have_text("<script>document.title='pwned'</script>")
    await expect(row.get_by_test_id("dead-letter-bytes-detail")).to_contain_text("key <b>key</b>")
    await expect(row.locator("img, script, b")).to_have_count(0)
    await expect(operator.page).to_have_title(TITLE)
    assert not operator.errors, operator.errors


# --- the rest of the page ------------------------------------------------------------------------------


@pytest.fixture
async def one_run(console: ConsoleProcess) -> int:
    """A reconciliation run recorded in the store (as `hub reconcile bilge` records it); its id."""
    figures = {"records_read": 1_000_000, "counts": {"missing_in_hub": 2, "status_differs": 1}, "corrections": 2}
    newest = datetime.now(UTC) + timedelta(minutes=10)
    source = "bilge-export-<i>2026-03-02</i>.xml"
    await record_reconciliation(console.engine, figures, source, ["reports/2026-03-02/report.json"], newest)
    (run,) = await recent_reconciliations(console.engine, limit=1)
    assert run.source == source
    return run.id


async def test_outbox_reconciliations_and_links(operator: Console, stack: Stack, one_run: int) -> None:
    page = operator.page
    outbox = page.get_by_test_id(f"outbox-{stack.core.NAME}")
    await expect(outbox.get_by_test_id("outbox-backlog")).to_have_text(
        re.compile(r"^\d+ outcomes?$"), timeout=TIMEOUT_MS
    )

    run = page.get_by_test_id(f"reconciliation-{one_run}")
    await expect(run.get_by_test_id("reconciliation-summary")).to_have_text(
        "1,000,000 records, 3 findings, 2 corrective commands", timeout=TIMEOUT_MS
    )
    await expect(run.get_by_test_id("reconciliation-findings-detail")).to_have_text(
        "missing in hub: 2, status differs: 1"
    )
    await expect(run.get_by_test_id("reconciliation-source")).to_have_text("bilge-export-<i>2026-03-02</i>.xml")

    async with page.expect_navigation():
        await page.get_by_test_id("asyncapi-link").click()
    await expect(page.locator("h1")).to_contain_text("e-ATA/TR integration hub")
    await expect(page.get_by_text(COMMANDS).first).to_be_visible()
    await page.go_back()

    async with page.expect_navigation():
        await operator.process(stack.core.NAME).get_by_test_id("process-metrics").click()
    await expect(page.locator("body")).to_contain_text("hub_outbox_backlog")
    assert not operator.errors, operator.errors
