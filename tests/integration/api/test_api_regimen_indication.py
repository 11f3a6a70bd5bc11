"""The REST API's naltrexone orders name their indication: it is stored and returned, left out it reads null, and a
value outside the indications is refused as problem+json naming the field, the value and the choices."""

from __future__ import annotations

from typing import Any

from .conftest import SecureEnv, payload_for


def _order(env: SecureEnv, **extra: Any) -> Any:
    """Order XR-NTX for the first clinic's patient as its prescriber, with ``extra`` fields in the body."""
    return env.client.post(f"/api/v1/patients/{env.patients['c1']}/regimens",
                           json={**payload_for("regimens", {}), **extra}, headers=env.headers("c1", "prescriber"))


def test_an_order_keeps_its_indication(shared_env: SecureEnv) -> None:
    created = _order(shared_env, indication="AUD")
    assert created.status_code == 201, created.text
    read = shared_env.client.get(f"/api/v1/regimens/{created.json()['id']}",
                                 headers=shared_env.headers("c1", "prescriber"))
    assert read.status_code == 200
    assert (read.json()["kind"], read.json()["indication"]) == ("xr-ntx-q4w", "AUD")
    unstated = _order(shared_env)
    assert unstated.status_code == 201 and unstated.json()["indication"] is None


def test_an_unknown_indication_is_refused_naming_the_choices(shared_env: SecureEnv) -> None:
    before = shared_env.audit_head()
    refused = _order(shared_env, indication="cocaine")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["field"].endswith("indication") and problem["value"] == "cocaine"
    assert all(choice in problem["detail"] for choice in ("OUD", "AUD", "OUD+AUD", "stimulant"))
    assert [e for e in shared_env.audit_since(before) if e.action == "create" and e.outcome == "allowed"] == []
