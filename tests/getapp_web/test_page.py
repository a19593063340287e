"""The GET-APP page in a real headless Chromium, against the real application on a real socket.

Seeded through the real services, nothing written to the tables by hand:
- the firm applies (A4); YKTS's `AuthorityChecked` envelope approves it; the mail relay sends the
  user code and initial password over SMTP to a real aiosmtpd server, to the e-mail YKTS registers
  for the firm (A5), and the test reads them from that mail;
- the firm's declarations are the hub's real event envelopes (DeclarationLodged, Accepted,
  InspectionCompleted, Closed...) fed to the tracking projection, the firm's VKN as the declarant.

Then, in Chromium: log in, change the initial password (A7), find a declaration with the filter,
open its timeline, switch to English, look at the averages and the statistics (C4), add persons up
to 5 and be refused the 6th (A6), cancel one and add the 6th in its place (A7), log out. The A8
notice is checked on every screen.

The test fails, never skips, when Chromium cannot start. Screenshots go to pytest's tmp only.
"""

from __future__ import annotations

import contextlib
import email
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from playwright.async_api import ConsoleMessage, Dialog, Error, Page, async_playwright, expect
from pydantic import BaseModel
from sqlalchemy import select

from hub.contract.messages.envelope import Envelope, envelope, reply
from hub.devtools.ports import free_port
from hub.domain import events as ev
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import Actor, DeclarantIn
from hub.domain.offices import OFFICES
from hub.domain.ykts import AuthorityChecked, AuthorityCheckRequested
from hub.getapp.accounts.mail import MailRelay, SmtpSettings
from hub.getapp.accounts.service import AccountService
from hub.getapp.accounts.tables import create_schema, mail_outbox
from hub.getapp.tracking import TrackingProjection, create_tracking_schema
from hub.getapp.web import create_getapp_app
from hub.runtime.http_server import BackgroundServer
from hub.store.engine import create_engine
from tests.browser import launch_chromium
from tests.store_fixture import StoreKind

TIMEOUT_MS = 15_000

FIRM_VKN = "4810023456"
FIRM_NAME = "Anadolu Sahne Teknik A.Ş."
FIRM_YKTS_EMAIL = "gumruk@anadolusahne.example"  # registered in YKTS: user codes go there only (A5)
TYPED_EMAIL = "ayse.kisisel@example.org"  # typed in the application: never written to (A5)
OTHER_VKN = "7350012345"  # another firm: its declaration must never show (A3)

NEW_PASSWORD = "Kapıkule-2026-güvenli"

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 11:00 in Türkiye
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

KAPIKULE, ERENKOY, IZMIR_AIRPORT, ISTANBUL_AIRPORT = "220100", "342000", "350200", "340900"

D_5800 = "26220100ATA00077"  # the one the test looks for
D_2600 = "26342000ATA00009"
D_2600_CLOSED = "26350200ATA00001"
D_OTHER_FIRM = "26340900ATA00555"


def _tckn(first_nine: str) -> str:
    """A TCKN with valid check digits (the public algorithm; see hub.domain.identity)."""
    d = [int(c) for c in first_nine]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = (sum(d) + tenth) % 10
    return f"{first_nine}{tenth}{eleventh}"


OWNER = ("Ayşe Yılmaz", _tckn("100000001"))
# Four more persons make five with the owner (A6); the sixth is refused.
PERSONS = [
    ("Mehmet Öztürk", _tckn("248519736")),
    ("Zeynep Çelik", _tckn("352617480")),
    ("Can Güneş", _tckn("419283756")),
    ("Elif Şahin", _tckn("563018294")),
]
SIXTH = ("Deniz Kılıç", _tckn("482519736"))


# --- SMTP: a real server on a free port --------------------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every mail it is given."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(([str(r) for r in envelope.rcpt_tos], message))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


# --- seeding through the real services ---------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    user_code: str
    password: str


async def _approve_firm(database: str, smtp_port: int, inbox: Inbox) -> Credentials:
    """A4, A5: apply, YKTS approves, the credentials mail goes to the YKTS address; read it there."""
    engine = create_engine(database)
    try:
        await create_schema(engine)
        requests: list[Envelope[Any]] = []

        async def publish(message: Envelope[Any]) -> None:
            requests.append(message)

        service = AccountService(engine, publish)
        application_id = await service.apply(FIRM_VKN, OWNER[1], OWNER[0], TYPED_EMAIL)
        [request] = requests
        asked = request.payload
        assert isinstance(asked, AuthorityCheckRequested) and asked.request_id == UUID(application_id)
        answer = reply(
            AuthorityChecked(
                request_id=asked.request_id,
                firm_vkn=FIRM_VKN,
                person_tckn=OWNER[1],
                authorised=True,
                firm_name=FIRM_NAME,
                firm_email=FIRM_YKTS_EMAIL,
            ),
            to=request,
            occurred_at=datetime.now(UTC),
        )
        decided = await service.handle_ykts_answer(answer)
        assert decided is not None and decided.status == "approved", decided

        relay = MailRelay(engine, SmtpSettings(host="127.0.0.1", port=smtp_port, sender="GET-APP <getapp@localhost>"))
        assert await relay.relay_once() == 1
    finally:
        await engine.dispose()

    # rule: A5 — to the firm's e-mail registered in YKTS, never to the address typed in the application
    [(recipients, mail)] = inbox.mails
    assert recipients == [FIRM_YKTS_EMAIL]
    assert TYPED_EMAIL not in str(mail)
    body = mail.get_content()
    assert isinstance(body, str)
    code = re.search(r"Kullanıcı kodu: (\S+)", body)
    password = re.search(r"İlk şifre: (\S+)", body)
    assert code and password, body
    return Credentials(code.group(1), password.group(1))


def _carnet(number: str, country: str, holder_id: str | None) -> CarnetData:
    return CarnetData(
        carnet_number=number,
        holder_name=FIRM_NAME,
        holder_id=holder_id,
        issuing_country=country,
        issuing_chamber="İstanbul Ticaret Odası" if country == "TR" else "DIHK Berlin",
        issued_on=date(2026, 1, 5),
        valid_until=date(2027, 1, 4),
        goods=(
            GoodsListLine(
                line_no=1,
                description="sahne ışık masası",
                quantity=4,
                weight_kg=Decimal("35"),
                value=Decimal("12000"),
                currency="EUR",
                origin_country=country,
            ),
        ),
    )


CARNET_DE = _carnet("DE/2026/A-1", "DE", None)  # foreign: TOBB knows no VKN; the firm lodges as holder
CARNET_TR = _carnet("TR/2026/000123", "TR", FIRM_VKN)
CARNET_OTHER = _carnet("TR/2026/000999", "TR", OTHER_VKN)


def _wrap(payload: BaseModel, carnet: CarnetData, at: datetime) -> Envelope[Any]:
    """An event as the core publishes it: the outcome of a command the e-ATA/TR front end signed."""
    return envelope(payload, carnet_number=carnet.carnet_number, occurred_at=at, sent_by="frontend")


def _lodged(number: str, carnet: CarnetData, regime: str, office: str, at: datetime, vkn: str) -> Envelope[Any]:
    known = OFFICES.get(office)
    assert known is not None
    declarant = DeclarantIn(id_kind="VKN", id_value=vkn, name=carnet.holder_name, acts_as="holder")
    payload = ev.DeclarationLodged(
        declaration_number=number,
        carnet_number=carnet.carnet_number,
        regime=regime,
        customs_office=office,
        office_kind=known.kind.value,
        status="lodged",
        lodged_at=at,
        declarant=declarant,
        holder_name=carnet.holder_name,
        carnet_source="TOBB" if carnet.issuing_country == "TR" else "declarant",
        carnet_valid_until=carnet.valid_until,
        lines=(ev.DeclaredLine(line_no=1, description="sahne ışık masası", quantity=2),),
    )
    return _wrap(payload, carnet, at)


def _accepted(number: str, carnet: CarnetData, office: str, at: datetime) -> Envelope[Any]:
    by = Actor(role="liaison", office=office, officer_id="irtibat-01")
    return _wrap(ev.DeclarationAccepted(declaration_number=number, status="accepted", by=by), carnet, at)


def _inspected(number: str, carnet: CarnetData, regime: str, office: str, at: datetime) -> Envelope[Any]:
    by = Actor(role="inspection_officer", office=office, officer_id="muayene-07")
    payload = ev.InspectionCompleted(
        declaration_number=number,
        regime=regime,
        status="inspection_completed",
        by=by,
        discharge_deadline=CARNET_TR.valid_until,
        voucher_number="V-0001",
    )
    return _wrap(payload, carnet, at)


def _closed(number: str, carnet: CarnetData, at: datetime) -> Envelope[Any]:
    payload = ev.DeclarationClosed(declaration_number=number, status="closed", rule="I3", reason="discharged")
    return _wrap(payload, carnet, at)


def _events() -> list[Envelope[Any]]:
    recorded = [
        _wrap(ev.CarnetRecorded(carnet=c, source=s), c, T0 - DAY)
        for c, s in ((CARNET_DE, "declarant"), (CARNET_TR, "TOBB"), (CARNET_OTHER, "TOBB"))
    ]
    return [
        *recorded,
        # 5800 at Kapıkule: 40 min to acceptance, 1 h 35 min to the end of inspection.
        _lodged(D_5800, CARNET_DE, "5800", KAPIKULE, T0, FIRM_VKN),
        _accepted(D_5800, CARNET_DE, KAPIKULE, T0 + 40 * MINUTE),
        _inspected(D_5800, CARNET_DE, "5800", KAPIKULE, T0 + 2 * HOUR + 15 * MINUTE),
        # 2600 at Erenköy, accepted, waiting for inspection.
        _lodged(D_2600, CARNET_TR, "2600", ERENKOY, T0 + DAY, FIRM_VKN),
        _accepted(D_2600, CARNET_TR, ERENKOY, T0 + DAY + 3 * HOUR),
        # 2600 at İzmir airport, all the way to closed.
        _lodged(D_2600_CLOSED, CARNET_TR, "2600", IZMIR_AIRPORT, T0 + 2 * DAY, FIRM_VKN),
        _accepted(D_2600_CLOSED, CARNET_TR, IZMIR_AIRPORT, T0 + 2 * DAY + 20 * MINUTE),
        _inspected(D_2600_CLOSED, CARNET_TR, "2600", IZMIR_AIRPORT, T0 + 2 * DAY + 2 * HOUR),
        _closed(D_2600_CLOSED, CARNET_TR, T0 + 20 * DAY),
        # Another firm's declaration, lodged by that firm: never on this firm's page (A3).
        _lodged(D_OTHER_FIRM, CARNET_OTHER, "2600", ISTANBUL_AIRPORT, T0 + DAY, OTHER_VKN),
        _accepted(D_OTHER_FIRM, CARNET_OTHER, ISTANBUL_AIRPORT, T0 + DAY + HOUR),
    ]


async def _feed_tracking(database: str) -> None:
    engine = create_engine(database)
    try:
        await create_tracking_schema(engine)
        projection = TrackingProjection(engine)
        for message in _events():
            assert await projection.apply(message), message.type
    finally:
        await engine.dispose()


async def _mails_queued(database: str) -> list[str]:
    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(mail_outbox.c.recipient).order_by(mail_outbox.c.id))).scalars())
    finally:
        await engine.dispose()


# --- the browser -------------------------------------------------------------------------------------


async def _notice_shown(page: Page, language: str) -> None:
    """rule: A8 — the notice is on screen, in the page's language."""
    notice = page.get_by_test_id("notice")
    await expect(notice).to_be_visible()
    words = "hukuki bağlayıcılığı yoktur" if language == "tr" else "not legally binding"
    await expect(notice).to_contain_text(words)


_ADD_FORM = {
    "en": ("Full name", "Turkish ID no. (TCKN)", "Add"),
    "tr": ("Ad soyad", "T.C. kimlik no", "Ekle"),
}


async def _add_person(page: Page, name: str, tckn: str, language: str = "en") -> None:
    name_label, tckn_label, button = _ADD_FORM[language]
    form = page.locator("#add-user-form")
    await form.get_by_label(name_label, exact=True).fill(name)
    await form.get_by_label(tckn_label, exact=True).fill(tckn)
    await form.get_by_role("button", name=button, exact=True).click()


async def _accept(dialog: Dialog) -> None:
    await dialog.accept()


@pytest.mark.browser
async def test_a1_a3_a6_a7_a8_c4_firm_follows_its_goods_in_chromium(
    stores: StoreKind, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    # rule: A1, A3, A4, A5, A6, A7, A8, C4
    started = time.monotonic()
    inbox, smtp_port = smtp
    # One database for accounts and the tracking read model, as the GET-APP process has it.
    database = stores.new_url("getapp")
    owner = await _approve_firm(database, smtp_port, inbox)
    await _feed_tracking(database)

    # The application's own engine, used only on the server's event loop (the seeding ones are disposed).
    engine = create_engine(database)
    app = create_getapp_app(AccountService(engine, _no_ykts), engine)
    page_errors: list[str] = []
    try:
        async with BackgroundServer(app) as server, async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                context = await browser.new_context(locale="tr-TR", timezone_id="Europe/Istanbul")
                page = await context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on("pageerror", lambda exc: page_errors.append(f"page error: {exc}"))
                page.on("console", lambda msg: _console(msg, page_errors))
                try:
                    await _walk_through(page, server.base_url, owner)
                finally:
                    with contextlib.suppress(Error):  # never hide the failure behind a failed screenshot
                        await page.screenshot(path=tmp_path / "getapp-page.png", full_page=True)
                # The session ended on the server, not only on the page.
                after = await context.request.get(f"{server.base_url}/api/declarations")
                assert after.status == 401
                assert (await after.json())["notice"]["en"]  # rule: A8, on refusals too
            finally:
                await browser.close()
    finally:
        await engine.dispose()

    assert not page_errors, page_errors
    # rule: A5, A6 — a credentials mail per person given a user code (the owner, four, and the one added
    # after a cancellation), all to the address registered in YKTS; none for the refused sixth.
    assert await _mails_queued(database) == [FIRM_YKTS_EMAIL] * 6
    print(f"GET-APP page in Chromium: {time.monotonic() - started:.1f} s; screenshot {tmp_path / 'getapp-page.png'}")


async def _no_ykts(message: Envelope[Any]) -> None:
    raise AssertionError(f"the page never applies: {message.type}")


def _console(message: ConsoleMessage, errors: list[str]) -> None:
    # The browser logs every non-2xx fetch ("Failed to load resource"); the page expects those (401
    # before login, the A6 409). Anything else logged as an error (CSP, script) is a failure.
    if message.type == "error" and "Failed to load resource" not in message.text:
        errors.append(f"console: {message.text}")


async def _walk_through(page: Page, base_url: str, owner: Credentials) -> None:
    await page.goto(base_url + "/")
    await expect(page.locator("html")).to_have_attribute("lang", "tr")  # Türkçe by default
    await _notice_shown(page, "tr")

    # --- log in; the initial password must be changed first (A7) ---------------------------------------
    login = page.locator("#login-form")
    await login.get_by_label("Kullanıcı kodu", exact=True).fill(owner.user_code)
    await login.get_by_label("Parola", exact=True).fill(owner.password)
    await login.get_by_role("button", name="Giriş yap").click()
    await expect(page.get_by_role("heading", name="İlk parolanızı değiştirin")).to_be_visible()
    await _notice_shown(page, "tr")
    # The session cookie is Secure by default, and Chromium keeps and sends it on http://127.0.0.1.
    session = [c for c in await page.context.cookies() if c["name"] == "getapp_session"]
    assert [(c["secure"], c["httpOnly"], c["sameSite"]) for c in session] == [(True, True, "Strict")]
    first = page.locator("#first-password-form")
    await first.get_by_label("E-postayla gelen parola", exact=True).fill(owner.password)
    await first.get_by_label("Yeni parola", exact=True).fill(NEW_PASSWORD)
    await first.get_by_label("Yeni parola (tekrar)", exact=True).fill(NEW_PASSWORD)
    await first.get_by_role("button", name="Değiştir").click()

    # --- the firm's declarations (A1), only its own (A3) ----------------------------------------------
    await expect(page.get_by_role("heading", name="Beyannamelerim")).to_be_visible()
    await expect(page.locator("#firm-name")).to_have_text(FIRM_NAME)
    rows = page.locator("#declarations-body tr")
    await expect(rows).to_have_count(3)
    await expect(page.locator("#declarations-table")).not_to_contain_text(D_OTHER_FIRM)  # rule: A3
    erenkoy = rows.filter(has_text=D_2600)
    await expect(erenkoy).to_contain_text("Kabul edildi")
    await expect(erenkoy).to_contain_text("Erenköy Gümrük Müdürlüğü (342000)")
    await _notice_shown(page, "tr")

    # --- find one by typing in the filter, open its timeline -------------------------------------------
    await page.get_by_label("Süz").fill("00077")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(D_5800)
    await expect(rows.first).to_contain_text("Muayene tamamlandı")
    await expect(rows.first).to_contain_text("Kapıkule Gümrük Müdürlüğü (220100)")
    await page.get_by_role("button", name=D_5800).click()
    timeline = page.locator("#timeline-view")
    await expect(timeline).to_be_visible()
    await expect(page.locator("#timeline-number")).to_have_text(D_5800)
    stages = page.locator("#timeline-body tr")
    await expect(stages).to_have_count(3)
    await expect(stages.locator("th")).to_have_text(["Tescil edildi", "Kabul edildi", "Muayene tamamlandı"])
    lodged, accepted = stages.nth(0), stages.nth(1)
    await expect(lodged.locator(".duration")).to_have_text("40 dk")
    await expect(accepted.locator(".duration")).to_have_text("1 sa 35 dk")
    await expect(accepted).to_contain_text("İrtibat servisi, 220100")  # who acted: role and office, no officer id
    await expect(stages.nth(2)).to_contain_text("Muayene memuru, 220100")
    await expect(lodged).to_contain_text("11:00")  # 08:00 UTC, shown in Türkiye time
    await expect(timeline).not_to_contain_text("irtibat-01")
    await expect(stages.locator(".sent-by")).to_have_text(["e-ATA/TR"] * 3)  # the system that signed each command

    # --- English ----------------------------------------------------------------------------------------
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await _notice_shown(page, "en")
    await expect(page.get_by_role("heading", name="My declarations")).to_be_visible()
    await expect(page.locator("#declarations-table thead")).to_contain_text("Where the goods are")
    await expect(stages.locator("th")).to_have_text(["Lodged", "Accepted", "Inspection completed"])
    await expect(lodged.locator(".duration")).to_have_text("40 min")
    await expect(accepted.locator(".duration")).to_have_text("1 h 35 min")
    await expect(accepted).to_contain_text("Liaison service, 220100")

    # --- average times per stage at the offices the firm uses (A1) ---------------------------------------
    await page.get_by_role("tab", name="Average times").click()
    chart = page.locator('#averages-chart figure[data-office="220100"]')
    await expect(chart).to_be_visible()
    await expect(chart.locator("figcaption")).to_contain_text("Kapıkule")
    await expect(chart.locator("svg rect.bar-average")).to_have_count(2)  # lodged and accepted ended
    await expect(chart.locator("svg")).to_contain_text("average 40 min")
    await expect(page.locator('#averages-chart figure[data-office="340900"]')).to_have_count(0)  # not the firm's
    await _notice_shown(page, "en")

    # --- statistics by country, region, directorate (C4) -------------------------------------------------
    await page.get_by_role("tab", name="Statistics").click()
    await expect(page.locator('#statistics-body tr[data-key="DE"]')).to_contain_text("Germany")
    await expect(page.locator('#statistics-body tr[data-key="TR"]')).to_be_visible()
    await page.get_by_role("button", name="Region", exact=True).click()
    await expect(page.locator('#statistics-body tr[data-key="Marmara"]')).to_be_visible()
    await expect(page.locator('#statistics-body tr[data-key="Ege"]')).to_be_visible()
    await page.get_by_role("button", name="Regional directorate", exact=True).click()
    await expect(page.locator('#statistics-body tr[data-key="Trakya GDTBM"]')).to_be_visible()
    await expect(page.locator("#statistics-chart svg rect")).to_have_count(3)  # Trakya, İstanbul, Ege

    # --- users: up to 5 persons, the 6th refused (A6) ------------------------------------------------------
    await page.get_by_role("tab", name="Users").click()
    users = page.locator("#users-body tr")
    await expect(users).to_have_count(1)
    await expect(users.first).to_contain_text(OWNER[0])
    for count, (name, tckn) in enumerate(PERSONS, start=2):
        await _add_person(page, name, tckn)
        await expect(page.locator("#info")).to_contain_text(f"{name} added; user code: GA")
        await expect(users).to_have_count(count)
        await expect(page.locator("#users-count")).to_have_text(f"{count} of 5 persons")
    await _add_person(page, *SIXTH)
    error = page.get_by_role("alert")
    await expect(error).to_contain_text("Rule A6: a firm may give use rights to at most 5 persons")
    await expect(users).to_have_count(5)
    await expect(page.locator("#users-body")).not_to_contain_text(SIXTH[0])
    await _notice_shown(page, "en")
    # The refusal in words follows the language switch too.
    await page.get_by_role("button", name="Türkçe").click()
    await expect(error).to_contain_text("Kural A6: bir firma en çok 5 kişiye kullanım hakkı verebilir")
    await _notice_shown(page, "tr")

    # --- cancel a user code (A7): the place it held is free again (A6 counts active persons) ---------------
    elif_row = users.filter(has_text=PERSONS[3][0])
    page.once("dialog", _accept)
    await elif_row.get_by_role("button", name="kullanıcı kodunu iptal et").click()
    await expect(page.locator("#info")).to_contain_text("kullanıcı kodu iptal edildi")
    await expect(users).to_have_count(4)
    await _add_person(page, *SIXTH, language="tr")
    await expect(page.locator("#info")).to_contain_text(f"{SIXTH[0]} eklendi")
    await expect(users).to_have_count(5)
    await expect(page.locator("#users-count")).to_have_text("5 / 5 kişi")

    # --- log out ------------------------------------------------------------------------------------------
    await page.get_by_role("button", name="Çıkış").click()
    await expect(page.get_by_role("heading", name="Giriş", exact=True)).to_be_visible()
    await expect(page.locator("#app-view")).to_be_hidden()
    # Nothing of the firm stays on screen once logged out: not its name, not the user code.
    await expect(page.locator("#firm-name")).to_be_hidden()
    await expect(page.get_by_role("button", name="Çıkış")).to_be_hidden()
    await _notice_shown(page, "tr")
