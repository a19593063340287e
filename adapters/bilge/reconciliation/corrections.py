"""Corrective commands: the drawing-downs BİLGE has and the hub misses, as DrawDownByTcgb to send.

    corrections = build_corrections(missing)             # pure: the same input, the same commands
    await emit_corrections(corrections, hub_client)      # only when the operator asks

For missing drawing-downs the report lists :class:`hub.domain.bilge.DrawDownByTcgb` commands, one
per TCGB and carnet, with the missing quantities, only where the hub could apply them: the entry's
inspection completed, the TCGB names the carnet the hub holds the entry under, and no more than is
open on the line (anything beyond is BİLGE's error and would be refused under F2; the finding says
so). They are sent to ``ata.declaration.commands`` only by :func:`emit_corrections`
(``hub reconcile bilge --emit-corrections``); the store is never written here. (The command line
keeps a record of each run in ``reconciliation_runs``, :mod:`hub.store.reconciliations`, for the
operator console: never the carnets' state.)

Each command's message id is the one the BİLGE adapter gives that TCGB for that carnet
(:func:`adapters.bilge.service.drawdown_id`), and the hub applies a message id once. So a TCGB
draws down once whichever way it reaches the hub: re-running the reconciliation before the hub
has caught up, or the adapter delivering the TCGB late (a replay from the dead-letter topic), cannot
draw it down twice. The flip side: a TCGB the hub has already processed (applied, or refused under
F2) is not applied again under that id. The reconciliation looks those ids up in the hub's
``processed_messages`` (one batched query over the candidate commands only,
:func:`hub.store.reconciliation_snapshot.processed_among`), leaves them out of the corrections, and
says so in the finding: such a line is corrected by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, NamedTuple, Protocol
from uuid import UUID

from adapters.bilge.service import drawdown_id
from hub.contract.messages.envelope import Envelope, envelope
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS
from hub.contract.topics import TopicCatalog, catalog
from hub.domain.bilge import DrawDownByTcgb, TcgbRow
from hub.domain.model import Status

__all__ = [
    "ATA_DECLARATION_COMMANDS",
    "CORRECTION_NOTE",
    "CorrectiveCommand",
    "EnvelopeSender",
    "MissingDrawDown",
    "build_corrections",
    "correction_message_id",
    "emit_corrections",
    "line_correction",
]

CORRECTION_NOTE: Final = "hub reconcile bilge: drawn down in BİLGE, missing in the hub"
_INSPECTED: Final = Status.INSPECTION_COMPLETED.value


class MissingDrawDown(NamedTuple):
    """Part of one BİLGE drawing-down the hub has not recorded, on a line of the hub's entry."""

    tcgb_number: str
    tcgb_item: int
    tcgb_regime: str
    customs_office: str
    registered_on: date
    declaration_number: str
    line_no: int
    carnet_number: str  # the carnet the hub holds the entry under (the Kafka key)
    quantity: int


@dataclass(frozen=True)
class CorrectiveCommand:
    """A DrawDownByTcgb to send to the hub, with the message id that makes it apply once."""

    message_id: UUID
    carnet_number: str
    command: DrawDownByTcgb

    def envelope(self, occurred_at: datetime) -> Envelope[DrawDownByTcgb]:
        return envelope(
            self.command, carnet_number=self.carnet_number, occurred_at=occurred_at, message_id=self.message_id
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": str(self.message_id),
            "carnet_number": self.carnet_number,
            "type": type(self.command).__name__,
            "payload": self.command.model_dump(mode="json"),
        }


def correction_message_id(tcgb_number: str, carnet_number: str) -> UUID:
    """The BİLGE adapter's id of this TCGB for this carnet: however it reaches the hub, it draws down once."""
    return drawdown_id(tcgb_number, carnet_number)


def build_corrections(missing: Iterable[MissingDrawDown]) -> list[CorrectiveCommand]:
    """One DrawDownByTcgb per TCGB and carnet, rows merged and ordered: the same input, the same commands."""
    grouped: dict[tuple[str, str], dict[tuple[int, str, int], int]] = defaultdict(lambda: defaultdict(int))
    heads: dict[tuple[str, str], MissingDrawDown] = {}
    for m in missing:
        key = (m.tcgb_number, m.carnet_number)
        heads.setdefault(key, m)
        grouped[key][(m.tcgb_item, m.declaration_number, m.line_no)] += m.quantity
    out: list[CorrectiveCommand] = []
    for key in sorted(grouped):
        head = heads[key]
        rows = tuple(
            TcgbRow(item_no=item, declaration_number=number, line_no=line_no, quantity=q, note=CORRECTION_NOTE)
            for (item, number, line_no), q in sorted(grouped[key].items())
        )
        out.append(
            CorrectiveCommand(
                message_id=correction_message_id(*key),
                carnet_number=head.carnet_number,
                command=DrawDownByTcgb(
                    tcgb_number=head.tcgb_number,
                    regime=head.tcgb_regime,
                    customs_office=head.customs_office,
                    registered_on=head.registered_on,
                    rows=rows,
                ),
            )
        )
    return out


def line_correction(
    status: str,
    carnet: str,
    parts: Sequence[tuple[str, int, int]],
    other_carnet: Collection[str],
    delivered: Collection[tuple[str, str]],
) -> str:
    """What to do about a line's missing drawing-downs, TCGB by TCGB (a finding's suggested correction).

    ``parts``: (TCGB, quantity missing, of it what the hub could apply) on the line of an entry in
    ``status`` held under ``carnet``; ``other_carnet``: the TCGBs naming another carnet; ``delivered``:
    (TCGB, carnet) whose message id the hub has processed already.
    """
    tcgbs = sorted({t for t, _, _ in parts})
    if status != _INSPECTED:
        return (
            f"The hub's entry is {status}, so it cannot be drawn down (F2): check TCGB "
            f"{_named(tcgbs)} with BİLGE and the customs office."
        )
    seen = sorted(t for t in tcgbs if t not in other_carnet and (t, carnet) in delivered)
    new = sorted(t for t in tcgbs if t not in other_carnet and t not in seen)
    said: list[str] = []
    if other_carnet:
        said.append(
            f"TCGB {_named(sorted(other_carnet))} name another carnet than the hub's {carnet}: have BİLGE "
            "correct the carnet number."
        )
    if seen:
        said.append(
            f"TCGB {_named(seen)} reached the hub before (its message id is processed): it was refused then, "
            "or the missing quantity is another TCGB's of this line; the hub will not apply it again: check, "
            "and draw down by hand."
        )
    if new:
        wanted = sum(q for t, q, _ in parts if t in new)
        fits = sum(f for t, _, f in parts if t in new)
        if fits == 0:
            said.append(
                f"TCGB {_named(new)} draw down {wanted} where nothing is open in the hub (F2): have BİLGE "
                "correct its drawing-down."
            )
        elif fits < wanted:
            said.append(
                f"Draw down {fits} by DrawDownByTcgb (TCGB {_named(new)}, in the corrections); the other "
                f"{wanted - fits} exceed what is open and would be refused (F2): have BİLGE correct its "
                "drawing-down."
            )
        else:
            said.append(f"Draw down {fits} by DrawDownByTcgb for TCGB {_named(new)} (in the corrections).")
    return " ".join(said)


def _named(tcgbs: Sequence[str]) -> str:
    return ", ".join(tcgbs[:5]) + (f" and {len(tcgbs) - 5} more" if len(tcgbs) > 5 else "")


class EnvelopeSender(Protocol):
    """What sends a command envelope to the hub: :class:`hub.runtime.client.HubClient` is one."""

    async def send_envelope(self, message: Envelope[Any]) -> None: ...


async def emit_corrections(
    corrections: Sequence[CorrectiveCommand],
    sender: EnvelopeSender,
    *,
    occurred_at: datetime | None = None,
    topics: TopicCatalog | None = None,
) -> list[Envelope[DrawDownByTcgb]]:
    """Send the corrective commands to ``ata.declaration.commands``; the hub applies (or refuses) them.

    Checks first that topics.yaml lets the topic carry DrawDownByTcgb, so that nothing is sent when
    anything would be refused.
    """
    (topics or catalog()).check_carries(ATA_DECLARATION_COMMANDS, DrawDownByTcgb.__name__)
    at = occurred_at or datetime.now(UTC)
    messages = [c.envelope(at) for c in corrections]
    for message in messages:
        await sender.send_envelope(message)
    return messages
