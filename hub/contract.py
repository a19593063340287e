"""The checked-in contract: JSON Schemas of every message and the AsyncAPI document.

Generated from the pydantic models and the FastStream wiring; a test fails when the files drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hub.messages.envelope import Envelope
from hub.messages.types import all_types
from hub.topics import PROJECT_ROOT, TopicCatalog, catalog

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


def render_asyncapi() -> str:
    """The checked-in document: FastStream's, naming no deployment's brokers (hub/asyncapi_servers.py)."""
    from hub import asyncapi_servers
    from hub.entrypoints.asyncapi import specification

    return asyncapi_yaml(asyncapi_servers.documented(specification.to_specification().to_jsonable()))


def asyncapi_yaml(document: Mapping[str, Any]) -> str:
    # FastStream's channel order follows set iteration (varies per process): sort keys for stable files.
    return str(yaml.safe_dump(dict(document), sort_keys=True, allow_unicode=True, width=100))


def rendered() -> dict[str, str]:
    from hub import catalogue, office_table, rule_table
    from hub.configuration import document as configuration_document

    files = render_json_schemas()
    files[str(ASYNCAPI.relative_to(PROJECT_ROOT))] = render_asyncapi()
    files["docs/messages.md"] = catalogue.render(catalog())
    files["docs/rules.md"] = rule_table.render()
    files["docs/configuration.md"] = configuration_document.render()
    files["docs/offices.md"] = office_table.render()
    return files


def drift(root: Path = PROJECT_ROOT) -> list[str]:
    """Files whose checked-in text differs from what the code generates, or that are missing/stale."""
    files = rendered()
    problems = [
        path
        for path, text in files.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]
    stale = {str(p.relative_to(root)) for p in (root / "schemas" / "json").glob("*.json")} - set(files)
    return sorted(problems) + sorted(f"{p} (no such message type)" for p in stale)


def write(root: Path = PROJECT_ROOT) -> list[str]:
    files = rendered()
    for folder in ("schemas/json", "docs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for stale in set((root / "schemas" / "json").glob("*.json")) - {root / p for p in files}:
        stale.unlink()
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")
    return sorted(files)


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
