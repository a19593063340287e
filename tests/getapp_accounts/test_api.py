"""The JSON endpoints over ASGI (httpx), the session cookie, and the `current_firm` dependency (A4–A8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from hub.getapp.accounts.api import NOTICE, SESSION_COOKIE, NoticeRoute, current_firm, install_accounts
from tests.getapp_accounts.helpers import (
    APPLICANT,
    NEW_PASSWORD,
    PERSONS,
    TYPED_EMAIL,
    VKN,
    YKTS_EMAIL,
    World,
    authority_checked,
)

A8_NOTICE = {
    "tr": "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur.",
    "en": "This information is for guidance only and is not legally binding.",
}


def app_for(world: World) -> FastAPI:
    app = FastAPI()
    install_accounts(app, world.service)
    # what the tracking API does: a route that needs a logged-in firm
    tracking = APIRouter(route_class=NoticeRoute)

    @tracking.get("/api/tracking/whoami")
    async def whoami(firm: Annotated[str, Depends(current_firm)]) -> dict[str, Any]:
        return {"firm_vkn": firm, "notice": dict(NOTICE)}

    app.include_router(tracking)
    return app


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(world))
    async with httpx.AsyncClient(transport=transport, base_url="https://getapp.test") as client:
        yield client


def ok(response: httpx.Response, status: int) -> dict[str, Any]:
    """The body, after checking the status and the A8 notice every answer carries."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["notice"] == A8_NOTICE  # rule: A8
    return body


async def approve_over_http(world: World, http: httpx.AsyncClient) -> tuple[str, str]:
    body = ok(
        await http.post(
            "/api/applications",
            json={"firm_vkn": VKN, "person_tckn": APPLICANT, "person_name": "Ayşe Yılmaz", "email": TYPED_EMAIL},
        ),
        202,
    )
    application_id = body["application_id"]
    assert ok(await http.get(f"/api/applications/{application_id}"), 200)["status"] == "pending"
    await world.service.handle_ykts_answer(authority_checked(world.published[-1], at=world.clock()))
    status = ok(await http.get(f"/api/applications/{application_id}"), 200)
    assert status == {"application_id": application_id, "status": "approved", "reason": "", "notice": A8_NOTICE}
    await world.relay.relay_once()
    mail = world.mails[-1]
    return mail.user_code, mail.password


async def log_in_and_change(http: httpx.AsyncClient, code: str, password: str) -> None:
    ok(await http.post("/api/login", json={"user_code": code, "password": password}), 200)
    ok(await http.post("/api/password", json={"old_password": password, "new_password": NEW_PASSWORD}), 200)


async def test_a4_a5_apply_over_http_and_the_code_goes_to_the_ykts_email(world: World, http: httpx.AsyncClient) -> None:
    code, _ = await approve_over_http(world, http)
    assert [m.to for m in world.mails] == [YKTS_EMAIL]  # rule: A5
    assert all(code not in str(v) for v in world.published)  # the code is never published nor answered


async def test_a4_refused_application_says_why(world: World, http: httpx.AsyncClient) -> None:
    body = ok(
        await http.post(
            "/api/applications", json={"firm_vkn": VKN, "person_tckn": APPLICANT, "person_name": "Ayşe Yılmaz"}
        ),
        202,
    )
    answer = authority_checked(world.published[-1], authorised=False, reason="YKTS: temsile yetkili değil")
    await world.service.handle_ykts_answer(answer)
    status = ok(await http.get(f"/api/applications/{body['application_id']}"), 200)
    assert status["status"] == "refused" and "temsile yetkili değil" in status["reason"]


async def test_a8_every_answer_carries_the_notice_errors_included(http: httpx.AsyncClient) -> None:
    bad_ids = {"firm_vkn": "12", "person_tckn": APPLICANT, "person_name": "Ayşe Yılmaz"}
    assert "VKN" in ok(await http.post("/api/applications", json=bad_ids), 422)["reason"]
    ok(await http.post("/api/applications", json={"firm_vkn": VKN}), 422)  # malformed request
    ok(await http.get("/api/applications/no-such-id"), 404)
    ok(await http.get("/api/users"), 401)
    ok(await http.get("/api/session"), 401)
    ok(await http.get("/api/tracking/whoami"), 401)
    ok(await http.post("/api/logout"), 200)
    wrong = ok(await http.post("/api/login", json={"user_code": "GAAAAAAAAA", "password": "x" * 12}), 401)
    assert wrong["reason"] == "wrong"


async def test_malformed_requests_do_not_echo_a_password(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/login", json={"user_code": "GAAAAAAAAA", "password": "Sizdirma-123", "x": 1})
    body = ok(response, 422)
    assert "Sizdirma-123" not in response.text and body["errors"]


async def test_login_sets_an_httponly_samesite_strict_session_cookie(world: World, http: httpx.AsyncClient) -> None:
    code, password = await approve_over_http(world, http)
    response = await http.post("/api/login", json={"user_code": code.lower(), "password": password})
    body = ok(response, 200)
    assert body["firm_vkn"] == VKN and body["user_code"] == code and body["must_change_password"] is True
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "SameSite=strict", "Secure", "Path=/", "Max-Age=28800"):
        assert flag.lower() in cookie.lower(), cookie
    assert password not in cookie and password not in response.text
    assert ok(await http.get("/api/session"), 200)["user_code"] == code


async def test_a7_the_tracking_dependency_wants_a_changed_password(world: World, http: httpx.AsyncClient) -> None:
    code, password = await approve_over_http(world, http)
    ok(await http.post("/api/login", json={"user_code": code, "password": password}), 200)
    response = await http.get("/api/tracking/whoami")
    assert response.status_code == 403 and response.json()["rule"] == "A7"
    assert response.json()["notice"] == A8_NOTICE
    ok(await http.get("/api/users"), 403)
    ok(await http.post("/api/password", json={"old_password": password, "new_password": NEW_PASSWORD}), 200)
    assert ok(await http.get("/api/tracking/whoami"), 200)["firm_vkn"] == VKN
    ok(await http.post("/api/logout"), 200)
    ok(await http.get("/api/tracking/whoami"), 401)


async def test_a6_the_sixth_user_is_409_naming_a6(world: World, http: httpx.AsyncClient) -> None:
    code, password = await approve_over_http(world, http)
    await log_in_and_change(http, code, password)
    added = [
        ok(await http.post("/api/users", json={"name": f"Kişi {c}", "tckn": t}), 201)
        for c, t in zip("ABCD", PERSONS[:4], strict=True)
    ]
    assert all(a["user_code"].startswith("GA") for a in added)
    sixth = ok(await http.post("/api/users", json={"name": "Altıncı Kişi", "tckn": PERSONS[5]}), 409)
    assert sixth["rule"] == "A6" and "at most 5" in sixth["reason"]
    listed = ok(await http.get("/api/users"), 200)["users"]
    assert len(listed) == 5 and listed[0]["is_owner"] and listed[0]["user_code"] == code
    assert all("*" in u["tckn"] for u in listed)  # TCKNs are masked
    ok(await http.post("/api/users", json={"name": "Kişi", "tckn": "12345678901"}), 422)


async def test_a7_cancel_a_user_and_change_the_password_over_http(world: World, http: httpx.AsyncClient) -> None:
    code, password = await approve_over_http(world, http)
    await log_in_and_change(http, code, password)
    clerk = ok(await http.post("/api/users", json={"name": "Mehmet Kaya", "tckn": PERSONS[0]}), 201)["user_code"]
    assert ok(await http.delete(f"/api/users/{clerk}"), 200) == {
        "user_code": clerk,
        "cancelled": True,
        "notice": A8_NOTICE,
    }
    ok(await http.delete(f"/api/users/{clerk}"), 404)
    last = ok(await http.delete(f"/api/users/{code}"), 409)
    assert last["rule"] == "A7" and "last owner" in last["reason"]
    wrong_old = {"old_password": "not-my-password", "new_password": "Baska-Sifre-2027"}
    ok(await http.post("/api/password", json=wrong_old), 403)
    too_short = {"old_password": NEW_PASSWORD, "new_password": "short"}
    assert "at least 10" in ok(await http.post("/api/password", json=too_short), 422)["reason"]
    ok(await http.post("/api/password", json={"old_password": NEW_PASSWORD, "new_password": "Baska-Sifre-2027"}), 200)
    ok(await http.post("/api/logout"), 200)
    ok(await http.post("/api/login", json={"user_code": code, "password": NEW_PASSWORD}), 401)
    ok(await http.post("/api/login", json={"user_code": code, "password": "Baska-Sifre-2027"}), 200)


async def test_a7_locked_login_is_423_with_until(world: World, http: httpx.AsyncClient) -> None:
    code, password = await approve_over_http(world, http)
    for _ in range(4):
        ok(await http.post("/api/login", json={"user_code": code, "password": "wrong-password"}), 401)
    response = await http.post("/api/login", json={"user_code": code, "password": "wrong-password"})
    locked = ok(response, 423)
    assert locked["reason"] == "locked" and locked["rule"] == "A7"
    assert locked["until"] == (world.clock.now.replace(microsecond=0) + timedelta(minutes=15)).isoformat()
    assert response.headers["retry-after"] == "900"
    ok(await http.post("/api/login", json={"user_code": code, "password": password}), 423)
    world.clock.advance(minutes=15)
    ok(await http.post("/api/login", json={"user_code": code, "password": password}), 200)
