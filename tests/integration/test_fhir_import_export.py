"""``naltrack fhir export`` and ``naltrack fhir import`` end to end on a real database.

Fixtures: ``tests/fixtures/fhir/synthea/`` (Synthea-shaped transaction bundles written for these
tests, see the README there) and ``tests/fixtures/fhir/ndjson/`` (the first of them as NDJSON).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from naltrack.adapters.fhir.exchange import secure_factory
from naltrack.adapters.fhir.r4_common import find_problems, is_part2_labelled
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.bootstrap import Storage
from naltrack.cli.main import cli
from naltrack.domain.patients import Clinic
from naltrack.domain.security.consent import Consent
from naltrack.services.records import add_records, register_clinic, register_patient
from naltrack.services.security import add_user

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
NOW = datetime(2026, 3, 12, 16, tzinfo=UTC)


@pytest.fixture()
def db(database_url: str) -> Iterator[tuple[str, Storage]]:
    """A fresh migrated database on SQLite and on PostgreSQL (``tests/conftest.py``), with one clinic."""
    url = database_url
    storage = Storage(url)
    register_clinic(storage.uow(), Clinic(id="clinic-1", name="Riverside MAT"))
    yield url, storage
    storage.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _counts(storage: Storage) -> dict[str, int]:
    with storage.uow() as uow:
        counts = uow.records.count_by_kind()
        counts["patients"] = uow.patients.count()
    return counts


# Import ---------------------------------------------------------------------------------------

def test_imports_synthea_bundles_and_a_second_import_changes_nothing(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", str(FIXTURES / "synthea"), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0, out
    report = json.loads(out)
    assert report["patients_created"] == 2
    assert report["records_created"] == {"Diagnosis": 2, "MedicationUse": 2, "LabResult": 3, "UrineDrugScreen": 2}
    assert report["skipped"]["Claim"] == 2
    before = _counts(storage)
    code, out = _run("fhir", "import", str(FIXTURES / "synthea"), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0
    assert json.loads(out)["records_unchanged"] == 9
    assert _counts(storage) == before


def test_ndjson_of_the_same_patient_is_recognised_as_already_imported(db: tuple[str, Storage]) -> None:
    url, storage = db
    _run("fhir", "import", str(FIXTURES / "synthea"), "--clinic", "clinic-1", "--database-url", url)
    before = _counts(storage)
    code, out = _run("fhir", "import", str(FIXTURES / "ndjson"), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0, out
    assert json.loads(out)["patients_unchanged"] == 1
    assert _counts(storage) == before


def test_imported_naltrexone_and_oud_are_readable_as_a_chart(db: tuple[str, Storage]) -> None:
    url, storage = db
    _run("fhir", "import", str(FIXTURES / "synthea" / "Mara401_Rowe822.json"), "--clinic", "clinic-1",
         "--database-url", url)
    with storage.uow() as uow:
        patient = uow.patients.search(clinic_id="clinic-1")[0]
        records = uow.records.for_patient(patient.id)
    assert patient.family_name == "Rowe822"
    assert [m.rxnorm for m in records["medications"]] == ["1483744"]
    assert [d.code for d in records["diagnoses"]] == ["5602001"]
    assert all(r.recorded_by == "fhir-import" for r in records["labs"])


def _broken_copy(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    shutil.copytree(FIXTURES / "synthea", folder)
    target = folder / "Theo212_Quade640.json"
    bundle = json.loads(target.read_text())
    mutate(bundle)
    target.write_text(json.dumps(bundle))
    return folder


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda b: b["entry"][4]["resource"]["valueQuantity"].update(value="high"),
     r"Theo212_Quade640.json#entry\[4\] \(Observation/[0-9a-f-]+\): valueQuantity.value"),
    (lambda b: b["entry"][2]["resource"].pop("subject"), r"Condition/[0-9a-f-]+\): subject"),
    (lambda b: b.update(type="document"), r"Theo212_Quade640.json: Bundle.type: 'document'"),
    (lambda b: b["entry"][0]["resource"].update(birthDate="1979-13-40"), r"Patient/[0-9a-f-]+\): birthDate"),
])
def test_one_invalid_resource_means_nothing_is_imported(db: tuple[str, Storage], tmp_path: Path, mutate,  # type: ignore[no-untyped-def]
                                                        expected: str) -> None:
    url, storage = db
    folder = _broken_copy(tmp_path, mutate)
    code, out = _run("fhir", "import", str(folder), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2
    assert "nothing imported" in out
    import re
    assert re.search(expected, out), out
    assert _counts(storage)["patients"] == 0


def test_malformed_json_file_is_refused(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", ')
    code, out = _run("fhir", "import", str(bad), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2 and "bad.json: (file): is not valid JSON" in out


def test_unknown_clinic_is_refused(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", str(FIXTURES / "synthea"), "--clinic", "nope", "--database-url", url)
    assert code == 2 and "Clinic/nope: clinic: does not exist" in out


def test_dry_run_writes_nothing(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", str(FIXTURES / "synthea"), "--clinic", "clinic-1", "--dry-run",
                     "--database-url", url)
    assert code == 0 and json.loads(out)["dry_run"] is True
    assert _counts(storage)["patients"] == 0


# Export ---------------------------------------------------------------------------------------

def _program(storage: Storage) -> None:
    chart = sample_chart("pt-ada")
    register_patient(storage.uow(), chart.patient)
    add_records(storage.uow(), [*chart.diagnoses, *chart.regimens, *chart.injections, *chart.labs,
                                *chart.screens, *chart.allergies], now=NOW)
    other = sample_chart("pt-bo")
    register_patient(storage.uow(), other.patient)
    factory = secure_factory(storage)
    add_user(factory, "dr.okafor", "correct horse battery", "prescriber", "clinic-1", NOW)
    with factory() as uow:
        uow.security.add_consent(Consent(id="c1", patient_id="pt-ada", recipient="County Hospital",
                                         purpose="treatment", categories=("diagnoses", "regimens", "administrations"),
                                         signed_on=date(2026, 1, 2), expires_on=date(2027, 1, 1)))
        uow.commit()


def test_export_writes_ndjson_of_the_consented_categories_only(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    _program(storage)
    out_dir = tmp_path / "export"
    code, out = _run("fhir", "export", "--all", "--out", str(out_dir), "--recipient", "County Hospital",
                     "--as", "dr.okafor", "--database-url", url)
    assert code == 0, out
    summary = json.loads(out)
    assert summary["patients"] == 1
    assert summary["left_out_without_consent"][0].startswith("pt-bo: disclosure refused")
    assert set(summary["resources"]) == {"Patient", "Condition", "MedicationRequest", "MedicationAdministration",
                                         "Provenance", "Consent", "AuditEvent"}
    resources = [json.loads(line) for f in out_dir.glob("*.ndjson") for line in f.read_text().splitlines()]
    assert all(find_problems(r) == [] for r in resources)
    assert all(is_part2_labelled(r) for r in resources if r["resourceType"] != "AuditEvent")
    assert "42 CFR part 2" in (out_dir / "NOTICE.txt").read_text()
    with secure_factory(storage)() as uow:
        assert len(uow.security.disclosures_for("pt-ada")) == 1
        outcomes = [e.outcome for e in uow.security.iter_audit() if e.action == "disclose"]
    assert sorted(outcomes) == ["allowed", "denied"]


def test_export_of_a_patient_without_consent_exits_2(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    _program(storage)
    code, out = _run("fhir", "export", "--patient", "pt-bo", "--out", str(tmp_path / "x"), "--recipient",
                     "County Hospital", "--as", "dr.okafor", "--database-url", url)
    assert code == 2 and "disclosure refused" in out
    assert not (tmp_path / "x").exists()


def test_export_needs_patient_or_all(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, _ = db
    code, out = _run("fhir", "export", "--out", str(tmp_path / "x"), "--recipient", "R", "--as", "dr.okafor",
                     "--database-url", url)
    assert code == 2 and "either --patient" in out


def test_naltrack_export_imports_doses_and_injections_with_side_lot_and_needle(db: tuple[str, Storage],
                                                                              tmp_path: Path) -> None:
    from naltrack.adapters.fhir.r4_export import as_bundle, export_chart

    url, storage = db
    source = tmp_path / "ada.json"
    source.write_text(json.dumps(as_bundle(export_chart(sample_chart("pt-ada")), "transaction")))
    code, out = _run("fhir", "import", str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0, out
    assert json.loads(out)["records_created"]["Injection"] == 2
    with storage.uow() as uow:
        records = uow.records.for_patient("pt-ada")
    shots = {i.id: i for i in records["injections"]}
    assert (shots["pt-ada-inj-1"].side, shots["pt-ada-inj-1"].lot, shots["pt-ada-inj-1"].needle_length_in,
            shots["pt-ada-inj-1"].expiry, shots["pt-ada-inj-1"].given_by) == ("right", "LOT001", 1.5,
                                                                             date(2027, 6, 30), "nurse.kim")
    assert shots["pt-ada-inj-1"].given_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert shots["pt-ada-inj-0"].side == "left"
    assert [(d.dose_status, d.observed_by, d.dose_mg) for d in records["oral_doses"]] == [
        ("observed", "nurse.kim", 25.0)]
    assert "pt-ada-inj-1" not in {m.id for m in records["medications"]}
    code, out = _run("fhir", "import", str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0 and json.loads(out)["records_created"] == {}


def test_naltrack_export_imports_an_implant_and_its_removal(db: tuple[str, Storage], tmp_path: Path) -> None:
    from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
    from naltrack.adapters.fhir.r4_samples import implant_chart

    url, storage = db
    source = tmp_path / "imp.json"
    source.write_text(json.dumps(as_bundle(export_chart(implant_chart(removed=date(2026, 2, 1))), "transaction")))
    code, out = _run("fhir", "import", str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0, out
    with storage.uow() as uow:
        records = uow.records.for_patient("pt-imp")
    (implant,) = records["implants"]
    (removal,) = records["implant_removals"]
    assert (implant.dose_mg, implant.expected_duration_days, implant.inserted_by) == (1800.0, 90, "dr.okafor")
    assert (removal.implant_id, removal.removed_at, removal.reason) == (
        implant.id, datetime(2026, 2, 1, 10, tzinfo=UTC), "planned surgery")


def test_an_impossible_date_is_reported_with_its_resource_and_element(db: tuple[str, Storage],
                                                                      tmp_path: Path) -> None:
    from naltrack.adapters.fhir.r4_export import as_bundle, export_chart

    url, _ = db
    bundle = as_bundle(export_chart(sample_chart("pt-ada"), provenance=False), "transaction")
    entry = next(e for e in bundle["entry"] if e["resource"]["id"] == "pt-ada-inj-1")
    entry["resource"]["contained"][0]["batch"]["expirationDate"] = "2027-02-30"
    source = tmp_path / "bad-date.json"
    source.write_text(json.dumps(bundle))
    code, out = _run("fhir", "import", str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2
    assert "MedicationAdministration/pt-ada-inj-1" in out
    assert "contained[0].batch.expirationDate: Input should be a valid datetime or date, day value is outside" in out
