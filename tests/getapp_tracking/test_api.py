"""The GET-APP tracking HTTP API: a firm's declarations only (A3), the notice on every answer (A8),
average times (A1) and statistics (C4)."""

from __future__ import annotations

import httpx
import pytest

from hub.getapp.tracking import NOTICE, TrackingProjection
from tests.getapp_tracking.builders import A1, A_NUMBERS, B1, B_NUMBERS, BROKER, FIRM_A, FIRM_B, KAPIKULE, two_firms

EXPECTED_NOTICE = {
    "tr": "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur.",
    "en": "This information is for guidance only and is not legally binding.",
}


def as_firm(vkn: str) -> dict[str, str]:
    return {"x-firm-vkn": vkn}


@pytest.fixture
async def populated(projection: TrackingProjection) -> None:
    for event in two_firms():
        await projection.apply(event)


async def test_a3_a1_a_firm_lists_only_its_own_declarations(populated: None, client: httpx.AsyncClient) -> None:
    # rule: A3
    a = await client.get("/api/declarations", headers=as_firm(FIRM_A))
    b = await client.get("/api/declarations", headers=as_firm(FIRM_B))
    broker = await client.get("/api/declarations", headers=as_firm(BROKER))
    assert a.status_code == b.status_code == broker.status_code == 200
    assert {d["declaration_number"] for d in a.json()["declarations"]} == A_NUMBERS
    assert {d["declaration_number"] for d in b.json()["declarations"]} == B_NUMBERS
    assert broker.json()["declarations"] == []
    first = next(d for d in a.json()["declarations"] if d["declaration_number"] == A1)
    assert first["current_stage"] == "closed" and first["current_stage_tr"] == "Kapanmış"
    assert first["location"] == {
        "office": KAPIKULE,
        "office_name": "Kapıkule Gümrük Müdürlüğü",
        "temporary_storage_code": None,
    }


async def test_a3_another_firms_declaration_is_answered_exactly_as_an_unknown_one(
    populated: None, client: httpx.AsyncClient
) -> None:
    # rule: A3
    others = await client.get(f"/api/declarations/{A1}", headers=as_firm(FIRM_B))
    unknown = await client.get("/api/declarations/26220100ATA99999", headers=as_firm(FIRM_B))
    assert others.status_code == unknown.status_code == 404
    assert others.content == unknown.content
    assert dict(others.headers) == dict(unknown.headers)
    assert others.json() == {"notice": EXPECTED_NOTICE, "detail": "Beyan bulunamadı / declaration not found"}

    own = await client.get(f"/api/declarations/{B1}", headers=as_firm(FIRM_B))
    assert own.status_code == 200 and own.json()["declaration"]["declaration_number"] == B1


async def test_a1_a_declaration_comes_with_its_timeline_and_durations(
    populated: None, client: httpx.AsyncClient
) -> None:
    # rule: A1
    answer = await client.get(f"/api/declarations/{A1}", headers=as_firm(FIRM_A))
    assert answer.status_code == 200
    timeline = answer.json()["declaration"]["timeline"]
    assert [(s["stage"], s["duration_s"], s["actor_role"]) for s in timeline] == [
        ("lodged", 600.0, None),
        ("accepted", 7200.0, "liaison"),
        ("inspection_completed", 432000.0, "inspection_officer"),
        ("closed", None, None),
    ]
    assert timeline[0]["started_at"] == "2026-03-02T08:00:00Z"


async def test_a1_average_times_over_http(populated: None, client: httpx.AsyncClient) -> None:
    # rule: A1
    answer = await client.get(
        "/api/average-times", params={"office": KAPIKULE, "regime": "2600", "month": "2026-03"}, headers=as_firm(FIRM_B)
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["office"], body["regime"], body["month"]) == (KAPIKULE, "2600", "2026-03")
    (group,) = body["groups"]
    assert [(s["stage"], s["count"], s["average_s"], s["median_s"]) for s in group["stages"]] == [
        ("lodged", 3, 1800.0, 1200.0),
        ("accepted", 2, 10800.0, 10800.0),
        ("inspection_completed", 1, 432000.0, 432000.0),
    ]
    every = await client.get("/api/average-times?office=&regime=&month=", headers=as_firm(FIRM_B))
    assert every.status_code == 200 and len(every.json()["groups"]) == 4


async def test_c4_statistics_over_http(populated: None, client: httpx.AsyncClient) -> None:
    # rule: C4
    for by, keys in (
        ("country", ["DE", "TR"]),
        ("region", ["Ege", "Marmara"]),
        ("directorate", ["Ege GDTBM", "Trakya GDTBM", "İstanbul GDTBM"]),
    ):
        answer = await client.get("/api/statistics", params={"by": by}, headers=as_firm(FIRM_A))
        assert answer.status_code == 200, answer.text
        assert answer.json()["by"] == by
        assert [g["key"] for g in answer.json()["groups"]] == keys
    de = (await client.get("/api/statistics?by=country", headers=as_firm(FIRM_A))).json()["groups"][0]
    assert (de["declarations"], de["open"], de["closed"], de["overdue"]) == (4, 1, 1, 1)


@pytest.mark.parametrize(
    ("path", "vkn", "status"),
    [
        ("/api/declarations", FIRM_A, 200),
        (f"/api/declarations/{A1}", FIRM_A, 200),
        (f"/api/declarations/{A1}", FIRM_B, 404),
        ("/api/average-times", FIRM_A, 200),
        ("/api/average-times?month=March", FIRM_A, 422),
        ("/api/statistics?by=country", FIRM_A, 200),
        ("/api/statistics?by=region", FIRM_A, 200),
        ("/api/statistics?by=directorate", FIRM_A, 200),
        ("/api/statistics?by=chamber", FIRM_A, 422),
        ("/api/declarations", "", 401),
        ("/api/statistics", "", 401),
    ],
)
async def test_a8_every_answer_says_it_is_not_legally_binding(
    populated: None, client: httpx.AsyncClient, path: str, vkn: str, status: int
) -> None:
    # rule: A8
    answer = await client.get(path, headers=as_firm(vkn) if vkn else {})
    assert answer.status_code == status, answer.text
    assert answer.json()["notice"] == EXPECTED_NOTICE == NOTICE
