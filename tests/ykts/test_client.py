"""YktsClient against the YKTS simulator, over real HTTP on 127.0.0.1 (rules A4, A5, G2)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from adapters.ykts.client import (
    AuthorityAnswer,
    InvalidIdentity,
    YktsClient,
    YktsRejected,
    YktsSettings,
    YktsUnavailable,
    identity_problem,
    vkn_is_valid,
)
from adapters.ykts.simulator import DEFAULT_FIXTURES, FIXTURE_DAY, create_app
from adapters.ykts.simulator import vkn_is_valid as simulator_vkn_is_valid
from hub.domain.identity import tckn_is_valid
from hub.runtime.http_server import BackgroundServer
from hub.runtime.xmlsafe import XmlRejected
from tests.simulated_systems import faults as _faults
from tests.simulated_systems import quick_client, simulator_fixtures, stub_client, unreachable_url
from tests.simulated_systems import requests_log as _requests_log
from tests.simulated_systems import requests_seen as _requests_seen
from tests.ykts import ANADOLU, AYSE, BOGAZICI, CAN, DENIZ, ELIF, MEHMET, NILUFER, UNKNOWN_FIRM, ZEYNEP

API_KEY = "test-anahtari-ykts"
TODAY = FIXTURE_DAY  # 2026-11-21, the fixtures' reference day

NS = {"y": "urn:gtb:ykts:yetki-sorgu:1"}


ykts, _clean_simulator = simulator_fixtures("ykts", lambda: create_app(api_key=API_KEY))


def _client(server: BackgroundServer, **overrides: Any) -> YktsClient:
    return quick_client(YktsClient, server, API_KEY, **overrides)


# --- what YKTS says, judged on the caller's day ----------------------------------------------------


async def test_a4_a5_direct_representative_is_authorised_with_the_registered_email(ykts: BackgroundServer) -> None:
    # rule: A4 - a person registered in YKTS as direct representative may apply for the firm
    # rule: A5 - and the answer carries the e-mail address registered in YKTS for the firm
    async with _client(ykts) as client:
        answer = await client.check_authority(ANADOLU, AYSE, TODAY)
    assert answer == AuthorityAnswer(
        firm_known=True,
        firm_name="Anadolu Sahne Işık ve Ses Sistemleri A.Ş.",
        firm_email="gumruk@anadolusahne.com.tr",
        authorised=True,
        reason="",
    )
    [seen] = _requests_log(ykts)
    assert seen["path"] == f"/firma/{ANADOLU}/yetkili/{AYSE}" and seen["status"] == 200


@pytest.mark.parametrize(
    ("vkn", "tckn", "kind"),
    [(ANADOLU, MEHMET, "DOLAYLI_TEMSIL"), (ANADOLU, ZEYNEP, "CALISAN")],
    ids=["indirect-representative", "employee"],
)
async def test_a4_indirect_representative_or_employee_is_not_directly_authorised(
    ykts: BackgroundServer, vkn: str, tckn: str, kind: str
) -> None:
    # rule: A4 - only a direct representative ("doğrudan temsil") may apply through GET-APP
    async with _client(ykts) as client:
        answer = await client.check_authority(vkn, tckn, TODAY)
    assert not answer.authorised
    assert answer.firm_known and answer.firm_email == "gumruk@anadolusahne.com.tr"
    assert kind in answer.reason and "DOGRUDAN_TEMSIL" in answer.reason and "A4" in answer.reason


async def test_a4_authority_is_per_firm(ykts: BackgroundServer) -> None:
    # rule: A4 - the same person is indirect for one firm and direct for another
    async with _client(ykts) as client:
        for_anadolu = await client.check_authority(ANADOLU, MEHMET, TODAY)
        for_nilufer = await client.check_authority(NILUFER, MEHMET, TODAY)
    assert not for_anadolu.authorised
    assert for_nilufer.authorised and for_nilufer.firm_email == "nilufermakine@hs03.kep.tr"


async def test_a4_expired_direct_authority_is_not_authorised(ykts: BackgroundServer) -> None:
    # rule: A4 - a direct representation that has ended does not count
    async with _client(ykts) as client:
        answer = await client.check_authority(BOGAZICI, CAN, TODAY)
    assert not answer.authorised
    assert answer.reason == f"the person's direct representation of firm {BOGAZICI} ended on 2025-12-31"
    assert answer.firm_name == "Boğaziçi Film Prodüksiyon ve Reklamcılık A.Ş."


@pytest.mark.parametrize(
    ("tckn", "day", "authorised"),
    [
        (DENIZ, date(2026, 2, 1), True),  # first day
        (DENIZ, date(2027, 1, 31), True),  # last day, inclusive
        (DENIZ, date(2027, 2, 1), False),  # the day after
        (DENIZ, date(2026, 1, 31), False),  # the day before it began
    ],
)
async def test_a4_validity_days_are_inclusive(ykts: BackgroundServer, tckn: str, day: date, authorised: bool) -> None:
    # rule: A4 - validity is judged on the caller's day, both ends inclusive
    async with _client(ykts) as client:
        answer = await client.check_authority(BOGAZICI, tckn, day)
    assert answer.authorised is authorised
    assert (answer.reason == "") is authorised


async def test_a4_direct_authority_not_yet_begun_is_not_authorised(ykts: BackgroundServer) -> None:
    # rule: A4
    async with _client(ykts) as client:
        before = await client.check_authority(NILUFER, ELIF, TODAY)
        from_day_one = await client.check_authority(NILUFER, ELIF, date(2027, 1, 1))
    assert not before.authorised and "begins on 2027-01-01" in before.reason
    assert from_day_one.authorised


async def test_a4_unknown_firm(ykts: BackgroundServer) -> None:
    # rule: A4, A5 - YKTS does not know the firm: not authorised, and no address to send to
    async with _client(ykts) as client:
        answer = await client.check_authority(UNKNOWN_FIRM, AYSE, TODAY)
    assert answer == AuthorityAnswer(
        firm_known=False,
        firm_name=None,
        firm_email=None,
        authorised=False,
        reason=f"firm {UNKNOWN_FIRM} is not registered in YKTS",
    )


async def test_a4_person_without_authority_for_a_known_firm(ykts: BackgroundServer) -> None:
    # rule: A4 - the firm exists, the person is not on its record; YKTS does not disclose the firm's data
    async with _client(ykts) as client:
        answer = await client.check_authority(BOGAZICI, AYSE, TODAY)
    assert answer.firm_known and not answer.authorised
    assert (answer.firm_name, answer.firm_email) == (None, None)
    assert answer.reason == f"the person holds no authority for firm {BOGAZICI} in YKTS"


@pytest.mark.parametrize(
    ("vkn", "tckn", "message"),
    [
        ("142378905", AYSE, "VKN"),  # 9 digits
        ("1423789051", AYSE, "VKN"),  # wrong check digit
        ("14237890５0", AYSE, "VKN"),  # a full-width digit
        (ANADOLU, "10000000147", "TCKN"),  # wrong check digit
        (ANADOLU, "01000000146", "TCKN"),  # leading zero
        (ANADOLU, "١٠٠٠٠٠٠٠١٤٦", "TCKN"),  # Arabic-Indic digits: str.isdigit() would take them
        (ANADOLU, "", "TCKN"),
    ],
)
async def test_g2_malformed_ids_are_refused_without_asking_ykts(
    ykts: BackgroundServer, vkn: str, tckn: str, message: str
) -> None:
    # rule: G2 - malformed ids are refused with a clear reason
    async with _client(ykts) as client:
        with pytest.raises(InvalidIdentity, match=message):
            await client.check_authority(vkn, tckn, TODAY)
    assert _requests_seen(ykts) == 0


def test_g2_vkn_check_digit() -> None:
    # rule: G2 - the VKN algorithm, on the TOBB fixtures' tax numbers too
    for vkn in ("3841022679", "5112980345", "6204477183", "9470058132", "7356612092", ANADOLU):
        assert vkn_is_valid(vkn) and simulator_vkn_is_valid(vkn), vkn
    for vkn in ("3841022678", "384102267", "38410226790", "384102267X"):
        assert not vkn_is_valid(vkn) and not simulator_vkn_is_valid(vkn), vkn
    assert identity_problem(ANADOLU, AYSE) is None


# --- retries, bounds, timeouts ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_ykts_failing_twice_still_yields_the_answer(ykts: BackgroundServer, status: int) -> None:
    # rule: A4 - a passing outage must not turn into "not authorised"
    _faults(ykts, fail_next=2, status=status)
    async with _client(ykts) as client:
        answer = await client.check_authority(ANADOLU, AYSE, TODAY)
    assert answer.authorised
    assert _requests_seen(ykts) == 3


async def test_ykts_always_failing_gives_unavailable_after_max_attempts(ykts: BackgroundServer) -> None:
    _faults(ykts, fail_next=1000, status=503)
    async with _client(ykts, max_attempts=4) as client:
        with pytest.raises(YktsUnavailable) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.attempts == 4
    assert "503" in caught.value.reason and "HIZMET_KULLANILAMIYOR" in caught.value.reason
    assert _requests_seen(ykts) == 4


async def test_ykts_slower_than_the_timeout_gives_unavailable(ykts: BackgroundServer) -> None:
    _faults(ykts, delay_all=True, delay_seconds=1.0)
    started = time.perf_counter()
    async with _client(ykts, timeout_s=0.2, max_attempts=2) as client:
        with pytest.raises(YktsUnavailable) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    elapsed = time.perf_counter() - started
    assert caught.value.attempts == 2
    assert "0.2s" in caught.value.reason
    assert elapsed < 0.9, "each attempt must give up at its timeout, not wait for the slow answer"
    assert _requests_seen(ykts) == 2


async def test_one_slow_answer_is_retried(ykts: BackgroundServer) -> None:
    _faults(ykts, delay_next=1, delay_seconds=1.0)
    async with _client(ykts, timeout_s=0.3, max_attempts=3) as client:
        answer = await client.check_authority(BOGAZICI, DENIZ, TODAY)
    assert answer.authorised
    assert _requests_seen(ykts) == 2


async def test_wrong_api_key_is_refused_and_not_retried(ykts: BackgroundServer) -> None:
    async with _client(ykts, api_key="yanlis-anahtar") as client:
        with pytest.raises(YktsRejected) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "YETKISIZ"
    assert caught.value.attempts == 1
    assert _requests_seen(ykts) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409])
async def test_4xx_is_not_retried(ykts: BackgroundServer, status: int) -> None:
    _faults(ykts, fail_next=5, status=status)
    async with _client(ykts) as client:
        with pytest.raises(YktsRejected) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.status_code == status
    assert _requests_seen(ykts) == 1


async def test_schema_invalid_answer_is_refused_and_not_retried(ykts: BackgroundServer) -> None:
    _faults(ykts, invalid_next=1)
    async with _client(ykts) as client:
        with pytest.raises(YktsRejected) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.reason.startswith("YKTS answer refused: schema-invalid document")
    assert "line" in caught.value.reason
    assert isinstance(caught.value.__cause__, XmlRejected)
    assert _requests_seen(ykts) == 1


async def test_hostile_answer_is_refused_and_not_retried(ykts: BackgroundServer) -> None:
    # An entity bomb behind a DOCTYPE: refused before libxml2 expands anything.
    _faults(ykts, hostile_next=1)
    async with _client(ykts) as client:
        with pytest.raises(YktsRejected) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.reason.startswith("YKTS answer refused: hostile: a DOCTYPE is not allowed")
    assert isinstance(caught.value.__cause__, XmlRejected)
    assert _requests_seen(ykts) == 1


async def test_rejection_after_retries_counts_the_attempts(ykts: BackgroundServer) -> None:
    _faults(ykts, fail_next=2, status=503, invalid_next=1)
    async with _client(ykts) as client:
        with pytest.raises(YktsRejected) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.attempts == 3
    assert _requests_seen(ykts) == 3


async def test_unreachable_ykts_gives_unavailable_after_max_attempts() -> None:
    async with YktsClient(unreachable_url(), API_KEY, timeout_s=1.0, max_attempts=3, backoff_initial_s=0.01) as client:
        with pytest.raises(YktsUnavailable) as caught:
            await client.check_authority(ANADOLU, AYSE, TODAY)
    assert caught.value.attempts == 3
    assert "ConnectError" in caught.value.reason


async def test_settings_reach_the_client_including_the_key_header() -> None:
    # Switching to the real YKTS is configuration only: URL, key and the key's header name.
    app = create_app(api_key="gizli", api_key_header="X-GTB-Anahtar")
    async with BackgroundServer(app) as server:
        settings = YktsSettings.from_env(
            {
                "YKTS_BASE_URL": server.base_url + "/",
                "YKTS_API_KEY": "gizli",
                "YKTS_API_KEY_HEADER": "X-GTB-Anahtar",
                "YKTS_MAX_ATTEMPTS": "2",
            }
        )
        async with YktsClient.from_settings(settings) as client:
            answer = await client.check_authority(ANADOLU, AYSE, TODAY)
    assert answer.authorised


def test_settings_from_env() -> None:
    settings = YktsSettings.from_env(
        {"YKTS_BASE_URL": "https://ykts.gtb.example/api/", "YKTS_API_KEY": "gizli", "YKTS_TIMEOUT_S": "2.5"}
    )
    assert settings.base_url == "https://ykts.gtb.example/api/"
    assert (settings.timeout_s, settings.max_attempts, settings.api_key_header) == (2.5, 5, "X-Api-Key")
    assert "gizli" not in repr(settings)
    with pytest.raises(ValueError, match="YKTS_BASE_URL"):
        YktsSettings.from_env({"YKTS_API_KEY": "k"})


# --- the simulator itself -----------------------------------------------------------------------------


def test_fixtures_have_valid_ids_and_the_promised_cases() -> None:
    # rule: A4 - at least one direct representative per firm, an indirect one, an expired one
    root = etree.fromstring(DEFAULT_FIXTURES.read_bytes())
    firms = root.findall("y:FirmaKaydi", NS)
    assert len(firms) >= 3
    kinds: set[str] = set()
    for firm in firms:
        assert vkn_is_valid(firm.findtext("y:Firma/y:Vkn", namespaces=NS))
        assert "@" in firm.findtext("y:Firma/y:KayitliEposta", namespaces=NS)
        direct = 0
        for yetki in firm.findall("y:Yetki", NS):
            assert tckn_is_valid(yetki.findtext("y:Tckn", namespaces=NS))
            kind = yetki.findtext("y:YetkiTuru", namespaces=NS)
            kinds.add(kind)
            ends = yetki.findtext("y:BitisTarihi", namespaces=NS)
            starts = date.fromisoformat(yetki.findtext("y:BaslangicTarihi", namespaces=NS))
            if kind == "DOGRUDAN_TEMSIL" and starts <= TODAY and (ends is None or TODAY <= date.fromisoformat(ends)):
                direct += 1
            if ends is not None and date.fromisoformat(ends) < TODAY:
                kinds.add("EXPIRED")
        assert direct == 1
    assert {"DOGRUDAN_TEMSIL", "DOLAYLI_TEMSIL", "CALISAN", "EXPIRED"} <= kinds


def test_simulator_answers_malformed_ids_with_400(ykts: BackgroundServer) -> None:
    headers = {"X-Api-Key": API_KEY}
    bad_vkn = httpx.get(f"{ykts.base_url}/firma/1423789051/yetkili/{AYSE}", headers=headers)
    bad_tckn = httpx.get(f"{ykts.base_url}/firma/{ANADOLU}/yetkili/10000000147", headers=headers)
    assert (bad_vkn.status_code, bad_tckn.status_code) == (400, 400)
    assert 'kod="GECERSIZ_VKN"' in bad_vkn.text and 'kod="GECERSIZ_TCKN"' in bad_tckn.text


async def test_simulator_moves_fixture_dates_with_today() -> None:
    # A year on, the same people are in the same position: Deniz still valid, Can still expired.
    later = TODAY + timedelta(days=365)
    async with BackgroundServer(create_app(api_key=API_KEY, today=later)) as server, _client(server) as client:
        deniz = await client.check_authority(BOGAZICI, DENIZ, later)
        can = await client.check_authority(BOGAZICI, CAN, later)
    assert deniz.authorised and not can.authorised


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<Vkn>1423789050</Vkn>", "<Vkn>1423789051</Vkn>", "VKN"),
        ("<Tckn>10000000146</Tckn>", "<Tckn>10000000147</Tckn>", "TCKN"),
        (">gumruk@anadolusahne.com.tr<", ">gumruk at anadolusahne<", "KayitliEposta"),
        ("<YetkiTuru>CALISAN</YetkiTuru>", "<YetkiTuru>STAJYER</YetkiTuru>", "YetkiTuru"),
    ],
)
def test_simulator_refuses_a_broken_fixture(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "firmalar.xml"
    text = DEFAULT_FIXTURES.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises((ValueError, XmlRejected), match=message):
        create_app(path)


# --- answers the simulator never gives, through a stub transport: the client's own checks ---------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<YetkiSorguYanit xmlns="urn:gtb:ykts:yetki-sorgu:1" surum="1.0">'
    "<IslemNo>a1</IslemNo><IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
)
ASKED = f"<SorgulananVkn>{ANADOLU}</SorgulananVkn><SorgulananTckn>{AYSE}</SorgulananTckn>"
FIRMA = f"<Firma><Vkn>{ANADOLU}</Vkn><Unvan>Anadolu Sahne</Unvan><KayitliEposta>a@b.com.tr</KayitliEposta></Firma>"


def _yetki(tckn: str = AYSE, kind: str = "DOGRUDAN_TEMSIL", starts: str = "2024-01-15", ends: str = "") -> str:
    end = f"<BitisTarihi>{ends}</BitisTarihi>" if ends else ""
    return (
        f"<Yetki><Tckn>{tckn}</Tckn><AdSoyad>Ayşe Demir</AdSoyad><YetkiTuru>{kind}</YetkiTuru>"
        f"<BaslangicTarihi>{starts}</BaslangicTarihi>{end}</Yetki>"
    )


def _stub(body: str, status: int = 200, **options: Any) -> YktsClient:
    return stub_client(YktsClient, API_KEY, body, status, **options)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            HEAD + f"<SorgulananVkn>{NILUFER}</SorgulananVkn><SorgulananTckn>{AYSE}</SorgulananTckn>"
            "<Sonuc>FIRMA_BULUNAMADI</Sonuc></YetkiSorguYanit>",
            "another firm or person",
        ),
        (
            HEAD + ASKED + FIRMA.replace(ANADOLU, NILUFER) + _yetki() + "</YetkiSorguYanit>",
            "another firm than asked",
        ),
        (HEAD + ASKED + FIRMA + _yetki(tckn=MEHMET) + "</YetkiSorguYanit>", "another person"),
        (
            HEAD + ASKED + FIRMA + _yetki(starts="2026-01-01", ends="2025-01-01") + "</YetkiSorguYanit>",
            "ending",
        ),
        (HEAD + ASKED + FIRMA + "</YetkiSorguYanit>", "schema-invalid"),  # a firm without any Yetki
        (HEAD + '<Hata kod="SISTEM_HATASI">Beklenmeyen hata</Hata></YetkiSorguYanit>', "SISTEM_HATASI"),
        ("<html><body>Bakım çalışması</body></html>", "schema-invalid"),
        (
            '<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><YetkiSorguYanit/>',
            "hostile",
        ),
    ],
    ids=[
        "answer-for-another-firm",
        "firm-not-asked-for",
        "authority-of-another-person",
        "ends-before-it-begins",
        "firm-without-authority",
        "error-with-200",
        "html-page",
        "external-dtd",
    ],
)
async def test_unusable_answers_are_refused(body: str, expected: str) -> None:
    async with _stub(body) as client:
        with pytest.raises(YktsRejected, match=expected):
            await client.check_authority(ANADOLU, AYSE, TODAY)


async def test_a4_any_valid_direct_record_among_several_counts() -> None:
    # rule: A4 - YKTS keeps history: an expired indirect record beside a current direct one
    body = (
        HEAD
        + ASKED
        + FIRMA
        + _yetki(kind="DOLAYLI_TEMSIL", starts="2020-01-01", ends="2023-12-31")
        + _yetki(starts="2024-01-01")
        + "</YetkiSorguYanit>"
    )
    async with _stub(body) as client:
        answer = await client.check_authority(ANADOLU, AYSE, TODAY)
    assert answer.authorised and answer.firm_email == "a@b.com.tr"


async def test_a4_reason_names_every_record_that_does_not_count() -> None:
    # rule: A4
    body = (
        HEAD
        + ASKED
        + FIRMA
        + _yetki(kind="CALISAN", starts="2020-01-01")
        + _yetki(starts="2024-01-01", ends="2025-06-30")
        + "</YetkiSorguYanit>"
    )
    async with _stub(body) as client:
        answer = await client.check_authority(ANADOLU, AYSE, TODAY)
    assert not answer.authorised
    assert "CALISAN" in answer.reason and "ended on 2025-06-30" in answer.reason


async def test_oversize_answer_is_refused() -> None:
    body = HEAD + "<!--" + "x" * 2048 + "-->" + "</YetkiSorguYanit>"
    async with _stub(body, max_answer_bytes=1024) as client:
        with pytest.raises(YktsRejected, match="oversize"):
            await client.check_authority(ANADOLU, AYSE, TODAY)
