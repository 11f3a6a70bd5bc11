"""``Idempotency-Key`` on the REST API's creates, on SQLite and PostgreSQL: a retry with the same key and
body gets the first answer and writes nothing; the same key with another body is 422; keys expire; a
retry racing the first request still records once; the kept answer commits with the record or not at all."""

from __future__ import annotations

import re
import threading
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from naltrack.api.routes.records import RECORD_API, _builder
from naltrack.api.schemas import create_schema
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.services import idempotency
from naltrack.services import records as record_cases
from naltrack.services.context import AppContext
from naltrack.services.idempotency import Claim, run_once
from naltrack.services.idempotency_ports import StoredResponse

from .conftest import NOW, PASSWORD, SecureEnv, payload_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

LABS = "/api/v1/patients/c1-p1/labs"


def _labs(env: SecureEnv) -> list[Any]:
    with env.uow() as uow:
        return list(uow.records.for_patient("c1-p1").get("labs", []))


def _post(env: SecureEnv, body: dict[str, Any], key: str | None, role: str = "nurse") -> Any:
    headers = env.headers("c1", role, **({"Idempotency-Key": key} if key else {}))
    return env.client.post(LABS, json=body, headers=headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(secure_env: SecureEnv) -> None:
    env, before = secure_env, len(_labs(secure_env))
    first = _post(env, payload_for("labs", {}), "retry-key-1")
    head = env.audit_head()
    again = _post(env, payload_for("labs", {}), "retry-key-1")
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert (again.headers["Location"], again.headers["ETag"]) == (first.headers["Location"], first.headers["ETag"])
    assert len(_labs(env)) == before + 1
    [replay] = env.audit_since(head)  # the replay is audited as a read of the patient, and writes nothing else
    assert (replay.action, replay.patient_id, replay.outcome) == ("read", "c1-p1", "allowed")
    assert "Idempotency-Key" in (replay.detail or "")


def test_the_same_key_with_another_body_is_422_naming_the_header(secure_env: SecureEnv) -> None:
    env = secure_env
    assert _post(env, payload_for("labs", {}), "retry-key-2").status_code == 201
    before = len(_labs(env))
    changed = {**payload_for("labs", {}), "value": 31.0}
    response = _post(env, changed, "retry-key-2")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "Idempotency-Key"
    assert "different request" in response.json()["detail"]
    assert len(_labs(env)) == before


def test_without_a_key_each_post_records_and_keys_are_per_user(secure_env: SecureEnv) -> None:
    env, before = secure_env, len(_labs(secure_env))
    assert _post(env, payload_for("labs", {}), None).status_code == 201
    assert _post(env, payload_for("labs", {}), None).status_code == 201
    nurse = _post(env, payload_for("labs", {}), "shared-key")
    prescriber = _post(env, payload_for("labs", {}), "shared-key", role="prescriber")
    assert nurse.json()["id"] != prescriber.json()["id"]
    assert len(_labs(env)) == before + 4


@pytest.mark.parametrize(("key", "status"), [("", 422), ("k" * 201, 422), ("k" * 200, 201), ("has space", 422)])
def test_key_length_and_characters(secure_env: SecureEnv, key: str, status: int) -> None:
    response = secure_env.client.post(LABS, json=payload_for("labs", {}),
                                      headers=secure_env.headers("c1", "nurse", **{"Idempotency-Key": key}))
    assert response.status_code == status, response.text


def test_patient_and_consent_creates_record_once(secure_env: SecureEnv) -> None:
    env, headers = secure_env, secure_env.headers("c1", "front-desk", **{"Idempotency-Key": "intake-1"})
    body = {"given_name": "Ivy", "family_name": "Once", "birth_date": "1991-02-03", "sex_at_birth": "female"}
    first = env.client.post("/api/v1/patients", json=body, headers=headers)
    again = env.client.post("/api/v1/patients", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"] and again.headers["Location"] == first.headers["Location"]
    listed = env.client.get("/api/v1/patients", params={"q": "Once"}, headers=env.headers("c1", "front-desk")).json()
    assert listed["total"] == 1
    consent = {"recipient": "County court", "purpose": "treatment", "categories": ["administrations"],
               "signed_on": "2026-05-01", "expires_on": "2027-05-01"}
    headers = env.headers("c1", "prescriber", **{"Idempotency-Key": "consent-1"})
    first = env.client.post("/api/v1/patients/c1-p1/consents", json=consent, headers=headers)
    again = env.client.post("/api/v1/patients/c1-p1/consents", json=consent, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json()
    listed = env.client.get("/api/v1/patients/c1-p1/consents", headers=env.headers("c1", "prescriber")).json()
    assert [c["id"] for c in listed].count(first.json()["id"]) == 1 and len(listed) == 1


# --- the service, with the clock in hand ---------------------------------------------------------

def _ctx(env: SecureEnv) -> AppContext:
    ctx: AppContext = env.client.app.state.application.ctx  # type: ignore[attr-defined]
    return ctx


def _actor(env: SecureEnv) -> Actor:
    return Actor(env.users[("c1", "nurse")], "testclient", "treatment")


def _lab_builder(env: SecureEnv) -> record_cases.Builder:
    api = next(a for a in RECORD_API if a.kind == "labs")
    return _builder(api, create_schema(api.cls).model_validate(payload_for("labs", {})), _actor(env))


def _create_lab(env: SecureEnv, claim: Claim, now: datetime, gate: threading.Barrier | None = None) -> StoredResponse:
    actor = _actor(env)

    def run(ctx: AppContext) -> ClinicalRecord:
        if gate is not None:
            gate.wait(10)  # both requests have found no kept answer before either writes
        return record_cases.create_record(ctx, actor, "labs", "c1-p1", _lab_builder(env), now)

    return run_once(_ctx(env), actor, claim, now, run, lambda record: StoredResponse(201, str(record.id)))


def test_a_key_expires_after_its_time(secure_env: SecureEnv) -> None:
    env, before = secure_env, len(_labs(secure_env))
    claim = Claim("expiring", "hash-1", timedelta(hours=24))
    first = _create_lab(env, claim, NOW)
    assert _create_lab(env, claim, NOW + timedelta(hours=23, minutes=59)) == first
    later = _create_lab(env, claim, NOW + timedelta(hours=24))
    assert later.body != first.body
    assert len(_labs(env)) == before + 2
    assert idempotency.purge_expired(_ctx(env), NOW + timedelta(hours=48)) == 1


def test_a_retry_racing_the_first_request_records_once(secure_env: SecureEnv) -> None:
    env, before = secure_env, len(_labs(secure_env))
    claim, gate = Claim("racing", "hash-r", timedelta(hours=24)), threading.Barrier(2)
    answers: list[StoredResponse] = []

    def request() -> None:
        answers.append(_create_lab(env, claim, NOW, gate))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert len(_labs(env)) == before + 1


def test_the_kept_answer_commits_with_the_record_or_not_at_all(secure_env: SecureEnv) -> None:
    env, before, head = secure_env, len(_labs(secure_env)), secure_env.audit_head()

    def broken(record: ClinicalRecord) -> StoredResponse:
        raise RuntimeError("crash before the commit")

    actor = _actor(env)
    with pytest.raises(RuntimeError, match="crash before the commit"):
        run_once(_ctx(env), actor, Claim("crash", "h", timedelta(hours=1)), NOW,
                 lambda ctx: record_cases.create_record(ctx, actor, "labs", "c1-p1", _lab_builder(env), NOW),
                 broken)
    assert len(_labs(env)) == before and env.audit_head() == head
    with env.uow() as uow:
        assert uow.idempotency.find(actor.user.id, "crash", NOW) is None



# --- web forms -----------------------------------------------------------------------------------

def _form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', html))


def test_a_record_form_submitted_twice_records_once(secure_env: SecureEnv) -> None:
    env = secure_env
    client = TestClient(env.client.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    assert client.post("/sign-in", data={"username": "nurse.c1", "password": PASSWORD},
                       follow_redirects=False).status_code == 303
    hidden = _form_fields(client.get("/patients/c1-p1/labs/new").text)
    assert len(hidden["idempotency_key"]) >= 20
    before = len(_labs(env))
    form = {**hidden, "loinc": "1742-6", "value": "30", "reference_high": "40",
            "collected_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    first = client.post("/patients/c1-p1/labs/new", data=form, follow_redirects=False)
    again = client.post("/patients/c1-p1/labs/new", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]
    assert len(_labs(env)) == before + 1
    fresh = _form_fields(client.get("/patients/c1-p1/labs/new").text)["idempotency_key"]
    assert fresh != hidden["idempotency_key"]
    assert client.post("/patients/c1-p1/labs/new", data={**form, "idempotency_key": fresh},
                       follow_redirects=False).status_code == 303
    assert len(_labs(env)) == before + 2
