"""Logging in to the operator console in a real headless Chromium, on the session's running hub
(issue 12, part 5): a logged-out browser sees nothing but the login form, a watcher sees everything and
cannot replay (the button is disabled, and the request the page would send is refused), an operator of
the role act replays and is recorded, and logging out (or a session ended on the server) leaves nothing
on the page.

The tests fail, never skip, when Chromium cannot start (install it: make chromium).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Error, Page, expect
from sqlalchemy import select

from hub.contract.topic_names import HUB_DEADLETTER
from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.stack import Stack
from hub.operations.console.auth import COOKIE
from hub.operations.console.operators import Role
from hub.store.tables import dead_letter_decisions
from tests.browser import ICON
from tests.console.logins import PASSWORD, ensure_operator
from tests.e2e.helpers import produce_raw

pytestmark = [pytest.mark.kafka, pytest.mark.browser]

TIMEOUT_MS = 30_000
COMMANDS = "ata.declaration.commands"
ACTOR, WATCHER = "emre.act", "selin.watch"


class Tab:
    """A browser of its own (no cookie of another test), with what it asked the API and its errors."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context, self.page = context, page
        self.api_calls: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.api_calls.append(r.method + " " + r.url.split("/", 3)[-1]))
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))


@pytest.fixture
async def tab(browser: Browser, console: ConsoleProcess, tmp_path: Path) -> AsyncIterator[Tab]:
    context = await browser.new_context(locale="en-GB", timezone_id="Europe/Istanbul")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    shown = Tab(context, page)
    await page.goto(console.base_url + "/")
    try:
        yield shown
    finally:
        with contextlib.suppress(Error):
            await page.screenshot(path=tmp_path / "console-login.png", full_page=True)
        await context.close()


async def _log_in(page: Page, name: str, password: str = PASSWORD) -> None:
    await page.get_by_test_id("login-name").fill(name)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()


async def _sees_nothing_but_the_login_form(page: Page) -> None:
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    for hidden in ("processes", "dead-letters", "systems", "summary", "who", "asyncapi-link"):
        await expect(page.get_by_test_id(hidden)).to_be_hidden()
    await expect(page.locator("tbody tr")).to_have_count(0)  # nothing left in the page either


async def _waiting_dead_letter(stack: Stack, why: str) -> tuple[str, tuple[int, int]]:
    """A record set aside as a consumer does it (hub/runtime/kafka/consuming.py); its id and place."""
    headers = {
        "dlq.reason": why,
        "dlq.original_topic": COMMANDS,
        "dlq.original_partition": "0",
        "dlq.original_offset": "777",
        "dlq.consumer": "hub-core",
        "dlq.attempts": "3",
        "dlq.failed_at": datetime.now(UTC).isoformat(),
    }
    dead = await produce_raw(stack.settings.kafka_bootstrap, HUB_DEADLETTER, b"{not json", b"LOGIN", headers)
    return f"{dead.partition}:{dead.offset}", (dead.partition, dead.offset)


async def _decision(console: ConsoleProcess, place: tuple[int, int]) -> Any:
    t = dead_letter_decisions
    async with console.engine.connect() as conn:
        found = await conn.execute(select(t).where(t.c.dlq_partition == place[0], t.c.dlq_offset == place[1]))
        return found.first()


async def test_a_logged_out_browser_sees_only_the_login_form(tab: Tab, console: ConsoleProcess) -> None:
    page = tab.page
    await _sees_nothing_but_the_login_form(page)
    await expect(page.get_by_test_id("login-form")).to_contain_text("Operatör adı")
    await page.wait_for_timeout(2500)  # longer than a refresh: still nothing asked but who is here
    assert [c for c in tab.api_calls if "api/" in c] == ["GET api/session"]

    await _log_in(page, "nobody.here", "not a password at all")
    await expect(page.get_by_test_id("login-error")).to_have_text("wrong name or password")
    await _sees_nothing_but_the_login_form(page)

    for path in ("/api/overview", "/api/dead-letters", "/asyncapi"):  # typed in the address bar
        answer = await page.goto(console.base_url + path)
        assert answer is not None and answer.status == 401, path
        await expect(page.locator("body")).to_contain_text("log in first")
    assert not tab.errors, tab.errors


async def test_the_console_page_has_an_icon_and_favicon_ico_answers(browser: Browser, console: ConsoleProcess) -> None:
    """Issue 14 part 4: favicon.ico was 404; the page names its icon and /favicon.ico answers it too."""
    context = await browser.new_context(locale="en-GB")
    try:
        page = await context.new_page()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        await page.goto(console.base_url + "/")
        await expect(page.get_by_test_id("login-form")).to_be_visible()
        await expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/shared/favicon.svg")
        for path in ("/shared/favicon.svg", "/favicon.ico"):
            assert await page.evaluate(ICON, path) == [200, "image/svg+xml", True], path
        assert [f for f in failed if "/api/session" not in f] == []  # only "not logged in yet"
    finally:
        await context.close()


async def test_a_watcher_sees_the_dead_letters_but_cannot_replay(
    tab: Tab, stack: Stack, console: ConsoleProcess
) -> None:
    await ensure_operator(console.operators, WATCHER, Role.WATCH)
    letter_id, place = await _waiting_dead_letter(stack, "watched, not replayed")
    page = tab.page
    await _log_in(page, WATCHER)
    await expect(page.get_by_test_id("operator-name")).to_have_text(WATCHER)
    await expect(page.get_by_test_id("operator-role")).to_have_text("watch")
    await expect(page.get_by_test_id("role-note")).to_contain_text("may look, not act")

    row = page.get_by_test_id(f"dead-letter-{letter_id}")
    await expect(row.get_by_test_id("dead-letter-status")).to_have_text("waiting", timeout=TIMEOUT_MS)
    await expect(row.get_by_test_id("replay")).to_be_disabled()
    await expect(row.get_by_test_id("discard")).to_be_disabled()
    tobb = page.get_by_test_id(f"system-{stack.tobb_adapter.NAME}-TOBB")
    await expect(tobb.get_by_test_id("declare-degraded")).to_be_disabled()

    # What the page would send, sent from the page anyway (the watcher's own session and CSRF token).
    status = await page.evaluate(
        """async (id) => {
            const session = await (await fetch("/api/session")).json();
            const answer = await fetch("/api/dead-letters/" + id + "/replay", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": session.csrf_token},
                body: "{}",
            });
            return answer.status;
        }""",
        letter_id,
    )
    assert status == 403
    await page.wait_for_timeout(2500)  # a refresh later: still waiting, nothing recorded
    await expect(row.get_by_test_id("dead-letter-status")).to_have_text("waiting")
    assert await _decision(console, place) is None
    assert not tab.errors, tab.errors


async def test_an_act_operator_replays_is_recorded_and_logs_out(
    tab: Tab, stack: Stack, console: ConsoleProcess
) -> None:
    await ensure_operator(console.operators, ACTOR, Role.ACT)
    letter_id, place = await _waiting_dead_letter(stack, "replayed by an operator")
    page = tab.page
    await _log_in(page, f"  {ACTOR.upper()} ")  # as typed: case and blanks do not matter
    await expect(page.get_by_test_id("operator-name")).to_have_text(ACTOR)
    [cookie] = [c for c in await tab.context.cookies() if c["name"] == COOKIE]
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (True, True, "Strict")

    row = page.get_by_test_id(f"dead-letter-{letter_id}")
    await page.get_by_test_id("dlq-show-all").check()  # keep the row in sight once decided
    await row.get_by_test_id("replay").click()
    await expect(row.get_by_test_id("dead-letter-status")).to_have_text(
        re.compile(rf"^replayed by {re.escape(ACTOR)} at .* to {re.escape(COMMANDS)}:\d+@\d+$"), timeout=TIMEOUT_MS
    )
    decision = await _decision(console, place)
    assert (decision.action, decision.decided_by) == ("replayed", ACTOR)

    await page.get_by_test_id("logout").click()
    await _sees_nothing_but_the_login_form(page)
    assert not [c for c in await tab.context.cookies() if c["name"] == COOKIE]
    await page.reload()
    await _sees_nothing_but_the_login_form(page)

    # A session ended on the server (the operator removed) empties the page at its next refresh.
    await _log_in(page, ACTOR)
    await expect(page.get_by_test_id(f"process-{stack.core.NAME}")).to_be_visible(timeout=TIMEOUT_MS)
    await console.operators.remove(ACTOR)
    await expect(page.get_by_test_id("login-error")).to_contain_text("session has ended", timeout=TIMEOUT_MS)
    await _sees_nothing_but_the_login_form(page)
    assert not tab.errors, tab.errors
