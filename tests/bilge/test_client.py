"""BilgeClient against the BİLGE simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from adapters.bilge.client import (
    BilgeClient,
    BilgeRejected,
    BilgeSettings,
    BilgeUnavailable,
    InvalidBilgeNumber,
)
from adapters.bilge.simulator import (
    DEFAULT_FIXTURES,
    FIXTURE_CUTOVER,
    FIXTURE_DAY,
    create_app,
    fixture_cutover,
    sample_tcgb_xml,
)
from adapters.bilge.xml import drawdowns_by_carnet, parse_tcgb
from hub.domain.bilge import (
    ATA_REGIMES_IN_BILGE,
    SummaryClosureRequested,
    SummaryOpening,
    SummaryPart,
    TcgbAnswered,
    TcgbItemAnswer,
)
from hub.domain.carnet import GoodsListLine
from hub.runtime.http_server import BackgroundServer
from hub.runtime.xmlsafe import XmlRejected
from tests.simulated_systems import faults as _faults
from tests.simulated_systems import quick_client, reset, simulator_fixtures, stub_client, unreachable_url
from tests.simulated_systems import requests_seen as _requests_seen

API_KEY = "test-anahtari-bilge"
CUTOVER = FIXTURE_CUTOVER  # the L2 cut-over the simulator's records are written around (not the legal one)


bilge, _clean_simulator = simulator_fixtures("bilge", lambda: create_app(api_key=API_KEY), before_each=reset)


def _sim(server: BackgroundServer, what: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{server.base_url}/_sim/{what}").json()
    return answer


def _client(server: BackgroundServer, **overrides: Any) -> BilgeClient:
    return quick_client(BilgeClient, server, API_KEY, **overrides)


def _closure(
    closure_id: uuid.UUID | None = None, *, line: int | None = 1, packages: int = 3, **opening: Any
) -> SummaryClosureRequested:
    fields: dict[str, Any] = {
        "summary_number": "26340900OB000214",
        "transport_document": "235-48213375",
        "transport_line": line,
        "packages": packages,
        "temporary_storage": True,
        "storage_code": "34GDY0117",
    }
    fields.update(opening)
    return SummaryClosureRequested(
        closure_id=closure_id or uuid.uuid4(),
        declaration_number="340900ATA00042",
        opening=SummaryOpening.model_validate(fields),
    )


def _answer(tcgb_number: str = "26220100IM000123", *, accepted: bool = True) -> TcgbAnswered:
    return TcgbAnswered(
        tcgb_number=tcgb_number,
        accepted=accepted,
        rule=None if accepted else "F2",
        items=(
            TcgbItemAnswer(
                item_no=1,
                declaration_number="220100ATA12345601",
                line_no=1,
                accepted=accepted,
                reason="" if accepted else "5 drawn down, only 4 open on 220100ATA12345601 line 1",
            ),
            TcgbItemAnswer(item_no=2, declaration_number="220100ATA12345601", line_no=2, accepted=accepted),
        ),
    )


# --- legacy declarations (L1, L2) ---------------------------------------------------------------


async def test_l1_legacy_5800_is_fetched_with_its_foreign_carnet(bilge: BackgroundServer) -> None:
    # rule: L1 - the hub fetches the BİLGE declaration to treat it as the regime entry
    async with _client(bilge) as client:
        legacy = await client.fetch_legacy("21343300IM000412")

    assert legacy is not None
    assert (legacy.bilge_number, legacy.regime, legacy.customs_office) == ("21343300IM000412", "5800", "343300")
    assert legacy.registered_on == date(2026, 3, 15) < CUTOVER
    carnet = legacy.carnet
    assert carnet.carnet_number == "DE/2021/A-004711"
    assert (carnet.holder_name, carnet.holder_id) == ("Klangwerk Veranstaltungstechnik GmbH", None)
    assert (carnet.issuing_country, carnet.issuing_chamber) == ("DE", "IHK Köln")
    assert (carnet.issued_on, carnet.valid_until) == (date(2026, 2, 22), date(2027, 2, 21))
    assert carnet.goods[0] == GoodsListLine(
        line_no=1,
        description="d&b audiotechnik V8 hoparlör kabini, askı donanımıyla",
        quantity=12,
        weight_kg=Decimal("720.000"),
        value=Decimal("96000.00"),
        currency="EUR",
        origin_country="DE",
    )
    # Peyderpey (G7): 8 of the 12 loudspeakers entered under this declaration.
    assert [(line.line_no, line.quantity) for line in legacy.lines] == [(1, 8), (2, 6), (3, 1)]
    assert _requests_seen(bilge) == 1


async def test_l1_legacy_2600_on_turkish_carnets(bilge: BackgroundServer) -> None:
    # rule: L1 - pre-cut-over 2600s, the holder known by VKN or by TCKN
    async with _client(bilge) as client:
        firm = await client.fetch_legacy("21220100EX001208")
        person = await client.fetch_legacy(" 20340900ex003315 ")  # normalised before asking
    assert firm is not None and person is not None
    assert (firm.regime, firm.carnet.carnet_number, firm.carnet.holder_id) == ("2600", "TR/2021/000777", "7315042867")
    assert (person.regime, person.carnet.carnet_number, person.carnet.holder_id) == (
        "2600",
        "TR/2020/000431",
        "38291574672",
    )
    assert firm.registered_on < CUTOVER and person.registered_on < CUTOVER


async def test_l2_post_cutover_5800_is_returned_for_the_core_to_report(bilge: BackgroundServer) -> None:
    # rule: L2 - the adapter reports what BİLGE holds; the core flags the anomaly, it does not apply it
    async with _client(bilge) as client:
        legacy = await client.fetch_legacy("22343300IM000058")
    assert legacy is not None
    assert legacy.regime in ATA_REGIMES_IN_BILGE and legacy.registered_on == date(2026, 9, 9) >= CUTOVER
    assert legacy.carnet.carnet_number == "FR/2022/B-000318"


async def test_l1_l2_simulator_moves_its_dates_and_its_cutover_with_today() -> None:
    # A year on, every record is as far from today, and on the same side of the cut-over, as on FIXTURE_DAY.
    year = timedelta(days=365)
    later = FIXTURE_DAY + year
    async with (
        BackgroundServer(create_app(api_key=API_KEY, today=later)) as server,
        httpx.AsyncClient(base_url=server.base_url) as http,
    ):
        (await http.post("/_sim/reset")).raise_for_status()  # the records reloaded: moved alike
        async with _client(server) as client:
            before = await client.fetch_legacy("21343300IM000412")
            after = await client.fetch_legacy("22343300IM000058")
        summary = await http.get("/ozet-beyan/26220100OB000088", headers={"X-Api-Key": API_KEY})
    cutover = fixture_cutover(later)
    assert cutover == FIXTURE_CUTOVER + year and fixture_cutover() == FIXTURE_CUTOVER
    assert before is not None and before.registered_on == date(2026, 3, 15) + year < cutover
    assert (before.carnet.issued_on, before.carnet.valid_until) == (date(2026, 2, 22) + year, date(2027, 2, 21) + year)
    assert after is not None and after.registered_on == date(2026, 9, 9) + year >= cutover
    assert f"<TescilTarihi>{date(2026, 11, 19) + year}</TescilTarihi>" in summary.text


async def test_l1_unknown_legacy_declaration_returns_none(bilge: BackgroundServer) -> None:
    # rule: L1
    async with _client(bilge) as client:
        assert await client.fetch_legacy("21343300IM999999") is None
    assert _requests_seen(bilge) == 1


@pytest.mark.parametrize("number", ["", "21343300-IM000412", "2134330IM000412", "21343300IM00041٢", "TR/2021/000777"])
async def test_malformed_bilge_number_is_refused_without_asking(bilge: BackgroundServer, number: str) -> None:
    async with _client(bilge) as client:
        with pytest.raises(InvalidBilgeNumber):
            await client.fetch_legacy(number)
        with pytest.raises(InvalidBilgeNumber):
            await client.fetch_summary(number)
    assert _requests_seen(bilge) == 0


# --- summary declarations (S1, S2) ----------------------------------------------------------------


async def test_s1_s2_summary_parts_with_open_packages(bilge: BackgroundServer) -> None:
    # rule: S1, S2 - the parts an ATA declaration may open, with what is still open
    async with _client(bilge) as client:
        found = await client.fetch_summary("26220100OB000088")
    assert found is not None
    office, parts = found
    assert office == "220100"
    assert parts == (
        SummaryPart(transport_document="DE-CMR-884120", packages=14, open_packages=10),
        SummaryPart(transport_document="DE-CMR-884120", transport_line=1, packages=10, open_packages=6),
        SummaryPart(transport_document="DE-CMR-884120", transport_line=2, packages=4, open_packages=4),
        SummaryPart(transport_document="DE-CMR-884121", packages=2, open_packages=0),
    )


async def test_s1_unknown_summary_returns_none(bilge: BackgroundServer) -> None:
    # rule: S1
    async with _client(bilge) as client:
        assert await client.fetch_summary("26340900OB999999") is None


# --- closures (S4) -------------------------------------------------------------------------------


async def _open_packages(client: BilgeClient, summary: str = "26340900OB000214") -> dict[tuple[str, int | None], int]:
    found = await client.fetch_summary(summary)
    assert found is not None
    return {(p.transport_document, p.transport_line): p.open_packages for p in found[1]}


async def test_s4_closure_sent_twice_is_applied_once(bilge: BackgroundServer) -> None:
    # rule: S4 - the hub tells BİLGE; a closure id is applied once however often it is sent
    closure = _closure(packages=3)
    async with _client(bilge) as client:
        await client.send_closure(closure)
        await client.send_closure(closure)
        open_now = await _open_packages(client)

    applied = _sim(bilge, "closures")
    assert applied["count"] == 1
    assert applied["closures"][0] == {
        "closure_id": str(closure.closure_id),
        "declaration_number": "340900ATA00042",
        "summary_number": "26340900OB000214",
        "transport_document": "235-48213375",
        "transport_line": 1,
        "packages": 3,
        "leaves_temporary_storage": True,
        "storage_code": "34GDY0117",
        "receipts": 2,
    }
    # The line and its document went down by 3, once.
    assert open_now == {
        ("235-48213375", None): 3,
        ("235-48213375", 1): 1,
        ("235-48213375", 2): 2,
        ("157-20931184", None): 3,
    }


async def test_s4_closure_whose_answer_was_lost_is_retried_and_applied_once(bilge: BackgroundServer) -> None:
    # rule: S4 - BİLGE applied it, the answer was lost; the retry is confirmed, not applied again
    _faults(bilge, drop_answer_next=1, status=503)
    async with _client(bilge) as client:
        await client.send_closure(_closure(line=None, packages=5, temporary_storage=False, storage_code=None))
        open_now = await _open_packages(client)
    assert _requests_seen(bilge) == 3  # two closure sendings, one look-up
    assert _sim(bilge, "closures")["closures"][0]["receipts"] == 2
    # A whole document's closure lowers its lines too, first line first.
    assert open_now[("235-48213375", None)] == 1
    assert (open_now[("235-48213375", 1)], open_now[("235-48213375", 2)]) == (0, 1)


async def test_s2_closure_of_more_packages_than_open_is_refused(bilge: BackgroundServer) -> None:
    # rule: S2 - more packages than the document/line has open: refused, and not retried
    async with _client(bilge) as client:
        with pytest.raises(BilgeRejected) as caught:
            await client.send_closure(_closure(line=2, packages=3))
    assert (caught.value.status_code, caught.value.error_code) == (409, "KAP_ADEDI_ASILDI")
    assert _requests_seen(bilge) == 1
    assert _sim(bilge, "closures")["count"] == 0


async def test_s4_closure_id_reused_for_another_closure_is_refused(bilge: BackgroundServer) -> None:
    # rule: S4 - an idempotency key means one closure: the same id with other content is a bug
    closure_id = uuid.uuid4()
    async with _client(bilge) as client:
        await client.send_closure(_closure(closure_id, packages=1))
        with pytest.raises(BilgeRejected) as caught:
            await client.send_closure(_closure(closure_id, packages=2))
    assert (caught.value.status_code, caught.value.error_code) == (409, "KAPANIS_NO_CAKISMASI")
    assert _sim(bilge, "closures")["closures"][0]["packages"] == 1


async def test_s4_closure_of_an_unknown_line_is_refused(bilge: BackgroundServer) -> None:
    # rule: S4
    async with _client(bilge) as client:
        with pytest.raises(BilgeRejected) as caught:
            await client.send_closure(_closure(line=7))
    assert (caught.value.status_code, caught.value.error_code) == (404, "BULUNAMADI")


async def test_s3_inconsistent_closure_never_reaches_bilge(bilge: BackgroundServer) -> None:
    # rule: S3 - storage without its code is the hub's bug: refused before sending
    async with _client(bilge) as client:
        with pytest.raises(XmlRejected, match=r"\(S3\)"):
            await client.send_closure(_closure(storage_code=None))
    assert _requests_seen(bilge) == 0


# --- TCGB answers (F2) ---------------------------------------------------------------------------


async def test_f2_tcgb_answer_is_recorded_once(bilge: BackgroundServer) -> None:
    # rule: F2 - a refused drawing-down is reported back to BİLGE, with the reason per row
    async with _client(bilge) as client:
        await client.send_tcgb_answer(_answer(accepted=False))
        await client.send_tcgb_answer(_answer(accepted=False))  # a retry: the same answer
        await client.send_tcgb_answer(_answer("26220100IM000124"))

    recorded = _sim(bilge, "tcgb-answers")
    assert recorded["count"] == 2
    refused, accepted = recorded["answers"]
    assert refused == {
        "tcgb_number": "26220100IM000123",
        "accepted": False,
        "rule": "F2",
        "items": [
            {
                "item_no": 1,
                "declaration_number": "220100ATA12345601",
                "line_no": 1,
                "accepted": False,
                "reason": "5 drawn down, only 4 open on 220100ATA12345601 line 1",
            },
            {"item_no": 2, "declaration_number": "220100ATA12345601", "line_no": 2, "accepted": False, "reason": ""},
        ],
        "receipts": 2,
    }
    assert (accepted["tcgb_number"], accepted["accepted"], accepted["rule"], accepted["receipts"]) == (
        "26220100IM000124",
        True,
        None,
        1,
    )


# --- retries, bounds, timeouts, refusals ----------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_bilge_failing_twice_still_answers(bilge: BackgroundServer, status: int) -> None:
    _faults(bilge, fail_next=2, status=status)
    async with _client(bilge) as client:
        legacy = await client.fetch_legacy("21220100EX001208")
    assert legacy is not None and legacy.carnet.carnet_number == "TR/2021/000777"
    assert _requests_seen(bilge) == 3


async def test_closure_is_retried_on_503_and_applied_once(bilge: BackgroundServer) -> None:
    # rule: S4 - a failed sending applied nothing; the retry applies it
    _faults(bilge, fail_next=2, status=503)
    async with _client(bilge) as client:
        await client.send_closure(_closure(packages=2))
    assert _requests_seen(bilge) == 3
    assert _sim(bilge, "closures")["closures"][0]["receipts"] == 1


async def test_bilge_always_failing_gives_unavailable_after_max_attempts(bilge: BackgroundServer) -> None:
    _faults(bilge, fail_next=1000, status=503)
    async with _client(bilge, max_attempts=4) as client:
        with pytest.raises(BilgeUnavailable) as caught:
            await client.fetch_summary("26340900OB000214")
    assert caught.value.attempts == 4
    assert "503" in caught.value.reason and "HIZMET_KULLANILAMIYOR" in caught.value.reason
    assert _requests_seen(bilge) == 4


async def test_bilge_slower_than_the_timeout_gives_unavailable(bilge: BackgroundServer) -> None:
    _faults(bilge, delay_all=True, delay_seconds=1.0)
    started = time.perf_counter()
    async with _client(bilge, timeout_s=0.2, max_attempts=2) as client:
        with pytest.raises(BilgeUnavailable) as caught:
            await client.send_tcgb_answer(_answer())
    elapsed = time.perf_counter() - started
    assert caught.value.attempts == 2
    assert "0.2s" in caught.value.reason
    assert elapsed < 0.9, "each attempt must give up at its timeout, not wait for the slow answer"
    assert _requests_seen(bilge) == 2


async def test_one_slow_answer_is_retried(bilge: BackgroundServer) -> None:
    _faults(bilge, delay_next=1, delay_seconds=1.0)
    async with _client(bilge, timeout_s=0.3, max_attempts=3) as client:
        assert await client.fetch_summary("26220100OB000088") is not None
    assert _requests_seen(bilge) == 2


async def test_wrong_api_key_is_refused_and_not_retried(bilge: BackgroundServer) -> None:
    async with _client(bilge, api_key="yanlis-anahtar") as client:
        with pytest.raises(BilgeRejected) as caught:
            await client.fetch_legacy("21343300IM000412")
    assert (caught.value.status_code, caught.value.error_code) == (401, "YETKISIZ")
    assert _requests_seen(bilge) == 1


async def test_injected_4xx_is_not_retried(bilge: BackgroundServer) -> None:
    _faults(bilge, fail_next=3, status=400)
    async with _client(bilge) as client:
        with pytest.raises(BilgeRejected) as caught:
            await client.send_closure(_closure())
    assert (caught.value.status_code, caught.value.error_code) == (400, "GECERSIZ_ISTEK")
    assert _requests_seen(bilge) == 1


async def test_schema_invalid_answer_is_refused_and_not_retried(bilge: BackgroundServer) -> None:
    _faults(bilge, invalid_next=1)
    async with _client(bilge) as client:
        with pytest.raises(BilgeRejected) as caught:
            await client.fetch_legacy("21343300IM000412")
    assert caught.value.reason.startswith("BİLGE answer refused: schema-invalid document")
    assert isinstance(caught.value.__cause__, XmlRejected)
    assert _requests_seen(bilge) == 1


async def test_unreachable_bilge_gives_unavailable_after_max_attempts() -> None:
    async with BilgeClient(unreachable_url(), API_KEY, timeout_s=1.0, max_attempts=3, backoff_initial_s=0.01) as client:
        with pytest.raises(BilgeUnavailable) as caught:
            await client.fetch_legacy("21343300IM000412")
    assert caught.value.attempts == 3
    assert "ConnectError" in caught.value.reason


# --- the simulator's push of TCGB traffic (F1) ----------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[BackgroundServer, list[tuple[bytes, dict[str, str]]]]]:
    """A stand-in for the hub's intake: validates what BİLGE pushes, like the adapter will."""
    received: list[tuple[bytes, dict[str, str]]] = []
    app = FastAPI()

    @app.post("/bilge/belgeler")
    async def belgeler(request: Request) -> Response:
        body = await request.body()
        received.append((body, dict(request.headers)))
        try:
            parse_tcgb(body)
        except XmlRejected as exc:
            return Response(exc.reason, status_code=400)
        return Response(status_code=202)

    with BackgroundServer(app) as server:
        yield server, received


def _push(bilge: BackgroundServer, **payload: Any) -> dict[str, Any]:
    response = httpx.post(f"{bilge.base_url}/_sim/push-tcgb", json=payload, timeout=15)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def test_f1_simulator_pushes_a_sample_tcgb(
    bilge: BackgroundServer, receiver: tuple[BackgroundServer, list[tuple[bytes, dict[str, str]]]]
) -> None:
    # rule: F1 - BİLGE sends a registered TCGB naming e-ATA/TR declarations to the hub
    server, received = receiver
    rows = [[1, "220100ATA12345601", "DE/2025/A-118804", 1, 4], [2, "220100ATA77", "TR/2026/000123", 2, 1]]
    reply = _push(
        bilge,
        target_url=f"{server.base_url}/bilge/belgeler",
        sample={"tcgb_number": "26220100IM000321", "regime": "4000", "office": "220100", "rows": rows},
        headers={"X-Api-Key": "hub-key"},
    )
    assert reply == {"status": 202, "body": ""}
    (body, headers), *_ = received
    assert headers["x-belge-no"] == "26220100IM000321" and headers["x-api-key"] == "hub-key"
    assert headers["content-type"].startswith("application/xml")
    assert list(drawdowns_by_carnet(parse_tcgb(body))) == ["DE/2025/A-118804", "TR/2026/000123"]


def test_f1_simulator_pushes_hostile_xml_as_given(
    bilge: BackgroundServer, receiver: tuple[BackgroundServer, list[tuple[bytes, dict[str, str]]]]
) -> None:
    # rule: F1 - the receiver must refuse what it cannot trust; the simulator sends it to prove that
    server, received = receiver
    hostile = '<?xml version="1.0"?><!DOCTYPE Tcgb [<!ENTITY x SYSTEM "file:///etc/passwd">]><Tcgb>&x;</Tcgb>'
    reply = _push(bilge, target_url=f"{server.base_url}/bilge/belgeler", xml=hostile)
    assert reply["status"] == 400 and reply["body"].startswith("hostile")
    assert received[0][0] == hostile.encode()


def test_push_to_an_unreachable_target_says_so(bilge: BackgroundServer) -> None:
    response = httpx.post(
        f"{bilge.base_url}/_sim/push-tcgb",
        json={"target_url": f"{unreachable_url()}/x", "xml": "<Tcgb/>"},
        timeout=15,
    )
    assert response.status_code == 502 and "ConnectError" in response.json()["error"]


def test_sample_tcgb_refuses_a_malformed_number() -> None:
    with pytest.raises(XmlRejected, match="BeyannameNo"):
        sample_tcgb_xml("26-220100-IM-1", "4000", "220100", [(1, "A-1", "TR/2026/000123", 1, 1)])


# --- simulator fixtures and settings ---------------------------------------------------------------


def test_simulator_refuses_a_fixture_that_breaks_the_schema(tmp_path: Path) -> None:
    broken = (DEFAULT_FIXTURES / "beyannameler.xml").read_text(encoding="utf-8")
    (tmp_path / "beyannameler.xml").write_text(broken.replace("<Rejim>2600</Rejim>", "<Rejim>26</Rejim>", 1), "utf-8")
    with pytest.raises(XmlRejected, match="Rejim"):
        create_app(tmp_path)


def test_simulator_refuses_summary_lines_that_do_not_add_up(tmp_path: Path) -> None:
    summaries = (DEFAULT_FIXTURES / "ozet-beyanlar.xml").read_text(encoding="utf-8")
    broken = summaries.replace("<KapAdedi>14</KapAdedi>", "<KapAdedi>15</KapAdedi>", 1)
    (tmp_path / "ozet-beyanlar.xml").write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError, match="do not add up"):
        create_app(tmp_path)


def test_settings_from_env() -> None:
    settings = BilgeSettings.from_env(
        {
            "BILGE_BASE_URL": "https://bilge.gtb.example/ata/",
            "BILGE_API_KEY": "gizli",
            "BILGE_TIMEOUT_S": "2.5",
            "BILGE_MAX_ATTEMPTS": "3",
            "BILGE_BACKOFF_INITIAL_S": "0.5",
            "BILGE_BACKOFF_MAX_S": "8",
        }
    )
    assert settings.base_url == "https://bilge.gtb.example/ata/"
    assert (settings.timeout_s, settings.max_attempts, settings.api_key_header) == (2.5, 3, "X-Api-Key")
    assert (settings.backoff_initial_s, settings.backoff_max_s) == (0.5, 8.0)
    assert "gizli" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BILGE_API_KEY": "k"}, "BILGE_BASE_URL"),
        ({"BILGE_BASE_URL": "http://x"}, "BILGE_API_KEY"),
        ({"BILGE_BASE_URL": "http://x", "BILGE_API_KEY": "k", "BILGE_MAX_ATTEMPTS": "beş"}, "BILGE_MAX_ATTEMPTS"),
        ({"BILGE_BASE_URL": "http://x", "BILGE_API_KEY": "k", "BILGE_TIMEOUT_S": "0"}, "BILGE_TIMEOUT_S"),
    ],
)
def test_settings_from_env_names_the_bad_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BilgeSettings.from_env(environ)


# Answers the simulator never gives, through a stub transport: the client's own checks.

LEGACY_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<BeyannameSorguYanit xmlns="urn:gtb:bilge:beyanname-sorgu:1" surum="1.0">'
    "<IslemNo>a1</IslemNo><IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
)
CLOSURE_HEAD = (
    '<OzetBeyanKapanisYanit xmlns="urn:gtb:bilge:kapanis:1" surum="1.0">'
    "<IslemNo>a2</IslemNo><IslemZamani>2026-11-21T10:00:00+03:00</IslemZamani>"
)


def _stub(body: str, status: int = 200, **options: Any) -> BilgeClient:
    return stub_client(BilgeClient, API_KEY, body, status, **options)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            LEGACY_HEAD + "<SorgulananBeyannameNo>21343300IM000413</SorgulananBeyannameNo>"
            "<Sonuc>BULUNAMADI</Sonuc></BeyannameSorguYanit>",
            "is about 21343300IM000413",
        ),
        (
            LEGACY_HEAD + "<SorgulananBeyannameNo>21343300IM000412</SorgulananBeyannameNo>"
            "<Sonuc>BULUNDU</Sonuc></BeyannameSorguYanit>",
            "BULUNDU without a <Beyanname>",
        ),
        (LEGACY_HEAD + '<Hata kod="SISTEM_HATASI">Beklenmeyen hata</Hata></BeyannameSorguYanit>', "SISTEM_HATASI"),
        ("<html><body>Bakım çalışması</body></html>", "schema-invalid"),
    ],
    ids=["answer-for-another-declaration", "found-without-declaration", "error-with-200", "html-page"],
)
async def test_unusable_legacy_answers_are_refused(body: str, expected: str) -> None:
    async with _stub(body) as client:
        with pytest.raises(BilgeRejected, match=expected):
            await client.fetch_legacy("21343300IM000412")


async def test_closure_confirmation_of_another_closure_is_refused() -> None:
    # rule: S4 - only BİLGE's confirmation of this very closure ends the sending
    other = uuid.uuid4()
    body = (
        CLOSURE_HEAD + f"<KapanisNo>{other}</KapanisNo><OzetBeyanNo>26340900OB000214</OzetBeyanNo>"
        "<Durum>UYGULANDI</Durum></OzetBeyanKapanisYanit>"
    )
    async with _stub(body) as client:
        with pytest.raises(BilgeRejected, match=f"confirmed closure {other}"):
            await client.send_closure(_closure())


async def test_oversize_answer_is_refused() -> None:
    body = LEGACY_HEAD + "<!--" + "x" * 2048 + "-->" + "</BeyannameSorguYanit>"
    async with _stub(body, max_answer_bytes=1024) as client:
        with pytest.raises(BilgeRejected, match="oversize"):
            await client.fetch_legacy("21343300IM000412")
