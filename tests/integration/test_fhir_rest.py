"""FHIR R4 REST under /fhir/R4 and CDS Hooks mounted in the real app: read, search, $everything, Part 2."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.seeding import seed

from naltrack.adapters.fhir.r4_common import find_problems, is_part2_labelled
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.patients import Clinic
from naltrack.domain.security.consent import Consent
from naltrack.services import security as security_cases

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime(2026, 3, 12, 16, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


class Env:
    def __init__(self, client: TestClient, tokens: dict[str, str], app: Any) -> None:
        self.client = client
        self.tokens = tokens
        self.app = app

    def get(self, url: str, role: str = "prescriber", **params: str) -> Any:
        return self.client.get(url, params=params, headers={"Authorization": f"Bearer {self.tokens[role]}"})

    def audit(self) -> list[Any]:
        with self.app.state.secure_uow() as uow:
            return list(uow.security.iter_audit())


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp_path = tmp_path_factory.mktemp("fhir-rest")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", timezone="UTC", data_dir=tmp_path))
    factory = app.state.secure_uow
    chart = sample_chart("pt-ada")
    with factory() as uow:
        uow.clinics.add(Clinic(id="clinic-1", name="Riverside MAT", timezone="UTC"))
        uow.clinics.add(Clinic(id="clinic-2", name="Hillside MAT", timezone="UTC"))
        uow.patients.add(chart.patient)
        uow.security.add_consent(Consent(id="c1", patient_id="pt-ada", recipient="County Hospital",
                                         purpose="treatment", categories=("diagnoses", "administrations"),
                                         signed_on=date(2026, 1, 2), expires_on=date(2027, 1, 1)))
        uow.commit()
    seed(app.state.storage.uow, records=[*chart.diagnoses, *chart.regimens, *chart.injections, *chart.labs,
                                         *chart.screens], now=NOW)
    tokens = {}
    for role, clinic in (("prescriber", "clinic-1"), ("front-desk", "clinic-1"), ("other", "clinic-2")):
        user = security_cases.add_user(factory, f"{role}.u", PASSWORD, "prescriber" if role == "other" else role,
                                       clinic, NOW)
        tokens[role] = security_cases.sign_in(factory, security_cases.SignInThrottle(), user.username, PASSWORD,
                                              "testclient", datetime.now(UTC)).token
    with TestClient(app) as client:
        yield Env(client, tokens, app)
    app.state.storage.close()


def test_read_patient_returns_a_valid_labelled_us_core_patient(env: Env) -> None:
    response = env.get("/fhir/R4/Patient/pt-ada")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    patient = response.json()
    assert patient["resourceType"] == "Patient" and find_problems(patient) == []
    assert is_part2_labelled(patient)


def test_search_observations_by_patient_and_code(env: Env) -> None:
    bundle = env.get("/fhir/R4/Observation", patient="Patient/pt-ada", code="http://loinc.org|1742-6").json()
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["valueQuantity"]["value"] == 38.0
    all_obs = env.get("/fhir/R4/Observation", patient="pt-ada").json()
    assert all_obs["total"] == 5  # pregnancy, ALT, three screen analytes


@pytest.mark.parametrize(("kind", "total"), [("Condition", 1), ("MedicationAdministration", 2),
                                             ("MedicationRequest", 2)])
def test_search_main_resources_by_patient(env: Env, kind: str, total: int) -> None:
    assert env.get(f"/fhir/R4/{kind}", patient="pt-ada").json()["total"] == total


def test_search_without_patient_is_an_operation_outcome_naming_the_parameter(env: Env) -> None:
    response = env.get("/fhir/R4/Condition")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Condition.patient"]
    assert env.get("/fhir/R4/Claim", patient="pt-ada").status_code == 404


def test_everything_inside_the_program_is_audited(env: Env) -> None:
    before = len(env.audit())
    bundle = env.get("/fhir/R4/Patient/pt-ada/$everything").json()
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Condition", "MedicationRequest", "MedicationAdministration", "Observation"} <= kinds
    after = env.audit()
    assert len(after) == before + 1 and after[-1].record_type == "fhir-everything"


def test_everything_for_a_recipient_discloses_only_the_consented_categories_with_the_notice(env: Env) -> None:
    response = env.get("/fhir/R4/Patient/pt-ada/$everything", recipient="County Hospital")
    assert response.status_code == 200
    bundle = response.json()
    kinds = sorted({e["resource"]["resourceType"] for e in bundle["entry"]})
    assert kinds == ["AuditEvent", "Condition", "Consent", "MedicationAdministration", "Patient", "Provenance"]
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    assert consent["provision"]["actor"][0]["reference"]["display"] == "County Hospital"
    assert consent["status"] == "active"
    assert "42 CFR part 2" in bundle["meta"]["tag"][0]["display"]
    assert env.audit()[-1].action == "disclose"


def test_everything_for_a_recipient_without_consent_is_refused(env: Env) -> None:
    response = env.get("/fhir/R4/Patient/pt-ada/$everything", recipient="Acme Employer")
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert env.audit()[-1].outcome == "denied"


def test_another_clinic_and_front_desk_cannot_read_the_record(env: Env) -> None:
    assert env.get("/fhir/R4/Patient/pt-ada/$everything", role="other").status_code == 404
    assert env.get("/fhir/R4/Patient/pt-ada/$everything", role="front-desk").status_code == 403
    assert env.client.get("/fhir/R4/Patient/pt-ada").status_code == 401


def test_cds_services_are_mounted_in_the_app(env: Env) -> None:
    services = env.client.get("/cds-services").json()["services"]
    assert len(services) == 5  # one entry per (service, hook)
    response = env.client.post("/cds-services/naltrexone-patient-view", content=b"{")
    assert response.status_code == 401  # outside the demo the calling EHR's JWT is verified before anything
    assert env.get("/fhir/R4/metadata").json()["fhirVersion"] == "4.0.1"
