"""GET-APP's TCGBs over HTTP (A1–A3, A8): the consignee's and the consignor's alone, a page at a time,
with their timelines, and average and median times per office, direction and month."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.getapp.tracking.tcgb_projection import TcgbProjection
from tests.getapp_tracking.builders import BROKER, IZMIR_AIRPORT, KAPIKULE, T0
from tests.getapp_tracking.tcgb_builders import EXPORT, FIRM_A, FIRM_B, FIRM_C, IMPORT, S, life, tcgb_event

NOTICE = {
    "tr": "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur.",
    "en": "This information is for guidance only and is not legally binding.",
}
IM1, EX1 = "26220100IM000001", "26350200EX000001"


def as_firm(vkn: str) -> dict[str, str]:
    return {"x-firm-vkn": vkn}


@pytest.fixture
async def populated(engine: AsyncEngine) -> None:
    """IM1: an import to firm A from firm B (a consignor in Türkiye); EX1: firm B's export to abroad."""
    events = [
        *life(IM1, T0, [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 60), (S.PAID, 600)], consignor=FIRM_B),
        *life(
            EX1,
            T0 + timedelta(hours=1),
            [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 30)],
            direction=EXPORT,
            office=IZMIR_AIRPORT,
            consignee=None,
            consignor=FIRM_B,
        ),
    ]
    await TcgbProjection(engine, now=lambda: T0).apply(events)


async def test_a3_consignee_and_consignor_both_see_a_tcgb_and_no_one_else_does(
    populated: None, client: httpx.AsyncClient
) -> None:
    # rule: A3
    a = (await client.get("/api/tcgbs", headers=as_firm(FIRM_A))).json()
    b = (await client.get("/api/tcgbs", headers=as_firm(FIRM_B))).json()
    broker = (await client.get("/api/tcgbs", headers=as_firm(BROKER))).json()
    assert [(t["tcgb_number"], t["role"]) for t in a["tcgbs"]] == [(IM1, "consignee")]
    assert [(t["tcgb_number"], t["role"], t["direction"]) for t in b["tcgbs"]] == [
        (EX1, "consignor", "export"),
        (IM1, "consignor", "import"),
    ]  # newest registration first
    assert broker["tcgbs"] == [] and broker["next"] is None
    assert all("vkn" not in key for t in b["tcgbs"] for key in t)  # neither party's VKN is shown
    assert a["tcgbs"][0]["kind"] == "tcgb" and a["tcgbs"][0]["customs_office_name"] == "Kapıkule Gümrük Müdürlüğü"


async def test_a3_another_firms_tcgb_is_answered_exactly_as_an_unknown_one(
    populated: None, client: httpx.AsyncClient
) -> None:
    # rule: A3
    others = await client.get(f"/api/tcgbs/{EX1}", headers=as_firm(FIRM_A))
    unknown = await client.get("/api/tcgbs/26220100IM999999", headers=as_firm(FIRM_A))
    assert others.status_code == unknown.status_code == 404
    assert others.content == unknown.content and dict(others.headers) == dict(unknown.headers)
    assert others.json() == {"notice": NOTICE, "detail": "TCGB bulunamadı / TCGB not found"}


async def test_a1_a_tcgb_comes_with_its_timeline_for_both_its_firms(populated: None, client: httpx.AsyncClient) -> None:
    # rule: A1
    for firm, role in ((FIRM_A, "consignee"), (FIRM_B, "consignor")):
        answer = await client.get(f"/api/tcgbs/{IM1}", headers=as_firm(firm))
        assert answer.status_code == 200
        tcgb = answer.json()["tcgb"]
        assert tcgb["role"] == role and tcgb["channel"] == "red" and tcgb["current_stage"] == "paid"
        assert [(s["stage"], s["duration_s"], s["elapsed_s"]) for s in tcgb["timeline"]] == [
            ("registered", 60.0, None),
            ("channel_assigned", 540.0, None),
            ("paid", None, 0.0),  # running: at T0 + 600 s, the clock of the fixture is T0
        ]


async def test_a8_every_tcgb_answer_carries_the_notice(populated: None, client: httpx.AsyncClient) -> None:
    # rule: A8
    answers = [
        await client.get("/api/tcgbs", headers=as_firm(FIRM_A)),
        await client.get(f"/api/tcgbs/{IM1}", headers=as_firm(FIRM_A)),
        await client.get("/api/tcgbs/nothing", headers=as_firm(FIRM_A)),
        await client.get("/api/tcgbs", params={"after": "not a cursor"}, headers=as_firm(FIRM_A)),
        await client.get("/api/tcgbs", params={"direction": "sideways"}, headers=as_firm(FIRM_A)),
        await client.get("/api/tcgb-average-times", params={"month": "2026-03"}, headers=as_firm(FIRM_A)),
        await client.get("/api/tcgb-average-times", params={"month": "2026-13"}, headers=as_firm(FIRM_A)),
        await client.get("/api/tcgbs"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 404, 422, 422, 200, 422, 401]
    assert all(a.json()["notice"] == NOTICE for a in answers)


async def test_a3_a_firms_list_comes_a_page_at_a_time_newest_first_filtered_by_direction_and_stage(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    # rule: A3
    events = []
    for i in range(7):
        number, direction = f"26220100TC{i:06d}", IMPORT if i % 2 else EXPORT
        party = {"consignee": FIRM_C} if direction == IMPORT else {"consignee": None, "consignor": FIRM_C}
        steps = [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 10)] if i < 5 else [(S.REGISTERED, 0)]
        events += life(number, T0 + timedelta(minutes=i), steps, direction=direction, **party)
    await TcgbProjection(engine, now=lambda: T0).apply(events)

    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        page = (await client.get("/api/tcgbs", params=params, headers=as_firm(FIRM_C))).json()
        seen += [t["tcgb_number"] for t in page["tcgbs"]]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages == 3 and seen == [f"26220100TC{i:06d}" for i in reversed(range(7))]
    imports = (await client.get("/api/tcgbs", params={"direction": "import"}, headers=as_firm(FIRM_C))).json()
    assert [t["tcgb_number"][-1] for t in imports["tcgbs"]] == ["5", "3", "1"]
    waiting = (await client.get("/api/tcgbs", params={"stage": "registered"}, headers=as_firm(FIRM_C))).json()
    assert [t["tcgb_number"][-1] for t in waiting["tcgbs"]] == ["6", "5"]


async def test_a1_average_and_median_times_match_a_hand_computation(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    """Four imports at Kapıkule in March 2026, registered → channel in 60, 120, 600 and 1200 s: average
    495 s, median (120 + 600) / 2 = 360 s; channel → paid in 30, 30, 90, 3600 s: average 937.5, median 60.
    A fifth, registered in April, and an export count elsewhere. One stage arrives late and moves a bin."""
    # rule: A1
    projection = TcgbProjection(engine, now=lambda: T0)
    events = []
    for i, (to_channel, to_paid) in enumerate(((60, 30), (120, 30), (600, 90), (1200, 3600))):
        steps = [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, to_channel), (S.PAID, to_channel + to_paid)]
        events += life(f"26220100AV{i:06d}", T0 + timedelta(days=i), steps)
    events += life("26220100AV000009", T0 + timedelta(days=40), [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 5)])
    events += life(
        "26350200AV000010", T0, [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 7)],
        direction=EXPORT, office=IZMIR_AIRPORT, consignee=None, consignor=FIRM_B,
    )  # fmt: skip
    late = events.pop(1)  # AV000000's channel: until it comes, registered → paid (90 s) is one stage
    await projection.apply(events)
    await projection.apply([late])

    answer = await client.get(
        "/api/tcgb-average-times", params={"month": "2026-03", "office": KAPIKULE}, headers=as_firm(FIRM_A)
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["month"], body["office"], body["direction"]) == ("2026-03", KAPIKULE, None)
    [group] = body["groups"]
    assert (group["customs_office"], group["direction"], group["month"]) == (KAPIKULE, "import", "2026-03")
    assert [(s["stage"], s["count"], s["average_s"], s["median_s"]) for s in group["stages"]] == [
        ("registered", 4, 495.0, 360.0),
        ("channel_assigned", 4, 937.5, 60.0),
    ]
    everything = await client.get("/api/tcgb-average-times", params={"month": "2026-03"}, headers=as_firm(FIRM_A))
    assert sorted((g["customs_office"], g["direction"]) for g in everything.json()["groups"]) == [
        (KAPIKULE, "import"),
        (IZMIR_AIRPORT, "export"),
    ]
    exports = await client.get(
        "/api/tcgb-average-times", params={"month": "2026-03", "direction": "export"}, headers=as_firm(FIRM_A)
    )
    [export] = exports.json()["groups"]
    assert [(s["stage"], s["count"], s["median_s"]) for s in export["stages"]] == [("registered", 1, 7.0)]
    april = (await client.get("/api/tcgb-average-times", params={"month": "2026-04"}, headers=as_firm(FIRM_A))).json()
    assert [[(s["stage"], s["count"], s["average_s"]) for s in g["stages"]] for g in april["groups"]] == [
        [("registered", 1, 5.0)]
    ]


async def test_a1_a_median_of_close_durations_is_within_its_bins_width(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    """Durations 1000, 1001, ..., 1010 s share bins 5 % wide: the median (1005 s) is estimated within 5 %."""
    # rule: A1
    events = []
    for i in range(11):
        events += life(f"26220100MD{i:06d}", T0, [(S.REGISTERED, 0), (S.CHANNEL_ASSIGNED, 1000 + i)])
    await TcgbProjection(engine, now=lambda: T0).apply(events)
    body = (await client.get("/api/tcgb-average-times", params={"month": "2026-03"}, headers=as_firm(FIRM_A))).json()
    [stage] = body["groups"][0]["stages"]
    assert stage["average_s"] == 1005.0
    assert abs(stage["median_s"] - 1005.0) <= 0.05 * 1006


async def test_a2_a_single_event_about_an_unseen_tcgb_shows_it(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    """Its channel came before its registration: it is listed from what that event says."""
    # rule: A2
    await TcgbProjection(engine, now=lambda: T0).apply([tcgb_event("26220100IM000077", S.CHANNEL_ASSIGNED, T0)])
    [tcgb] = (await client.get("/api/tcgbs", headers=as_firm(FIRM_A))).json()["tcgbs"]
    assert (tcgb["tcgb_number"], tcgb["current_stage"], tcgb["registered_at"]) == (
        "26220100IM000077", "channel_assigned", "2026-03-02T08:00:00Z",
    )  # fmt: skip
