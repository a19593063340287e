"""The GET-APP page shows the firm's TCGBs (A2) in a real headless Chromium: those where the firm is
consignee or consignor, never another firm's (A3), with a TCGB's timeline, the A8 notice on screen, and
the TCGB average and median times per stage (A1) at the offices of the firm's TCGBs, over every firm's.

Seeded through the real services as test_page.py does (the firm applies, YKTS approves, the credentials
come by mail); the TCGBs are `TcgbStageReached` envelopes fed to GET-APP's TCGB projection.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Error, Page, async_playwright, expect

from hub.contract.messages.envelope import envelope
from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from hub.getapp.accounts.service import AccountService
from hub.getapp.tracking import create_tracking_schema
from hub.getapp.tracking.tcgb_projection import TcgbProjection
from hub.getapp.web import create_getapp_app
from hub.runtime.http_server import BackgroundServer
from hub.store.engine import create_engine
from tests.browser import launch_chromium
from tests.getapp_web.test_page import (  # noqa: F401  (smtp: the fixture)
    FIRM_VKN,
    NEW_PASSWORD,
    OTHER_VKN,
    Credentials,
    Inbox,
    _approve_firm,
    _console,
    _no_ykts,
    _notice_shown,
    smtp,
)
from tests.store_fixture import StoreKind

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
IMPORT_NO, EXPORT_NO, OTHERS_NO = "26220100IM000042", "26350200EX000043", "26220100IM000099"
OTHERS_NO_2, FAR_NO = "26220100IM000100", "26340900IM000101"  # other firms': one at an office the firm never uses


def _stage(
    number: str,
    stage: TcgbStage,
    minutes: int,
    direction: TcgbDirection,
    office: str | None = None,
    **parties: str | None,
) -> object:
    payload = TcgbStageReached(
        tcgb_number=number, direction=direction, regime="4000" if direction == TcgbDirection.IMPORT else "1000",
        customs_office=office or ("220100" if direction == TcgbDirection.IMPORT else "350200"), stage=stage,
        reached_at=T0 + timedelta(minutes=minutes),
        channel=TcgbChannel.RED if stage == TcgbStage.CHANNEL_ASSIGNED else None, **parties,
    )  # fmt: skip
    return envelope(payload, carnet_number=number, occurred_at=payload.reached_at)


async def _feed_tcgbs(database: str) -> None:
    imp, exp = TcgbDirection.IMPORT, TcgbDirection.EXPORT
    events = [
        _stage(IMPORT_NO, TcgbStage.REGISTERED, 0, imp, consignee_vkn=FIRM_VKN),
        _stage(IMPORT_NO, TcgbStage.CHANNEL_ASSIGNED, 5, imp, consignee_vkn=FIRM_VKN),
        _stage(IMPORT_NO, TcgbStage.EXAMINED, 125, imp, consignee_vkn=FIRM_VKN),
        _stage(EXPORT_NO, TcgbStage.REGISTERED, 60, exp, consignor_vkn=FIRM_VKN),
        _stage(EXPORT_NO, TcgbStage.CHANNEL_ASSIGNED, 61, exp, consignor_vkn=FIRM_VKN),
        _stage(OTHERS_NO, TcgbStage.REGISTERED, 30, imp, consignee_vkn=OTHER_VKN),
        # A1 is over every firm's TCGBs: registered at Kapıkule (import) lasts 5, 20 and 5 min, so the
        # average is 10 min and the median 5 min; channel assigned only the firm's 2 h; export 1 min.
        _stage(OTHERS_NO, TcgbStage.CHANNEL_ASSIGNED, 50, imp, consignee_vkn=OTHER_VKN),
        _stage(OTHERS_NO_2, TcgbStage.REGISTERED, 40, imp, consignee_vkn=OTHER_VKN),
        _stage(OTHERS_NO_2, TcgbStage.CHANNEL_ASSIGNED, 45, imp, consignee_vkn=OTHER_VKN),
        _stage(FAR_NO, TcgbStage.REGISTERED, 10, imp, "340900", consignee_vkn=OTHER_VKN),
        _stage(FAR_NO, TcgbStage.CHANNEL_ASSIGNED, 11, imp, "340900", consignee_vkn=OTHER_VKN),
    ]
    engine = create_engine(database)
    try:
        await create_tracking_schema(engine)
        result = await TcgbProjection(engine).apply(events)  # type: ignore[arg-type]
        assert len(result.applied) == len(events)
    finally:
        await engine.dispose()


async def test_a1_a2_a3_a8_the_firm_sees_its_import_and_export_tcgbs_and_their_average_times_in_chromium(
    stores: StoreKind,
    smtp: tuple[Inbox, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    # rule: A1, A2, A3, A8
    inbox, smtp_port = smtp
    database = stores.new_url("getapp")
    owner = await _approve_firm(database, smtp_port, inbox)
    await _feed_tcgbs(database)
    engine = create_engine(database)
    app = create_getapp_app(AccountService(engine, _no_ykts), engine)
    errors: list[str] = []
    try:
        async with BackgroundServer(app) as server, async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                context = await browser.new_context(locale="tr-TR", timezone_id="Europe/Istanbul")
                page = await context.new_page()
                page.set_default_timeout(15_000)
                page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
                page.on("console", lambda msg: _console(msg, errors))
                try:
                    await _log_in(page, server.base_url, owner)
                    await _tcgbs(page)
                    await _tcgb_averages(page)
                finally:
                    with contextlib.suppress(Error):
                        await page.screenshot(path=tmp_path / "getapp-tcgbs.png", full_page=True)
            finally:
                await browser.close()
    finally:
        await engine.dispose()
    assert not errors, errors


async def _log_in(page: Page, base_url: str, owner: Credentials) -> None:
    await page.goto(base_url + "/")
    login = page.locator("#login-form")
    await login.get_by_label("Kullanıcı kodu", exact=True).fill(owner.user_code)
    await login.get_by_label("Parola", exact=True).fill(owner.password)
    await login.get_by_role("button", name="Giriş yap").click()
    first = page.locator("#first-password-form")
    await first.get_by_label("E-postayla gelen parola", exact=True).fill(owner.password)
    await first.get_by_label("Yeni parola", exact=True).fill(NEW_PASSWORD)
    await first.get_by_label("Yeni parola (tekrar)", exact=True).fill(NEW_PASSWORD)
    await first.get_by_role("button", name="Değiştir").click()


async def _tcgbs(page: Page) -> None:
    await expect(page.get_by_role("heading", name="TCGB'lerim (ithalat ve ihracat)")).to_be_visible()
    rows = page.locator("#tcgbs-body tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#tcgbs-table")).not_to_contain_text(OTHERS_NO)  # rule: A3
    await expect(rows.nth(0)).to_contain_text(EXPORT_NO)  # newest registration first
    await expect(rows.nth(0)).to_contain_text("Gönderici")
    await expect(rows.nth(1)).to_contain_text("İthalat")
    await expect(rows.nth(1)).to_contain_text("Alıcı")
    await expect(rows.nth(1)).to_contain_text("Muayene / belge kontrolü")
    await page.get_by_role("button", name=IMPORT_NO).click()
    detail = page.locator("#tcgb-view")
    await expect(detail).to_be_visible()
    await expect(detail).to_contain_text("Kırmızı")
    timeline = page.locator("#tcgb-timeline-body tr")
    await expect(timeline).to_have_count(3)
    await expect(timeline.nth(0)).to_contain_text("5 dk")
    await expect(timeline.nth(1)).to_contain_text("2 sa")
    await expect(timeline.nth(2)).to_contain_text("(sürüyor)")  # not released yet: it runs
    await _notice_shown(page, "tr")  # rule: A8
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="My TCGBs (imports and exports)")).to_be_visible()
    await expect(timeline.nth(0)).to_contain_text("Registered")
    await _notice_shown(page, "en")
    await page.locator("#tcgb-close").click()
    await expect(detail).to_be_hidden()


async def _tcgb_averages(page: Page) -> None:
    """A1 for TCGBs: the same bars as the ATA averages, per office, direction and month, in both languages."""
    # rule: A1, A2
    await page.get_by_role("button", name="Türkçe").click()
    await page.get_by_role("tab", name="Ortalama süreler").click()
    await expect(page.get_by_role("heading", name="TCGB'ler: aşama başına ortalama süreler")).to_be_visible()
    await expect(page.locator("#tcgb-avg-month")).to_have_value("2026-03")  # the firm's latest registration
    charts = page.locator("#tcgb-averages-chart figure")
    await expect(charts).to_have_count(2)  # Kapıkule import, İzmir export: not İstanbul, no TCGB of the firm's
    await expect(page.locator("#tcgb-averages-chart")).not_to_contain_text("İstanbul")
    kapikule = page.locator('#tcgb-averages-chart figure[data-office="220100"][data-direction="import"]')
    await expect(kapikule.locator("figcaption")).to_have_text(
        "Kapıkule Gümrük Müdürlüğü (220100), İthalat, Mart 2026: TCGB aşama başına ortalama süre"
    )
    stages = kapikule.locator("svg g")
    await expect(stages).to_have_count(2)
    await expect(stages.nth(0).locator(".chart-label")).to_have_text("Tescil edildi")
    await expect(stages.nth(0).locator(".chart-value")).to_have_text("ortalama 10 dk · medyan 5 dk · n = 3")
    await expect(stages.nth(1).locator(".chart-label")).to_have_text("Kanal belirlendi")
    await expect(stages.nth(1).locator(".chart-value")).to_have_text("ortalama 2 sa · medyan 2 sa · n = 1")
    izmir = page.locator('#tcgb-averages-chart figure[data-office="350200"]')
    await expect(izmir.locator(".chart-value")).to_have_text("ortalama 1 dk · medyan 1 dk · n = 1")
    await expect(page.locator("#tcgb-averages-legend")).to_contain_text("TCGB: Türkiye Gümrük Beyannamesi")
    await expect(page.locator("#tcgb-averages-legend")).to_contain_text("dk: dakika")
    # One direction, then another month: the charts follow the form, and the field names the month shown.
    await page.locator("#tcgb-averages-form").get_by_label("Yön").select_option("export")
    await page.locator("#tcgb-averages-form").get_by_role("button", name="Göster").click()
    await expect(charts).to_have_count(1)
    await expect(charts.first).to_have_attribute("data-direction", "export")
    await page.locator("#tcgb-avg-month").fill("2026-04")
    await page.locator("#tcgb-averages-form").get_by_role("button", name="Göster").click()
    await expect(charts).to_have_count(0)
    await expect(page.locator("#tcgb-averages-empty")).to_be_visible()
    await page.locator("#tcgb-avg-month").fill("2026-03")
    await page.locator("#tcgb-averages-form").get_by_label("Yön").select_option("")
    await page.locator("#tcgb-averages-form").get_by_role("button", name="Göster").click()
    await expect(charts).to_have_count(2)
    await _notice_shown(page, "tr")  # rule: A8
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="TCGBs: average time per stage")).to_be_visible()
    await expect(kapikule.locator("figcaption")).to_contain_text("Import, March 2026")
    await expect(stages.nth(0).locator(".chart-label")).to_have_text("Registered")
    await expect(stages.nth(0).locator(".chart-value")).to_have_text("average 10 min · median 5 min · n = 3")
    await expect(page.locator("#tcgb-averages-legend")).to_contain_text("min: minutes")
    await _notice_shown(page, "en")
    # Logging out leaves nothing of the firm's TCGBs in the page for whoever logs in next (A3).
    await page.get_by_role("tab", name="Declarations").click()
    await page.get_by_role("button", name=IMPORT_NO).click()
    await expect(page.locator("#tcgb-view")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#login-form")).to_be_visible()
    await expect(page.locator("#tcgbs-body tr")).to_have_count(0)
    await expect(page.locator("#tcgb-averages-chart figure")).to_have_count(0)
    await expect(page.locator("#tcgb-view")).to_have_attribute("hidden", "")
    await expect(page.locator("#tcgb-avg-month")).to_have_value("")
