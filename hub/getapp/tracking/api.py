"""The GET-APP tracking JSON API (A1–A3, A8, C4).

    app.include_router(tracking_router(engine, current_firm))

`current_firm` is a FastAPI dependency that answers the logged-in firm's VKN (or refuses the
request itself, e.g. with 401); every endpoint depends on it. Every answer of this router carries
the A8 notice: the successful ones in their model, and errors (404, 422, the dependency's 401/403,
even a 500) through the route class below, so that no answer of GET-APP goes out without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.domain.bilge import TcgbDirection, TcgbStage
from hub.domain.offices import OFFICES, OfficeRegistry
from hub.getapp.tracking.queries import (
    AverageTimes,
    DeclarationDetail,
    DeclarationView,
    GroupBy,
    StatisticsGroup,
    TrackingQueries,
)
from hub.getapp.tracking.stages import month_bounds, month_of
from hub.getapp.tracking.tcgb_queries import (
    CURSOR_PATTERN,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    TcgbAverageTimes,
    TcgbDetail,
    TcgbQueries,
    TcgbView,
)

log = logging.getLogger(__name__)

# rule: A8. The circular: "Program ile sunulan veriler geçici ve bilgilendirme amaçlı olup, resmi bir
# bağlayıcılık taşımamaktadır."
NOTICE_TR = "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur."
NOTICE_EN = "This information is for guidance only and is not legally binding."
NOTICE: dict[str, str] = {"tr": NOTICE_TR, "en": NOTICE_EN}

# rule: A3. One answer for "no such declaration" and "another firm's declaration".
NOT_FOUND = "Beyan bulunamadı / declaration not found"
TCGB_NOT_FOUND = "TCGB bulunamadı / TCGB not found"


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    tr: str = NOTICE_TR
    en: str = NOTICE_EN


class _Answer(BaseModel):
    notice: Notice = Notice()


class DeclarationsAnswer(_Answer):
    declarations: list[DeclarationView]


class DeclarationAnswer(_Answer):
    declaration: DeclarationDetail


class AverageTimesAnswer(_Answer):
    office: str | None
    regime: str | None
    month: str | None
    groups: list[AverageTimes]


class StatisticsAnswer(_Answer):
    by: str
    groups: list[StatisticsGroup]


class TcgbsAnswer(_Answer):
    tcgbs: list[TcgbView]
    next: str | None  # pass it as `after` for the next page; None on the last


class TcgbAnswer(_Answer):
    tcgb: TcgbDetail


class TcgbAverageTimesAnswer(_Answer):
    month: str
    office: str | None
    direction: str | None
    groups: list[TcgbAverageTimes]


class ErrorAnswer(_Answer):
    detail: Any


def _error(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorAnswer(detail=jsonable_encoder(detail))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


class NoticeRoute(APIRoute):
    """A8 on error answers too: the dependency's refusals, validation errors, 404s and failures."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # rule: A8
        handle = super().get_route_handler()

        async def with_notice(request: Request) -> Response:
            try:
                return await handle(request)
            except StarletteHTTPException as exc:
                return _error(exc.status_code, exc.detail, getattr(exc, "headers", None))
            except RequestValidationError as exc:
                return _error(422, exc.errors())
            except Exception:
                log.exception("GET-APP tracking failed on %s", request.url.path)
                return _error(500, "internal error")

        return with_notice


def _blank_is_none(value: str | None) -> str | None:
    """`?office=` means no filter."""
    if value is None or not value.strip():
        return None
    return value.strip()


def tracking_router(
    engine: AsyncEngine,
    current_firm: Callable[..., Any],
    *,
    offices: OfficeRegistry = OFFICES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """The GET-APP tracking endpoints; `current_firm` resolves the logged-in firm's VKN."""
    queries = TrackingQueries(engine, offices)
    router = APIRouter(route_class=NoticeRoute, dependencies=[Depends(current_firm)], tags=["GET-APP tracking"])
    # A default, not Annotated: with postponed annotations FastAPI could not resolve a local name.
    firm_vkn: Any = Depends(current_firm)
    # Every endpoint answers 401 (no session) and 403 (A7: initial password not changed) through
    # `current_firm`; the detail then holds the accounts' refusal (reason, rule, notice).
    session_errors: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorAnswer, "description": "Not logged in, or the session has expired."},
        403: {"model": ErrorAnswer, "description": "A7: the initial password is not changed yet."},
    }
    not_found: dict[int | str, dict[str, Any]] = {
        **session_errors,
        404: {"model": ErrorAnswer, "description": "No such declaration of this firm (A3)."},
        422: {"model": ErrorAnswer, "description": "A malformed parameter."},
    }
    malformed: dict[int | str, dict[str, Any]] = {
        **session_errors,
        422: {"model": ErrorAnswer, "description": "A malformed parameter."},
    }

    @router.get("/api/declarations", response_model=DeclarationsAnswer, responses=session_errors)
    async def list_declarations(firm: str = firm_vkn) -> DeclarationsAnswer:
        """A1, A3: the firm's declarations (consignee/consignor), where the goods are and at which stage."""
        return DeclarationsAnswer(declarations=await queries.declarations_of_firm(firm))

    @router.get("/api/declarations/{number}", response_model=DeclarationAnswer, responses=not_found)
    async def one_declaration(number: str, firm: str = firm_vkn) -> DeclarationAnswer:
        """A1, A3: one of the firm's declarations with its timeline; 404 alike for unknown and others'."""
        detail = await queries.declaration_of_firm(firm, number, now())
        if detail is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return DeclarationAnswer(declaration=detail)

    # The month's form is in the document (schemathesis found it refused but undocumented); "" is no filter.
    month_query: Any = Query(
        default=None, pattern=r"^([0-9]{4}-(0[1-9]|1[0-2]))?$", description="YYYY-MM (Türkiye's calendar month)."
    )

    @router.get("/api/average-times", response_model=AverageTimesAnswer, responses=malformed)
    async def average_times(
        office: str | None = None, regime: str | None = None, month: str | None = month_query
    ) -> AverageTimesAnswer:
        """A1: average and median seconds per stage, by customs office, regime and month (YYYY-MM, Türkiye)."""
        office, regime, month = _blank_is_none(office), _blank_is_none(regime), _blank_is_none(month)
        if month is not None:
            try:
                month_bounds(month)
            except ValueError as exc:
                raise HTTPException(status_code=422, detail=str(exc)) from None
        groups = await queries.average_times(office=office, regime=regime, month=month)
        return AverageTimesAnswer(office=office, regime=regime, month=month, groups=groups)

    @router.get("/api/statistics", response_model=StatisticsAnswer, responses=malformed)
    async def statistics(by: GroupBy = "country") -> StatisticsAnswer:
        """C4: declarations and carnets by issuing country, region or regional directorate."""
        answer = await queries.statistics(by)
        return StatisticsAnswer(by=answer.by, groups=answer.groups)

    tcgb_routes(router, engine, firm_vkn, offices, now, session_errors, not_found, malformed, month_query)
    return router


def tcgb_routes(
    router: APIRouter,
    engine: AsyncEngine,
    firm_vkn: Any,
    offices: OfficeRegistry,
    now: Callable[[], datetime],
    session_errors: dict[int | str, dict[str, Any]],
    not_found: dict[int | str, dict[str, Any]],
    malformed: dict[int | str, dict[str, Any]],
    month_query: Any,
) -> None:
    """A2: the TCGBs lodged in BİLGE of which the firm is consignee or consignor, beside its ATA declarations."""
    queries = TcgbQueries(engine, offices)
    page_size: Any = Query(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="TCGBs per page.")
    cursor: Any = Query(default=None, pattern=CURSOR_PATTERN, description="The `next` of the page before.")

    @router.get("/api/tcgbs", response_model=TcgbsAnswer, responses=malformed)
    async def list_tcgbs(
        direction: TcgbDirection | None = None,
        stage: TcgbStage | None = None,
        limit: int = page_size,
        after: str | None = cursor,
        firm: str = firm_vkn,
    ) -> TcgbsAnswer:
        """A2, A3: the firm's import and export TCGBs (consignee or consignor), newest registration first."""
        # rule: A2
        try:
            page = await queries.tcgbs_of_firm(firm, limit=limit, after=after, direction=direction, stage=stage)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return TcgbsAnswer(tcgbs=page.tcgbs, next=page.next)

    @router.get("/api/tcgbs/{number}", response_model=TcgbAnswer, responses=not_found)
    async def one_tcgb(number: str, firm: str = firm_vkn) -> TcgbAnswer:
        """A1, A3: one of the firm's TCGBs with its timeline; 404 alike for unknown and others'."""
        detail = await queries.tcgb_of_firm(firm, number, now())
        if detail is None:
            raise HTTPException(status_code=404, detail=TCGB_NOT_FOUND)
        return TcgbAnswer(tcgb=detail)

    @router.get("/api/tcgb-average-times", response_model=TcgbAverageTimesAnswer, responses=malformed)
    async def tcgb_average_times(
        month: str | None = month_query, office: str | None = None, direction: TcgbDirection | None = None
    ) -> TcgbAverageTimesAnswer:
        """A1: average and median seconds per TCGB stage, by customs office and direction, for a month
        of registration (YYYY-MM, Türkiye; this month when not given)."""
        month = _blank_is_none(month) or month_of(now())
        office = _blank_is_none(office)
        groups = await queries.average_times(month, office=office, direction=direction)
        return TcgbAverageTimesAnswer(
            month=month, office=office, direction=direction.value if direction else None, groups=groups
        )
