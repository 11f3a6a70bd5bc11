"""Bad input, authentication, optimistic concurrency, break-the-glass and web sessions, over HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import Request, Response

from naltrack.adapters.db.security_tables import sign_in_failures
from naltrack.api import sessions
from naltrack.services import audit_trail
from naltrack.services import security as security_cases
from naltrack.services.security import StoredToken, hash_token, new_id

from .conftest import PASSWORD, SecureEnv, payload_for

LAB = payload_for("labs", {})


@pytest.fixture()
def env(shared_env: SecureEnv) -> SecureEnv:
    """The module's service, with no failed sign-in counted before each test."""
    with shared_env.storage.engine.begin() as connection:
        connection.execute(sa.delete(sign_in_failures))
    return shared_env


def problem_of(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json()  # type: ignore[no-any-return]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "status", "field"), [
    (b"{not json", 422, "body"),
    (b'{"loinc": "1742-6", "name": "ALT", "value": "thirty", "unit": "U/L", "collected_at": "2026-01-06T09:00:00Z"}',
     422, "value"),
    (b'{"loinc": "1742-6", "name": "ALT", "value": 30, "unit": "U/L", "collected_at": "2026-01-06T09:00:00Z",'
     b' "colour": "red"}', 422, "colour"),
    (b'{"loinc": "1742-6", "name": "ALT", "value": 30, "unit": "U/L", "collected_at": "2026-01-06T09:00:00"}',
     422, "collected_at"),
    (b'{"loinc": "1742-6", "name": "ALT", "value": 30, "unit": "U/L", "collected_at": "2099-01-06T09:00:00Z"}',
     422, "lab.collected_at"),
    (b'[1, 2, 3]', 422, "body"),
])
def test_bad_bodies_get_problem_json_naming_the_field_and_write_nothing(
        env: SecureEnv, body: bytes, status: int, field: str) -> None:
    url = f"/api/v1/patients/{env.patients['c1']}/labs"
    before = env.client.get(url, headers=env.headers("c1", "nurse")).json()["total"]
    response = env.client.post(url, content=body, headers=env.headers("c1", "nurse", **{
        "Content-Type": "application/json"}))
    problem = problem_of(response)
    assert response.status_code == status and problem["field"] == field, problem
    assert env.client.get(url, headers=env.headers("c1", "nurse")).json()["total"] == before


def test_a_clinical_limit_names_the_value_and_the_limit(env: SecureEnv) -> None:
    body = {**payload_for("oral_doses", {}), "dose_mg": 900.0}
    response = env.client.post(f"/api/v1/patients/{env.patients['c1']}/oral-doses", json=body,
                               headers=env.headers("c1", "nurse"))
    problem = problem_of(response)
    assert response.status_code == 422 and problem["field"] == "oral_dose.dose_mg" and problem["value"] == "900.0"
    assert "exceeds the largest single oral dose 150 mg" in problem["detail"]


def test_an_oversize_body_is_413(env: SecureEnv) -> None:
    response = env.client.post(f"/api/v1/patients/{env.patients['c1']}/labs", content=b" " * 1_000_001,
                               headers=env.headers("c1", "nurse", **{"Content-Type": "application/json"}))
    assert response.status_code == 413 and problem_of(response)["field"] == "body"


def test_a_consent_without_a_recipient_is_422_naming_recipient(env: SecureEnv) -> None:
    body = {"purpose": "referral", "categories": ["medications"], "signed_on": "2026-01-01",
            "expires_on": "2026-12-31"}
    response = env.client.post(f"/api/v1/patients/{env.patients['c1']}/consents", json=body,
                               headers=env.headers("c1", "prescriber"))
    assert response.status_code == 422 and problem_of(response)["field"] == "recipient"
    blank = env.client.post(f"/api/v1/patients/{env.patients['c1']}/consents", json={**body, "recipient": "  "},
                            headers=env.headers("c1", "prescriber"))
    assert blank.status_code == 422 and problem_of(blank)["field"] == "consent.recipient"


def test_questionnaires_are_scored_on_submit(env: SecureEnv) -> None:
    body = {"instrument": "audit-c", "answers": [4, 4, 4], "completed_at": "2026-01-06T09:00:00Z"}
    response = env.client.post(f"/api/v1/patients/{env.patients['c1']}/questionnaire-responses", json=body,
                               headers=env.headers("c1", "counselor"))
    assert response.status_code == 201 and response.json()["total"] == 12.0 and response.json()["band"]
    body["total"] = 0
    forged = env.client.post(f"/api/v1/patients/{env.patients['c1']}/questionnaire-responses", json=body,
                             headers=env.headers("c1", "counselor"))
    assert forged.status_code == 422 and problem_of(forged)["field"] == "total"


# --- authentication ----------------------------------------------------------------------------

def test_missing_expired_and_revoked_tokens_are_401(env: SecureEnv) -> None:
    url = f"/api/v1/patients/{env.patients['c1']}"
    assert env.client.get(url).status_code == 401
    user = env.users[("c1", "nurse")]
    now = datetime.now(UTC)
    with env.uow() as uow:
        uow.security.add_token(StoredToken(new_id(), hash_token("expired-synthetic"), user.id, "bearer",
                                           now - timedelta(hours=13), now - timedelta(hours=1)))
        uow.commit()
    expired = env.client.get(url, headers={"Authorization": "Bearer expired-synthetic"})
    assert expired.status_code == 401 and problem_of(expired)["detail"] == "the token is unknown, expired or revoked"
    token = env.client.post("/api/v1/auth/token", json={"username": "nurse.c1", "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert env.client.get(url, headers=bearer).status_code == 200
    assert env.client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert env.client.get(url, headers=bearer).status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer_after_the_same_work(
        env: SecureEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = security_cases._HASHER

    class Counting:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored[:9])
            return real.verify(stored, password)

    monkeypatch.setattr(security_cases, "_HASHER", Counting())
    wrong = env.client.post("/api/v1/auth/token", json={"username": "nurse.c1", "password": "not-it-at-all"})
    unknown = env.client.post("/api/v1/auth/token", json={"username": "ghost.c1", "password": "not-it-at-all"})
    assert wrong.status_code == unknown.status_code == 401
    assert problem_of(wrong) == problem_of(unknown)
    assert len(calls) == 2 and all(c.startswith("$argon2id") for c in calls)


def test_sign_in_is_throttled_for_known_and_unknown_names_alike(env: SecureEnv) -> None:
    for name in ("counselor.c1", "ghost.c2"):  # 10 failures from one address: under its own limit
        statuses = [env.client.post("/api/v1/auth/token", json={"username": name, "password": "wrong-password"})
                    .status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
    throttled = env.client.post("/api/v1/auth/token", json={"username": "counselor.c1", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_a_purpose_of_use_outside_the_list_is_rejected(env: SecureEnv) -> None:
    response = env.client.get(f"/api/v1/patients/{env.patients['c1']}",
                              headers=env.headers("c1", "nurse", **{"X-Purpose-Of-Use": "curiosity"}))
    assert response.status_code == 422 and problem_of(response)["field"] == "X-Purpose-Of-Use"


# --- optimistic concurrency ---------------------------------------------------------------------

def test_two_clients_correcting_one_record_one_wins_the_other_gets_412(env: SecureEnv) -> None:
    for round_ in range(5):
        record_id = env.add_record("c1", "labs")
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def correct(who: str, value: float, record_id: str = record_id, barrier: threading.Barrier = barrier,
                    results: dict[str, Any] = results) -> None:
            barrier.wait()
            results[who] = env.client.put(f"/api/v1/labs/{record_id}", json={**LAB, "value": value},
                                          headers=env.headers("c1", who, **{"If-Match": '"v1"'}))

        threads = [threading.Thread(target=correct, args=("nurse", 31.0)),
                   threading.Thread(target=correct, args=("prescriber", 32.0))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 412], (round_, {k: v.text for k, v in results.items()})
        winner = next(r.json() for r in results.values() if r.status_code == 200)
        old = env.client.get(f"/api/v1/labs/{record_id}", headers=env.headers("c1", "nurse")).json()
        assert old["status"] == "entered-in-error" and old["version"] == 2 and old["value"] == 30.0
        listing = env.client.get(f"/api/v1/patients/{env.patients['c1']}/labs?status=any&limit=500",
                                 headers=env.headers("c1", "nurse")).json()["items"]
        successors = [r for r in listing if r["supersedes"] == record_id]
        assert [s["id"] for s in successors] == [winner["id"]] and successors[0]["value"] == winner["value"]


def test_a_stale_or_missing_if_match_changes_nothing(env: SecureEnv) -> None:
    record_id = env.add_record("c1", "labs")
    url = f"/api/v1/labs/{record_id}"
    missing = env.client.put(url, json=LAB, headers=env.headers("c1", "nurse"))
    stale = env.client.put(url, json=LAB, headers=env.headers("c1", "nurse", **{"If-Match": '"v7"'}))
    retract = env.client.post(f"{url}/entered-in-error", headers=env.headers("c1", "nurse"))
    assert (missing.status_code, stale.status_code, retract.status_code) == (428, 412, 428)
    current = env.client.get(url, headers=env.headers("c1", "nurse"))
    assert current.json()["status"] == "active" and current.headers["ETag"] == '"v1"'


# --- break-the-glass ----------------------------------------------------------------------------

def test_break_the_glass_opens_reads_for_a_limited_time_and_reaches_the_privacy_officer(
        env: SecureEnv) -> None:
    patient = env.patients["c1"]
    url = f"/api/v1/patients/{patient}/counseling-sessions"
    assert env.client.get(url, headers=env.headers("c1", "nurse")).status_code == 403
    short = env.client.post(f"/api/v1/patients/{patient}/break-glass", json={"reason": "urgent"},
                            headers=env.headers("c1", "nurse"))
    assert short.status_code == 422 and problem_of(short)["field"] == "break_glass.reason"
    opened = env.client.post(f"/api/v1/patients/{patient}/break-glass",
                             json={"reason": "found unresponsive, need history", "minutes": 30},
                             headers=env.headers("c1", "nurse"))
    assert opened.status_code == 201
    grant = opened.json()
    started, ends = datetime.fromisoformat(grant["started_at"]), datetime.fromisoformat(grant["expires_at"])
    assert ends - started == timedelta(minutes=30)
    before = env.audit_head()
    assert env.client.get(url, headers=env.headers("c1", "nurse")).status_code == 200
    [entry] = [e for e in env.audit_since(before) if e.category == "counseling"]
    assert entry.purpose == "emergency" and entry.detail == f"break-the-glass {grant['id']}"
    assert env.client.post(url, json=payload_for("counseling", {}), headers=env.headers("c1", "nurse")).status_code \
        == 403  # reading only
    queue = env.client.get("/api/v1/break-glass?unreviewed=true", headers=env.headers("c1", "auditor")).json()
    assert grant["id"] in [g["id"] for g in queue]
    reviewed = env.client.post(f"/api/v1/break-glass/{grant['id']}/review", headers=env.headers("c1", "auditor"))
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_by"] == env.users[("c1", "auditor")].id


# --- web sessions and CSRF ------------------------------------------------------------------------

def test_a_web_session_needs_the_csrf_token_for_changes(env: SecureEnv) -> None:
    app = env.client.app

    @app.post("/test-sign-in")  # type: ignore[attr-defined, untyped-decorator]
    def sign_in(request: Request, response: Response) -> dict[str, str]:
        issued = sessions.sign_in(request, "nurse.c1", PASSWORD)
        sessions.set_session_cookie(request, response, issued)
        return {"ok": "yes"}

    @app.get("/test-csrf")  # type: ignore[attr-defined, untyped-decorator]
    def csrf(request: Request) -> dict[str, str]:
        return {"token": sessions.csrf_token(request)}

    signed = env.client.post("/test-sign-in")
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    url = f"/api/v1/patients/{env.patients['c1']}/labs"
    assert env.client.get(url).status_code == 200
    refused = env.client.post(url, json=LAB)
    assert refused.status_code == 403 and "CSRF" in problem_of(refused)["detail"]
    token = env.client.get("/test-csrf").json()["token"]
    assert env.client.post(url, json=LAB, headers={sessions.CSRF_HEADER: token}).status_code == 201
    assert env.client.post(url, json=LAB, headers={sessions.CSRF_HEADER: "0" * 64}).status_code == 403


def test_patient_demographics_update_needs_the_current_version(env: SecureEnv) -> None:
    body = {"given_name": "Ada", "family_name": "Synthc1", "birth_date": "1990-05-01", "sex_at_birth": "female",
            "mrn": "MRN-c1", "reproductive": {"pregnant": False, "breastfeeding": False, "as_of": "2026-05-01"}}
    url = f"/api/v1/patients/{env.patients['c1']}"
    etag = env.client.get(url, headers=env.headers("c1", "front-desk")).headers["ETag"]
    updated = env.client.put(url, json=body, headers=env.headers("c1", "front-desk", **{"If-Match": etag}))
    assert updated.status_code == 200 and updated.json()["reproductive"]["pregnant"] is False
    assert updated.headers["ETag"] == f'"v{int(etag.strip(chr(34)).lstrip("v")) + 1}"'
    stale = env.client.put(url, json=body, headers=env.headers("c1", "front-desk", **{"If-Match": etag}))
    assert stale.status_code == 412 and problem_of(stale)["field"] == "If-Match"
    taken = env.client.put(url, json={**body, "mrn": "MRN-c1-other"}, headers=env.headers(
        "c1", "front-desk", **{"If-Match": updated.headers["ETag"]}))
    assert taken.status_code == 200


def test_concurrent_audited_reads_keep_one_unbroken_chain(env: SecureEnv) -> None:
    before = env.audit_head()
    url = f"/api/v1/patients/{env.patients['c1']}/labs"
    statuses: list[int] = []

    def read(role: str) -> None:
        for _ in range(10):
            statuses.append(env.client.get(url, headers=env.headers("c1", role)).status_code)

    threads = [threading.Thread(target=read, args=(role,)) for role in ("nurse", "prescriber") * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 80
    entries = env.audit_since(before)
    assert [e.seq for e in entries] == list(range(before + 1, before + 81))
    verified = audit_trail.verify_audit(env.client.app.state.secure_uow, datetime.now(UTC))  # type: ignore[attr-defined]
    assert verified.intact
