"""The GET-APP page's defects a first user saw (issue 14, part 4), checked in a real headless Chromium
on a phone's width (390 px), with a declaration's timeline, the averages and the statistics on screen,
and the firm's TCGBs (A2): their list, a TCGB's timeline and the TCGB averages.

Seeded as tests/getapp_web/test_page.py seeds (the real account service, a real SMTP server, the hub's
event envelopes through the tracking projection), plus one declaration of the firm processed in under a
second (a bar of 0.4 s must not read "0 sn"), and the TCGBs of tests/getapp_web/test_page_tcgbs.py.

Checked: no element overflows 390 px on any of the three screens (the page's scroll width, and every
element's right edge), nor on the TCGB list, a TCGB's timeline and the TCGB averages; durations under a
second and under ten seconds read as such; the averages' month field names the month the charts show; a
declaration whose inspection is completed reads "… önce", not "(sürüyor)", while one waiting for
inspection runs; the statistics' button and column say the same and GDTBM is explained; the page's icon
loads and /favicon.ico answers it (no 404 anywhere).
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error, Page, Response, ViewportSize, async_playwright, expect

from hub.contract.messages.envelope import Envelope
from hub.getapp.accounts.service import AccountService
from hub.getapp.tracking import TrackingProjection, create_tracking_schema
from hub.getapp.web import create_getapp_app
from hub.runtime.http_server import BackgroundServer
from hub.store.engine import create_engine
from tests.browser import ICON, launch_chromium
from tests.getapp_web.test_page import (
    CARNET_DE,
    D_2600,
    D_5800,
    DAY,
    ERENKOY,
    FIRM_VKN,
    NEW_PASSWORD,
    T0,
    Credentials,
    Inbox,
    _accepted,
    _approve_firm,
    _console,
    _events,
    _inspected,
    _lodged,
    _no_ykts,
    smtp,
)
from tests.getapp_web.test_page_tcgbs import IMPORT_NO, _feed_tcgbs
from tests.store_fixture import StoreKind

__all__ = ["smtp"]  # the fixture, used by name

TIMEOUT_MS = 15_000
PHONE = ViewportSize(width=390, height=844)
D_FAST = "26342000ATA00042"  # lodged, accepted 0.4 s later, inspected 0.8 s after that

# Every element's right edge, and the page's scroll width, against the viewport (390 px).
OVERFLOWING = """(limit) => {
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > limit) found.push("page scrollWidth " + page);
  for (const node of document.querySelectorAll("body *")) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (hidden)
    if (box.right > limit + 0.5) {
      const name = node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") +
        (node.className && typeof node.className === "string" ? "." + node.className.split(" ").join(".") : "");
      found.push(name + " right=" + Math.round(box.right) + " " + (node.textContent || "").trim().slice(0, 40));
    }
  }
  return found;
}"""


def _fast_declaration() -> list[Envelope[Any]]:
    at = T0 + 3 * DAY
    return [
        _lodged(D_FAST, CARNET_DE, "5800", ERENKOY, at, FIRM_VKN),
        _accepted(D_FAST, CARNET_DE, ERENKOY, at + timedelta(milliseconds=400)),
        _inspected(D_FAST, CARNET_DE, "5800", ERENKOY, at + timedelta(milliseconds=1200)),
    ]


async def _feed(database: str) -> None:
    engine = create_engine(database)
    try:
        await create_tracking_schema(engine)
        projection = TrackingProjection(engine)
        for message in [*_events(), *_fast_declaration()]:
            assert await projection.apply(message), message.type
    finally:
        await engine.dispose()


async def _fits(page: Page, screen: str, shots: Path) -> None:
    await page.screenshot(path=shots / f"narrow-{screen}.png", full_page=True)
    overflowing = await page.evaluate(OVERFLOWING, PHONE["width"])
    assert overflowing == [], f"{screen}: wider than {PHONE['width']} px: {overflowing}"


@pytest.mark.browser
async def test_a1_a2_c4_page_fits_a_390_px_phone_with_timelines_averages_statistics_tcgbs(
    stores: StoreKind, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    # rule: A1, A2, C4
    inbox, smtp_port = smtp
    database = stores.new_url("getapp")
    owner = await _approve_firm(database, smtp_port, inbox)
    await _feed(database)
    await _feed_tcgbs(database)  # A2: the TCGB list, timeline and averages on the phone too
    engine = create_engine(database)
    app = create_getapp_app(AccountService(engine, _no_ykts), engine)
    page_errors: list[str] = []
    missing: list[str] = []
    try:
        async with BackgroundServer(app) as server, async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                context = await browser.new_context(locale="tr-TR", timezone_id="Europe/Istanbul", viewport=PHONE)
                page = await context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on("pageerror", lambda exc: page_errors.append(f"page error: {exc}"))
                page.on("console", lambda msg: _console(msg, page_errors))
                page.on("response", lambda r: _not_found(r, missing))
                try:
                    await _on_a_phone(page, server.base_url, owner, tmp_path)
                finally:
                    with contextlib.suppress(Error):
                        await page.screenshot(path=tmp_path / "narrow-last.png", full_page=True)
                icon = await context.request.get(f"{server.base_url}/favicon.ico")
                assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
                assert (await icon.body()).startswith(b"<svg")
            finally:
                await browser.close()
    finally:
        await engine.dispose()
    assert not page_errors, page_errors
    # Only the API's expected refusals (401 before login) may fail: no file of the page, no icon.
    assert [url for url in missing if "/api/" not in url] == []
    print(f"screenshots: {tmp_path}")


def _not_found(response: Response, missing: list[str]) -> None:
    if response.status >= 400:
        missing.append(f"{response.status} {response.url}")


async def _log_in(page: Page, base_url: str, owner: Credentials) -> None:
    await page.goto(base_url + "/")
    # The page names its icon, and the browser gets it.
    icon = page.locator('link[rel="icon"]')
    await expect(icon).to_have_attribute("href", "/shared/favicon.svg")
    for path in ("/shared/favicon.svg", "/favicon.ico"):
        assert await page.evaluate(ICON, path) == [200, "image/svg+xml", True], path
    login = page.locator("#login-form")
    await login.get_by_label("Kullanıcı kodu", exact=True).fill(owner.user_code)
    await login.get_by_label("Parola", exact=True).fill(owner.password)
    await login.get_by_role("button", name="Giriş yap").click()
    first = page.locator("#first-password-form")
    await first.get_by_label("E-postayla gelen parola", exact=True).fill(owner.password)
    await first.get_by_label("Yeni parola", exact=True).fill(NEW_PASSWORD)
    await first.get_by_label("Yeni parola (tekrar)", exact=True).fill(NEW_PASSWORD)
    await first.get_by_role("button", name="Değiştir").click()
    await expect(page.locator("#declarations-body tr")).to_have_count(4)


async def _on_a_phone(page: Page, base_url: str, owner: Credentials, shots: Path) -> None:
    await _log_in(page, base_url, owner)

    # --- a timeline: inspection completed is current "since", not running -----------------------------
    await page.get_by_role("button", name=D_5800).click()
    stages = page.locator("#timeline-body tr")
    await expect(stages).to_have_count(3)
    inspected = stages.nth(2).locator(".duration")
    await expect(inspected).to_have_text(_ends_with(" önce"))
    await expect(inspected).not_to_contain_text("sürüyor")
    await expect(inspected).to_have_attribute("title", _contains("yeniden ihracatını"))
    await expect(stages.nth(1).locator(".duration")).to_have_text("1 sa 35 dk")
    await _fits(page, "timeline", shots)
    # The Süre column is on screen, under its name.
    duration = stages.nth(2).locator("td.duration")
    assert await duration.get_attribute("data-label") == "Süre"
    box = await duration.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    # One waiting for inspection (accepted, the current customs step) runs.
    await page.get_by_role("button", name=D_2600).click()
    await expect(page.locator("#timeline-number")).to_have_text(D_2600)
    await expect(stages.nth(1).locator(".duration")).to_have_text(_ends_with(" (sürüyor)"))
    # Under a second: one decimal, never "0 sn".
    await page.get_by_role("button", name=D_FAST).click()
    await expect(page.locator("#timeline-number")).to_have_text(D_FAST)
    await expect(stages.locator(".duration").first).to_have_text("0,4 sn")
    await expect(stages.locator(".duration").nth(1)).to_have_text("0,8 sn")

    # --- the firm's TCGBs (A2): the list, then a TCGB's timeline -----------------------------------------
    await page.locator("#timeline-close").click()
    tcgbs = page.locator("#tcgbs-body tr")
    await expect(tcgbs).to_have_count(2)
    await tcgbs.nth(1).scroll_into_view_if_needed()
    await _fits(page, "tcgbs", shots)
    await page.get_by_role("button", name=IMPORT_NO).click()
    tcgb_stages = page.locator("#tcgb-timeline-body tr")
    await expect(tcgb_stages).to_have_count(3)
    await expect(tcgb_stages.nth(2).locator(".duration")).to_have_text(_ends_with(" (sürüyor)"))
    await _fits(page, "tcgb-timeline", shots)
    tcgb_duration = tcgb_stages.nth(1).locator("td.duration")
    assert await tcgb_duration.get_attribute("data-label") == "Süre"
    box = await tcgb_duration.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]

    # --- averages: the month field names the charts' month ----------------------------------------------
    await page.get_by_role("tab", name="Ortalama süreler").click()
    await expect(page.locator("#avg-month")).to_have_value("2026-03")  # the firm's latest lodgement (Türkiye)
    figures = page.locator("#averages-chart figure")
    await expect(figures.first).to_be_visible()
    assert set(await figures.evaluate_all("fs => fs.map(f => f.dataset.month)")) == {"2026-03"}
    await expect(figures.first.locator("figcaption")).to_contain_text("Mart 2026")
    fast = page.locator('#averages-chart figure[data-office="342000"]').filter(has_text="5800")
    await expect(fast.locator("svg")).to_contain_text("ortalama 0,4 sn")
    await expect(fast.locator("svg")).to_contain_text("ortalama 0,8 sn")
    await expect(page.locator("#averages-chart")).not_to_contain_text("ortalama 0 sn")
    await expect(page.locator("#averages-legend")).to_contain_text("sn: saniye")
    await _fits(page, "averages", shots)
    # The TCGB averages below them: stage names above their figures and bars, the figures in one line.
    kapikule = page.locator('#tcgb-averages-chart figure[data-office="220100"][data-direction="import"]')
    await expect(kapikule.locator("svg g").first).to_contain_text("ortalama 10 dk · medyan 5 dk · n = 3")
    await kapikule.scroll_into_view_if_needed()
    await _fits(page, "tcgb-averages", shots)
    svg_width = await kapikule.locator("svg").evaluate("s => s.getBoundingClientRect().width")
    assert svg_width <= PHONE["width"]

    # --- statistics: one name for the grouping, GDTBM explained ------------------------------------------
    await page.get_by_role("tab", name="İstatistikler").click()
    await page.get_by_role("button", name="Bölge müdürlüğü", exact=True).click()
    await expect(page.locator("#statistics-head th").first).to_have_text("Bölge müdürlüğü")
    trakya = page.locator('#statistics-body tr[data-key="Trakya GDTBM"]')
    await expect(trakya.locator("abbr")).to_have_attribute("title", "Gümrük ve Dış Ticaret Bölge Müdürlüğü")
    legend = page.get_by_test_id("statistics-legend")
    await expect(legend).to_contain_text("GDTBM")
    await expect(legend).to_contain_text("Gümrük ve Dış Ticaret Bölge Müdürlüğü")
    await _fits(page, "statistics", shots)
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#statistics-head th").first).to_have_text("Regional directorate")
    await expect(page.get_by_role("button", name="Regional directorate", exact=True)).to_be_visible()
    await _fits(page, "statistics-en", shots)
    await page.get_by_role("tab", name="Users").click()
    await expect(page.locator("#users-body tr")).to_have_count(1)
    await _fits(page, "users-en", shots)


def _ends_with(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text) + "$")


def _contains(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))
