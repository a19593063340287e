"""The offices' API over a store seeded by the core's service layer: C2 between two offices, a
declaration whole (ledger, C3 documents and notes, links, timeline with who acted), the search
criteria, C4 statistics and their CSV, and every refusal a 4xx."""

from __future__ import annotations

import csv
import io

from tests.office.conftest import Office
from tests.office.seed import CARNET, CILVEGOZU, DAY, ENTRY, KAPIKULE, LODGED_ONLY, REEXPORT, complete_reexport

NOT_FOUND = "no declaration with this number that your office may see"


async def _numbers(http: object, **params: str) -> list[str]:
    answer = await http.get("/api/declarations", params=params)  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text
    return sorted(d["declaration_number"] for d in answer.json()["declarations"])


async def test_c2_a_declaration_lodged_at_another_office_is_seen_once_its_inspection_is_completed(
    office: Office,
) -> None:
    """rule: C2 — an officer of Kapıkule does not see the 3158 lodged at Cilvegözü (search, detail,
    statistics, links) until its inspection is completed there; then does. Not visible = 404 as unknown."""
    # rule: C2
    async with office.officer("a.yilmaz") as kapikule, office.officer("m.kaya") as cilvegozu:
        assert await _numbers(kapikule) == [ENTRY]
        assert await _numbers(cilvegozu) == [ENTRY, REEXPORT]
        hidden = await kapikule.get("/api/declaration", params={"number": REEXPORT})
        unknown = await kapikule.get("/api/declaration", params={"number": "26999999ATA999999"})
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json() == unknown.json() == {"reason": NOT_FOUND}
        entry = (await kapikule.get("/api/declaration", params={"number": ENTRY})).json()
        assert [link["declaration_number"] for link in entry["linked"]] == []
        period = {"date_from": str(DAY), "date_to": str(DAY), "by": "country"}
        stats = (await kapikule.get("/api/statistics", params=period)).json()
        assert stats["total_declarations"] == 1

        assert (await cilvegozu.get("/api/declaration", params={"number": REEXPORT})).status_code == 200
        await complete_reexport(office.core)

        assert await _numbers(kapikule) == [ENTRY, REEXPORT]
        seen = (await kapikule.get("/api/declaration", params={"number": REEXPORT})).json()
        assert seen["status"] == "closed" or seen["status"] == "inspection_completed"
        who = [(e["event"], e["role"], e["office"], e["officer_id"]) for e in seen["timeline"] if e["role"]]
        assert ("DeclarationAccepted", "liaison", CILVEGOZU, "irtibat-31") in who
        assert ("InspectionCompleted", "inspection_officer", CILVEGOZU, "muayene-31") in who
        stats = (await kapikule.get("/api/statistics", params=period)).json()
        assert stats["total_declarations"] == 2


async def test_c3_a_declaration_whole_ledger_documents_notes_links_and_who_acted(office: Office) -> None:
    """rule: C3 — goods lines with what entered, was discharged and is open, the document and note of
    line 1, the 3158 that discharged it, and the timeline naming each officer (C1 role, office, id)."""
    # rule: C3
    await complete_reexport(office.core)
    async with office.officer("a.yilmaz") as kapikule:
        d = (await kapikule.get("/api/declaration", params={"number": ENTRY})).json()
    assert (d["carnet_number"], d["regime"], d["customs_office"], d["issuing_country"]) == (
        CARNET,
        "5800",
        KAPIKULE,
        "DE",
    )
    lines = {ln["line_no"]: ln for ln in d["lines"]}
    assert (lines[1]["entered"], lines[1]["discharged"], lines[1]["open"]) == (12, 5, 7)
    assert (lines[2]["entered"], lines[2]["discharged"], lines[2]["open"]) == (1, 0, 1)
    assert lines[1]["documents"][0]["name"] == "invoice-118804.pdf"
    assert lines[1]["notes"] == ["Seri numaraları eşya listesiyle uyumlu."]
    assert {(ln["declaration_number"], ln["relation"]) for ln in d["linked"]} == {
        (REEXPORT, "next"),
        (REEXPORT, "discharged_by"),
    }
    events = [(e["event"], e["role"], e["office"], e["officer_id"]) for e in d["timeline"]]
    assert events[0][0] == "DeclarationLodged" and d["timeline"][0]["declarant"] == "Anadolu Sahne Teknik A.Ş."
    assert ("DeclarationAccepted", "liaison", KAPIKULE, "irtibat-01") in events
    assert ("InspectionCompleted", "inspection_officer", KAPIKULE, "muayene-07") in events
    assert ("LineExplained", "inspection_officer", KAPIKULE, "muayene-07") in events
    assert any(e["event"] == "GoodsDischarged" and e["discharged_by"] == REEXPORT for e in d["timeline"])


async def test_search_by_number_carnet_holder_status_and_lodgement_dates(office: Office) -> None:
    # rule: C2 (every criterion within what the office may see)
    async with office.officer("m.kaya") as cilvegozu:
        assert await _numbers(cilvegozu, number="26310100") == [REEXPORT]
        assert await _numbers(cilvegozu, carnet="DE/2026/") == [ENTRY, REEXPORT]
        assert await _numbers(cilvegozu, holder="LİCHTWERK bühnen") == [ENTRY, REEXPORT]  # Turkish İ, any case
        assert await _numbers(cilvegozu, holder="4810023456") == [ENTRY, REEXPORT]  # the declarant holder's VKN
        assert await _numbers(cilvegozu, holder="nobody") == []
        assert await _numbers(cilvegozu, status="lodged") == [REEXPORT]
        assert await _numbers(cilvegozu, lodged_from=str(DAY), lodged_to=str(DAY)) == [ENTRY, REEXPORT]
        assert await _numbers(cilvegozu, lodged_to="2026-11-20") == []
        assert await _numbers(cilvegozu, number="%") == []  # a LIKE wildcard is a character, not a pattern
        limited = (await cilvegozu.get("/api/declarations", params={"limit": 1})).json()
        assert len(limited["declarations"]) == 1 and limited["more"] is True
    async with office.officer("e.demir") as airport:
        assert await _numbers(airport) == [ENTRY, LODGED_ONLY]


async def test_c4_statistics_by_country_region_and_directorate_with_csv(office: Office) -> None:
    """rule: C4 — by the carnet's issuing country, the region and the GDTBM of the lodging office; as the
    asking office may see them (C2): the airport counts its own lodged Swiss 5800, Kapıkule does not."""
    # rule: C4
    period = {"date_from": str(DAY), "date_to": str(DAY)}
    async with office.officer("e.demir") as airport, office.officer("a.yilmaz") as kapikule:
        by_country = (await airport.get("/api/statistics", params={**period, "by": "country"})).json()
        groups = {g["key"]: g for g in by_country["groups"]}
        assert set(groups) == {"CH", "DE"}
        assert (groups["CH"]["declarations"], groups["CH"]["by_status"]["lodged"]) == (1, 1)
        assert (groups["DE"]["declarations"], groups["DE"]["carnets"]) == (1, 1)
        directorates = (await airport.get("/api/statistics", params={**period, "by": "directorate"})).json()
        assert {g["key"]: g["declarations"] for g in directorates["groups"]} == {"Trakya GDTBM": 1, "İstanbul GDTBM": 1}
        regions = (await kapikule.get("/api/statistics", params={**period, "by": "region"})).json()
        assert {g["key"]: g["declarations"] for g in regions["groups"]} == {"Marmara": 1}
        answer = await airport.get("/api/statistics.csv", params={**period, "by": "country"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(answer.text.removeprefix("\ufeff"))))
        assert rows[0][:3] == ["country", "declarations", "carnets"]
        assert rows[1][:3] == ["CH", "1", "1"] and rows[-1][:3] == ["total", "2", "2"]
        empty = await airport.get("/api/statistics", params={"date_from": "2026-11-22", "date_to": "2026-11-30"})
        assert empty.json()["groups"] == []


async def test_every_api_path_needs_a_session_and_bad_input_is_a_4xx(office: Office) -> None:
    for path in ("/api/declarations", f"/api/declaration?number={ENTRY}", "/api/statistics", "/api/session",
                 "/api/offices", "/openapi.json", "/docs", "/api/nothing"):  # fmt: skip
        assert (await office.http.get(path)).status_code == 401, path
    async with office.officer("a.yilmaz") as kapikule:
        for path, params in [
            ("/api/declarations", {"status": "bogus"}),
            ("/api/declarations", {"limit": "0"}),
            ("/api/declarations", {"lodged_from": "21.11.2026"}),
            ("/api/declarations", {"lodged_from": "2026-11-22", "lodged_to": "2026-11-21"}),
            ("/api/declarations", {"number": "x" * 41}),
            ("/api/declarations", {"holder": "a\x00b"}),  # PostgreSQL would refuse the NUL: never a 500
            ("/api/declaration", {"number": "26\x00"}),
            ("/api/declaration", {}),
            ("/api/statistics", {"date_from": "2026-11-21"}),
            ("/api/statistics", {"date_from": "2026-11-21", "date_to": "2026-11-20"}),
            ("/api/statistics", {"date_from": "2020-01-01", "date_to": "2026-11-20"}),
            ("/api/statistics", {"date_from": "0001-01-01", "date_to": "0001-01-02"}),
            ("/api/declarations", {"lodged_to": "9999-12-31"}),
            ("/api/statistics", {"date_from": "2026-11-21", "date_to": "2026-11-21", "by": "city"}),
        ]:
            answer = await kapikule.get(path, params=params)
            assert answer.status_code == 422, (path, params, answer.text)
            assert "reason" in answer.json()
        assert (await kapikule.get("/api/nothing")).status_code == 404
        assert (await kapikule.delete("/api/declarations")).status_code == 404
        assert (await kapikule.get("/openapi.json")).json()["info"]["title"].startswith("e-ATA/TR")
        assert (await kapikule.get("/api/session")).json()["office"] == KAPIKULE


async def test_logins_wrong_password_lock_other_origin_disabled_and_logout(office: Office) -> None:
    http, origin = office.http, {"Origin": "http://127.0.0.1:8791"}
    bad = await http.post("/api/login", json={"name": "a.yilmaz", "password": "wrong password 123"}, headers=origin)
    unknown = await http.post("/api/login", json={"name": "nobody", "password": "wrong password 123"}, headers=origin)
    assert bad.status_code == unknown.status_code == 401 and bad.json() == unknown.json()
    forged = await http.post(
        "/api/login", json={"name": "a.yilmaz", "password": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert (await http.post("/api/login", content=b"\xff", headers=origin)).status_code == 422
    assert (await http.post("/api/login", json={"name": "a"}, headers=origin)).status_code == 422
    nul = await http.post("/api/login", json={"name": "a\x00", "password": "p"}, headers=origin)
    assert nul.status_code == 422
    for _ in range(4):
        await http.post("/api/login", json={"name": "e.demir", "password": "wrong password 123"}, headers=origin)
    locked = await http.post("/api/login", json={"name": "e.demir", "password": "wrong password 123"}, headers=origin)
    assert locked.status_code == 423 and int(locked.headers["retry-after"]) > 0

    async with office.officer("a.yilmaz") as kapikule:
        assert (await kapikule.get("/api/session")).status_code == 200
        await office.accounts.disable("a.yilmaz")
        assert (await kapikule.get("/api/session")).status_code == 401  # the session ended with the account
    again = await http.post("/api/login", json={"name": "a.yilmaz", "password": "correct horse battery staple 42"},
                            headers=origin)  # fmt: skip
    assert again.status_code == 401
    async with office.officer("m.kaya") as cilvegozu:
        assert (await cilvegozu.post("/api/logout")).status_code == 200
        assert (await cilvegozu.get("/api/declarations")).status_code == 401
