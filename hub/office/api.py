"""The offices' JSON API: declarations an office may see (C2), one declaration whole (C3, its ledger,
links, özet beyan part and timeline with who acted), C4 statistics with a CSV export, and the office
list the page explains its abbreviations with. Read only: every route is a GET, behind the guard of
hub/office/auth.py. Not visible and unknown answer the same 404 (C2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain.model import Status
from hub.domain.offices import OFFICES
from hub.office.auth import PRINTABLE, CurrentOfficer
from hub.office.queries import Criteria, Detail, SearchAnswer, detail, search
from hub.office.statistics import GroupBy, Statistics, as_csv, statistics

MAX_PERIOD_DAYS: Final = 3 * 366
# Days the hub can have a declaration of (e-ATA/TR began in 2021); beyond them a day is an error, and
# year 1 or 9999 would not even convert to UTC (schemathesis found it).
FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2099, 12, 31)
NOT_FOUND: Final = "no declaration with this number that your office may see"
# The period and grouping of C4, the same for the statistics as JSON and as CSV.
DateFrom = Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY, description="First day of the period (Türkiye).")]
DateTo = Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY, description="Last day of the period, included.")]
By = Annotated[GroupBy, Query(description="country (issuing), region, or directorate (GDTBM).")]
_refusals: Final[dict[int | str, dict[str, Any]]] = {401: {"description": "not logged in"}, 422: {}}


class Office(BaseModel):
    code: str
    name: str
    kind: str  # border (sınır gümrüğü) | inland (iç gümrük)
    directorate: str  # its Gümrük ve Dış Ticaret Bölge Müdürlüğü (GDTBM)
    region: str


def _period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise HTTPException(422, "date_to is before date_from")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise HTTPException(422, f"a period of at most {MAX_PERIOD_DAYS} days")


def office_router(engine: AsyncEngine) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["office"])

    async def _statistics(office: str, by: GroupBy, date_from: date, date_to: date) -> Statistics:
        """C4 of the period as `office` may see it, for the JSON and the CSV alike."""
        _period(date_from, date_to)
        async with engine.connect() as conn:
            return await statistics(conn, office, by, date_from, date_to)

    @router.get("/declarations", response_model=SearchAnswer, responses=_refusals)
    async def declarations(
        officer: CurrentOfficer,
        number: Annotated[
            str | None, Query(max_length=40, pattern=PRINTABLE, description="Declaration number, or its beginning.")
        ] = None,
        carnet: Annotated[
            str | None, Query(max_length=40, pattern=PRINTABLE, description="Carnet number, or its beginning.")
        ] = None,
        holder: Annotated[
            str | None,
            Query(
                max_length=200, pattern=PRINTABLE, description="Part of the holder's name, or the holder's VKN/TCKN."
            ),
        ] = None,
        status: Annotated[Status | None, Query(description="The declaration's status.")] = None,
        lodged_from: Annotated[
            date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Lodged on or after this day (Türkiye).")
        ] = None,
        lodged_to: Annotated[
            date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Lodged on or before this day (Türkiye).")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200, description="At most this many, newest lodged first.")] = 50,
    ) -> SearchAnswer:
        """C2: the declarations your office may see that meet every criterion given."""
        if lodged_from and lodged_to and lodged_to < lodged_from:
            raise HTTPException(422, "lodged_to is before lodged_from")
        criteria = Criteria(
            number=number,
            carnet=carnet,
            holder=holder,
            status=status.value if status else None,
            lodged_from=lodged_from,
            lodged_to=lodged_to,
        )
        async with engine.connect() as conn:
            return await search(conn, officer.office, criteria, limit)

    @router.get("/declaration", response_model=Detail, responses={**_refusals, 404: {"description": NOT_FOUND}})
    async def declaration(
        officer: CurrentOfficer,
        number: Annotated[
            str, Query(min_length=1, max_length=40, pattern=PRINTABLE, description="The declaration number.")
        ],
    ) -> Detail:
        """C2, C3: a declaration whole: goods lines with their ledger, documents and notes, linked
        declarations, its özet beyan part, and its timeline with who acted. 404 when unknown or not
        visible to your office, alike."""
        async with engine.connect() as conn:
            found = await detail(conn, officer.office, number)
        if found is None:
            raise HTTPException(404, NOT_FOUND)
        return found

    @router.get("/statistics", response_model=Statistics, responses=_refusals)
    async def statistics_json(
        officer: CurrentOfficer, date_from: DateFrom, date_to: DateTo, by: By = "country"
    ) -> Statistics:
        """C4: declarations lodged in the period, as your office may see them, by group."""
        return await _statistics(officer.office, by, date_from, date_to)

    @router.get("/statistics.csv", responses={**_refusals, 200: {"content": {"text/csv": {}}}})
    async def statistics_csv(
        officer: CurrentOfficer, date_from: DateFrom, date_to: DateTo, by: By = "country"
    ) -> Response:
        """C4 as CSV (UTF-8 with a byte-order mark, for spreadsheets), one row per group."""
        answer = await _statistics(officer.office, by, date_from, date_to)
        name = f"ata-statistics-{by}-{date_from}-{date_to}.csv"
        return Response(
            "\ufeff" + as_csv(answer),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/offices", response_model=list[Office], responses=_refusals)
    async def offices(officer: CurrentOfficer) -> list[Office]:
        """The customs offices the hub knows, with their directorate (GDTBM) and region."""
        return [Office(code=o.code, name=o.name, kind=o.kind.value, directorate=o.directorate, region=o.region)
                for o in OFFICES]  # fmt: skip

    return router
