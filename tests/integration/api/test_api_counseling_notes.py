"""The REST API's counseling sessions with a structured note: a DAP note round-trips with its sections; a note
whose sections are not those of its format is refused as problem+json naming the field, the value and the rule."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SecureEnv, payload_for

DAP = [{"section": "data", "text": "Reports two cravings this week"},
       {"section": "assessment", "text": "Engaged; low relapse risk"},
       {"section": "plan", "text": "Weekly CBT; review the naloxone kit"}]


@pytest.fixture()
def env(shared_env: SecureEnv) -> SecureEnv:
    return shared_env


def _post(env: SecureEnv, body: dict[str, Any]) -> Any:
    return env.client.post(f"/api/v1/patients/{env.patients['c1']}/counseling-sessions", json=body,
                           headers=env.headers("c1", "counselor"))


def test_a_dap_note_round_trips_with_its_sections(env: SecureEnv) -> None:
    created = _post(env, {**payload_for("counseling", {}), "note_format": "dap", "note_sections": DAP})
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    read = env.client.get(f"/api/v1/counseling-sessions/{record_id}", headers=env.headers("c1", "counselor"))
    assert read.status_code == 200
    assert (read.json()["note_format"], read.json()["note_sections"]) == ("dap", DAP)
    free = _post(env, payload_for("counseling", {}))
    assert (free.json()["note_format"], free.json()["note_sections"]) == ("free", [])


def test_a_note_without_the_sections_of_its_format_is_refused(env: SecureEnv) -> None:
    before = env.audit_head()
    refused = _post(env, {**payload_for("counseling", {}), "note_format": "birp", "note_sections": DAP})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["field"], problem["value"]) == ("counseling.note_sections", "data, assessment, plan")
    assert "must be the sections of a BIRP note, in order: behavior, intervention, response, plan" in problem["detail"]
    assert [e for e in env.audit_since(before) if e.action == "create" and e.outcome == "allowed"] == []


def test_a_section_over_the_free_text_limit_is_refused_by_the_schema(env: SecureEnv) -> None:
    long = [{**DAP[0], "text": "x" * 2001}, *DAP[1:]]
    refused = _post(env, {**payload_for("counseling", {}), "note_format": "dap", "note_sections": long})
    assert refused.status_code == 422 and "2000" in refused.text
