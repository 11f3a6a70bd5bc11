"""FHIR R4 REST under /fhir/R4 and CDS Hooks mounted in the real app: read, search, $everything, Part 2."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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

    def get(self, url: str, role: str = "prescriber", headers: dict[str, str] | None = None, **params: str) -> Any:
        return self.client.get(url, params=params,
                               headers={"Authorization": f"Bearer {self.tokens[role]}", **(headers or {})})

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


def _link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((link["url"] for link in bundle.get("link", []) if link["relation"] == relation), None)


def _query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "testserver")  # absolute URLs of this server
    return parse_qs(parts.query)


def test_count_and_offset_page_the_search_with_absolute_links(env: Env) -> None:
    first = env.get("/fhir/R4/Observation", patient="pt-ada", _count="2").json()
    assert find_problems(first) == []
    assert first["total"] == 5 and len(first["entry"]) == 2
    assert _query(_link(first, "self") or "") == {"patient": ["pt-ada"], "_count": ["2"], "_offset": ["0"]}
    assert _link(first, "previous") is None
    seen = [e["resource"]["id"] for e in first["entry"]]
    page = first
    while (url := _link(page, "next")) is not None:
        page = env.client.get(url, headers={"Authorization": f"Bearer {env.tokens['prescriber']}"}).json()
        assert find_problems(page) == [] and page["total"] == 5
        seen += [e["resource"]["id"] for e in page["entry"]]
    assert len(page["entry"]) == 1 and _query(_link(page, "previous") or "")["_offset"] == ["2"]
    whole = env.get("/fhir/R4/Observation", patient="pt-ada").json()
    assert seen == [e["resource"]["id"] for e in whole["entry"]]
    assert whole["entry"][0]["fullUrl"].startswith("http://testserver/fhir/R4/Observation/")


def test_without_count_every_match_is_on_one_page(env: Env) -> None:
    bundle = env.get("/fhir/R4/Observation", patient="pt-ada").json()
    assert len(bundle["entry"]) == 5 and [link["relation"] for link in bundle["link"]] == ["self"]


@pytest.mark.parametrize(("name", "value", "limit"), [
    ("_count", "0", "from 1 to 100"), ("_count", "101", "from 1 to 100"), ("_count", "ten", "from 1 to 100"),
    ("_offset", "-1", "of at least 0"),
])
def test_a_bad_page_parameter_is_a_400_naming_it_and_the_limit(env: Env, name: str, value: str, limit: str) -> None:
    response = env.get("/fhir/R4/Condition", patient="pt-ada", **{name: value})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert find_problems(body) == []
    issue = body["issue"][0]
    assert (issue["severity"], issue["code"], issue["expression"]) == ("error", "invalid", [name])
    assert issue["diagnostics"] == f"{name}: {value!r} must be a whole number {limit}"


def test_strict_handling_refuses_an_unknown_search_parameter(env: Env) -> None:
    response = env.get("/fhir/R4/Condition", headers={"Prefer": "handling=strict"}, patient="pt-ada",
                       onset="2026")
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert (issue["code"], issue["expression"]) == ("invalid", ["onset"])
    assert issue["diagnostics"] == ("onset: '2026' is not a search parameter this server supports "
                                    "(supported: patient, code, _id, _count, _offset)")


@pytest.mark.parametrize("prefer", [None, "handling=lenient"])
def test_lenient_handling_ignores_an_unknown_parameter_and_says_so(env: Env, prefer: str | None) -> None:
    headers = {"Prefer": prefer} if prefer else {}
    bundle = env.get("/fhir/R4/Condition", headers=headers, patient="pt-ada", onset="2026").json()
    assert find_problems(bundle) == []
    assert bundle["total"] == 1
    assert _query(_link(bundle, "self") or "") == {"patient": ["pt-ada"]}  # the parameters used, only
    warning = bundle["entry"][-1]
    assert warning["search"]["mode"] == "outcome"
    issue = warning["resource"]["issue"][0]
    assert (issue["severity"], issue["code"], issue["expression"]) == ("warning", "not-supported", ["onset"])
    assert issue["diagnostics"] == "search parameter(s) not applied: onset"


@pytest.mark.parametrize(("url", "role", "status", "code"), [
    ("/fhir/R4/Patient/pt-ada", None, 401, "security"),
    ("/fhir/R4/Patient/pt-ada", "front-desk", 403, "forbidden"),
    ("/fhir/R4/Patient/pt-nobody", "prescriber", 404, "not-found"),
    ("/fhir/R4/Patient/pt-ada/$everything?recipient=Acme", "prescriber", 403, "forbidden"),
    ("/fhir/R4/Condition?patient=" + "p" * 129, "prescriber", 400, "invalid"),
])
def test_errors_are_operation_outcomes(env: Env, url: str, role: str | None, status: int, code: str) -> None:
    headers = {"Authorization": f"Bearer {env.tokens[role]}"} if role else {}
    response = env.client.get(url, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert find_problems(body) == []
    assert (body["issue"][0]["severity"], body["issue"][0]["code"]) == ("error", code)
    assert body["issue"][0]["diagnostics"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_read_carries_the_record_version_and_a_weak_etag(env: Env) -> None:
    response = env.get("/fhir/R4/Patient/pt-ada")
    assert response.json()["meta"]["versionId"] == "1"
    assert response.headers["etag"] == 'W/"1"'
    conditions = env.get("/fhir/R4/Condition", patient="pt-ada").json()
    assert [e["resource"]["meta"]["versionId"] for e in conditions["entry"]] == ["1"]


def test_the_served_capability_statement_is_valid_and_says_how_to_authenticate(env: Env) -> None:
    response = env.client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    statement = response.json()
    assert find_problems(statement) == []
    assert statement["implementation"]["url"] == "http://testserver/fhir/R4"
    (rest,) = statement["rest"]
    assert rest["security"]["cors"] is False  # no origin configured
    assert "POST /api/v1/auth/token" in rest["security"]["description"]


_SAMPLE = {"token": "pt-ada", "string": "a", "date": "ge1900", "reference": "Patient/pt-ada", "number": "1"}


def test_every_advertised_search_parameter_is_honoured_under_strict_handling(env: Env) -> None:
    statement = env.client.get("/fhir/R4/metadata").json()
    for resource in statement["rest"][0]["resource"]:
        for param in resource["searchParam"]:
            params = {param["name"]: _SAMPLE[param["type"]]}
            if resource["type"] != "Patient":
                params.setdefault("patient", "pt-ada")
            response = env.get(f"/fhir/R4/{resource['type']}", headers={"Prefer": "handling=strict"}, **params)
            assert response.status_code == 200, (resource["type"], param["name"], response.text)
            assert response.json()["resourceType"] == "Bundle"
