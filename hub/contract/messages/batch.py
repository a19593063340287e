"""What handling a batch of messages came to: shared by the service that handles a batch and the
consumer that settles it with Kafka (hub/runtime/kafka/batches.py), so neither imports the other."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from hub.contract.messages.envelope import Envelope


class MessageScope:
    """What the consumer puts around the service's work on a batch: the handling of each message
    (its log context and, when tracing, its decision's span) and the commit of the batch's
    transaction (when tracing, a span in each applied message's trace). By itself: nothing."""

    def __call__(self, message: Envelope[Any]) -> AbstractContextManager[object]:
        return nullcontext()

    def committing(self, applied: Sequence[Envelope[Any]]) -> AbstractContextManager[object]:
        return nullcontext()


no_scope = MessageScope()


@dataclass(frozen=True)
class Unsettled:
    """A message of a batch that was not applied: its failure, or None when it waited behind one."""

    message: Envelope[Any]
    error: Exception | None


@dataclass
class BatchResult:
    applied: list[Envelope[Any]] = field(default_factory=list)
    skipped: list[Envelope[Any]] = field(default_factory=list)  # applied before: a redelivery
    unsettled: list[Unsettled] = field(default_factory=list)
