"""The REST API's safety assessments (the generic record router, kind ``safety_assessments``): a counselor
answers a PHQ-9 with item 9 above 0; the assessor's role comes from the signed-in user, never the body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from naltrack.adapters.fhir.r4_common import validate_resource
from naltrack.adapters.fhir.r4_safety import safety_assessment_procedure
from naltrack.api.schemas import to_domain
from naltrack.domain.safety import SafetyAssessment

from .conftest import SecureEnv, payload_for

PHQ9 = {"instrument": "phq-9", "answers": [1, 1, 0, 0, 0, 0, 0, 0, 2], "completed_at": "2026-01-06T09:00:00Z"}


@pytest.fixture()
def env(shared_env: SecureEnv) -> SecureEnv:
    return shared_env


def _post(env: SecureEnv, role: str, path: str, body: dict[str, Any], clinic: str = "c1") -> Any:
    return env.client.post(f"/api/v1/patients/{env.patients[clinic]}/{path}", json=body,
                           headers=env.headers(clinic, role))


def test_a_counselor_records_an_assessment_of_a_phq9_and_a_nurse_lists_it(env: SecureEnv) -> None:
    response = _post(env, "counselor", "questionnaire-responses", PHQ9)
    assert response.status_code == 201 and response.json()["flags"] == ["item-9-positive"]
    body = {**payload_for("safety_assessments", {}), "assessed_at": "2026-01-06T11:00:00Z", "risk_level": "moderate",
            "follow_up_on": "2026-01-09", "response_id": response.json()["id"], "note": "plan reviewed"}
    created = _post(env, "counselor", "safety-assessments", body)
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["assessor_role"], record["risk_level"], record["actions"], record["response_id"]) == \
        ("counselor", "moderate", ["safety-plan", "crisis-line-988"], response.json()["id"])
    assert record["recorded_by"] == env.users[("c1", "counselor")].id
    assert created.headers["Location"] == f"/api/v1/safety-assessments/{record['id']}"
    listed = env.client.get(f"/api/v1/patients/{env.patients['c1']}/safety-assessments",
                            headers=env.headers("c1", "nurse"))
    assert listed.status_code == 200 and record["id"] in [r["id"] for r in listed.json()["items"]]


@pytest.mark.parametrize(("role", "status"), [("prescriber", 201), ("counselor", 201), ("nurse", 403),
                                              ("front-desk", 403), ("admin", 403), ("auditor", 403)])
def test_only_prescribers_and_counselors_may_record_one(env: SecureEnv, role: str, status: int) -> None:
    created = _post(env, role, "safety-assessments", payload_for("safety_assessments", {}))
    assert created.status_code == status
    if status == 201:
        assert created.json()["assessor_role"] == role


@pytest.mark.parametrize(("change", "field", "detail"), [
    ({"assessor_role": "prescriber"}, "assessor_role", "Extra inputs are not permitted"),
    ({"actions": []}, "safety_assessment.actions", "must name at least one action taken"),
    ({"risk_level": "imminent"}, "safety_assessment.actions", "must include emergency-evaluation at imminent risk"),
    ({"assessed_at": "2099-01-06T09:00:00Z"}, "safety_assessment.assessed_at", "is in the future"),
    ({"risk_level": "severe"}, "risk_level", "Input should be"),
])
def test_bad_input_is_422_naming_the_field(env: SecureEnv, change: dict[str, Any], field: str, detail: str) -> None:
    created = _post(env, "counselor", "safety-assessments", {**payload_for("safety_assessments", {}), **change})
    problem = created.json()
    assert created.status_code == 422 and problem["field"] == field, problem
    assert detail in str(problem), problem


def test_a_response_of_another_clinic_cannot_be_named(env: SecureEnv) -> None:
    elsewhere = _post(env, "counselor", "questionnaire-responses", PHQ9, clinic="c2").json()["id"]
    body = {**payload_for("safety_assessments", {}), "response_id": elsewhere}
    created = _post(env, "counselor", "safety-assessments", body)
    assert created.status_code == 404 and "questionnaire" in created.json()["detail"]


def test_the_fhir_procedure_is_valid_r4(env: SecureEnv) -> None:
    record = to_domain(SafetyAssessment, {"id": "sa-fhir", "patient_id": "c1-p1", "assessor_role": "counselor",
                                          "assessed_by": "C. Synth", "risk_level": "imminent",
                                          "actions": ("emergency-evaluation", "lethal-means-counselling"),
                                          "response_id": "q-1", "note": "ED transfer arranged",
                                          "assessed_at": datetime(2026, 1, 6, 11, tzinfo=UTC)})
    resource = validate_resource(safety_assessment_procedure(record, []))
    assert resource["resourceType"] == "Procedure" and resource["status"] == "completed"
    assert resource["code"]["coding"][0] == {"system": "http://snomed.info/sct", "code": "225337009",
                                             "display": "Suicide risk assessment"}
    assert resource["outcome"]["coding"][0]["code"] == "imminent"
    assert [c["coding"][0]["code"] for c in resource["followUp"]] == ["emergency-evaluation",
                                                                     "lethal-means-counselling"]
    assert resource["reasonReference"] == [{"reference": "QuestionnaireResponse/q-1"}]
