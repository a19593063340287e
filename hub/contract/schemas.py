"""The checked-in contract: JSON Schemas of every message, generated from the pydantic models.

The AsyncAPI document is FastStream's, made from the processes' wiring, so it is assembled where the
processes are: hub/entrypoints/checked_in.py, which writes and checks every generated file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from hub.contract.messages.envelope import Envelope
from hub.contract.messages.types import all_types
from hub.contract.topics import PROJECT_ROOT, TopicCatalog

SCHEMAS = PROJECT_ROOT / "schemas"
ASYNCAPI = SCHEMAS / "asyncapi.yaml"


def json_schema_path(type_name: str, version: int) -> str:
    return f"schemas/json/{type_name}.v{version}.json"


def render_json_schemas() -> dict[str, str]:
    """Path (relative to the project) -> JSON Schema text of the envelope carrying that type."""
    out = {}
    for name, (model, version) in sorted(all_types().items()):
        schema = Envelope[model].model_json_schema()  # type: ignore[valid-type]
        schema["title"] = f"{name} v{version}"
        schema["description"] = (model.__doc__ or name).strip().splitlines()[0]
        schema["properties"]["type"]["const"] = name
        schema["properties"]["schema_version"]["const"] = version
        out[json_schema_path(name, version)] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def asyncapi_yaml(document: Mapping[str, Any]) -> str:
    # FastStream's channel order follows set iteration (varies per process): sort keys for stable files.
    return str(yaml.safe_dump(dict(document), sort_keys=True, allow_unicode=True, width=100))


def catalog_problems(catalog: TopicCatalog) -> list[str]:
    """topics.yaml must name, for every type, the schema file generated for it."""
    types = all_types()
    problems = []
    for spec in catalog:
        for name, path in spec.messages.items():
            if spec.format != "json":
                if not (PROJECT_ROOT / path).is_file():
                    problems.append(f"{spec.name}: {name} schema {path} does not exist")
                continue
            if name not in types:
                problems.append(f"{spec.name}: {name} is not a message type")
            elif path != json_schema_path(name, types[name][1]):
                problems.append(
                    f"{spec.name}: {name} schema is {path}, expected {json_schema_path(name, types[name][1])}"
                )
    return problems
