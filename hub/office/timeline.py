"""A declaration's timeline with who acted: the events the core published about it, read back from the
outbox (hub/store/tables.py `outbox`), which keeps every event it ever published, keyed by carnet.

The outbox is the core's own record of what it told the world, written in the same transaction as the
carnet's state; it is never pruned, and `ix_outbox_carnet` (migration 0003) finds one carnet's events
in the order they were published. Each event that names the declaration (or that discharged goods by
it) is one entry: when, what, the status it left, and who acted where an officer did (C1: role, office,
staff id), the declarant where they did, or the sending system (`sent_by`) otherwise.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.contract.topic_names import ATA_DECLARATION_EVENTS
from hub.store.tables import outbox


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    event: str  # the event's type: DeclarationLodged, DeclarationAccepted, ...
    status: str | None  # the status it left the declaration in, where it says
    role: str | None  # C1 profile of the officer who acted
    office: str | None
    officer_id: str | None
    declarant: str | None  # who lodged or cancelled: the declarant's name
    sent_by: str | None  # the system whose signed command caused it
    detail: str | None  # a reason, the rule that closed it, the declaration that discharged it, a note
    discharged_by: str | None = None  # GoodsDischarged: this declaration's goods were discharged by that one
    discharged: str | None = None  # GoodsDischarged: this declaration discharged that one's goods


def _detail(kind: str, payload: dict[str, Any], number: str) -> str | None:
    if kind == "GoodsDischarged":
        if payload.get("declaration_number") == number:
            return f"discharged by {payload.get('discharged_by')} ({payload.get('rule')})"
        return f"discharged {payload.get('declaration_number')} ({payload.get('rule')})"
    if kind == "LineExplained":
        return f"line {payload.get('line_no')}: {payload.get('note')}"
    if kind == "LineDocumentAttached":
        return f"line {payload.get('line_no')}: {payload.get('name')} ({payload.get('document_type')})"
    if kind == "InspectionReassigned":
        return f"to {payload.get('inspection_officer')}"
    parts = [str(payload[k]) for k in ("rule", "reason") if payload.get(k)]
    return " — ".join(parts) or None


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _concerns(payload: dict[str, Any], number: str) -> bool:
    return payload.get("declaration_number") == number or payload.get("discharged_by") == number


async def _events(conn: AsyncConnection, carnet_number: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(outbox.c.body)
        .where(outbox.c.message_key == carnet_number, outbox.c.topic == ATA_DECLARATION_EVENTS)
        .order_by(outbox.c.id)
    )
    envelopes = []
    for row in rows:
        try:
            body = json.loads(row.body)
        except ValueError:
            continue  # the core wrote it: never happens, and a page must not fail for one row
        if isinstance(body, dict) and isinstance(body.get("payload"), dict):
            envelopes.append(body)
    return envelopes


async def timeline(conn: AsyncConnection, carnet_number: str, number: str) -> list[TimelineEntry]:
    """Every event the core published about declaration `number` of carnet `carnet_number`, oldest first."""
    entries = []
    for envelope in await _events(conn, carnet_number):
        payload: dict[str, Any] = envelope["payload"]
        if not _concerns(payload, number):
            continue
        kind = str(envelope.get("type"))
        by = _object(payload.get("by"))
        declarant = _object(payload.get("declarant"))
        attached_by = payload.get("attached_by") if kind == "LineDocumentAttached" else None
        discharge = kind == "GoodsDischarged"
        entries.append(
            TimelineEntry(
                at=envelope["occurred_at"], event=kind, status=payload.get("status"),
                role=by.get("role"), office=by.get("office"), officer_id=by.get("officer_id"),
                declarant=declarant.get("name") or attached_by,
                sent_by=envelope.get("sent_by"), detail=_detail(kind, payload, number),
                discharged_by=payload.get("discharged_by") if discharge and payload.get("discharged_by") != number
                else None,
                discharged=payload.get("declaration_number") if discharge and payload.get("discharged_by") == number
                else None,
            )
        )  # fmt: skip
    return entries


def discharges(entries: list[TimelineEntry], number: str) -> list[tuple[str, str]]:
    """(declaration, relation) of the goods discharges in a timeline: discharged_by (this one's goods were
    discharged by it) or discharges (this one discharged its goods)."""
    found = []
    for entry in entries:
        if entry.discharged_by:
            found.append((entry.discharged_by, "discharged_by"))
        if entry.discharged:
            found.append((entry.discharged, "discharges"))
    return found
