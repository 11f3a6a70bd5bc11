"""Checks of exported FHIR written for the tests: no empty element anywhere, every reference resolved."""

from __future__ import annotations

from typing import Any


def empty_elements(node: Any, path: str = "") -> list[str]:
    """Paths of every ``None``, ``""``, ``{}`` or ``[]`` anywhere in ``node``."""
    if node is None or (isinstance(node, str | dict | list) and not node):
        return [path or "(root)"]
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in empty_elements(value, f"{path}.{key}" if path else key)]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in empty_elements(value, f"{path}[{i}]")]
    return []


def references(node: Any) -> list[str]:
    """Every ``reference`` string anywhere in ``node``."""
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def unresolved(resources: list[dict[str, Any]]) -> list[str]:
    """References that name no resource of ``resources`` (``Type/id``), nor one contained (``#id``) in theirs."""
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    return [ref for r in resources for ref in references(r)
            if ref not in present | {f"#{c['id']}" for c in r.get("contained", [])}]
