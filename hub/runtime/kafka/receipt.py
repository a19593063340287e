"""What the hub knows of a record that its sender did not write: when the broker appended it, and
who signed it. Both are stamped on the envelope at the edge, before any rule sees the message.

- **When** (V1, hub/domain/rules/clock.py): a topic of `message_timestamp_type: LogAppendTime` in
  topics.yaml has the broker stamp each record with the time it appended it; that is the time the
  core judges a command at. A topic the broker still stamps with the producer's time (a live topic
  created before that setting, reported as drift by `hub topics apply`) is judged at the consumer's
  own clock when it reads the record: later than the receipt, never the sender's choice.
- **Who** (docs/security.md, "Signed commands"): on a topic `signed: true`, the record's `signature`
  header must be its sender's detached JWS over the record's exact bytes, by a key of the registry
  (hub/contract/signing) valid at the receipt, and the type must be one topics.yaml lets that sender send.
  The signature is checked before a byte of the record is parsed.

Anything else raises UndecodableMessage with the reason: the record is dead-lettered, nothing applied.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hub.contract.messages.envelope import Envelope, UndecodableMessage
from hub.contract.signing import SIGNATURE_HEADER, RegistryFile, SenderRegistry, SignatureRefused
from hub.contract.topics import TopicCatalog, TopicSpec

log = logging.getLogger(__name__)

LOG_APPEND_TIME = 1  # a record's timestamp_type when the broker set its timestamp
_THREADS = max(2, os.cpu_count() or 2)  # signatures of one poll are checked on this many threads
_THREADED_FROM = 8  # records in a poll from which checking them on threads pays for the hop


def utc_now() -> datetime:
    return datetime.now(UTC)


class Receipt:
    """Stamps `received_at` and, on a signed topic, the verified `sent_by` on each message of a topic."""

    def __init__(
        self,
        spec: TopicSpec,
        catalog: TopicCatalog,
        senders: RegistryFile | None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if spec.signed and senders is None:
            raise ValueError(f"{spec.name} is a signed topic: its consumer needs the registry of senders")
        self._spec = spec
        self._may_send = {name: sender.signs for name, sender in catalog.senders.items()}
        self._senders = senders
        self._now = now
        self._warned = False

    def received_at(self, record: Any) -> datetime:
        if record.timestamp_type == LOG_APPEND_TIME:
            return datetime.fromtimestamp(record.timestamp / 1000, UTC)
        if self._spec.message_timestamp_type == "LogAppendTime" and not self._warned:
            self._warned = True  # once per process: the drift is `hub topics apply`'s to report
            log.warning("%s is stamped with its producers' time: judged at the consumer's clock", self._spec.name)
        return self._now()

    def signer(self, record: Any, at: datetime) -> str | None:
        """Who signed the record's bytes (None on an unsigned topic); refused: UndecodableMessage."""
        if not self._spec.signed or self._senders is None:  # the latter only ever with the former
            return None
        return _signer(self._senders.current(), record, at)

    async def signers(self, records: Sequence[Any]) -> list[tuple[datetime, str | UndecodableMessage | None]]:
        """Each record's receipt and signer (or why its signature is refused), in order.

        A poll's signatures are checked on worker threads side by side: Ed25519 verification releases
        the GIL, so on two cores two threads check twice as many a second (measured: 8,000 checks in
        1.12 s on one thread, 0.56 s on two) while the event loop waits.
        """
        ats = [self.received_at(record) for record in records]
        if not self._spec.signed or self._senders is None:
            return [(at, None) for at in ats]
        registry = self._senders.current()  # one registry for the poll, read on the loop's thread

        def check(first: int, last: int) -> list[str | UndecodableMessage]:
            out: list[str | UndecodableMessage] = []
            for record, at in zip(records[first:last], ats[first:last], strict=True):
                try:
                    out.append(_signer(registry, record, at))
                except UndecodableMessage as refused:
                    out.append(refused)
            return out

        if len(records) < _THREADED_FROM:  # a hop to a thread costs more than a few checks
            found = check(0, len(records))
        else:
            step = -(-len(records) // _THREADS)
            parts = [asyncio.to_thread(check, i, i + step) for i in range(0, len(records), step)]
            found = [signer for part in await asyncio.gather(*parts) for signer in part]
        return list(zip(ats, found, strict=True))

    def check_signed(self, record: Any) -> None:
        """A document (not an envelope) of a signed topic: signed by a sender that may send one of its types."""
        sender = self.signer(record, self.received_at(record))
        if sender is not None and not self._may_send.get(sender, frozenset()) & self._spec.messages.keys():
            raise UndecodableMessage(f"{sender} may not send {' or '.join(self._spec.messages)} (topics.yaml senders)")

    def stamp(self, message: Envelope[Any], at: datetime, sender: str | None) -> Envelope[Any]:
        if sender is not None and message.type not in self._may_send.get(sender, ()):
            raise UndecodableMessage(f"{sender} may not send {message.type} (topics.yaml senders)")
        return message.model_copy(update={"received_at": at, "sent_by": sender})


def _signer(registry: SenderRegistry, record: Any, at: datetime) -> str:
    signature = next((value for key, value in record.headers or () if key == SIGNATURE_HEADER), None)
    try:
        return registry.verify(record.value or b"", signature, at)
    except SignatureRefused as refused:
        raise UndecodableMessage(f"signature refused: {refused}") from None
