"""Every file generated from the code and checked in: the JSON Schemas, the AsyncAPI document, and
docs/messages.md, rules.md, configuration.md, offices.md, and the topics' constants
(hub/contract/topic_names.py). `hub schemas write` writes them, `hub schemas
check` (and a test) fails when one has drifted.

It lives with the entrypoints because the AsyncAPI document is FastStream's, made from every
process's wiring: the contract below knows nothing of the processes.
"""

from __future__ import annotations

from pathlib import Path

from hub.contract import asyncapi_servers, catalogue, office_table, rule_table
from hub.contract.schemas import ASYNCAPI, asyncapi_yaml, render_json_schemas
from hub.contract.topics import NAMES_MODULE, PROJECT_ROOT, catalog, render_names
from hub.entrypoints import configuration_doc as configuration_document


def render_asyncapi() -> str:
    """The checked-in document: FastStream's, naming no deployment's brokers (hub/contract/asyncapi_servers.py)."""
    from hub.entrypoints.asyncapi import specification  # imports every process: only when asked

    return asyncapi_yaml(asyncapi_servers.documented(specification.to_specification().to_jsonable()))


def rendered() -> dict[str, str]:
    files = render_json_schemas()
    files[str(ASYNCAPI.relative_to(PROJECT_ROOT))] = render_asyncapi()
    files["docs/messages.md"] = catalogue.render(catalog())
    files["docs/rules.md"] = rule_table.render()
    files["docs/configuration.md"] = configuration_document.render()
    files["docs/offices.md"] = office_table.render()
    files[NAMES_MODULE] = render_names(catalog())
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
    (root / "schemas" / "json").mkdir(parents=True, exist_ok=True)
    for stale in set((root / "schemas" / "json").glob("*.json")) - {root / p for p in files}:
        stale.unlink()
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return sorted(files)
