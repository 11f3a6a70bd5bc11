"""FHIR disclosures, Patient search and poison records on SQLite and PostgreSQL: the demo program's export is
closed, empty-free and labelled; a disclosure carries the Patient only as far as the consent allows, the same
as the REST disclosure; a disclosure or export that fails records nothing and writes nothing; a stored value
the FHIR writer cannot render stops one resource (or one patient), never the read or the export."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.fhir_checks import empty_elements, unresolved
from tests.seeding import seed

from naltrack.adapters.fhir import bulk_export, r4_export
from naltrack.adapters.fhir.r4_common import find_problems, is_part2_labelled
from naltrack.adapters.fhir.r4_samples import sample_chart, sample_patient
from naltrack.api.app import create_app
from naltrack.cli.main import cli
from naltrack.config import Settings
from naltrack.domain.patients import Clinic, Contact, Patient
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.consent import Consent
from naltrack.services import consents as consent_cases
from naltrack.services import security as security_cases
from naltrack.services.context import AppContext
from naltrack.synthetic import generate_clinics, load_program

with warnings.catch_warnings():  # starlette asks for httpx2, not installed here; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime(2026, 3, 12, 16, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
RECIPIENT = "County Hospital"


@dataclass
class Env:
    url: str
    client: TestClient
    app: Any
    token: str

    def get(self, url: str, headers: dict[str, str] | None = None, **params: str) -> Any:
        return self.client.get(url, params=params, headers={"Authorization": f"Bearer {self.token}", **(headers or {})})

    def audit(self) -> list[Any]:
        with self.app.state.secure_uow() as uow:
            return list(uow.security.iter_audit())

    def disclosures(self, patient_id: str) -> list[Any]:
        with self.app.state.secure_uow() as uow:
            return list(uow.security.disclosures_for(patient_id))


def _consent(cid: str, patient_id: str, categories: tuple[str, ...]) -> Consent:
    return Consent(id=cid, patient_id=patient_id, recipient=RECIPIENT, purpose="treatment", categories=categories,
                   signed_on=date(2026, 1, 2), expires_on=date(2027, 1, 1))


def _people() -> tuple[Any, Patient, Patient]:
    ada = sample_chart("pt-ada")
    zoe = replace(sample_patient("pt-zoe", birth=date(1991, 7, 2)), given_name="Zoë", family_name="Müller",
                  mrn="MRN-Z", contacts=(Contact("email", "zoe@example.org"),))
    bo = replace(sample_patient("pt-bo", sex="male", birth=date(1979, 12, 31)), given_name="Bo")
    return ada, zoe, bo


@pytest.fixture()
def env(database_url: str, tmp_path: Path) -> Iterator[Env]:
    app = create_app(Settings(database_url=database_url, timezone="UTC", data_dir=tmp_path))
    factory = app.state.secure_uow
    ada, zoe, bo = _people()
    seed(app.state.storage.uow, clinics=[Clinic(id="clinic-1", name="Riverside MAT", timezone="UTC"),
                                         Clinic(id="clinic-2", name="Hillside MAT", timezone="UTC")],
         patients=[ada.patient, zoe, bo, replace(sample_patient("pt-far"), clinic_id="clinic-2")],
         records=[*ada.diagnoses, *ada.regimens, *ada.injections, *ada.labs], now=NOW)
    with factory() as uow:
        uow.security.add_consent(_consent("c-narrow", "pt-ada", ("diagnoses", "administrations")))
        uow.commit()
    user = security_cases.add_user(factory, "dr.okafor", PASSWORD, "prescriber", "clinic-1", NOW)
    token = security_cases.sign_in(factory, security_cases.SignInThrottle(), user.username, PASSWORD, "testclient",
                                   datetime.now(UTC)).token
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(database_url, client, app, token)
    app.state.storage.close()


def _actor(env: Env) -> Actor:
    with env.app.state.secure_uow() as uow:
        found = uow.security.find_credentials("dr.okafor")
    assert found is not None
    return Actor(found[0], "test")


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e.get("search", {}).get("mode") != "outcome"]


# Disclosure exactly as consented -------------------------------------------------------------------

def test_a_consent_without_demographics_discloses_the_patient_id_only_like_the_rest_disclosure(env: Env) -> None:
    bundle = env.get("/fhir/R4/Patient/pt-ada/$everything", recipient=RECIPIENT).json()
    resources = _resources(bundle)
    patient = resources[0]
    assert patient["resourceType"] == "Patient" and set(patient) == {"resourceType", "id", "meta"}
    assert set(patient["meta"]) == {"security", "versionId"} and is_part2_labelled(patient)
    text = json.dumps(bundle)
    for private in ("Ada", "Quill", "1988-03-14", "555-0100", "555-0199", "MRN-pt-ada", "Bo Quill"):
        assert private not in text
    assert unresolved(resources) == [] and empty_elements(bundle) == []
    assert all(find_problems(r) == [] and is_part2_labelled(r) for r in resources)
    package = consent_cases.disclose(AppContext(uow=env.app.state.secure_uow), _actor(env), "pt-ada", RECIPIENT,
                                     "treatment", ("diagnoses", "administrations"), NOW)
    assert "demographics" not in package.records  # the REST disclosure under the same consent


def test_a_consent_with_demographics_discloses_them_on_both_paths(env: Env) -> None:
    with env.app.state.secure_uow() as uow:
        uow.security.add_consent(_consent("c-wide", "pt-ada", ("demographics", "diagnoses", "administrations")))
        uow.commit()
    patient = _resources(env.get("/fhir/R4/Patient/pt-ada/$everything", recipient=RECIPIENT).json())[0]
    assert patient["birthDate"] == "1988-03-14" and patient["name"][0]["family"] == "Quill"
    package = consent_cases.disclose(AppContext(uow=env.app.state.secure_uow), _actor(env), "pt-ada", RECIPIENT,
                                     "treatment", ("demographics", "diagnoses"), NOW)
    (shown,) = package.records["demographics"]
    assert (shown["family_name"], shown["reproductive"]) == ("Quill", None)  # pregnancy status needs labs


def test_a_disclosure_that_cannot_be_made_is_not_recorded(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> dict[str, Any]:
        raise ValueError("gender code not in the value set")

    monkeypatch.setattr(r4_export, "withheld_patient_resource", broken)
    response = env.get("/fhir/R4/Patient/pt-ada/$everything", recipient=RECIPIENT)
    assert response.status_code == 409
    issue = response.json()["issue"][0]
    assert issue["code"] == "conflict"
    assert issue["diagnostics"].startswith("Patient/pt-ada cannot be written as FHIR R4 ((record): cannot be written")
    assert env.disclosures("pt-ada") == []
    assert [e.outcome for e in env.audit() if e.action == "disclose"] == ["conflict"]


# Patient search -----------------------------------------------------------------------------------

SEARCHES: list[tuple[dict[str, str], list[str]]] = [
    ({"name": "quill"}, ["pt-ada", "pt-bo"]), ({"name": "muller"}, ["pt-zoe"]), ({"given": "ZOE"}, ["pt-zoe"]),
    ({"family": "Qu", "given": "Ad"}, ["pt-ada"]), ({"_id": "pt-zoe,pt-bo"}, ["pt-bo", "pt-zoe"]),
    ({"identifier": "urn:naltrack:mrn:clinic-1|MRN-Z"}, ["pt-zoe"]), ({"identifier": "MRN-pt-ada"}, ["pt-ada"]),
    ({"birthdate": "1988"}, ["pt-ada"]), ({"birthdate": "ge1988-03-14"}, ["pt-ada", "pt-zoe"]),
    ({"birthdate": "le1979-12"}, ["pt-bo"]), ({"name": "far"}, []), ({"_id": "pt-far"}, []),
]


def test_patient_search_by_name_identifier_birthdate_and_id_within_the_clinic(env: Env) -> None:
    for params, ids in SEARCHES:
        response = env.get("/fhir/R4/Patient", **params)
        assert response.status_code == 200, params
        bundle = response.json()
        assert find_problems(bundle) == []
        assert (sorted(r["id"] for r in _resources(bundle)), bundle["total"]) == (ids, len(ids)), params


def test_patient_search_pages_and_audits_each_patient_shown(env: Env) -> None:
    before = len(env.audit())
    first = env.get("/fhir/R4/Patient", name="q", _count="1").json()
    assert first["total"] == 2 and len(first["entry"]) == 1
    shown = first["entry"][0]["resource"]["id"]
    entries = env.audit()[before:]
    assert [(e.action, e.record_type, e.patient_id, e.outcome) for e in entries] == [
        ("read", "patients", shown, "allowed")]
    assert entries[0].detail == "shown by a FHIR Patient search"
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "name=q" in nxt and "_offset=1" in nxt
    second = env.client.get(nxt, headers={"Authorization": f"Bearer {env.token}"}).json()
    assert [e["resource"]["id"] for e in second["entry"]] != [shown]
    assert second["entry"][0]["resource"]["meta"]["versionId"] == "1"


def test_a_patient_the_writer_cannot_render_is_named_not_shown_and_the_search_goes_on(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    real = r4_export.patient_resource

    def poisoned(patient: Any, labels: list[dict[str, Any]]) -> dict[str, Any]:
        resource = real(patient, labels)
        if patient.id == "pt-bo":
            resource["birthDate"] = "1979-12-31T25:00"
        return resource

    monkeypatch.setattr(r4_export, "patient_resource", poisoned)
    bundle = env.get("/fhir/R4/Patient", name="quill").json()
    assert [r["id"] for r in _resources(bundle)] == ["pt-ada"]
    issue = bundle["entry"][-1]["resource"]["issue"][0]
    assert (issue["code"], issue["expression"]) == ("processing", ["Patient/pt-bo"])
    assert "birthDate" in issue["diagnostics"]
    assert [e.patient_id for e in env.audit() if e.detail == "shown by a FHIR Patient search"] == ["pt-ada"]


@pytest.mark.parametrize(("url", "name", "diagnostics"), [
    ("/fhir/R4/Patient?birthdate=1988-13", "birthdate", "birthdate: '1988-13' is not a calendar date"),
    ("/fhir/R4/Patient?birthdate=about1988", "birthdate", "birthdate: 'about1988' must be "
                                                          "[eq|ne|gt|lt|ge|le]YYYY[-MM[-DD]]"),
    ("/fhir/R4/Patient?gender=female", "gender", "gender: 'female' is not a search parameter this server supports "
                                                 "(supported: _id, name, family, given, identifier, birthdate, "
                                                 "_count, _offset)"),
    ("/fhir/R4/Condition?patient=pt-ada&name=x", "name", "name: 'x' is not a search parameter this server "
                                                         "supports (supported: patient, code, _id, _count, _offset)"),
])
def test_a_search_the_server_cannot_run_is_a_400_naming_the_parameter(env: Env, url: str, name: str,
                                                                      diagnostics: str) -> None:
    response = env.client.get(url, headers={"Authorization": f"Bearer {env.token}", "Prefer": "handling=strict"})
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert (issue["code"], issue["expression"], issue["diagnostics"]) == ("invalid", [name], diagnostics)


# Poison records -----------------------------------------------------------------------------------

def test_a_resource_the_writer_cannot_render_is_left_out_and_named(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    real = r4_export.injection_administration

    def poisoned(shot: Any, labels: list[dict[str, Any]]) -> dict[str, Any]:
        resource = real(shot, labels)
        if shot.id == "pt-ada-inj-1":
            resource["effectiveDateTime"] = "2026-03-02T10:00:00+23:59"
        return resource

    monkeypatch.setattr(r4_export, "injection_administration", poisoned)
    for url, params in (("/fhir/R4/Patient/pt-ada/$everything", {}),
                        ("/fhir/R4/MedicationAdministration", {"patient": "pt-ada"})):
        response = env.get(url, **params)
        assert response.status_code == 200, response.text
        bundle = response.json()
        assert find_problems(bundle) == []
        assert "pt-ada-inj-1" not in {r["id"] for r in _resources(bundle)}
        assert "pt-ada-inj-0" in {r["id"] for r in _resources(bundle)}
        outcome = bundle["entry"][-1]
        assert outcome["search"]["mode"] == "outcome"
        issue = outcome["resource"]["issue"][0]
        assert (issue["severity"], issue["code"], issue["expression"]) == (
            "error", "processing", ["MedicationAdministration/pt-ada-inj-1"])
        assert "effectiveDateTime" in issue["diagnostics"]
    assert env.get("/fhir/R4/Patient/pt-ada").status_code == 200


def _poison_offset(env: Env) -> None:
    """A stored injection time at UTC+23:59, as written before the offset limit was enforced."""
    engine = sa.create_engine(env.url)
    with engine.begin() as connection:
        changed = connection.execute(sa.text("UPDATE injections SET given_at_utc_offset_s = 86340 "
                                             "WHERE id = 'pt-ada-inj-1'")).rowcount
    engine.dispose()
    assert changed == 1


def test_a_stored_offset_beyond_14_hours_is_a_clear_409_not_a_500(env: Env) -> None:
    _poison_offset(env)
    for url, params in (("/fhir/R4/Patient/pt-ada", {}), ("/fhir/R4/Patient/pt-ada/$everything", {}),
                        ("/fhir/R4/Condition", {"patient": "pt-ada"})):
        response = env.get(url, **params)
        assert response.status_code == 409, url
        issue = response.json()["issue"][0]
        assert issue["code"] == "conflict"
        assert "injection.given_at" in issue["diagnostics"] and "+23:59" in issue["diagnostics"]
    response = env.get("/fhir/R4/Patient/pt-ada/$everything", recipient=RECIPIENT)
    assert response.status_code == 409 and "injection.given_at" in response.json()["issue"][0]["diagnostics"]
    assert env.disclosures("pt-ada") == []
    assert env.get("/fhir/R4/Patient/pt-zoe").status_code == 200  # the others read as ever


# Bulk export --------------------------------------------------------------------------------------

def _export(env: Env, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["fhir", "export", "--all", "--out", str(out), "--recipient", RECIPIENT,
                                      "--as", "dr.okafor", "--database-url", env.url])
    return result.exit_code, result.output


def _consent_all(env: Env) -> None:
    with env.app.state.secure_uow() as uow:
        for pid in ("pt-zoe", "pt-bo"):
            uow.security.add_consent(_consent(f"c-{pid}", pid, ("demographics", "diagnoses")))
        uow.commit()


@pytest.mark.parametrize("where", ["staging", "delivery"])
def test_an_export_that_fails_half_way_writes_nothing_and_records_no_disclosure(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    _consent_all(env)
    calls: list[str] = []
    target = "render_disclosure" if where == "staging" else "disclosure_resources"
    real = getattr(bulk_export, target)

    def fails_second(*args: Any) -> Any:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(bulk_export, target, fails_second)
    out = tmp_path / "export"
    code, _ = _export(env, out)
    assert code != 0 and len(calls) == 2
    assert not out.exists() and list(tmp_path.glob(".export.*")) == []
    assert all(env.disclosures(pid) == [] for pid in ("pt-ada", "pt-zoe", "pt-bo"))
    assert not [e for e in env.audit() if e.action == "disclose" and e.outcome == "allowed"]


def test_an_export_goes_on_past_a_patient_whose_stored_record_cannot_be_read(env: Env, tmp_path: Path) -> None:
    _consent_all(env)
    _poison_offset(env)
    out = tmp_path / "export"
    code, output = _export(env, out)
    assert code == 0, output
    summary = json.loads(output)
    assert summary["patients"] == 2
    (named,) = summary["not_written"]
    assert named.startswith("pt-ada: left out: Patient/pt-ada: a stored record cannot be read (injection.given_at")
    assert (out / "NOTICE.txt").exists()
    patients = [json.loads(line)["id"] for line in (out / "Patient.ndjson").read_text().splitlines()]
    assert sorted(patients) == ["pt-bo", "pt-zoe"]
    assert env.disclosures("pt-ada") == [] and len(env.disclosures("pt-zoe")) == 1


def test_the_demo_programs_export_is_closed_empty_free_labelled_and_valid(database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=database_url, timezone="UTC", data_dir=tmp_path))
    load_program(app.state.storage.uow, n_patients=24, seed=9, end=date(2026, 3, 1))
    clinic = generate_clinics(9)[0]
    factory = app.state.secure_uow
    security_cases.add_user(factory, "dr.okafor", PASSWORD, "prescriber", clinic.id, NOW)
    with factory() as uow:
        ids = [p.id for p in uow.patients.search(clinic_id=clinic.id, limit=100)]
        for pid in ids:
            uow.security.add_consent(_consent(f"c-{pid}", pid, ("demographics", "diagnoses", "regimens",
                                                                "administrations", "labs", "questionnaires")))
        uow.commit()
    out = tmp_path / "export"
    result = CliRunner().invoke(cli, ["fhir", "export", "--all", "--out", str(out), "--recipient", RECIPIENT,
                                      "--as", "dr.okafor", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["patients"] == len(ids) > 0 and summary["not_written"] == []
    resources = [json.loads(line) for f in sorted(out.glob("*.ndjson")) for line in f.read_text().splitlines()]
    assert unresolved(resources) == [] and empty_elements(resources) == []
    assert all(is_part2_labelled(r) for r in resources)
    assert all(find_problems(r) == [] for r in resources)
    assert {"AuditEvent", "Consent", "Organization", "Patient"} <= {r["resourceType"] for r in resources}
    assert sum(r["resourceType"] == "Organization" for r in resources) == 1
    with factory() as uow:
        assert sum(len(uow.security.disclosures_for(pid)) for pid in ids) == len(ids)
    app.state.storage.close()
