"""Every write path writes exactly one audit entry per record, in the same transaction as the record,
on SQLite and PostgreSQL: the REST API, the web forms and CDS Hooks card feedback. (The CLI and the
FHIR import: tests/integration/test_cli_records.py and test_fhir_import_export.py.)"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from naltrack.adapters.db.security_repository import SqlSecurityRepository
from naltrack.cds.auth import Caller
from naltrack.cds.feedback import FeedbackLog, IssuedCard
from naltrack.cds.wiring import feedback_sink
from naltrack.domain.observations import LabResult, QuestionnaireResponse
from naltrack.services.context import AppContext

from .conftest import PASSWORD, SecureEnv, payload_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _labs(env: SecureEnv, patient_id: str) -> list[Any]:
    with env.uow() as uow:
        return list(uow.records.for_patient(patient_id).get("labs", []))


def _entries_for(env: SecureEnv, since: int, record_id: str) -> list[Any]:
    return [e for e in env.audit_since(since) if e.record_id == record_id]


def _break_the_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SqlSecurityRepository, event: Any) -> Any:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(SqlSecurityRepository, "append_audit", broken)
    monkeypatch.setattr(SqlSecurityRepository, "append_audits", broken)


# --- REST API -------------------------------------------------------------------------------

def test_api_create_writes_one_entry_naming_the_record(secure_env: SecureEnv) -> None:
    env, head = secure_env, secure_env.audit_head()
    response = env.client.post("/api/v1/patients/c1-p1/labs", json=payload_for("labs", {}),
                               headers=env.headers("c1", "nurse"))
    assert response.status_code == 201, response.text
    record_id = response.json()["id"]
    [entry] = _entries_for(env, head, record_id)
    assert (entry.actor, entry.action, entry.record_type, entry.patient_id, entry.outcome) == (
        env.users[("c1", "nurse")].id, "create", "labs", "c1-p1", "allowed")
    assert len(env.audit_since(head)) == 1


def test_api_correction_writes_one_entry_for_the_new_version(secure_env: SecureEnv) -> None:
    env = secure_env
    old = env.records[("c1", "labs")]
    head = env.audit_head()
    response = env.client.put(f"/api/v1/labs/{old}", json={**payload_for("labs", {}), "value": 31.0},
                              headers=env.headers("c1", "prescriber", **{"If-Match": '"v1"'}))
    assert response.status_code == 200, response.text
    new = response.json()["id"]
    [entry] = env.audit_since(head)
    assert (entry.action, entry.record_id, entry.detail) == ("update", new, f"supersedes {old}")


def test_api_scores_a_questionnaire_with_the_patients_sex(secure_env: SecureEnv) -> None:
    env = secure_env  # c1-p2 is male: AUDIT-C 3 is below the men's cut-off of 4
    body = {"instrument": "audit-c", "answers": [1, 1, 1], "completed_at": "2026-01-06T09:00:00Z"}
    female = env.client.post("/api/v1/patients/c1-p1/questionnaire-responses", json=body,
                             headers=env.headers("c1", "prescriber"))
    male = env.client.post("/api/v1/patients/c1-p2/questionnaire-responses", json=body,
                           headers=env.headers("c1", "prescriber"))
    assert (female.status_code, male.status_code) == (201, 201)
    assert (female.json()["band"], male.json()["band"]) == ("positive", "negative")
    with env.uow() as uow:
        stored = uow.records.get(QuestionnaireResponse, male.json()["id"])
    assert (stored.total, stored.band, stored.flags) == (3.0, "negative", ())


def test_api_failure_at_the_audit_append_leaves_no_record(secure_env: SecureEnv,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    env = secure_env
    before = len(_labs(env, "c1-p1"))
    headers = env.headers("c1", "nurse")
    _break_the_audit(monkeypatch)
    response = env.client.post("/api/v1/patients/c1-p1/labs", json=payload_for("labs", {}), headers=headers)
    monkeypatch.undo()
    assert response.status_code == 500
    assert len(_labs(env, "c1-p1")) == before


# --- web forms ------------------------------------------------------------------------------

def _signed_in(env: SecureEnv, username: str) -> TestClient:
    client = TestClient(env.client.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def _post_lab(client: TestClient) -> Any:
    form = client.get("/patients/c1-p1/labs/new").text
    return client.post("/patients/c1-p1/labs/new", follow_redirects=False, data={
        "csrf_token": _csrf(form), "loinc": "1742-6", "value": "30", "reference_high": "40",
        "collected_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})


def test_web_form_writes_one_record_and_one_entry(secure_env: SecureEnv) -> None:
    env = secure_env
    client = _signed_in(env, "nurse.c1")
    before = {lab.id for lab in _labs(env, "c1-p1")}
    head = env.audit_head()
    assert _post_lab(client).status_code == 303
    [new] = [lab for lab in _labs(env, "c1-p1") if lab.id not in before]
    assert isinstance(new, LabResult) and new.recorded_by == env.users[("c1", "nurse")].id
    [entry] = [e for e in env.audit_since(head) if e.action == "create"]
    assert (entry.record_id, entry.record_type, entry.actor) == (new.id, "labs", env.users[("c1", "nurse")].id)


def test_web_form_failure_at_the_audit_append_leaves_no_record(secure_env: SecureEnv,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    env = secure_env
    client = _signed_in(env, "nurse.c1")
    form = client.get("/patients/c1-p1/labs/new").text
    before = len(_labs(env, "c1-p1"))
    _break_the_audit(monkeypatch)
    response = client.post("/patients/c1-p1/labs/new", follow_redirects=False, data={
        "csrf_token": _csrf(form), "loinc": "1742-6", "value": "30", "reference_high": "40",
        "collected_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    monkeypatch.undo()
    assert response.status_code == 500
    assert len(_labs(env, "c1-p1")) == before


# --- CDS Hooks card feedback ----------------------------------------------------------------

def _feedback(n: int) -> dict[str, Any]:
    return {"feedback": [{"card": f"card-{k}", "outcome": "overridden", "outcomeTimestamp": "2026-06-01T12:00:00Z",
                          "overrideReason": {"reason": {"code": "patient-declined"}}} for k in range(n)]}


EHR = Caller("https://ehr.example", "ehr.example", "c1")
FEEDBACK_AT = datetime(2026, 6, 1, 12, 5, tzinfo=UTC)


def test_cds_feedback_writes_one_entry_per_card_outcome_in_one_transaction(secure_env: SecureEnv) -> None:
    env = secure_env
    log = FeedbackLog(feedback_sink(AppContext(uow=env.client.app.state.secure_uow)))  # type: ignore[attr-defined]
    log.remember([("card-0", IssuedCard("naltrexone-patient-view", "MON-PROTECTION-END", "ehr-p1", "warning",
                                        EHR.iss, "c1-p1"))], FEEDBACK_AT)
    head = env.audit_head()
    log.record("naltrexone-patient-view", _feedback(3), EHR, FEEDBACK_AT)
    entries = env.audit_since(head)
    assert [(e.record_id, e.action, e.actor) for e in entries] == [
        (f"card-{k}", "feedback", "cds:ehr.example") for k in range(3)]
    assert (entries[0].patient_id, entries[0].clinic_id, entries[0].at) == ("c1-p1", "c1", FEEDBACK_AT)
    assert entries[0].detail == "card card-0 overridden (patient-declined); reported at 2026-06-01T12:00:00+00:00"


def test_cds_feedback_is_all_or_nothing(secure_env: SecureEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env = secure_env
    log = FeedbackLog(feedback_sink(AppContext(uow=env.client.app.state.secure_uow)))  # type: ignore[attr-defined]
    head = env.audit_head()
    calls: list[int] = []
    real = SqlSecurityRepository.append_audit

    def second_fails(self: SqlSecurityRepository, event: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("audit store down")
        return real(self, event)

    monkeypatch.setattr(SqlSecurityRepository, "append_audit", second_fails)
    with pytest.raises(RuntimeError, match="audit store down"):
        log.record("naltrexone-patient-view", _feedback(3), EHR, FEEDBACK_AT)
    monkeypatch.undo()
    assert env.audit_since(head) == []


def _intake(client: TestClient) -> Any:
    page = client.get("/patients/new").text
    return client.post("/patients/new", follow_redirects=False, data={
        "csrf_token": _csrf(page), "given_name": "Ivy", "family_name": "Intake", "birth_date": "1991-02-03",
        "sex_at_birth": "female", "indication": "AUD", "level_of_care": "OP", "start": "2026-01-05"})


def _intake_patients(env: SecureEnv) -> list[Any]:
    with env.uow() as uow:
        return [p for p in uow.patients.search(clinic_id="c1", text="Intake")]


def test_web_intake_writes_the_patient_and_the_episode_with_one_entry_each(secure_env: SecureEnv) -> None:
    env = secure_env
    head = env.audit_head()
    response = _intake(_signed_in(env, "prescriber.c1"))
    assert response.status_code == 303, response.text
    [patient] = _intake_patients(env)
    with env.uow() as uow:
        [episode] = uow.records.for_patient(patient.id)["episodes"]
    created = [(e.record_type, e.record_id) for e in env.audit_since(head) if e.action == "create"]
    assert created == [("patients", patient.id), ("episodes", episode.id)]


def test_web_intake_is_all_or_nothing(secure_env: SecureEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env = secure_env
    client = _signed_in(env, "prescriber.c1")
    page = client.get("/patients/new").text
    _break_the_audit(monkeypatch)
    response = client.post("/patients/new", follow_redirects=False, data={
        "csrf_token": _csrf(page), "given_name": "Ivy", "family_name": "Intake", "birth_date": "1991-02-03",
        "sex_at_birth": "female", "indication": "AUD", "level_of_care": "OP", "start": "2026-01-05"})
    monkeypatch.undo()
    assert response.status_code == 500
    assert _intake_patients(env) == []
