"""TOBB, BİLGE and YKTS, declared once each: the look-ups the rules ask of the system, the request
message and topic that carry each one, the key it travels under, and the topic its answers come back
on. How an answer enters the rules, and which rule a failure refuses, is the domain's
(hub/domain/rules/answers.py); what the adapter asks of the system over HTTP is the adapter's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from hub.contract.topic_names import (
    BILGE_REQUESTS,
    BILGE_RESULTS,
    TOBB_CARNET_REQUESTS,
    TOBB_CARNET_RESULTS,
    YKTS_REQUESTS,
    YKTS_RESULTS,
)
from hub.domain import bilge, ykts
from hub.domain import events as ev
from hub.domain.rules import LookUpAuthority, LookUpCarnet, LookUpLegacy, LookUpSummary
from hub.domain.rules.base import LookUp


@dataclass(frozen=True)
class Port:
    """One external system as the core sees it."""

    system: str
    requests_topic: str
    results_topic: str
    answers: tuple[type[BaseModel], ...]  # what comes back on results_topic


@dataclass(frozen=True)
class Asking:
    """How one kind of look-up is asked: of which system, with which request message, keyed how."""

    port: Port
    request: Callable[[Any, UUID], BaseModel]  # (look-up, the waiting command's id) -> request
    key: Callable[[Any, str], str]  # (look-up, the command's carnet) -> the Kafka key topics.yaml names


TOBB = Port(
    "TOBB", TOBB_CARNET_REQUESTS, TOBB_CARNET_RESULTS,
    (ev.CarnetLookupSucceeded, ev.CarnetNotFound, ev.CarnetLookupFailed),
)  # fmt: skip
BILGE = Port(
    "BİLGE", BILGE_REQUESTS, BILGE_RESULTS,
    (bilge.SummaryFound, bilge.SummaryNotFound, bilge.LegacyFound, bilge.LegacyNotFound, bilge.BilgeLookupFailed,
     bilge.SummaryClosureConfirmed),
)  # fmt: skip
YKTS = Port("YKTS", YKTS_REQUESTS, YKTS_RESULTS, (ykts.AuthorityChecked, ykts.AuthorityCheckFailed))
PORTS = (TOBB, BILGE, YKTS)


def _by_carnet(_lookup: Any, carnet_number: str) -> str:
    return carnet_number


ASKING: dict[type[LookUp], Asking] = {
    LookUpCarnet: Asking(  # G3
        TOBB,
        lambda lookup, rid: ev.CarnetLookupRequested(request_id=rid, carnet_number=lookup.carnet_number),
        _by_carnet,
    ),
    LookUpSummary: Asking(  # S1, S2
        BILGE,
        lambda lookup, rid: bilge.SummaryLookupRequested(request_id=rid, summary_number=lookup.summary_number),
        _by_carnet,
    ),
    LookUpLegacy: Asking(  # L1
        BILGE,
        lambda lookup, rid: bilge.LegacyLookupRequested(request_id=rid, bilge_number=lookup.bilge_number),
        _by_carnet,
    ),
    LookUpAuthority: Asking(  # G2, A4: ykts.requests is keyed by the firm's VKN
        YKTS,
        lambda lookup, rid: ykts.AuthorityCheckRequested(
            request_id=rid, firm_vkn=lookup.firm_vkn, person_tckn=lookup.person_tckn
        ),
        lambda lookup, _carnet: lookup.firm_vkn,
    ),
}
