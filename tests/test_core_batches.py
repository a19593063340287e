"""The core's batch of messages, through the service layer and the real SQLite store: one transaction
per batch, a carnet's commands decided in order, a failing message set apart with the carnet's later
messages waiting behind it, redeliveries skipped, and only what changed written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope, decode, envelope
from hub.contract.topics import catalog
from hub.domain import events as ev
from hub.domain.commands import AcceptDeclaration, CompleteInspection, LodgeDeclaration
from hub.service.core import CoreService
from hub.store.carnets import CarnetRepository
from hub.store.tables import declaration_lines, declarations, outbox, pending_lookups, processed_messages
from tests.domain.builders import INSPECTOR, LIAISON, carnet_data, lodge
from tests.e2e.helpers import foreign_5800

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def on(carnet_number: str, command: BaseModel) -> Envelope[Any]:
    return envelope(command, carnet_number=carnet_number, occurred_at=NOW)


def inspected(lodge: LodgeDeclaration) -> list[Envelope[Any]]:
    """Lodge, accept and complete the inspection of one 5800."""
    number = lodge.declaration_number
    return [
        on(lodge.carnet_number, lodge),
        on(lodge.carnet_number, AcceptDeclaration(declaration_number=number, actor=LIAISON)),
        on(lodge.carnet_number, CompleteInspection(declaration_number=number, actor=INSPECTOR)),
    ]


async def outcomes(engine: AsyncEngine) -> list[Envelope[Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.body).order_by(outbox.c.id))).all()
    return [decode(row.body.encode()) for row in rows]


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_batch_decides_each_carnet_in_order_and_every_command_has_one_outcome(engine: AsyncEngine) -> None:
    service = CoreService(engine, catalog(), now=lambda: NOW)
    lodges = [foreign_5800() for _ in range(20)]
    flows = [inspected(lodge) for lodge in lodges]
    # interleaved as partitions deliver them: each carnet's commands in order, carnets mixed
    batch = [message for step in zip(*flows, strict=True) for message in step]

    result = await service.handle_batch(batch)

    assert len(result.applied) == len(batch) and not result.unsettled and not result.skipped
    sent = await outcomes(engine)
    by_command: dict[Any, list[str]] = {}
    for message in sent:
        by_command.setdefault(message.causation_id, []).append(message.type)
    for lodged, accepted, completed in flows:
        assert by_command[lodged.message_id] == ["CarnetRecorded", "DeclarationLodged"], lodged.carnet_number
        assert by_command[accepted.message_id] == ["DeclarationAccepted"]
        assert by_command[completed.message_id] == ["InspectionCompleted"]
    async with engine.connect() as conn:
        statuses = {r.status for r in await conn.execute(select(declarations.c.status))}
        repo = CarnetRepository(conn)
        stored = await repo.get(lodges[0].carnet_number)
    assert statuses == {"inspection_completed"}
    assert stored is not None and stored.version == 1  # one write per carnet for the whole batch
    assert await count(engine, processed_messages) == len(batch)


async def test_a_redelivered_batch_changes_nothing(engine: AsyncEngine) -> None:
    service = CoreService(engine, catalog(), now=lambda: NOW)
    batch = inspected(foreign_5800()) + inspected(foreign_5800())
    await service.handle_batch(batch)
    before = (await outcomes(engine), await count(engine, processed_messages))

    again = await service.handle_batch(batch[2:] + batch[:2])

    assert again.skipped == batch[2:] + batch[:2] and not again.applied
    assert (await outcomes(engine), await count(engine, processed_messages)) == before


async def test_a_failing_message_is_set_apart_and_its_carnets_later_commands_wait_behind_it(
    engine: AsyncEngine,
) -> None:
    """A parked command the store cannot read back (a real failure of handling): its answer fails,
    the next command of its carnet waits, every other carnet of the batch is applied."""
    service = CoreService(engine, catalog(), now=lambda: NOW)
    stuck = foreign_5800()
    await service.handle_batch(inspected(stuck)[:1])  # lodged
    request_id = "6f1c0b52-3c36-4d38-9a0e-2f5e9c7f2a10"
    async with engine.begin() as conn:
        await conn.execute(
            insert(pending_lookups).values(
                request_id=request_id, carnet_number=stuck.carnet_number, command="{not json",
                answers=json.dumps({}), created_at=NOW,
            )
        )  # fmt: skip
    answer = on(
        stuck.carnet_number,
        ev.CarnetNotFound(request_id=request_id, carnet_number=stuck.carnet_number),
    )
    behind = on(stuck.carnet_number, AcceptDeclaration(declaration_number=stuck.declaration_number, actor=LIAISON))
    other = foreign_5800()
    others = inspected(other)
    before = await count(engine, outbox)

    result = await service.handle_batch([others[0], answer, others[1], behind, others[2]])

    assert result.applied == others
    assert [(u.message, u.error is not None) for u in result.unsettled] == [(answer, True), (behind, False)]
    assert "not json" in str(result.unsettled[0].error) or "JSON" in str(result.unsettled[0].error)
    sent = (await outcomes(engine))[before:]
    assert {m.causation_id for m in sent} == {m.message_id for m in others}  # nothing of the stuck carnet
    # neither was claimed: once the answer is dead-lettered, the accept is applied when tried again
    retried = await service.handle_batch([behind])
    assert retried.applied == [behind]
    assert [m.type for m in (await outcomes(engine)) if m.causation_id == behind.message_id] == ["DeclarationAccepted"]


async def test_a_carnet_with_a_long_history_writes_only_what_a_command_changed(engine: AsyncEngine) -> None:
    """The hot carnet: with 200 declarations on it, accepting one writes one declaration row and no line."""
    service = CoreService(engine, catalog(), now=lambda: NOW)
    data = carnet_data(number="DE/2026/HOT-1", quantities=(1000,))
    lodges = [lodge(f"220300ATA{i:05}", carnet=data, lines=((1, 1),)) for i in range(200)]
    first = lodges[0]
    await service.handle_batch([on(data.carnet_number, command) for command in lodges])
    assert await count(engine, declarations) == 200
    written: list[tuple[str, int]] = []

    def watch(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            rows = len(parameters) if executemany else 1
            written.append((statement.split("(")[0].split(" SET")[0].strip(), rows))

    event.listen(engine.sync_engine, "before_cursor_execute", watch)
    try:
        await service.handle_batch(
            [
                on(
                    first.carnet_number,
                    AcceptDeclaration(declaration_number=lodges[150].declaration_number, actor=LIAISON),
                )
            ]
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", watch)

    tables = {name.split()[-1]: rows for name, rows in written}
    assert tables.get("declarations") == 1, written
    assert declaration_lines.name not in tables, written  # acceptance changes no quantity
    assert tables.get("carnets") == 1 and tables.get("outbox") == 1, written


async def test_a_command_twice_in_one_batch_has_one_outcome(engine: AsyncEngine) -> None:
    """A producer's retry can put the same message twice in one poll: the second copy is a redelivery."""
    service = CoreService(engine, catalog(), now=lambda: NOW)
    lodged = inspected(foreign_5800())[0]

    result = await service.handle_batch([lodged, lodged])

    assert result.applied == [lodged] and result.skipped == [lodged]
    assert [m.type for m in await outcomes(engine)] == ["CarnetRecorded", "DeclarationLodged"]
