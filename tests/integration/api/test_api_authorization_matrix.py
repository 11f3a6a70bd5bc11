"""The authorization matrix: every role x every endpoint x own/other clinic (x consent states
for disclosures), over HTTP. No unauthorized read or write; every attempt audited.

Expectations come from :data:`naltrack.domain.security.roles.MATRIX` (the one place) and
tenancy: another clinic's patient is 404, never 403.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from naltrack.adapters.db.security_tables import audit_log
from naltrack.api.routes.records import RECORD_API
from naltrack.domain.security.consent import Consent
from naltrack.domain.security.roles import KIND_CATEGORY, ROLES, is_permitted
from naltrack.services.security import new_id

from .conftest import ALL_REVIEWED, NOW, SecureEnv, payload_for

Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    category: str
    action: str
    build: Callable[[SecureEnv, str], Request]  # (env, target clinic) -> method, url, body, extra headers
    patient_scoped: bool = True


#: The doses the pre-dose check runs on, by the field that dates them; each create gets the next day after the
#: seeded doses (continuations, so nothing but review items).
DOSE_TIME = {"injections": "given_at", "implants": "inserted_at"}
DOSE_DAYS = (date(2026, 1, 7) + timedelta(days=n) for n in itertools.count())


def _record_endpoints() -> list[Endpoint]:
    out = []
    for api in RECORD_API:
        kind, path, cat = api.kind, api.path, KIND_CATEGORY[api.kind]

        def ctx(env: SecureEnv, c: str) -> dict[str, str]:
            return {"implant": env.records[(c, "implants")]}

        def list_(env: SecureEnv, c: str, path: str = path) -> Request:
            return "GET", f"/api/v1/patients/{env.patients[c]}/{path}", None, {}

        def create(env: SecureEnv, c: str, path: str = path, kind: str = kind) -> Request:
            body = payload_for(kind, ctx(env, c))
            if kind in DOSE_TIME:  # a day of its own (one dose a day), its review items confirmed
                body |= {DOSE_TIME[kind]: f"{next(DOSE_DAYS).isoformat()}T09:00:00Z",
                         "pre_dose": {"confirm": ALL_REVIEWED}}
            return "POST", f"/api/v1/patients/{env.patients[c]}/{path}", body, {}

        def get(env: SecureEnv, c: str, path: str = path, kind: str = kind) -> Request:
            return "GET", f"/api/v1/{path}/{env.records[(c, kind)]}", None, {}

        def correct(env: SecureEnv, c: str, path: str = path, kind: str = kind) -> Request:
            rid = env.add_record(c, kind)
            return "PUT", f"/api/v1/{path}/{rid}", payload_for(kind, ctx(env, c)), {"If-Match": '"v1"'}

        def retract(env: SecureEnv, c: str, path: str = path, kind: str = kind) -> Request:
            rid = env.add_record(c, kind)
            return "POST", f"/api/v1/{path}/{rid}/entered-in-error", None, {"If-Match": '"v1"'}

        out += [Endpoint(f"{path}:list", cat, "read", list_), Endpoint(f"{path}:create", cat, "create", create),
                Endpoint(f"{path}:get", cat, "read", get), Endpoint(f"{path}:correct", cat, "update", correct),
                Endpoint(f"{path}:retract", cat, "retract", retract)]
    return out


def _consent(env: SecureEnv, clinic: str, recipient: str = "County Synthetic ED", **over: Any) -> str:
    values: dict[str, Any] = dict(id=new_id(), patient_id=env.patients[clinic], recipient=recipient,
                                  purpose="referral", categories=("medications", "allergies"),
                                  signed_on=date(2026, 1, 1), expires_on=date(2026, 12, 31))
    values.update(over)
    consent = Consent(**values)
    with env.uow() as uow:
        uow.security.add_consent(consent)
        uow.commit()
    return consent.id


def _grant(env: SecureEnv, clinic: str) -> str:
    from naltrack.domain.security.consent import open_break_glass

    user = env.users[(clinic, "nurse")]
    grant = open_break_glass(new_id(), user.id, f"{clinic}-p2", "synthetic emergency for review", NOW)
    with env.uow() as uow:
        uow.security.add_break_glass(grant)
        uow.commit()
    return grant.id


def _patient(env: SecureEnv, clinic: str) -> str:
    from naltrack.domain.patients import Patient

    patient = Patient(id=new_id(), clinic_id=clinic, given_name="Di", family_name="Synth", birth_date=date(1975, 3, 4),
                      sex_at_birth="unknown")
    with env.uow() as uow:
        uow.patients.add(patient)
        uow.commit()
    return patient.id


PATIENT_BODY = {"given_name": "Di", "family_name": "Synth-Moved", "birth_date": "1975-03-04",
                "sex_at_birth": "unknown", "contacts": [{"kind": "phone", "value": "555-0100"}]}


def _other_endpoints() -> list[Endpoint]:
    consent_body = {"recipient": "Synthetic Referral Clinic", "purpose": "referral", "categories": ["medications"],
                    "signed_on": "2026-01-01", "expires_on": "2026-12-31"}
    return [
        Endpoint("patients:list", "demographics", "read",
                 lambda e, c: ("GET", f"/api/v1/patients?q=MRN-{c}", None, {}), patient_scoped=False),
        Endpoint("patients:get", "demographics", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}", None, {})),
        Endpoint("patients:create", "demographics", "create", lambda e, c: (
            "POST", "/api/v1/patients", {"given_name": "Bo", "family_name": "Synth", "birth_date": "1985-02-03",
                                         "sex_at_birth": "male"}, {}), patient_scoped=False),
        Endpoint("patients:update", "demographics", "update", lambda e, c: (
            "PUT", f"/api/v1/patients/{_patient(e, c)}", PATIENT_BODY, {"If-Match": '"v1"'})),
        Endpoint("consents:list", "consents", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}/consents", None, {})),
        Endpoint("consents:create", "consents", "create",
                 lambda e, c: ("POST", f"/api/v1/patients/{e.patients[c]}/consents", consent_body, {})),
        Endpoint("consents:get", "consents", "read",
                 lambda e, c: ("GET", f"/api/v1/consents/{_consent(e, c)}", None, {})),
        Endpoint("consents:revoke", "consents", "update",
                 lambda e, c: ("POST", f"/api/v1/consents/{_consent(e, c)}/revoke", None, {"If-Match": '"v1"'})),
        Endpoint("disclosures:list", "disclosures", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}/disclosures", None, {})),
        Endpoint("break-glass:open", "break-glass", "create", lambda e, c: (
            "POST", f"/api/v1/patients/{c}-p2/break-glass", {"reason": "unresponsive, synthetic emergency"}, {})),
        Endpoint("break-glass:list", "break-glass", "read",
                 lambda e, c: ("GET", "/api/v1/break-glass", None, {}), patient_scoped=False),
        Endpoint("break-glass:review", "break-glass", "update",
                 lambda e, c: ("POST", f"/api/v1/break-glass/{_grant(e, c)}/review", None, {})),
        Endpoint("audit:search", "audit", "read",
                 lambda e, c: ("GET", "/api/v1/audit?limit=1000", None, {}), patient_scoped=False),
        Endpoint("views:alerts", "clinical-views", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}/alerts", None, {})),
        Endpoint("views:readiness", "clinical-views", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}/readiness?form=oral", None, {})),
        Endpoint("views:coverage", "clinical-views", "read",
                 lambda e, c: ("GET", f"/api/v1/patients/{e.patients[c]}/coverage?days_back=30&days_ahead=0", None,
                               {})),
        Endpoint("users:list", "users", "read", lambda e, c: ("GET", "/api/v1/users", None, {}),
                 patient_scoped=False),
        Endpoint("users:create", "users", "create", lambda e, c: (
            "POST", "/api/v1/users", {"username": f"new.{new_id()[:8]}", "password": "synthetic-password-99",
                                      "role": "nurse"}, {}), patient_scoped=False),
    ]


ENDPOINTS = _record_endpoints() + _other_endpoints()
CONSENT_STATES = ("none", "active", "expired", "revoked", "other-recipient", "other-purpose", "narrower-scope",
                  "not-yet-signed")
CASES = [(role, ep, target) for role in ROLES for ep in ENDPOINTS for target in ("own", "other")]
DISCLOSURE_CASES = [(role, state, target) for role in ROLES for state in CONSENT_STATES for target in ("own", "other")]


def test_the_matrix_has_at_least_a_thousand_cases() -> None:
    assert len(CASES) + len(DISCLOSURE_CASES) >= 1000


def _new_entries(env: SecureEnv, after: int) -> list[Any]:
    with env.storage.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq))
        return list(rows.mappings())


def _check_audit(env: SecureEnv, before: int, user_id: str, outcome: str, category: str) -> None:
    """One entry for the access; a dose given also writes its pre-dose decision (one entry more, same category)."""
    entries = [e for e in _new_entries(env, before) if e["actor"] == user_id and e["category"] == category
               and e["record_type"] != "dose_decisions"]
    assert [e["outcome"] for e in entries] == [outcome], entries


def _expected(role: str, ep: Endpoint, target: str) -> int:
    if target == "other" and ep.patient_scoped:
        return 404
    return 200 if is_permitted(role, ep.category, ep.action) else 403


@pytest.mark.parametrize(("role", "endpoint", "target"), CASES,
                         ids=[f"{r}-{e.name}-{t}" for r, e, t in CASES])
def test_access_follows_the_matrix_and_is_audited(shared_env: SecureEnv, role: str, endpoint: Endpoint,
                                                  target: str) -> None:
    env = shared_env
    clinic = "c1" if target == "own" else "c2"
    method, url, body, extra = endpoint.build(env, clinic)
    user = env.users[("c1", role)]
    before = env.audit_head()
    response = env.client.request(method, url, json=body, headers=env.headers("c1", role, **extra))
    expected = _expected(role, endpoint, target)
    if expected == 200:
        assert response.status_code in (200, 201, 204), (response.status_code, response.text)
        _check_audit(env, before, user.id, "allowed", endpoint.category)
        if endpoint.category == "audit":  # the clinic's own entries only (a c1 user's probe of c2 is c1's entry)
            assert {e["clinic_id"] for e in response.json()} <= {"c1", None}
        else:
            _no_other_clinic_data(env, response.text)
    else:
        assert response.status_code == expected, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        _check_audit(env, before, user.id, "denied" if expected == 403 else "not-found", endpoint.category)


def _no_other_clinic_data(env: SecureEnv, text: str) -> None:
    assert env.patients["c2"] not in text and "MRN-c2" not in text and '"c2"' not in text


def _consent_for(env: SecureEnv, clinic: str, state: str, recipient: str) -> None:
    over: dict[str, Any] = {
        "active": {}, "expired": {"expires_on": date(2026, 5, 31)}, "revoked": {"revoked_at": NOW},
        "other-recipient": {"recipient": "Someone Else Synthetic"}, "other-purpose": {"purpose": "payment"},
        "narrower-scope": {"categories": ("allergies",)},
        "not-yet-signed": {"signed_on": date(2099, 1, 1), "expires_on": date(2099, 12, 31)},
    }.get(state, {})
    if state != "none":
        _consent(env, clinic, **{"recipient": recipient, **over})


@pytest.mark.parametrize(("role", "state", "target"), DISCLOSURE_CASES,
                         ids=[f"{r}-{s}-{t}" for r, s, t in DISCLOSURE_CASES])
def test_disclosure_needs_a_fitting_consent_and_is_recorded(shared_env: SecureEnv, role: str, state: str,
                                                            target: str) -> None:
    env = shared_env
    clinic = "c1" if target == "own" else "c2"
    recipient = f"Synthetic Recipient {role} {state} {target}"
    _consent_for(env, clinic, state, recipient)
    before = env.audit_head()
    body = {"recipient": recipient, "purpose": "referral", "categories": ["medications"]}
    response = env.client.post(f"/api/v1/patients/{env.patients[clinic]}/disclosures", json=body,
                               headers=env.headers("c1", role))
    user = env.users[("c1", role)]
    if target == "other":
        assert response.status_code == 404
        _check_audit(env, before, user.id, "not-found", "disclosures")
    elif role == "prescriber" and state == "active":
        assert response.status_code == 201, response.text
        package = response.json()
        assert package["notice"].startswith("This record which has been disclosed to you is protected")
        assert set(package["records"]) == {"medications"}
        assert package["disclosure"]["recipient"] == recipient
        _check_audit(env, before, user.id, "allowed", "disclosures")
    else:
        assert response.status_code == 403, response.text
        _check_audit(env, before, user.id, "denied", "disclosures")
