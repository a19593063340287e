"""Topics are named once: hub/contract/topic_names.py, generated from topics.yaml (issue 15). A topic's name
written as a string anywhere else in the hub's code is a second definition that topics.yaml cannot check."""

from __future__ import annotations

import ast

from hub.contract import topic_names
from hub.contract.topics import PROJECT_ROOT, catalog, constant_name

GENERATED = PROJECT_ROOT / "hub" / "contract" / "topic_names.py"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (of the module, a class, a function, a constant)."""
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement in body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    ids.add(id(statement.value))
    return ids


def test_every_topic_of_topics_yaml_has_its_constant() -> None:
    for spec in catalog():
        assert getattr(topic_names, constant_name(spec.name)) == spec.name


def test_no_code_of_the_hub_writes_a_topic_name_itself() -> None:
    names = set(catalog().names)
    found = []
    for root in ("hub", "adapters", "bench"):
        for path in sorted((PROJECT_ROOT / root).rglob("*.py")):
            if path == GENERATED:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in names and id(node) not in skip:
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.value!r}")
    assert found == [], "name the topic by its constant in hub.contract.topic_names"
