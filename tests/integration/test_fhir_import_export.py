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
from tests.seeding import seed

from naltrack.adapters.fhir.r4_common import find_problems, is_part2_labelled
from naltrack.adapters.fhir.r4_samples import sample_chart
from naltrack.bootstrap import Storage
from naltrack.cli.main import cli
from naltrack.domain.patients import Clinic
from naltrack.domain.security.accounts import User
from naltrack.domain.security.audit import AuditEntry
from naltrack.domain.security.consent import Consent
from naltrack.services.context import AppContext
from naltrack.services.patients import register_clinic
from naltrack.services.security import add_user
from naltrack.services.unit_of_work import RECORD_TYPES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
NOW = datetime(2026, 3, 12, 16, tzinfo=UTC)
IMPORTER = "dr.import"
AS = ("--as", IMPORTER)


@pytest.fixture()
def db(database_url: str) -> Iterator[tuple[str, Storage]]:
    """A fresh migrated database on SQLite and on PostgreSQL (``tests/conftest.py``), with one clinic."""
    url = database_url
    storage = Storage(url)
    ctx = AppContext(uow=storage.secure_uow)
    register_clinic(ctx, Clinic(id="clinic-1", name="Riverside MAT"))
    add_user(ctx.uow, IMPORTER, "correct horse battery", "prescriber", "clinic-1", NOW)
    yield url, storage
    storage.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _importer(storage: Storage) -> User:
    with storage.secure_uow() as uow:
        found = uow.security.find_credentials(IMPORTER)
    assert found is not None
    return found[0]


def _record_entries(storage: Storage) -> list[AuditEntry]:
    """The audit entries that name a record written (not the accesses that wrote nothing)."""
    with storage.secure_uow() as uow:
        return [e for e in uow.security.iter_audit() if e.record_id is not None and e.action == "create"]


def _counts(storage: Storage) -> dict[str, int]:
    with storage.uow() as uow:
        counts = uow.records.count_by_kind()
        counts["patients"] = uow.patients.count()
    return counts


# Import ---------------------------------------------------------------------------------------

def test_imports_synthea_bundles_and_a_second_import_changes_nothing(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--clinic", "clinic-1",
                     "--database-url", url)
    assert code == 0, out
    report = json.loads(out)
    assert report["patients_created"] == 2
    assert report["records_created"] == {"Diagnosis": 2, "MedicationUse": 2, "LabResult": 3, "UrineDrugScreen": 2}
    assert report["skipped"]["Claim"] == 2
    before = _counts(storage)
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--clinic", "clinic-1",
                     "--database-url", url)
    assert code == 0
    assert json.loads(out)["records_unchanged"] == 9
    assert _counts(storage) == before


def test_import_audits_each_patient_and_record_once_under_the_user(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--database-url", url)
    assert code == 0, out
    report = json.loads(out)
    entries = _record_entries(storage)
    written = report["patients_created"] + sum(report["records_created"].values())
    assert len(entries) == written == 11
    assert len({e.record_id for e in entries}) == written
    assert {(e.actor, e.source, e.outcome) for e in entries} == {(_importer(storage).id, "cli", "allowed")}
    counts = _counts(storage)
    assert counts["patients"] + sum(counts.get(kind, 0) for kind in RECORD_TYPES) == written
    _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--database-url", url)
    assert len(_record_entries(storage)) == written  # nothing new, nothing audited as written


def test_import_as_an_unknown_user_exits_2_naming_it(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", "--as", "nobody.here", str(FIXTURES / "synthea"), "--database-url", url)
    assert code == 2 and "--as: 'nobody.here' is not an active user" in out
    assert _counts(storage)["patients"] == 0


def test_ndjson_of_the_same_patient_is_recognised_as_already_imported(db: tuple[str, Storage]) -> None:
    url, storage = db
    _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--clinic", "clinic-1",
                     "--database-url", url)
    before = _counts(storage)
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "ndjson"), "--clinic", "clinic-1",
                     "--database-url", url)
    assert code == 0, out
    assert json.loads(out)["patients_unchanged"] == 1
    assert _counts(storage) == before


def test_imported_naltrexone_and_oud_are_readable_as_a_chart(db: tuple[str, Storage]) -> None:
    url, storage = db
    _run("fhir", "import", *AS, str(FIXTURES / "synthea" / "Mara401_Rowe822.json"), "--clinic", "clinic-1",
         "--database-url", url)
    with storage.uow() as uow:
        patient = uow.patients.search(clinic_id="clinic-1")[0]
        records = uow.records.for_patient(patient.id)
    assert patient.family_name == "Rowe822"
    assert [m.rxnorm for m in records["medications"]] == ["1483744"]
    assert [d.code for d in records["diagnoses"]] == ["5602001"]
    assert all(r.recorded_by == _importer(storage).id for r in records["labs"])


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
    code, out = _run("fhir", "import", *AS, str(folder), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2
    assert "nothing imported" in out
    import re
    assert re.search(expected, out), out
    assert _counts(storage)["patients"] == 0


def test_malformed_json_file_is_refused(db: tuple[str, Storage], tmp_path: Path) -> None:
    url, storage = db
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", ')
    code, out = _run("fhir", "import", *AS, str(bad), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2 and "bad.json: (file): is not valid JSON" in out


def test_unknown_clinic_is_refused(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--clinic", "nope", "--database-url", url)
    assert code == 2 and "Clinic/nope: clinic: does not exist" in out


def test_dry_run_writes_nothing(db: tuple[str, Storage]) -> None:
    url, storage = db
    code, out = _run("fhir", "import", *AS, str(FIXTURES / "synthea"), "--clinic", "clinic-1", "--dry-run",
                     "--database-url", url)
    assert code == 0 and json.loads(out)["dry_run"] is True
    assert _counts(storage)["patients"] == 0


# Export ---------------------------------------------------------------------------------------

def _program(storage: Storage) -> None:
    chart, other = sample_chart("pt-ada"), sample_chart("pt-bo")
    factory = storage.secure_uow
    with factory() as uow:
        uow.patients.add_many([chart.patient, other.patient])
        uow.commit()
    seed(factory, records=[*chart.diagnoses, *chart.regimens, *chart.injections, *chart.labs, *chart.screens,
                           *chart.allergies], now=NOW)
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
    with storage.secure_uow() as uow:
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
    code, out = _run("fhir", "import", *AS, str(source), "--clinic", "clinic-1", "--database-url", url)
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
    code, out = _run("fhir", "import", *AS, str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 0 and json.loads(out)["records_created"] == {}


def test_naltrack_export_imports_an_implant_and_its_removal(db: tuple[str, Storage], tmp_path: Path) -> None:
    from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
    from naltrack.adapters.fhir.r4_samples import implant_chart

    url, storage = db
    source = tmp_path / "imp.json"
    source.write_text(json.dumps(as_bundle(export_chart(implant_chart(removed=date(2026, 2, 1))), "transaction")))
    code, out = _run("fhir", "import", *AS, str(source), "--clinic", "clinic-1", "--database-url", url)
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
    code, out = _run("fhir", "import", *AS, str(source), "--clinic", "clinic-1", "--database-url", url)
    assert code == 2
    assert "MedicationAdministration/pt-ada-inj-1" in out
    assert "contained[0].batch.expirationDate: Input should be a valid datetime or date, day value is outside" in out
