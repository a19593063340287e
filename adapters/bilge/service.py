"""BİLGE adapter: BİLGE's documents in, the core's requests out to BİLGE (F1–F2, S1–S4, L1–L2).

Same shape as the TOBB adapter: `client.py` speaks to BİLGE, `xml.py` holds BİLGE's document
shapes, this module translates one Kafka message into calls and messages, `app.py` wires it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from adapters.bilge.tcgb_stages import STATUS_ROOT, TcgbStatusBatch, stage_envelope, statuses_from
from adapters.bilge.xml import MAX_TCGB_BYTES, TCGB_SCHEMA_PATH, ParsedTcgb, drawdowns_by_carnet, tcgb_from
from hub.contract.messages.envelope import Envelope, UndecodableMessage, envelope, reply
from hub.contract.messages.ports import BILGE
from hub.contract.topic_names import ATA_DECLARATION_COMMANDS, ATA_DECLARATION_EVENTS, BILGE_TCGB_EVENTS
from hub.domain import bilge
from hub.runtime.kafka.consuming import RetryLater
from hub.runtime.xmlsafe import XmlRejected, load_schema, parse_untrusted

RESULTS_TOPIC = BILGE.results_topic


class Bilge(Protocol):
    async def fetch_legacy(self, bilge_number: str) -> bilge.LegacyDeclaration | None: ...
    async def fetch_summary(self, summary_number: str) -> tuple[str, tuple[bilge.SummaryPart, ...]] | None: ...
    async def send_closure(self, closure: bilge.SummaryClosureRequested) -> None: ...
    async def send_tcgb_answer(self, answer: bilge.TcgbAnswered) -> None: ...


class Publishes(Protocol):
    async def publish(self, topic: str, message: Envelope[Any]) -> None: ...
    async def publish_many(self, topic: str, messages: Sequence[Envelope[Any]]) -> None: ...


def decode_inbound(body: bytes | None) -> ParsedTcgb | TcgbStatusBatch:
    """A BİLGE document off `bilge.inbound`, told by its root element: a ``<TcgbDurumBildirimi>`` (the
    life of TCGBs, tcgb-durum.xsd) or else a ``<Tcgb>`` (tcgb.xsd, whose validation refuses any other
    root). Hardened parse and XSD, or dead-letter with why."""
    if not body:
        raise UndecodableMessage("empty document")
    try:
        root = parse_untrusted(body, max_bytes=MAX_TCGB_BYTES)
        if root.tag == STATUS_ROOT:
            return statuses_from(root)
        load_schema(TCGB_SCHEMA_PATH).validate(root)
        return tcgb_from(root)
    except XmlRejected as exc:
        raise UndecodableMessage(f"BİLGE document rejected: {exc.reason}") from None


def drawdown_id(tcgb_number: str, carnet_number: str) -> uuid.UUID:
    """The same TCGB for the same carnet is the same command, however often BİLGE sends it (F2): the
    published recipe, `hub.domain.bilge.tcgb_command_id` (docs/messages.md)."""
    return bilge.tcgb_command_id(tcgb_number, carnet_number)


class BilgeService:
    def __init__(
        self,
        client: Bilge,
        publisher: Publishes,
        unavailable: tuple[type[Exception], ...],
        failures: tuple[type[Exception], ...],
        cutover: date,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._unavailable = unavailable  # BİLGE did not answer within the client's bound
        self._failures = failures  # BİLGE answered, unusably
        self._cutover = cutover
        self._now = now

    async def handle_inbound(self, document: ParsedTcgb | TcgbStatusBatch) -> None:
        """A document of BİLGE's: the life of TCGBs (A2), or a TCGB drawing down ATA declarations."""
        if isinstance(document, TcgbStatusBatch):
            await self._publish_stages(document)
        else:
            await self._draw_down(document)

    async def _publish_stages(self, batch: TcgbStatusBatch) -> None:
        """Each status record of BİLGE's batch becomes a TcgbStageReached on `bilge.tcgb.events`, keyed by
        its TCGB, with an id derived from TCGB and stage: BİLGE sending the batch again (or a consumer
        reading it again after a failure) makes no new event. The whole batch is acknowledged by the
        broker before the record of it is committed."""
        # rule: A2 (every import and export TCGB's life, as BİLGE records it, becomes events for GET-APP)
        await self._publisher.publish_many(BILGE_TCGB_EVENTS, [stage_envelope(stage) for stage in batch.stages])

    async def _draw_down(self, tcgb: ParsedTcgb) -> None:
        """A TCGB: an anomaly to report (L2), or drawing-downs for the core, one command per carnet (F1)."""
        now = self._now()
        header = tcgb.header
        # rule: L2, an ATA regime code BİLGE took after the cut-over is reported, not drawn down
        if header.regime in bilge.ATA_REGIMES_IN_BILGE and header.registered_on >= self._cutover:
            anomaly = bilge.BilgeAnomalyReported(
                bilge_number=header.number,
                regime=header.regime,
                registered_on=header.registered_on,
                reason=f"BİLGE took regime {header.regime} on {header.registered_on}, after the cut-over "
                f"of {self._cutover}: ATA declarations are lodged in e-ATA/TR",
            )
            key = header.carnet_number or header.number
            await self._publisher.publish(ATA_DECLARATION_EVENTS, envelope(anomaly, carnet_number=key, occurred_at=now))
            return
        for carnet_number, command in drawdowns_by_carnet(tcgb).items():  # rule: F1
            message = envelope(
                command,
                carnet_number=carnet_number,
                # Issued now: the core judges it at its receipt and refuses a date far from that (V1);
                # the TCGB's registration day travels in the command (registered_on).
                occurred_at=now,
                message_id=drawdown_id(header.number, carnet_number),
            )
            await self._publisher.publish(ATA_DECLARATION_COMMANDS, message)

    async def handle_request(self, message: Envelope[Any]) -> None:
        request = message.payload
        try:
            answer = await self._answer(request)
        except self._unavailable as exc:
            if isinstance(request, bilge.SummaryClosureRequested | bilge.TcgbAnswered):
                raise RetryLater(f"BİLGE unavailable: {exc}") from exc  # rule: S4, retried until BİLGE confirms
            answer = self._failed(request, exc)
        except self._failures as exc:
            answer = self._failed(request, exc)
        if answer is not None:
            await self._publisher.publish(RESULTS_TOPIC, reply(answer, to=message, occurred_at=self._now()))

    async def _answer(self, request: Any) -> Any:
        match request:
            case bilge.SummaryLookupRequested():
                found = await self._client.fetch_summary(request.summary_number)
                if found is None:
                    return bilge.SummaryNotFound(request_id=request.request_id, summary_number=request.summary_number)
                office, parts = found
                return bilge.SummaryFound(
                    request_id=request.request_id, summary_number=request.summary_number,
                    customs_office=office, parts=parts,
                )  # fmt: skip
            case bilge.LegacyLookupRequested():
                legacy = await self._client.fetch_legacy(request.bilge_number)
                if legacy is None:
                    return bilge.LegacyNotFound(request_id=request.request_id, bilge_number=request.bilge_number)
                return bilge.LegacyFound(request_id=request.request_id, declaration=legacy)
            case bilge.SummaryClosureRequested():
                await self._client.send_closure(request)
                return bilge.SummaryClosureConfirmed(
                    closure_id=request.closure_id,
                    declaration_number=request.declaration_number,
                    summary_number=request.opening.summary_number,
                )
            case bilge.TcgbAnswered():
                await self._client.send_tcgb_answer(request)
                return None
        raise TypeError(f"not a BİLGE request: {type(request).__name__}")

    @staticmethod
    def _failed(request: Any, exc: Exception) -> bilge.BilgeLookupFailed | None:
        reference = getattr(request, "summary_number", None) or getattr(request, "bilge_number", "")
        if not hasattr(request, "request_id"):
            raise exc  # a closure or an answer BİLGE refused: dead-lettered with the reason, for operators
        return bilge.BilgeLookupFailed(
            request_id=request.request_id,
            reference=reference,
            reason=str(exc),
            attempts=int(getattr(exc, "attempts", 0)),
        )
