"""``naltrack export omop``: the program's records as OMOP CDM Parquet tables, a consented and audited Part 2
disclosure; POD and IET over the exported tables equal POD and IET from the program's records; no consent, nothing
exported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.analytics.iet import measure_iet
from naltrack.analytics.population import measure_iet_input
from naltrack.bootstrap import Storage
from naltrack.cli import main
from naltrack.domain.security.consent import Consent
from naltrack.services.omop_export import OMOP_CATEGORIES
from naltrack.services.read_models import ProgramClinic
from naltrack.services.security import add_user
from naltrack.synthetic.program import load_program

MANAGER = "prescriber.omop"
RECIPIENT = "State Research Network"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main.cli, list(args))


def _consent(patient_id: str, recipient: str = RECIPIENT, categories: tuple[str, ...] = OMOP_CATEGORIES) -> Consent:
    return Consent(id=f"c-omop-{patient_id}", patient_id=patient_id, recipient=recipient, purpose="research",
                   categories=categories, signed_on=date(2026, 1, 2), expires_on=date(2099, 1, 1))


@pytest.fixture()
def program(tmp_path: Path) -> tuple[str, str, list[str]]:
    """A 40-patient synthetic program with a prescriber: its database URL, the prescriber's clinic, its patients."""
    url = f"sqlite:///{tmp_path / 'program.db'}"
    storage = Storage(url)
    try:
        load_program(storage.uow, n_patients=40, seed=7, end=date(2026, 11, 20))
        with storage.uow() as uow:
            clinic = uow.clinics.list()[0].id
            ids = sorted(p.id for p in uow.patients.search(clinic_id=clinic, limit=1000))
        add_user(secure_uow_factory(storage.engine), MANAGER, "synthetic-password-42", "prescriber", clinic,
                 datetime.now(UTC))
    finally:
        storage.close()
    return url, clinic, ids


def _add_consents(url: str, consents: list[Consent]) -> None:
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            for consent in consents:
                uow.security.add_consent(consent)
            uow.commit()
    finally:
        storage.close()


def _audit(url: str) -> list[Any]:
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            return list(uow.security.iter_audit())
    finally:
        storage.close()


def _export(url: str, out: Path) -> Result:
    return invoke("export", "omop", str(out), "--as", MANAGER, "--recipient", RECIPIENT, "--database-url", url)


def _export_all(url: str, ids: list[str], out: Path) -> dict[str, Any]:
    """Every patient consents; the export's summary."""
    _add_consents(url, [_consent(pid) for pid in ids])
    exported = _export(url, out)
    assert exported.exit_code == 0, exported.output
    return dict(json.loads(exported.stdout))


def test_pod_over_the_exported_omop_tables_equals_pod_from_the_program(program: tuple[str, str, list[str]],
                                                                         tmp_path: Path) -> None:
    url, clinic, ids = program
    out = tmp_path / "omop"
    doc = _export_all(url, ids, out)
    assert (doc["patients"], doc["left_out_without_consent"]) == (len(ids), [])
    from_omop = invoke("measure", "pod", str(out), "--format", "omop")
    assert from_omop.exit_code == 0, from_omop.output
    totals = json.loads(from_omop.stdout)["totals"]
    from_program = invoke("measure", "pod", "--from-program", "--as", MANAGER, "--database", url, "--clinic", clinic)
    assert from_program.exit_code == 0, from_program.output
    patients = json.loads(from_program.stdout)["patients"]
    assert (totals["denominator"], totals["numerator"]) == (len(patients),
                                                            sum(1 for p in patients if p["numerator"]))
    assert totals["denominator"] > 0


def test_only_consented_patients_leave_under_sequential_ids_and_each_disclosure_is_audited(
        program: tuple[str, str, list[str]], tmp_path: Path) -> None:
    url, _, ids = program
    left_out = ids[0]
    _add_consents(url, [_consent(pid) for pid in ids[1:]] + [_consent(left_out, recipient="Someone Else")])
    out = tmp_path / "omop"
    exported = _export(url, out)
    assert exported.exit_code == 0, exported.output
    doc = json.loads(exported.stdout)
    assert doc["patients"] == len(ids) - 1
    assert [line.split(":")[0] for line in doc["left_out_without_consent"]] == [left_out]
    assert sorted(p.name for p in out.iterdir()) == ["NOTICE.txt", "condition_occurrence.parquet",
                                                     "drug_exposure.parquet", "episode.parquet",
                                                     "observation_period.parquet", "person.parquet",
                                                     "visit_occurrence.parquet"]
    assert "42 CFR" in (out / "NOTICE.txt").read_text(encoding="utf-8")
    with duckdb.connect() as con:
        persons = con.execute(f"SELECT person_id, gender_concept_id FROM '{out / 'person.parquet'}'").fetchall()
        drugs = con.execute(f"SELECT count(*) FROM '{out / 'drug_exposure.parquet'}'").fetchone()
        conditions = con.execute(f"SELECT count(*) FROM '{out / 'condition_occurrence.parquet'}'").fetchone()
        periods = con.execute(f"SELECT count(*) FROM '{out / 'observation_period.parquet'}' "
                              "WHERE observation_period_end_date < observation_period_start_date").fetchone()
        values = [str(row) for name in ("person", "drug_exposure", "condition_occurrence", "observation_period",
                                         "visit_occurrence", "episode")
                  for row in con.execute(f"SELECT * FROM '{out / (name + '.parquet')}'").fetchall()]
    assert sorted(p for p, _ in persons) == list(range(1, len(ids)))  # sequential integers, no internal id
    assert {g for _, g in persons} <= {8507, 8532, 0}
    assert drugs is not None and drugs[0] > 0 and conditions is not None and conditions[0] > 0
    assert periods == (0,)
    assert not any(pid in value for pid in ids for value in values)
    assert doc["rows"]["person"] == len(ids) - 1
    disclosures = [e for e in _audit(url) if e.action == "disclose"]
    assert {e.patient_id for e in disclosures if e.outcome == "allowed"} == set(ids[1:])
    refused = [e.outcome for e in disclosures if e.patient_id == left_out]
    assert refused and "allowed" not in refused


def test_without_consent_nothing_is_exported_and_each_refusal_is_audited(program: tuple[str, str, list[str]],
                                                                         tmp_path: Path) -> None:
    url, _, ids = program
    # a consent naming the recipient but not covering diagnoses does not cover an OMOP export
    _add_consents(url, [_consent(ids[0], categories=("demographics", "administrations", "medications"))])
    out = tmp_path / "omop"
    result = invoke("export", "omop", str(out), "--as", MANAGER, "--recipient", RECIPIENT, "--database-url", url)
    assert result.exit_code == 2
    assert "nothing exported" in result.output and ids[0] in result.output
    assert not out.exists()
    disclosures = [e for e in _audit(url) if e.action == "disclose"]
    assert {e.patient_id for e in disclosures} == set(ids)
    assert all(e.outcome != "allowed" for e in disclosures)


def test_a_folder_that_is_not_empty_is_refused(program: tuple[str, str, list[str]], tmp_path: Path) -> None:
    url, _, ids = program
    _add_consents(url, [_consent(pid) for pid in ids])
    (tmp_path / "omop").mkdir()
    (tmp_path / "omop" / "old.txt").write_text("x", encoding="utf-8")
    result = invoke("export", "omop", str(tmp_path / "omop"), "--as", MANAGER, "--recipient", RECIPIENT,
                    "--database-url", url)
    assert result.exit_code == 2 and "must be a new or empty folder" in result.output
    assert not [e for e in _audit(url) if e.action == "disclose"]


def test_iet_over_the_exported_omop_tables_equals_iet_from_the_program(program: tuple[str, str, list[str]],
                                                                         tmp_path: Path) -> None:
    url, clinic, ids = program
    out = tmp_path / "omop"
    assert _export_all(url, ids, out)["patients"] == len(ids)
    storage = Storage(url)
    try:
        with secure_uow_factory(storage.engine)() as uow:
            zone = uow.clinics.get(clinic).zone
            courses = uow.read_models.program_courses([ProgramClinic(clinic, datetime.now(zone).date(), zone)])
    finally:
        storage.close()
    expected = measure_iet(courses, None, None)
    found = measure_iet_input(out)
    assert found.cohorts == expected.cohorts
    assert sorted((p.cohort, p.index_on, p.initiated_on, p.engaged, p.reason) for p in found.patients) == sorted(
        (p.cohort, p.index_on, p.initiated_on, p.engaged, p.reason) for p in expected.patients)
    total = next(c for c in expected.cohorts if c.name == "total")
    assert total.denominator > 0 and total.initiation > 0
    from_cli = invoke("measure", "iet", str(out), "--totals-only")
    assert from_cli.exit_code == 0, from_cli.output
    assert [c["denominator"] for c in json.loads(from_cli.stdout)["cohorts"]] == [
        c.denominator for c in expected.cohorts]
