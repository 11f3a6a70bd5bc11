"""The pre-dose check on the REST API, for every administration kind, on SQLite and PostgreSQL: a stopped dose is
409 problem+json listing its reasons (rule, key, level, message, source) with nothing written; only a prescriber
overrides, in ``pre_dose.override`` on the same call; review items are confirmed by key; a same-day second dose
stays stopped whatever is overridden."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SecureEnv

DAY = "2026-05-20"
ORDERS = {"injections": {"kind": "xr-ntx-q4w", "start": "2026-05-01", "dose_mg": 380.0},
          "implants": {"kind": "implant", "start": "2026-05-01", "dose_mg": 1000.0, "implant_product": "pellet 1000 mg",
                       "expected_duration_days": 60},
          "oral-doses": {"kind": "oral-daily", "start": "2026-05-01", "dose_mg": 50.0}}


def dose(path: str, hour: int = 9) -> dict[str, Any]:
    at = f"{DAY}T{hour:02d}:00:00Z"
    return {"injections": {"given_at": at, "side": "right", "lot": "API-LOT-9", "expiry": "2027-01-01",
                           "needle_length_in": 2.0, "given_by": "Nurse Synthetic"},
            "implants": {"inserted_at": at, "dose_mg": 1000.0, "product": "pellet 1000 mg", "inserted_by": "Dr Synth"},
            "oral-doses": {"taken_at": at, "dose_mg": 50.0, "dose_status": "observed",
                           "observed_by": "Nurse Synthetic"}}[path]


def post(env: SecureEnv, role: str, path: str, body: dict[str, Any]) -> Any:
    return env.client.post(f"/api/v1/patients/c1-p2/{path}", json=body, headers=env.headers("c1", role))


def count(env: SecureEnv, path: str) -> int:
    listed = env.client.get(f"/api/v1/patients/c1-p2/{path}", headers=env.headers("c1", "prescriber"))
    return int(listed.json()["total"])


@pytest.mark.parametrize("path", ["injections", "implants", "oral-doses"])
def test_a_stopped_dose_is_409_and_given_on_a_prescribers_override_with_the_review_items_confirmed(
        secure_env: SecureEnv, path: str) -> None:
    env = secure_env
    no_order = post(env, "nurse", path, dose(path))
    assert no_order.status_code == 409 and no_order.headers["content-type"] == "application/problem+json"
    assert no_order.json()["reasons"][0]["rule"] == "DOSE-NO-ORDER" and no_order.json()["dose_class"] == "first"
    assert post(env, "prescriber", "regimens", ORDERS[path]).status_code == 201
    assert post(env, "nurse", "urine-drug-screens", {"collected_at": "2026-05-18T09:00:00Z", "results": [
        {"analyte": "fentanyl", "result": "positive"}]}).status_code == 201

    stopped = post(env, "nurse", path, dose(path))
    problem = stopped.json()
    assert stopped.status_code == 409 and problem["title"] == "Dose stopped", stopped.text
    levels = {r["level"] for r in problem["reasons"]}
    assert "override" in levels and "stop" not in levels  # not ready: fentanyl-positive two days before
    assert all(set(r) == {"key", "rule", "level", "message", "source"} for r in problem["reasons"])
    assert count(env, path) == 0

    keys = [r["key"] for r in problem["reasons"] if r["level"] == "confirm"]
    override = {"pre_dose": {"confirm": keys, "override": {"reason": "induction supervised in clinic"}}}
    nurse = post(env, "nurse", path, {**dose(path), **override})
    assert nurse.status_code == 403 and "dose overrides" in nurse.json()["detail"]
    confirmed_only = post(env, "prescriber", path, {**dose(path), "pre_dose": {"confirm": keys}})
    assert confirmed_only.status_code == 409 and {r["level"] for r in confirmed_only.json()["reasons"]} == {"override"}
    given = post(env, "prescriber", path, {**dose(path), **override})
    assert given.status_code == 201, given.text
    assert count(env, path) == 1
    with env.uow() as uow:
        [decision] = uow.records.for_patient("c1-p2")["dose_decisions"]
    assert (decision.dose_id, decision.override_reason) == (given.json()["id"], "induction supervised in clinic")
    assert decision.decided_by == "prescriber.c1" and len(decision.overridden) >= 1

    again = post(env, "prescriber", path, {**dose(path, hour=15), **override})
    assert again.status_code == 409 and [r["rule"] for r in again.json()["reasons"]] == ["DOSE-SAME-DAY"]
    assert count(env, path) == 1


def test_a_bad_pre_dose_part_is_422_naming_the_field(secure_env: SecureEnv) -> None:
    long = post(secure_env, "prescriber", "injections",
                {**dose("injections"), "pre_dose": {"override": {"reason": "x" * 501}}})
    assert long.status_code == 422 and "pre_dose" in long.text
    too_many = post(secure_env, "prescriber", "injections",
                    {**dose("injections"), "pre_dose": {"confirm": [f"K{n}" for n in range(41)]}})
    assert too_many.status_code == 422
