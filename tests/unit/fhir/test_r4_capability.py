"""The CapabilityStatement: valid R4, the cpb invariants, rest.security, and every search parameter per type."""

from __future__ import annotations

from typing import Any

import pytest

from naltrack.adapters.fhir.r4_capability import SEARCHABLE, capability_statement
from naltrack.adapters.fhir.r4_common import find_problems

BASE = "https://naltrack.example/fhir/R4"


def cpb_violations(statement: dict[str, Any]) -> list[str]:
    """The CapabilityStatement invariants of FHIR R4 this kind of statement can break, checked by hand."""
    out = []
    if not any(statement.get(k) for k in ("rest", "messaging", "document")):
        out.append("cpb-1")
    if not any(statement.get(k) for k in ("description", "software", "implementation")):
        out.append("cpb-2")
    if statement.get("messaging") and statement.get("kind") != "instance":
        out.append("cpb-3")
    if statement["kind"] == "instance" and not statement.get("implementation"):
        out.append("cpb-14")
    if statement["kind"] == "capability" and (statement.get("implementation") or not statement.get("software")):
        out.append("cpb-15")
    if statement["kind"] == "requirements" and (statement.get("implementation") or statement.get("software")):
        out.append("cpb-16")
    for rest in statement.get("rest", []):
        kinds = [r["type"] for r in rest["resource"]]
        if len(kinds) != len(set(kinds)):
            out.append("cpb-9")
        for resource in rest["resource"]:
            names = [p["name"] for p in resource.get("searchParam", [])]
            if len(names) != len(set(names)):
                out.append(f"cpb-12 {resource['type']}")
    return out


@pytest.mark.parametrize("cors", [True, False])
def test_the_statement_is_valid_and_keeps_every_invariant(cors: bool) -> None:
    statement = capability_statement(BASE, cors, "2026-12-01")
    assert find_problems(statement) == []
    assert cpb_violations(statement) == []
    (rest,) = statement["rest"]
    assert rest["security"]["cors"] is cors
    assert "Authorization: Bearer" in rest["security"]["description"]
    assert rest["security"]["service"][0]["text"].startswith("Bearer token")
    assert statement["implementation"]["url"] == BASE and statement["software"]["name"] == "naltrack"


def test_every_resource_lists_its_interactions_and_search_parameters_with_paging() -> None:
    resources = {r["type"]: r for r in capability_statement(BASE, False, "2026-12-01")["rest"][0]["resource"]}
    assert list(resources) == ["Patient", *SEARCHABLE]
    patient = resources["Patient"]
    assert [i["code"] for i in patient["interaction"]] == ["read", "search-type"]
    assert [(p["name"], p["type"]) for p in patient["searchParam"]] == [
        ("_id", "token"), ("name", "string"), ("family", "string"), ("given", "string"), ("identifier", "token"),
        ("birthdate", "date"), ("_count", "number"), ("_offset", "number")]
    assert patient["operation"][0]["name"] == "everything"
    for kind in SEARCHABLE:
        assert [i["code"] for i in resources[kind]["interaction"]] == ["search-type"]
        assert [p["name"] for p in resources[kind]["searchParam"]] == ["patient", "code", "_id", "_count", "_offset"]


def test_a_statement_without_implementation_would_break_cpb_14() -> None:
    statement = capability_statement(BASE, False, "2026-12-01")
    del statement["implementation"]
    assert cpb_violations(statement) == ["cpb-14"]
