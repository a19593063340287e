"""Every message type the hub knows, with its schema version."""

from __future__ import annotations

from pydantic import BaseModel

from hub.domain import bilge, ykts
from hub.domain import events as ev
from hub.domain.commands import COMMANDS

TOBB_MESSAGES: tuple[type[BaseModel], ...] = (
    ev.CarnetLookupRequested,
    ev.CarnetLookupSucceeded,
    ev.CarnetNotFound,
    ev.CarnetLookupFailed,
)
OUTCOMES: tuple[type[BaseModel], ...] = (*ev.CARNET_EVENTS, ev.CommandRefused, bilge.BilgeAnomalyReported)
BILGE_REQUESTS: tuple[type[BaseModel], ...] = (
    bilge.SummaryLookupRequested,
    bilge.LegacyLookupRequested,
    bilge.SummaryClosureRequested,
    bilge.TcgbAnswered,
)
BILGE_RESULTS: tuple[type[BaseModel], ...] = (
    bilge.SummaryFound,
    bilge.SummaryNotFound,
    bilge.LegacyFound,
    bilge.LegacyNotFound,
    bilge.BilgeLookupFailed,
    bilge.SummaryClosureConfirmed,
)

# The life of every import and export TCGB in BİLGE, for GET-APP (A2).
TCGB_EVENTS: tuple[type[BaseModel], ...] = (bilge.TcgbStageReached,)

YKTS_MESSAGES: tuple[type[BaseModel], ...] = (
    ykts.AuthorityCheckRequested,
    ykts.AuthorityChecked,
    ykts.AuthorityCheckFailed,
)

# type name -> (payload model, schema version). Bump a version when a payload changes incompatibly.
_TYPES: dict[str, tuple[type[BaseModel], int]] = {
    model.__name__: (model, 1)
    for model in (*COMMANDS, *OUTCOMES, *TOBB_MESSAGES, *BILGE_REQUESTS, *BILGE_RESULTS, *TCGB_EVENTS, *YKTS_MESSAGES)
}


def message_type(model: type[BaseModel]) -> tuple[str, int]:
    name = model.__name__
    if name not in _TYPES:
        raise KeyError(f"{name} is not a registered message type")
    return name, _TYPES[name][1]


def payload_model(name: str) -> type[BaseModel] | None:
    entry = _TYPES.get(name)
    return entry[0] if entry else None


def all_types() -> dict[str, tuple[type[BaseModel], int]]:
    return dict(_TYPES)
