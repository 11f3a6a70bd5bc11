"""A secure clinic service on a fresh database: two clinics, one user of every role in
each, a patient in each with one record of every kind, and a TestClient.

Synthetic data only.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from naltrack.api.app import create_app
from naltrack.api.routes.records import RECORD_API
from naltrack.api.schemas import to_domain
from naltrack.bootstrap import Storage
from naltrack.config import Settings
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.rules.base import RULES
from naltrack.domain.security.roles import ROLES
from naltrack.services import security as security_cases
from naltrack.services.security import new_id
from naltrack.services.unit_of_work import RECORD_TYPES

PASSWORD = "synthetic-password-42"
CLINICS = ("c1", "c2")
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def payload_for(kind: str, context: dict[str, str]) -> dict[str, Any]:
    """A valid create body of each kind (``context`` names records it may refer to)."""
    t = "2026-01-06T09:00:00Z"
    payloads: dict[str, dict[str, Any]] = {
        "episodes": {"indication": "OUD", "level_of_care": "OP", "start": "2026-01-05"},
        "diagnoses": {"system": "icd10cm", "code": "F11.20", "display": "Opioid dependence, uncomplicated"},
        "regimens": {"kind": "xr-ntx-q4w", "start": "2026-01-05", "dose_mg": 380.0},
        "oral_doses": {"taken_at": t, "dose_mg": 50.0},
        "injections": {"given_at": t, "side": "left", "lot": "SYN-LOT-1", "expiry": "2027-01-01",
                       "needle_length_in": 1.5, "given_by": "Nurse Synthetic"},
        "implants": {"inserted_at": t, "dose_mg": 1000.0, "product": "compounded pellet", "inserted_by": "Dr Synth"},
        "implant_removals": {"implant_id": context.get("implant", "none"), "removed_at": "2026-01-20T09:00:00Z",
                             "reason": "surgery planned", "removed_by": "Dr Synth"},
        "medications": {"rxnorm": "197623", "start": "2026-01-01"},
        "substance_use": {"substance": "heroin", "last_use": "2026-01-01", "reported_on": "2026-01-05"},
        "drinking_days": {"day": "2026-01-03", "standard_drinks": 4.0},
        "labs": {"loinc": "1742-6", "name": "ALT", "value": 30.0, "unit": "U/L", "collected_at": t,
                 "reference_high": 40.0},
        "screens": {"collected_at": t, "results": [{"analyte": "fentanyl", "result": "negative"}]},
        "naloxone_challenges": {"performed_at": t, "route": "sc", "passed": True},
        "questionnaires": {"instrument": "audit-c", "answers": [1, 1, 0], "completed_at": t},
        "allergies": {"substance": "other", "reaction": "rash"},
        "adverse_events": {"kind": "nausea", "onset": "2026-01-07", "ctcae_grade": 1},
        "counseling": {"kind": "cbt", "held_on": "2026-01-07", "duration_min": 50, "counselor": "C. Synth"},
        "support_groups": {"fellowship": "AA", "attended_on": "2026-01-07"},
        "appointments": {"kind": "injection", "starts_at": "2026-02-03T14:00:00Z"},
        "procedures": {"planned_on": "2026-03-01", "description": "knee arthroscopy"},
        "documents": {"kind": "wallet-card", "issued_on": "2026-01-06"},
        "safety_assessments": {"assessed_at": t, "risk_level": "low", "actions": ["safety-plan", "crisis-line-988"],
                               "assessed_by": "C. Synth"},
    }
    return payloads[kind]


#: The implant order the seeded implants were given under (the pre-dose check wants an order for each dose).
IMPLANT_ORDER = {"kind": "implant", "start": "2026-01-05", "dose_mg": 1000.0, "implant_product": "compounded pellet",
                 "expected_duration_days": 60}
#: Every review item a readiness rule can raise, confirmed (its key and a second finding's): for the tests of
#: who may record a dose, not of the check (test_api_pre_dose.py tests the check).
ALL_REVIEWED = [f"{rule.id}{n}" for rule in RULES if rule.kind == "readiness" and "review" in rule.severities
                for n in ("", "/2")]


@dataclass
class SecureEnv:
    """Handles on the running service."""

    client: TestClient
    storage: Storage
    users: dict[tuple[str, str], Any] = field(default_factory=dict)  # (clinic, role) -> User
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)  # clinic -> patient id
    records: dict[tuple[str, str], str] = field(default_factory=dict)  # (clinic, kind) -> record id

    def uow(self) -> Any:
        return self.client.app.state.secure_uow()  # type: ignore[attr-defined]

    def headers(self, clinic: str, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(clinic, role)]}", **extra}

    def add_record(self, clinic: str, kind: str, fields: dict[str, Any] | None = None) -> str:
        """Store a fresh record of ``kind`` for the clinic's patient, directly through the repository (not audited)."""
        patient_id = self.patients[clinic]
        context = {"implant": self.records.get((clinic, "implants"), "none")}
        data = {**payload_for(kind, context), **(fields or {}), "id": new_id(), "patient_id": patient_id}
        if kind == "questionnaires":
            data.update(total=2.0, band="negative", flags=())
        if kind == "safety_assessments":  # the API fills the role from the signed-in user
            data["assessor_role"] = "counselor"
        for key in ("results",):
            if key in data:
                data[key] = [dict(r) for r in data[key]]
        record = to_domain(RECORD_TYPES[kind], {**_parse(RECORD_TYPES[kind], data), "recorded_at": NOW})
        with self.uow() as uow:
            uow.records.add(record)
            uow.commit()
        return str(record.id)

    def audit_head(self) -> int:
        with self.uow() as uow:
            head = uow.security.audit_head()
        return 0 if head is None else head[0]

    def audit_since(self, seq: int) -> list[Any]:
        with self.uow() as uow:
            return [e for e in uow.security.iter_audit() if e.seq > seq]


def _parse(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ISO strings into dates and times through the create schema."""
    from naltrack.api.schemas import BASE_FIELDS, create_schema

    model = create_schema(cls, ("total", "band", "flags") if "total" in data else ())
    body = {k: v for k, v in data.items() if k not in BASE_FIELDS and k not in ("total", "band", "flags")}
    parsed = model.model_validate(body).model_dump()
    return {**data, **parsed}


def build_env(url: str) -> SecureEnv:
    settings = Settings(database_url=url, timezone="UTC", data_dir=Path("/nonexistent"))
    app = create_app(settings)
    client = TestClient(app, raise_server_exceptions=False)
    storage: Storage = app.state.storage
    env = SecureEnv(client=client, storage=storage)
    factory = app.state.secure_uow
    with factory() as uow:
        for clinic in CLINICS:
            uow.clinics.add(Clinic(id=clinic, name=f"Synthetic clinic {clinic}", timezone="UTC"))
            patient = Patient(id=f"{clinic}-p1", clinic_id=clinic, given_name="Ada", family_name=f"Synth{clinic}",
                              birth_date=date(1990, 5, 1), sex_at_birth="female", mrn=f"MRN-{clinic}")
            uow.patients.add(patient)
            env.patients[clinic] = patient.id
            uow.patients.add(Patient(id=f"{clinic}-p2", clinic_id=clinic, given_name="Cy", family_name=f"Synth{clinic}",
                                     birth_date=date(1980, 1, 2), sex_at_birth="male"))
        uow.commit()
    for clinic in CLINICS:
        for role in ROLES:
            user = security_cases.add_user(factory, f"{role}.{clinic}", PASSWORD, role, clinic, NOW)
            env.users[(clinic, role)] = user
            issued = security_cases.sign_in(factory, security_cases.SignInThrottle(), user.username, PASSWORD,
                                            "testclient", datetime.now(UTC))
            env.tokens[(clinic, role)] = issued.token
        env.records[(clinic, "implants")] = env.add_record(clinic, "implants")
        env.add_record(clinic, "regimens", IMPLANT_ORDER)
        for api in RECORD_API:
            if api.kind != "implants":
                env.records[(clinic, api.kind)] = env.add_record(clinic, api.kind)
    return env


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2 with its smallest cost: the tests sign in hundreds of times (production keeps the defaults)."""
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security_cases, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


def url_for(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A fresh database URL on ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'secure.db'}"
    from tests.conftest import _fresh_postgres  # the shared fixture's helper

    server = request.getfixturevalue("postgres_server")
    return _fresh_postgres(server, request.getfixturevalue("postgres_template"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def secure_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecureEnv]:
    env = build_env(url_for(request, request.param, tmp_path))
    try:
        yield env
    finally:
        env.client.close()
        env.storage.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureEnv]:
    """One service for a whole module (the authorization matrix)."""
    env = build_env(url_for(request, request.param, tmp_path_factory.mktemp("secure")))
    try:
        yield env
    finally:
        env.client.close()
        env.storage.close()
