"""What the offices' page answers about declarations, from the core's store, as one office may see it.

- `search`: declarations by number, carnet, holder (name or id), status and lodgement dates, only those
  the office may see (C2, `hub.store.queries.visible`), newest lodged first.
- `detail`: one declaration the office may see, with its goods lines and ledger (entered, discharged,
  open), documents and notes per line (C3), linked declarations, its özet beyan part and its timeline
  (hub/office/timeline.py). Not visible and unknown are the same: None.

The holder is not a column of the declarations projection (it lives in the carnet's state): a search by
holder filters the rows the other criteria select, SCAN_LIMIT at most, in Python (docs/decisions.md).
Dates are days in Türkiye (Europe/Istanbul), as an officer reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.model import Carnet, Declaration
from hub.domain.offices import OFFICES
from hub.domain.visibility import may_see
from hub.office.timeline import TimelineEntry, discharges, timeline
from hub.store.queries import carnets_by_number, seen_by, visible
from hub.store.tables import declarations

TURKIYE: Final = ZoneInfo("Europe/Istanbul")
SCAN_LIMIT: Final = 5_000  # rows a search by holder reads at most before it asks for narrower criteria
_CHUNK: Final = 500
_d = declarations.c


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Criteria(_View):
    number: str | None = None
    carnet: str | None = None
    holder: str | None = None  # part of the name, or the VKN/TCKN exactly
    status: str | None = None
    lodged_from: date | None = None
    lodged_to: date | None = None


class Found(_View):
    declaration_number: str
    carnet_number: str
    holder_name: str
    regime: str
    customs_office: str
    office_name: str | None
    status: str
    lodged_at: datetime


class SearchAnswer(_View):
    declarations: list[Found]
    more: bool  # more match than were returned: narrow the criteria
    scanned_all: bool = True  # False: a search by holder stopped after SCAN_LIMIT rows


class LedgerLine(_View):
    """A goods line as this declaration holds it (G7): what entered, what was discharged, what is open (C3)."""

    line_no: int
    description: str
    goods_list_quantity: int | None
    entered: int
    discharged: int
    open: int
    documents: list[dict[str, str]]
    notes: list[str]


class Linked(_View):
    declaration_number: str
    relation: str  # previous | next | discharged_by | discharges
    regime: str | None  # None: not a declaration of the hub (a TCGB in BİLGE)
    status: str | None
    visible: bool


class SummaryLink(_View):
    """The özet beyan (summary declaration) part this declaration opened (S1–S4)."""

    summary_number: str
    transport_document: str
    transport_line: int | None
    packages: int
    temporary_storage: bool
    storage_code: str | None
    closed: bool


class Detail(_View):
    declaration_number: str
    carnet_number: str
    holder_name: str
    holder_id: str | None
    issuing_country: str
    regime: str
    customs_office: str
    office_name: str | None
    destination_office: str | None
    status: str
    lodged_at: datetime
    declarant: dict[str, str]
    inspection_officer: str | None
    voucher_number: str | None
    discharge_deadline: date | None
    closed_by: str | None
    legacy: bool
    lines: list[LedgerLine]
    linked: list[Linked]
    summary: SummaryLink | None
    timeline: list[TimelineEntry]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, TURKIYE)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _selected(office: str, c: Criteria) -> Select[tuple[str, str, str, str, str, datetime]]:
    query = select(_d.declaration_number, _d.carnet_number, _d.regime, _d.customs_office, _d.status, _d.lodged_at)
    query = query.where(visible(office))  # rule: C2
    if c.number:
        query = query.where(_d.declaration_number.like(_escaped(c.number.strip()) + "%", escape="\\"))
    if c.carnet:
        query = query.where(_d.carnet_number.like(_escaped(c.carnet.strip()) + "%", escape="\\"))
    if c.status:
        query = query.where(_d.status == c.status)
    if c.lodged_from:
        query = query.where(_d.lodged_at >= day_start(c.lodged_from))
    if c.lodged_to:
        query = query.where(_d.lodged_at < day_start(c.lodged_to + timedelta(days=1)))
    return query.order_by(_d.lodged_at.desc(), _d.declaration_number)


def fold(text: str) -> str:
    """For comparing names as an officer types them: Turkish case (İ/i, I/ı) and dotless/dotted i alike."""
    return text.replace("İ", "i").replace("I", "ı").lower().replace("ı", "i").replace("\u0307", "")


def holder_matches(carnet: Carnet, declaration: Declaration, holder: str) -> bool:
    wanted = holder.strip()
    ids = {carnet.data.holder_id}
    if declaration.declarant.acts_as == "holder":
        ids.add(declaration.declarant.id_value)
    return wanted in ids or fold(wanted) in fold(carnet.data.holder_name)


async def search(conn: AsyncConnection, office: str, criteria: Criteria, limit: int = 50) -> SearchAnswer:
    """C2: the declarations `office` may see that meet every criterion given."""
    query = _selected(office, criteria)
    found: list[Found] = []
    if not criteria.holder:
        rows = (await conn.execute(query.limit(limit + 1))).all()
        states = await carnets_by_number(conn, {r.carnet_number for r in rows[:limit]})
        found = [_found(r, states[r.carnet_number]) for r in rows[:limit]]
        return SearchAnswer(declarations=found, more=len(rows) > limit)
    scanned = 0
    while scanned < SCAN_LIMIT:
        rows = (await conn.execute(query.offset(scanned).limit(_CHUNK))).all()
        scanned += len(rows)
        states = await carnets_by_number(conn, {r.carnet_number for r in rows})
        for r in rows:
            carnet = states[r.carnet_number]
            if holder_matches(carnet, carnet.declarations[r.declaration_number], criteria.holder):
                if len(found) == limit:
                    return SearchAnswer(declarations=found, more=True)
                found.append(_found(r, carnet))
        if len(rows) < _CHUNK:
            return SearchAnswer(declarations=found, more=False)
    return SearchAnswer(declarations=found, more=False, scanned_all=False)


def _found(row: Sequence[object], carnet: Carnet) -> Found:
    number, carnet_number, regime, office, status, lodged_at = row
    office_row = OFFICES.get(str(office))
    return Found(
        declaration_number=str(number), carnet_number=str(carnet_number), holder_name=carnet.data.holder_name,
        regime=str(regime), customs_office=str(office), office_name=office_row.name if office_row else None,
        status=str(status), lodged_at=lodged_at,
    )  # fmt: skip


async def detail(conn: AsyncConnection, office: str, number: str) -> Detail | None:
    """C2, C3: one declaration `office` may see, whole; None when unknown or not visible."""
    # rule: C2, C3 (not visible is None, as unknown; the documents and notes of each goods line)
    seen = await seen_by(conn, number, office)
    if seen is None:
        return None
    carnet, d = seen
    events = await timeline(conn, carnet.number, d.number)
    office_row = OFFICES.get(d.customs_office)
    return Detail(
        declaration_number=d.number,
        carnet_number=carnet.number,
        holder_name=carnet.data.holder_name,
        holder_id=carnet.data.holder_id,
        issuing_country=carnet.data.issuing_country,
        regime=d.regime.value,
        customs_office=d.customs_office,
        office_name=office_row.name if office_row else None,
        destination_office=d.destination_office,
        status=d.status.value,
        lodged_at=d.lodged_at,
        declarant={"id_kind": d.declarant.id_kind, "id_value": d.declarant.id_value, "name": d.declarant.name,
                   "acts_as": d.declarant.acts_as},
        inspection_officer=d.inspection_officer,
        voucher_number=d.voucher_number,
        discharge_deadline=d.discharge_deadline,
        closed_by=d.closed_by,
        legacy=d.legacy,
        lines=[
            LedgerLine(
                line_no=ln.line_no, description=carnet.description(ln.line_no),
                goods_list_quantity=carnet.goods_list_quantity(ln.line_no), entered=ln.quantity,
                discharged=ln.discharged, open=ln.open,
                documents=[
                    {"name": doc.name, "document_type": doc.document_type, "sha256": doc.sha256,
                     "location": doc.location, "attached_by": doc.attached_by}
                    for doc in ln.documents
                ],
                notes=list(ln.notes),
            )
            for ln in sorted(d.lines.values(), key=lambda x: x.line_no)
        ],
        linked=_linked(carnet, d, office, discharges(events, d.number)),
        summary=None if d.summary is None else SummaryLink(
            summary_number=d.summary.summary_number, transport_document=d.summary.transport_document,
            transport_line=d.summary.transport_line, packages=d.summary.packages,
            temporary_storage=d.summary.temporary_storage, storage_code=d.summary.storage_code,
            closed=d.summary_closed,
        ),
        timeline=events,
    )  # fmt: skip


def _linked(carnet: Carnet, d: Declaration, office: str, discharged: list[tuple[str, str]]) -> list[Linked]:
    """The declarations before and after this one on the carnet, and those it discharged or was discharged
    by, as far as the office may see them (C2: one it may not see is left out, as if it did not exist). A
    number that is no declaration of the hub (a TCGB in BİLGE that drew goods down, F2) is named alone."""
    pairs: list[tuple[str, str]] = []
    if d.previous_declaration:
        pairs.append((d.previous_declaration, "previous"))
    pairs += [(n, "next") for n, other in carnet.declarations.items() if other.previous_declaration == d.number]
    pairs += discharged
    answer: list[Linked] = []
    for number, relation in dict.fromkeys(pairs):
        other = carnet.declarations.get(number)
        if other is None:
            answer.append(Linked(declaration_number=number, relation=relation, regime=None, status=None, visible=False))
        elif may_see(other, office):  # rule: C2
            answer.append(
                Linked(declaration_number=number, relation=relation, regime=other.regime.value,
                       status=other.status.value, visible=True)
            )  # fmt: skip
    return answer
