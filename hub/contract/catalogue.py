"""docs/messages.md: every command and event, its fields, meaning and rules, per topic.

Generated from the pydantic models and topics.yaml by `hub schemas write`, so that a team
integrating another back end can work from it alone, and it never disagrees with the code.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from hub.contract.messages.types import all_types
from hub.contract.topics import TopicCatalog
from hub.domain.bilge import TCGB_COMMAND_NAMESPACE, tcgb_command_id


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is tuple:
        return f"list of {_type_name(args[0])}" if len(args) == 2 and args[1] is Ellipsis else "tuple"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


# Meanings of fields that recur across messages, where a model leaves them undescribed.
COMMON = {
    "declaration_number": "The e-ATA/TR declaration number (beyan numarası).",
    "carnet_number": "The ATA carnet number (karne no); also the Kafka key.",
    "actor": "The customs officer acting, with the profile they act under (C1).",
    "by": "The customs officer who acted (C1).",
    "declarant": "The holder or representative, by TCKN, VKN or passport (G2).",
    "reason": "Why, in words.",
    "status": "Status after this: lodged, accepted, inspection_completed, closed, rejected, cancelled.",
    "request_id": "Id of the correction or extension request (G6).",
    "line_no": "Goods-list line number (sıra no).",
    "note": "Free text.",
}


class MissingDocstring(ValueError):
    """A message type without a docstring of its own: the catalogue would show an inherited one."""


def own_doc(model: type[BaseModel]) -> str:
    """The model's own docstring on one line; never one inherited (pydantic's BaseModel has a long one)."""
    return re.sub(r"\s+", " ", inspect.cleandoc(model.__dict__.get("__doc__") or "")).strip()


def _fields(model: type[BaseModel]) -> list[str]:
    rows = ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        meaning = (field.description or COMMON.get(name, "")).replace("|", "\\|")
        rows.append(
            f"| `{name}` | {_type_name(field.annotation)} | {'yes' if field.is_required() else 'no'} | {meaning} |"
        )
    return rows


def _nested(model: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for field in model.model_fields.values():
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if inspect.isclass(inner) and issubclass(inner, BaseModel) and inner not in found:
                    found.append(inner)
    return found


# An example of the recipe, computed here so that the page can never show a wrong id.
EXAMPLE_TCGB, EXAMPLE_CARNET = "26341200IM000123", "TR/2026/000123"


def _tcgb_correlation() -> list[str]:
    """How an integrator finds what the hub did with a TCGB (F1, F2): the published id recipe."""
    namespace = TCGB_COMMAND_NAMESPACE
    example = tcgb_command_id(EXAMPLE_TCGB, EXAMPLE_CARNET)
    return [
        "## Correlating a TCGB with what the hub did",
        "",
        "A TCGB registered in BİLGE that draws down ATA declarations (F1, F2) reaches the core as one",
        "`DrawDownByTcgb` per carnet it names, on `ata.declaration.commands`, keyed by that carnet. Its id is",
        "not random, so whoever knows the TCGB can find its outcome without watching the commands topic:",
        "",
        "1. **The command's id.** `message_id` = `uuid5(namespace, <tcgb>|<carnet>)`: a UUID version 5",
        "   (RFC 9562, SHA-1) of the TCGB's BİLGE number, a vertical bar and the carnet number (UTF-8,",
        "   nothing else) in the namespace",
        f"   `{namespace}`. In Python:",
        f"   `uuid.uuid5(uuid.UUID('{namespace}'), '{EXAMPLE_TCGB}|{EXAMPLE_CARNET}')`",
        f"   is `{example}`. The same TCGB for the same carnet is the same command, whoever sends it",
        "   (the BİLGE adapter, BİLGE again, the reconciliation's corrective commands): the hub applies it once.",
        "2. **Its outcome** on `ata.declaration.events` (key: the carnet number): the events whose",
        "   `causation_id` is that id (the `outcome_events` header says how many). A `GoodsDischarged` per",
        "   declaration drawn down, whose `tcgb` names the TCGB (`tcgb_number`) and its items (`item_no`,",
        "   with the declaration, goods line and quantity each drew down); a `DeclarationClosed` with the same",
        "   `tcgb` when the drawing-down left nothing open. Or one `CommandRefused` whose `tcgb` names the TCGB",
        "   and the items that failed, each with its `problem` (F2), or no items when the TCGB was refused as",
        "   a whole (e.g. V1). `tcgb` is null on every other outcome.",
        "3. **BİLGE is told.** `TcgbAnswered` on `bilge.requests` (`causation_id` the same id): accepted or",
        "   not, the rule, and per item applied or why not. The BİLGE adapter sends it to BİLGE.",
        "",
    ]


def render(catalog: TopicCatalog) -> str:
    types_ = all_types()
    out = [
        "# Message catalogue",
        "",
        "Generated by `hub schemas write` from the message models and `topics.yaml`. Every message travels",
        "in one JSON envelope (`message_id`, `type`, `schema_version`, `occurred_at`, `correlation_id`,",
        "`causation_id`, `carnet_number` = the Kafka key, `payload`); JSON Schemas are in `schemas/json/`.",
        "Every command gets exactly one outcome on `ata.declaration.events`: the events it caused, each with",
        "`causation_id` = the command's `message_id` and an `outcome_events` header saying how many there",
        "are, or one `CommandRefused` naming the rule of DOMAIN.md and the reason.",
        "",
        *_tcgb_correlation(),
    ]
    shared: list[type[BaseModel]] = []
    for spec in catalog:
        who = f"Produced by {', '.join(spec.producers)}; consumed by {', '.join(spec.consumers)}."
        out += [f"## Topic `{spec.name}`", "", spec.description, "", f"Key: {spec.key}. {who}", ""]
        for name, schema in spec.messages.items():
            if spec.format != "json":
                out += [f"### {name} ({spec.format})", "", f"BİLGE's own document, validated against `{schema}`.", ""]
                continue
            model = types_[name][0]
            doc = own_doc(model)
            if not doc:
                raise MissingDocstring(f"message type {name} ({model.__module__}) has no docstring of its own")
            out += [f"### {name} (v{types_[name][1]})", "", doc, "", *_fields(model), ""]
            shared += [m for m in _nested(model) if m not in shared and m.__name__ not in types_]
    out += ["## Parts used above", ""]
    for model in shared:  # grows while read: the parts of parts (TcgbReference's items) come after them
        shared += [m for m in _nested(model) if m not in shared and m.__name__ not in types_]
        out += [f"### {model.__name__}", "", own_doc(model), "", *_fields(model), ""]
    return "\n".join(out).rstrip() + "\n"
