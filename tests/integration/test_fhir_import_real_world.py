"""``naltrack fhir import`` of what real systems send, on SQLite and PostgreSQL: a Synthea-shaped bulk folder
(every medication and identifier kept, ``log.ndjson`` ignored), status changes applied as corrections, two
people under one source id refused, naltrack's own export and ``$everything`` searchset re-imported stably,
and input beyond the limits refused with exit 2 naming the file, resource and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.fixtures.fhir.synthea_shaped import write_bulk_folder
from tests.integration.test_fhir_import_export import IMPORTER, NOW, _counts
from tests.integration.test_fhir_import_export import db as db  # the fixture: one clinic and the importing user

from naltrack.adapters.fhir.exchange import read_record
from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.bootstrap import Storage
from naltrack.cli.main import cli
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.observations import MedicationUse
from naltrack.domain.security.accounts import Actor
from naltrack.domain.terminology import classify_rxnorm
from naltrack.services.context import AppContext
from naltrack.services.records import correct_record

MARA = Path(__file__).resolve().parent.parent / "fixtures" / "fhir" / "synthea" / "Mara401_Rowe822.json"


def _import(url: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["fhir", "import", "--as", IMPORTER, str(path), "--database-url", url])
    return result.exit_code, result.output


def _actor(storage: Storage) -> Actor:
    with storage.secure_uow() as uow:
        found = uow.security.find_credentials(IMPORTER)
    assert found is not None
    return Actor(found[0], "cli")


# A Synthea-shaped bulk folder ------------------------------------------------------------------------------

def test_a_bulk_folder_keeps_every_medication_and_identifier(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    folder = write_bulk_folder(tmp_path / "bulk")
    assert (folder.medication_count, folder.identifier_count, len(folder.identifiers)) == (144, 30, 6)
    code, out = _import(url, folder.path)
    assert code == 0, out
    report = json.loads(out)
    assert report["ignored"] == ["log.ndjson: holds no FHIR resources (a bulk export log or manifest), ignored"]
    assert report["records_created"]["MedicationUse"] == folder.medication_count
    assert not [kind for kind in report["skipped"] if kind.startswith("Medication")]  # referenced ones are read
    assert report["records_created"]["QuestionnaireResponse"] == 6  # each PHQ-9 scored from its LOINC-coded items
    with storage.uow() as uow:
        for pid, ids in folder.medications.items():
            kept = {m.id: m for m in uow.records.for_patient(pid)["medications"]}
            assert set(kept) == ids
            assert all(kept[i].rxnorm == folder.medication_codes[i] for i in ids)
        for pid, identifiers in folder.identifiers.items():
            patient = uow.patients.get(pid)
            assert identifiers <= {i.key for i in patient.all_identifiers}
    classified = [c for c in folder.medication_codes.values() if classify_rxnorm(c) is not None]
    assert len(classified) == 96  # the CDC value set codes; the other 48 are kept unclassified
    before = _counts(storage)
    code, out = _import(url, folder.path)
    assert code == 0 and json.loads(out)["records_created"] == {} and _counts(storage) == before


# Status changes are corrections ----------------------------------------------------------------------------

def _mara() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(MARA.read_text())
    return bundle


def _resource(bundle: dict[str, Any], kind: str, n: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind][n]
    return found


def test_a_changed_status_is_imported_as_a_correction(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    bundle = _mara()
    (tmp_path / "one.json").write_text(json.dumps(bundle))
    assert _import(url, tmp_path / "one.json")[0] == 0
    condition = _resource(bundle, "Condition")
    condition["clinicalStatus"]["coding"][0]["code"] = "resolved"
    condition["abatementDateTime"] = "2026-02-01T10:00:00-05:00"
    _resource(bundle, "MedicationRequest")["status"] = "stopped"
    lab = _resource(bundle, "Observation")
    lab["status"] = "entered-in-error"
    amended = _resource(bundle, "Observation", 1)  # AST, amended by the lab
    amended["status"], amended["valueQuantity"]["value"] = "amended", 61
    (tmp_path / "one.json").write_text(json.dumps(bundle))
    code, out = _import(url, tmp_path / "one.json")
    assert code == 0, out
    report = json.loads(out)
    assert report["records_corrected"] == {"Diagnosis": 1, "MedicationUse": 1, "LabResult": 2}
    assert report["records_created"] == {}
    with storage.uow() as uow:
        chart = uow.records.for_patient(_resource(bundle, "Patient")["id"])
    assert [(d.clinical_status, d.supersedes) for d in chart["diagnoses"] if d.is_active] == [
        ("resolved", condition["id"])]
    assert [m.end is not None for m in chart["medications"] if m.is_active] == [True]
    assert lab["id"] not in {r.id for r in chart["labs"] if r.is_active}
    assert [(r.value, r.supersedes) for r in chart["labs"] if r.is_active] == [(61.0, amended["id"])]
    code, out = _import(url, tmp_path / "one.json")
    assert code == 0 and json.loads(out)["records_corrected"] == {}


# Two people under one source id ----------------------------------------------------------------------------

def test_another_person_under_a_known_source_id_writes_nothing(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    assert _import(url, MARA)[0] == 0
    before = _counts(storage)
    bundle = _mara()
    patient = _resource(bundle, "Patient")
    patient["birthDate"], patient["name"][0]["given"] = "1991-07-30", ["Lena"]
    _resource(bundle, "Observation")["valueQuantity"]["value"] = 99
    (tmp_path / "other.json").write_text(json.dumps(bundle))
    code, out = _import(url, tmp_path / "other.json")
    assert code == 2
    assert f"Patient/{patient['id']}" in out and "the given name differs; the birth date differs" in out
    assert "two people are never merged" in out
    assert _counts(storage) == before


# naltrack's own export and $everything ---------------------------------------------------------------------

def _everything(storage: Storage, pid: str) -> dict[str, Any]:
    bundle: dict[str, Any] = read_record(AppContext(uow=storage.secure_uow), _actor(storage), pid, NOW).bundle(
        "searchset")
    return bundle


def _resources(bundle: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(e["resource"], sort_keys=True) for e in bundle["entry"])


def test_export_import_export_is_stable_with_a_correction(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    (tmp_path / "ada.json").write_text(json.dumps(as_bundle(export_chart(sample_chart("pt-ada")), "transaction")))
    assert _import(url, tmp_path / "ada.json")[0] == 0
    with storage.uow() as uow:
        (dx,) = uow.records.for_patient("pt-ada")["diagnoses"]
    assert isinstance(dx, Diagnosis)
    correct_record(AppContext(uow=storage.secure_uow), _actor(storage), "diagnoses", dx.id, 1,
                   lambda new: Diagnosis(id=new.id, patient_id="pt-ada", system="icd10cm", code="F11.21",
                                         display="Opioid dependence, in remission"), NOW)
    first = _everything(storage, "pt-ada")
    (tmp_path / "everything.json").write_text(json.dumps(first))
    code, out = _import(url, tmp_path / "everything.json")
    assert code == 0, out
    report = json.loads(out)
    assert (report["records_created"], report["records_corrected"]) == ({}, {})
    assert _resources(_everything(storage, "pt-ada")) == _resources(first)


def test_the_own_ndjson_export_with_its_notice_re_imports_unchanged(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    (tmp_path / "ada.json").write_text(json.dumps(as_bundle(export_chart(sample_chart("pt-ada")), "transaction")))
    assert _import(url, tmp_path / "ada.json")[0] == 0
    folder = tmp_path / "export"
    folder.mkdir()
    by_type: dict[str, list[str]] = {}
    for entry in _everything(storage, "pt-ada")["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(json.dumps(entry["resource"]))
    for kind, lines in by_type.items():
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n")
    (folder / "NOTICE.txt").write_text("42 CFR part 2 notice\n")
    code, out = _import(url, folder)
    assert code == 0, out
    assert json.loads(out)["records_created"] == {} and json.loads(out)["records_unchanged"] == 14


# Never a traceback ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "message"), [
    (lambda b: _resource(b, "Observation").update(extension=_nested(40)),
     "is nested deeper than 32 levels"),
    (lambda b: _resource(b, "Condition")["code"]["coding"][0].update(display="x" * 5000),
     "(Condition/0ac42393-fd4f-503f-ae62-f5e76d2b07ae): code.coding[0].display"),
    (lambda b: _resource(b, "Condition")["code"]["coding"][0].update(display="opioid\u0000dependence"),
     "code.coding[0].display: 'opioid\\x00dependence' must not contain the NUL character"),
    (lambda b: _resource(b, "Observation")["valueQuantity"].update(value=10**40),
     f"valueQuantity.value: {10**40} must be a number (at most 1e+15 either way)"),
    (lambda b: _resource(b, "MedicationRequest").update(
        dispenseRequest={"expectedSupplyDuration": {"value": 3 * 10**9, "unit": "days"}}),
     "days_supply"),
])
def test_input_beyond_the_limits_exits_2_naming_the_file_and_field(db: tuple[str, Storage], tmp_path: Path,
                                                                    change: Any, message: str) -> None:
    url, storage = db
    bundle = _mara()
    change(bundle)
    (tmp_path / "limit.json").write_text(json.dumps(bundle))
    code, out = _import(url, tmp_path / "limit.json")
    assert code == 2, out
    assert "Traceback" not in out and message in out and "limit.json" in out
    assert _counts(storage)["patients"] == 0


def _nested(depth: int) -> list[dict[str, Any]]:
    inner: list[dict[str, Any]] = [{"url": "urn:x", "valueString": "deep"}]
    for _ in range(depth):
        inner = [{"url": "urn:x", "extension": inner}]
    return inner


def test_a_medication_is_kept_whole_with_its_code(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    bundle = _mara()
    request = _resource(bundle, "MedicationRequest")
    request["medicationCodeableConcept"] = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                        "code": "314076", "display": "lisinopril 10 MG Oral Tablet"}]}
    (tmp_path / "lisinopril.json").write_text(json.dumps(bundle))
    assert _import(url, tmp_path / "lisinopril.json")[0] == 0
    with storage.uow() as uow:
        found = uow.records.find(MedicationUse, request["id"])
    assert found is not None and (found.rxnorm, found.source) == ("314076", "prescribed")
