"""The offices' page in a real headless Chromium (Debian's), against the office application on a real
socket, over a store the core's service layer filled from real commands (tests/office/seed.py).

An officer of Kapıkule logs in (Türkçe), finds the German carnet's 5800 by its holder's name, opens it:
its ledger (12 entered, 5 discharged by the 3158 of Cilvegözü, 7 open), the note and document of line 1
(C3), the 3158 linked, and the timeline naming who acted (role, office, staff id); switches to English;
reads the C4 statistics by directorate and downloads them as CSV; reads what GDTBM means; at 390 px wide
the page is no wider than the screen; logs out. Fails, never skips, when Chromium cannot start.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from hub.runtime.http_server import LoopServer
from tests.browser import launch_chromium
from tests.office.conftest import Office
from tests.office.seed import DAY, ENTRY, PASSWORD, REEXPORT, complete_reexport

pytestmark = [pytest.mark.browser]

TIMEOUT_MS = 15_000


@pytest.fixture
async def page_url(office: Office) -> AsyncIterator[str]:
    from hub.office.accounts import OfficerSessions
    from hub.office.app import create_office_app
    from hub.office.settings import OfficeSettings

    app = create_office_app(office.engine, OfficerSessions(office.engine, office.accounts.passwords), OfficeSettings())
    server = await LoopServer(app, port=0).start()
    try:
        yield server.base_url
    finally:
        await server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await launch_chromium(playwright)
        try:
            yield launched
        finally:
            await launched.close()


async def _log_in(page: Page, name: str) -> None:
    await expect(page.get_by_test_id("login-form")).to_be_visible(timeout=TIMEOUT_MS)
    await page.get_by_test_id("login-name").fill(name)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("who")).to_be_visible(timeout=TIMEOUT_MS)


async def test_an_officer_finds_a_declaration_reads_its_ledger_and_timeline_and_downloads_statistics(
    office: Office, page_url: str, browser: Browser, tmp_path: Path
) -> None:
    """rule: C2, C3, C4 in the page: what Kapıkule may see, a declaration whole, statistics and CSV."""
    # rule: C3
    await complete_reexport(office.core)
    context = await browser.new_context(accept_downloads=True, locale="tr-TR")
    page = await context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(page_url + "/")
        await expect(page.get_by_text("Memur girişi")).to_be_visible(timeout=TIMEOUT_MS)
        errors.clear()  # the first /api/session without a session is a 401 by design
        await _log_in(page, "a.yilmaz")
        await expect(page.get_by_test_id("who")).to_contain_text("Ayşe Yılmaz")
        await expect(page.get_by_test_id("who")).to_contain_text("irtibat servisi")
        await expect(page.get_by_test_id(f"result-{ENTRY}")).to_be_visible(timeout=TIMEOUT_MS)

        # A search by holder, Turkish capitals and all.
        await page.get_by_test_id("f-holder").fill("LİCHTWERK")
        await page.get_by_test_id("f-status").select_option("inspection_completed")
        await page.get_by_test_id("search-submit").click()
        await expect(page.get_by_test_id("search-count")).to_contain_text("1 beyan bulundu", timeout=TIMEOUT_MS)
        await expect(page.get_by_test_id(f"result-{REEXPORT}")).to_have_count(0)

        # The declaration whole.
        await page.get_by_test_id(f"result-{ENTRY}").get_by_role("link").click()
        detail = page.get_by_test_id("detail")
        await expect(detail).to_be_visible(timeout=TIMEOUT_MS)
        await expect(page.get_by_test_id("d-number")).to_have_text(ENTRY)
        line = page.get_by_test_id("line-1")
        await expect(line).to_be_visible(timeout=TIMEOUT_MS)
        cells = await line.locator("td").all_inner_texts()
        assert cells[:6] == ["1", "goods line 1", "12", "12", "5", "7"]
        assert "invoice-118804.pdf" in cells[6] and "Seri numaraları eşya listesiyle uyumlu." in cells[6]
        await expect(page.get_by_test_id(f"linked-{REEXPORT}").first).to_contain_text("sonraki beyan")
        accepted = page.get_by_test_id("event-DeclarationAccepted")
        await expect(accepted).to_contain_text("irtibat servisi, 220100, irtibat-01")
        await expect(page.get_by_test_id("event-InspectionCompleted")).to_contain_text(
            "muayene memuru, 220100, muayene-07"
        )
        await expect(page.get_by_test_id("event-GoodsDischarged")).to_contain_text(REEXPORT)
        await page.screenshot(path=str(tmp_path / "detail-tr.png"), full_page=True)

        # In English.
        await page.get_by_test_id("language").click()
        await expect(accepted).to_contain_text("liaison service, 220100, irtibat-01")
        await expect(page.get_by_text("Goods lines and ledger (entered, discharged, open)")).to_be_visible()

        # C4 statistics by directorate, and the CSV.
        await page.get_by_test_id("tab-statistics").click()
        await page.get_by_test_id("s-from").fill(str(DAY))
        await page.get_by_test_id("s-to").fill(str(DAY))
        await page.get_by_test_id("s-by").select_option("directorate")
        await page.get_by_test_id("stats-submit").click()
        trakya = page.get_by_test_id("group-Trakya GDTBM")
        await expect(trakya).to_be_visible(timeout=TIMEOUT_MS)
        assert (await trakya.locator("td").all_inner_texts())[:3] == ["Trakya GDTBM", "1", "1"]
        await expect(page.get_by_test_id("group-Akdeniz")).to_have_count(0)
        await page.screenshot(path=str(tmp_path / "statistics-en.png"), full_page=True)
        async with page.expect_download(timeout=TIMEOUT_MS) as waiting:
            await page.get_by_test_id("csv").click()
        download = await waiting.value
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert rows[0][:3] == ["directorate", "declarations", "carnets"]
        assert {row[0]: row[1] for row in rows[1:]} == {"Doğu Akdeniz GDTBM": "1", "Trakya GDTBM": "1", "total": "2"}
        assert download.suggested_filename == f"ata-statistics-directorate-{DAY}-{DAY}.csv"

        # What the abbreviations mean, and the offices.
        await page.get_by_test_id("tab-glossary").click()
        await expect(page.get_by_test_id("glossary")).to_contain_text(
            "Regional Directorate of Customs and Foreign Trade"
        )
        await expect(page.get_by_test_id("glossary")).to_contain_text("Kapıkule Gümrük Müdürlüğü")
        await page.screenshot(path=str(tmp_path / "glossary-en.png"), full_page=True)

        # On a phone: nothing wider than the screen.
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.get_by_test_id("tab-search").click()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide at 390 px"
        await page.screenshot(path=str(tmp_path / "search-390.png"), full_page=True)

        await page.get_by_test_id("logout").click()
        await expect(page.get_by_test_id("login-form")).to_be_visible(timeout=TIMEOUT_MS)
        assert errors == []
    finally:
        await context.close()
