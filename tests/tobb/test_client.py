"""TobbClient against the TOBB simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters.tobb.client import (
    InvalidCarnetNumber,
    TobbClient,
    TobbRejected,
    TobbSettings,
    TobbUnavailable,
)
from adapters.tobb.simulator import DEFAULT_FIXTURES, create_app
from hub.domain.carnet import GoodsListLine
from hub.runtime.http_server import BackgroundServer
from hub.runtime.xmlsafe import XmlRejected
from tests.simulated_systems import faults as _faults
from tests.simulated_systems import quick_client, simulator_fixtures, stub_client, unreachable_url
from tests.simulated_systems import requests_seen as _requests_seen

API_KEY = "test-anahtari-1"
TODAY = date(2026, 11, 21)  # the fixtures' reference day


tobb, _clean_simulator = simulator_fixtures("tobb", lambda: create_app(api_key=API_KEY))


def _client(server: BackgroundServer, **overrides: Any) -> TobbClient:
    return quick_client(TobbClient, server, API_KEY, **overrides)


async def test_g3_found_carnet_is_mapped_from_tobb(tobb: BackgroundServer) -> None:
    # rule: G3 - a Turkish carnet's data comes from TOBB by number
    async with _client(tobb) as client:
        carnet = await client.fetch_carnet("TR/2026/000123")

    assert carnet is not None
    assert carnet.carnet_number == "TR/2026/000123"
    assert carnet.holder_name == "Boğaziçi Film Prodüksiyon ve Reklamcılık A.Ş."
    assert carnet.holder_id == "3841022679"
    assert carnet.issuing_country == "TR"
    assert carnet.issuing_chamber == "İstanbul Ticaret Odası"
    assert carnet.issued_on == date(2026, 2, 16)
    assert carnet.valid_until == date(2027, 2, 15)
    assert [line.line_no for line in carnet.goods] == [1, 2, 3, 4]
    assert carnet.goods[1] == GoodsListLine(
        line_no=2,
        description="ARRI SkyPanel S60-C LED aydınlatma paneli, balast ve kablolarıyla",
        quantity=4,
        weight_kg=Decimal("48.000"),
        value=Decimal("22400.00"),
        currency="EUR",
        origin_country="DE",
    )
    assert carnet.goods[0].quantity == 2 and carnet.goods[0].origin_country == "JP"
    assert sum(line.value for line in carnet.goods) == Decimal("73600.00")
    assert _requests_seen(tobb) == 1


async def test_g3_every_fixture_carnet_maps(tobb: BackgroundServer) -> None:
    # rule: G3
    numbers = ["TR/2026/000123", "TR/2026/000457", "TR/2026/000789", "TR/2026/001024", "TR/2025/004512"]
    async with _client(tobb) as client:
        for number in numbers:
            carnet = await client.fetch_carnet(number)
            assert carnet is not None and carnet.carnet_number == number
            assert 2 <= len(carnet.goods) <= 4
            assert carnet.issuing_country == "TR"
            assert carnet.holder_id is not None and len(carnet.holder_id) == 10
            assert {line.currency for line in carnet.goods} == {"EUR"}


async def test_g3_v1_expired_carnet_is_found_with_its_validity(tobb: BackgroundServer) -> None:
    # rule: G3, V1 - TOBB knows an expired carnet; refusing it is the core's decision, not the adapter's
    async with _client(tobb) as client:
        carnet = await client.fetch_carnet("TR/2025/004512")
    assert carnet is not None
    assert carnet.valid_until == date(2026, 5, 11) < TODAY
    assert len(carnet.goods) == 3


async def test_g3_unknown_carnet_returns_none(tobb: BackgroundServer) -> None:
    # rule: G3 - a carnet TOBB does not know cannot be used: the adapter says "not found"
    async with _client(tobb) as client:
        assert await client.fetch_carnet("TR/2026/999999") is None
    assert _requests_seen(tobb) == 1


async def test_number_is_normalised_before_asking(tobb: BackgroundServer) -> None:
    async with _client(tobb) as client:
        carnet = await client.fetch_carnet("  tr/2026/000457 ")
    assert carnet is not None and carnet.carnet_number == "TR/2026/000457"


@pytest.mark.parametrize("number", ["", "TR-2026-000123", "DE/2026/000123", "TR/2026/123", "TR/٢٠٢٦/000123"])
async def test_malformed_number_is_refused_without_asking_tobb(tobb: BackgroundServer, number: str) -> None:
    async with _client(tobb) as client:
        with pytest.raises(InvalidCarnetNumber):
            await client.fetch_carnet(number)
    assert _requests_seen(tobb) == 0


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_tobb_failing_twice_still_yields_the_carnet(tobb: BackgroundServer, status: int) -> None:
    # rule: G3 - a passing outage must not turn into "carnet unknown"
    _faults(tobb, fail_next=2, status=status)
    async with _client(tobb) as client:
        carnet = await client.fetch_carnet("TR/2026/000789")
    assert carnet is not None and carnet.holder_name == "Nilüfer Makine Otomotiv Sanayi A.Ş."
    assert _requests_seen(tobb) == 3


async def test_tobb_always_failing_gives_unavailable_after_max_attempts(tobb: BackgroundServer) -> None:
    _faults(tobb, fail_next=1000, status=503)
    async with _client(tobb, max_attempts=4) as client:
        with pytest.raises(TobbUnavailable) as caught:
            await client.fetch_carnet("TR/2026/000123")
    assert caught.value.attempts == 4
    assert "503" in caught.value.reason and "HIZMET_KULLANILAMIYOR" in caught.value.reason
    assert _requests_seen(tobb) == 4


async def test_tobb_slower_than_the_timeout_gives_unavailable(tobb: BackgroundServer) -> None:
    _faults(tobb, delay_all=True, delay_seconds=1.0)
    started = time.perf_counter()
    async with _client(tobb, timeout_s=0.2, max_attempts=2) as client:
        with pytest.raises(TobbUnavailable) as caught:
            await client.fetch_carnet("TR/2026/000123")
    elapsed = time.perf_counter() - started
    assert caught.value.attempts == 2
    assert "0.2s" in caught.value.reason
    assert elapsed < 0.9, "each attempt must give up at its timeout, not wait for the slow answer"
    assert _requests_seen(tobb) == 2


async def test_one_slow_answer_is_retried(tobb: BackgroundServer) -> None:
    _faults(tobb, delay_next=1, delay_seconds=1.0)
    async with _client(tobb, timeout_s=0.3, max_attempts=3) as client:
        carnet = await client.fetch_carnet("TR/2026/001024")
    assert carnet is not None
    assert _requests_seen(tobb) == 2


async def test_wrong_api_key_is_refused_and_not_retried(tobb: BackgroundServer) -> None:
    async with _client(tobb, api_key="yanlis-anahtar") as client:
        with pytest.raises(TobbRejected) as caught:
            await client.fetch_carnet("TR/2026/000123")
    assert caught.value.status_code == 401
    assert caught.value.error_code == "YETKISIZ"
    assert _requests_seen(tobb) == 1


async def test_schema_invalid_answer_is_refused_and_not_retried(tobb: BackgroundServer) -> None:
    _faults(tobb, invalid_next=1)
    async with _client(tobb) as client:
        with pytest.raises(TobbRejected) as caught:
            await client.fetch_carnet("TR/2026/000123")
    assert caught.value.reason.startswith("TOBB answer refused: schema-invalid document")
    assert "line" in caught.value.reason
    assert isinstance(caught.value.__cause__, XmlRejected)
    assert _requests_seen(tobb) == 1


async def test_unreachable_tobb_gives_unavailable_after_max_attempts() -> None:
    async with TobbClient(unreachable_url(), API_KEY, timeout_s=1.0, max_attempts=3, backoff_initial_s=0.01) as client:
        with pytest.raises(TobbUnavailable) as caught:
            await client.fetch_carnet("TR/2026/000123")
    assert caught.value.attempts == 3
    assert "ConnectError" in caught.value.reason


async def test_holder_known_by_tckn(tmp_path: Path) -> None:
    # A natural person holds a carnet under the TCKN; also checks a custom fixtures file.
    ns = {"k": "urn:tobb:ata:karne-sorgu:1"}
    records = etree.fromstring(DEFAULT_FIXTURES.read_bytes())
    karne = records.find("k:Karne", ns)
    for other in records.findall("k:Karne", ns)[1:]:
        records.remove(other)
    karne.find("k:KarneNo", ns).text = "TR/2026/000200"
    hamil = karne.find("k:Hamil", ns)
    hamil.find("k:Unvan", ns).text = "Deniz Yılmaz"
    vkn = hamil.find("k:VergiNo", ns)
    vkn.tag, vkn.text = "{urn:tobb:ata:karne-sorgu:1}TCKimlikNo", "48251973650"
    path = tmp_path / "carnets.xml"
    path.write_bytes(etree.tostring(records, xml_declaration=True, encoding="UTF-8"))

    async with (
        BackgroundServer(create_app(path, api_key=API_KEY)) as server,
        _client(server) as client,
    ):
        carnet = await client.fetch_carnet("TR/2026/000200")
        assert await client.fetch_carnet("TR/2026/000123") is None
    assert carnet is not None
    assert (carnet.holder_name, carnet.holder_id) == ("Deniz Yılmaz", "48251973650")


def test_simulator_refuses_a_fixture_that_breaks_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "carnets.xml"
    broken = DEFAULT_FIXTURES.read_text(encoding="utf-8").replace(
        "<MenseUlke>JP</MenseUlke>", "<MenseUlke>Japonya</MenseUlke>", 1
    )
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(XmlRejected, match="MenseUlke"):
        create_app(path)


# Answers the simulator never gives, through a stub transport: the client's own checks.

ANSWER_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<KarneSorguYanit xmlns="urn:tobb:ata:karne-sorgu:1" surum="1.0">'
    "<IslemNo>a1</IslemNo><IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
)


def _stub(body: str, status: int = 200, **options: Any) -> TobbClient:
    return stub_client(TobbClient, API_KEY, body, status, **options)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            ANSWER_HEAD + "<SorgulananKarneNo>TR/2026/000457</SorgulananKarneNo>"
            "<Sonuc>BULUNAMADI</Sonuc></KarneSorguYanit>",
            "is about TR/2026/000457",
        ),
        (
            ANSWER_HEAD + "<SorgulananKarneNo>TR/2026/000123</SorgulananKarneNo>"
            "<Sonuc>BULUNDU</Sonuc></KarneSorguYanit>",
            "BULUNDU but carries no carnet",
        ),
        (ANSWER_HEAD + '<Hata kod="SISTEM_HATASI">Beklenmeyen hata</Hata></KarneSorguYanit>', "SISTEM_HATASI"),
        ("<html><body>Bakım çalışması</body></html>", "schema-invalid"),
    ],
    ids=["answer-for-another-carnet", "found-without-carnet", "error-with-200", "html-page"],
)
async def test_unusable_answers_are_refused(body: str, expected: str) -> None:
    async with _stub(body) as client:
        with pytest.raises(TobbRejected, match=expected):
            await client.fetch_carnet("TR/2026/000123")


async def test_oversize_answer_is_refused() -> None:
    body = ANSWER_HEAD + "<!--" + "x" * 2048 + "-->" + "</KarneSorguYanit>"
    async with _stub(body, max_answer_bytes=1024) as client:
        with pytest.raises(TobbRejected, match="oversize"):
            await client.fetch_carnet("TR/2026/000123")


def test_settings_from_env() -> None:
    settings = TobbSettings.from_env(
        {
            "TOBB_BASE_URL": "https://karne.tobb.example/api/",
            "TOBB_API_KEY": "gizli",
            "TOBB_TIMEOUT_S": "2.5",
            "TOBB_MAX_ATTEMPTS": "3",
        }
    )
    assert settings.base_url == "https://karne.tobb.example/api/"
    assert (settings.timeout_s, settings.max_attempts, settings.api_key_header) == (2.5, 3, "X-Api-Key")
    assert "gizli" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TOBB_API_KEY": "k"}, "TOBB_BASE_URL"),
        ({"TOBB_BASE_URL": "http://x"}, "TOBB_API_KEY"),
        ({"TOBB_BASE_URL": "http://x", "TOBB_API_KEY": "k", "TOBB_MAX_ATTEMPTS": "üç"}, "TOBB_MAX_ATTEMPTS"),
        ({"TOBB_BASE_URL": "http://x", "TOBB_API_KEY": "k", "TOBB_TIMEOUT_S": "0"}, "TOBB_TIMEOUT_S"),
    ],
)
def test_settings_from_env_names_the_bad_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TobbSettings.from_env(environ)
