"""What handling a batch of messages came to: shared by the service that handles a batch and the
consumer that settles it with Kafka (hub/kafka/batches.py), so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from hub.messages.envelope import Envelope

# Entered around the handling of each message of a batch (the consumer's log context).
MessageScope = Callable[[Envelope[Any]], AbstractContextManager[object]]


def no_scope(_message: Envelope[Any]) -> AbstractContextManager[object]:
    return nullcontext()


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
