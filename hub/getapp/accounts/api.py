"""JSON endpoints of GET-APP firm accounts, and the `current_firm` dependency of the tracking API.

Every answer, refusals and malformed requests included, carries the A8 notice. The session is an
HttpOnly, SameSite=Strict and (unless a development server says otherwise) Secure cookie holding a
random token (the store keeps its SHA-256 only); the OpenAPI document names it as the `getapp_session`
API-key cookie scheme, and lists every status each route answers with its body (`models`).

Wiring: `install_accounts(app, service)`, or `app.state.getapp_accounts = service` and
`app.include_router(accounts_router(service))`: `current_firm` finds the service on `app.state`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie
from pydantic import BaseModel

from hub.getapp.accounts.models import (
    ApplicationAccepted,
    ApplicationIn,
    ApplicationStatus,
    LoggedOut,
    LoginIn,
    NewUserIn,
    PasswordChanged,
    PasswordIn,
    Refused,
    SessionAnswer,
    UserAdded,
    UserCancelled,
    UsersAnswer,
)
from hub.getapp.accounts.rules import NOTICE_EN, NOTICE_TR, Refusal, RefusalKind
from hub.getapp.accounts.service import AccountService, LoggedIn, SessionUser
from hub.web.logins import retry_after_s
from hub.web.sessions import set_session_cookie

NOTICE: Final[Mapping[str, str]] = {"tr": NOTICE_TR, "en": NOTICE_EN}  # rule: A8
SESSION_COOKIE: Final = "getapp_session"
STATE_KEY: Final = "getapp_accounts"
# auto_error=False: a missing cookie is the service's to refuse (401 with the A8 notice), and logout
# without one is fine. The scheme is there for the OpenAPI document and its clients.
session_cookie: Final = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name=SESSION_COOKIE,
    description="The session: set by POST /api/login (HttpOnly, SameSite=Strict, Secure), ended by POST /api/logout.",
    auto_error=False,
)

STATUS: Final[Mapping[RefusalKind, int]] = {
    RefusalKind.INVALID: 422,
    RefusalKind.UNAUTHENTICATED: 401,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.CONFLICT: 409,
    RefusalKind.LIMIT: 409,
    RefusalKind.WRONG_PASSWORD: 403,
    RefusalKind.LOCKED: 423,
    RefusalKind.UNAVAILABLE: 503,
}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def answer(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON answer with the A8 notice."""
    # rule: A8 — what GET-APP shows is for guidance only: every answer says so
    # no-store: answers about sessions, users and applications are not for caches
    merged = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse({**body, "notice": dict(NOTICE)}, status_code=status, headers=merged)


def refusal_body(refusal: Refusal) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": refusal.reason, "rule": refusal.rule}
    if refusal.until is not None:
        body["until"] = _iso(refusal.until)
    return body


def refusal_answer(refusal: Refusal) -> JSONResponse:
    return answer(STATUS[refusal.kind], refusal_body(refusal))


def _safe_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without the input they quote: it may be a password."""
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]


def malformed(errors: list[dict[str, Any]]) -> str:
    """The reason of a 422: which fields, and why, so that a person reads it without the details."""
    said = [f"{'.'.join(str(p) for p in e['loc'][1:] or e['loc'])}: {e['msg']}" for e in errors[:3]]
    return "; ".join(["malformed request", *said]) if said else "malformed request"


class NoticeRoute(APIRoute):
    """A route whose refusals, HTTP errors and validation errors are answered with the A8 notice too.

    Use it for any router of GET-APP: `APIRouter(route_class=NoticeRoute)`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_notice(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal_answer(refusal)
            except RequestValidationError as exc:
                errors = _safe_errors(exc.errors())
                return answer(422, {"reason": malformed(errors), "errors": errors})
            except HTTPException as exc:
                body = dict(exc.detail) if isinstance(exc.detail, Mapping) else {"reason": str(exc.detail)}
                body.pop("notice", None)
                return answer(exc.status_code, body, exc.headers)

        return with_notice


def bound_service(request: Request) -> AccountService:
    service = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(service, AccountService):
        raise RuntimeError(f"no AccountService on app.state.{STATE_KEY}: call install_accounts(app, service)")
    return service


async def current_firm(request: Request, token: Annotated[str | None, Security(session_cookie)]) -> str:
    """FastAPI dependency: the logged-in firm's VKN, from the session cookie.

    401 without a valid session; 403 while the initial password is not changed. The error's detail
    carries the reason and the A8 notice."""
    try:
        return await bound_service(request).firm_of_session(token)
    except Refusal as refusal:
        raise HTTPException(
            status_code=STATUS[refusal.kind],
            detail={**refusal_body(refusal), "notice": dict(NOTICE)},  # rule: A8
        ) from None


def install_accounts(app: FastAPI, service: AccountService, *, secure_cookie: bool = True) -> None:
    """Bind the service for `current_firm` and mount the account endpoints."""
    setattr(app.state, STATE_KEY, service)
    app.include_router(accounts_router(service, secure_cookie=secure_cookie))


Token = Annotated[str | None, Security(session_cookie)]

_DESCRIBED: Final[Mapping[int, str]] = {
    401: "Not logged in, or the session has expired (or, for a login, a wrong user code or password).",
    403: "Not allowed: a state-changing request from another origin; the initial password not yet "
    "changed (A7); not an owner; a wrong old password (A7).",
    404: "Not found (or not this firm's).",
    409: "Conflict: the person already has a user code, the 6th person (A6), the last owner (A7), a "
    "password changed meanwhile.",
    422: "Malformed request, or a value the rules refuse (VKN, TCKN, name, password).",
    423: "The user code is locked after 5 failed logins in a row (A7), until `until`.",
    429: "Too many requests of this kind from this client: wait `Retry-After` seconds.",
    503: "YKTS could not be asked; apply again later.",
}
_RETRY_AFTER: Final = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def responses(status: int, model: type[BaseModel], *refusals: int, **extra: Any) -> dict[int | str, Any]:
    """The OpenAPI `responses` of a route: its answer, then each refusal with the `Refused` body."""
    documented: dict[int | str, Any] = {status: {"model": model, **extra}}
    for code in refusals:
        documented[code] = {"model": Refused, "description": _DESCRIBED[code]}
        if code in (423, 429):
            documented[code]["headers"] = _RETRY_AFTER
    return documented


def _session_body(user: SessionUser) -> dict[str, Any]:
    return {
        "firm_vkn": user.firm_vkn,
        "firm_name": user.firm_name,
        "user_code": user.user_code,
        "person_name": user.person_name,
        "is_owner": user.is_owner,
        "must_change_password": user.must_change_password,
        "expires_at": _iso(user.expires_at),
    }


def accounts_router(service: AccountService, *, secure_cookie: bool = True) -> APIRouter:
    """The account endpoints. `secure_cookie=False` only for plain-HTTP development servers."""
    router = APIRouter(prefix="/api", tags=["GET-APP accounts"], route_class=NoticeRoute)

    def give_session_cookie(response: Response, logged_in: LoggedIn) -> None:
        set_session_cookie(
            response, SESSION_COOKIE, logged_in.token,
            expires_at=logged_in.user.expires_at, now=service.clock(), secure=secure_cookie,
        )  # fmt: skip

    @router.post(
        "/applications",
        status_code=202,
        response_model=None,
        responses=responses(202, ApplicationAccepted, 403, 422, 429, 503, description="Asked of YKTS."),
    )
    async def apply(body: ApplicationIn) -> JSONResponse:
        """A4: apply for the firm; YKTS is asked whether the person may represent it."""
        application_id = await service.apply(body.firm_vkn, body.person_tckn, body.person_name, body.email)
        return answer(202, {"application_id": application_id, "status": "pending"})

    @router.get(
        "/applications/{application_id}", response_model=None, responses=responses(200, ApplicationStatus, 404, 422)
    )
    async def application(application_id: str) -> JSONResponse:
        view = await service.application_status(application_id)
        if view is None:
            raise Refusal(RefusalKind.NOT_FOUND, f"no application {application_id}")
        return answer(200, {"application_id": view.id, "status": view.status.value, "reason": view.reason})

    @router.post(
        "/login",
        response_model=None,
        responses=responses(
            200,
            SessionAnswer,
            401,
            403,
            422,
            423,
            429,
            description="Logged in.",
            headers={"Set-Cookie": {"description": "The `getapp_session` cookie.", "schema": {"type": "string"}}},
        ),
    )
    async def login(body: LoginIn) -> JSONResponse:
        outcome = await service.login(body.user_code, body.password.get_secret_value())
        if not isinstance(outcome, LoggedIn):
            if outcome.reason == "locked":
                headers = {}
                if outcome.until is not None:
                    headers["Retry-After"] = str(retry_after_s(outcome.until, service.clock()))
                return answer(
                    423,
                    {"reason": "locked", "rule": "A7", "message": outcome.message, "until": _iso(outcome.until)},
                    headers,
                )
            return answer(401, {"reason": "wrong", "message": outcome.message})
        response = answer(200, _session_body(outcome.user))
        give_session_cookie(response, outcome)
        return response

    # The session is optional here: logging out without one is a no-op, so the document says so.
    @router.post(
        "/logout",
        response_model=None,
        responses=responses(200, LoggedOut, 403),
        openapi_extra={"security": [{}, {SESSION_COOKIE: []}]},
    )
    async def logout(request: Request) -> JSONResponse:
        await service.logout(request.cookies.get(SESSION_COOKIE))
        response = answer(200, {"logged_out": True})
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookie, httponly=True, samesite="strict")
        return response

    @router.get("/session", response_model=None, responses=responses(200, SessionAnswer, 401))
    async def session(session: Token) -> JSONResponse:
        return answer(200, _session_body(await service.session(session)))

    @router.get("/users", response_model=None, responses=responses(200, UsersAnswer, 401, 403))
    async def users(session: Token) -> JSONResponse:
        listed = await service.users(session)
        return answer(
            200,
            {
                "users": [
                    {
                        "user_code": u.user_code,
                        "name": u.person_name,
                        "tckn": u.tckn_masked,
                        "is_owner": u.is_owner,
                        "must_change_password": u.must_change_password,
                        "created_at": _iso(u.created_at),
                    }
                    for u in listed
                ]
            },
        )

    @router.post(
        "/users", status_code=201, response_model=None, responses=responses(201, UserAdded, 401, 403, 409, 422)
    )
    async def add_user(body: NewUserIn, session: Token) -> JSONResponse:
        """A6: at most 5 persons; the new user's code and initial password go to the firm's YKTS e-mail (A5)."""
        code = await service.add_user(session, body.name, body.tckn)
        return answer(201, {"user_code": code})

    @router.delete(
        "/users/{user_code}", response_model=None, responses=responses(200, UserCancelled, 401, 403, 404, 409, 422)
    )
    async def cancel_user(user_code: str, session: Token) -> JSONResponse:
        """A7: cancel a user code."""
        await service.cancel_user(session, user_code)
        return answer(200, {"user_code": user_code.strip().upper(), "cancelled": True})

    @router.post("/password", response_model=None, responses=responses(200, PasswordChanged, 401, 403, 409, 422, 423))
    async def change_password(body: PasswordIn, session: Token) -> JSONResponse:
        """A7: change the password; the old one is required. Other sessions of the user end."""
        await service.change_password(
            session, body.old_password.get_secret_value(), body.new_password.get_secret_value()
        )
        return answer(200, {"changed": True})

    return router
