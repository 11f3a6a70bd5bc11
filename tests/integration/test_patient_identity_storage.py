"""A patient's identity data stored on SQLite and PostgreSQL: identifiers, names, telecom, addresses, race and
ethnicity come back equal, and patients are found by identifier (system and value) across clinics."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tests.factories import make_clinic, make_patient
from tests.people import HOSPITAL_MRN, SSN, make_identified_patient
from tests.seeding import value_after_upgrade

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_export import patient_resource
from naltrack.bootstrap import Storage
from naltrack.domain.patients import Clinic
from naltrack.domain.person_data import Identifier, mrn_system

OTHER_CLINIC = Clinic("c-other", "Other clinic")
FHIR_PATIENT = Path(__file__).parents[1] / "fixtures" / "fhir" / "patients" / "us-core-shaped-patient.json"


def store(storage: Storage, *patients: object) -> None:
    with storage.uow() as uow:
        uow.clinics.add(make_clinic())
        uow.clinics.add(OTHER_CLINIC)
        uow.patients.add_many(patients)  # type: ignore[arg-type]
        uow.commit()


def test_identity_data_round_trips(storage: Storage) -> None:
    patient = make_identified_patient()
    store(storage, patient)
    with storage.uow() as uow:
        assert uow.patients.get(patient.id) == patient
        assert uow.patients.search(clinic_id=patient.clinic_id) == [patient]


def test_a_fhir_patient_stored_and_read_back_is_written_as_it_came(storage: Storage) -> None:
    resource = json.loads(FHIR_PATIENT.read_text(encoding="utf-8"))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    patient = read_bundle(bundle, clinic_id=make_clinic().id).patient
    store(storage, patient)
    with storage.uow() as uow:
        stored = uow.patients.get(patient.id)
    assert stored == patient
    assert patient_resource(stored, []) == patient_resource(patient, [])
    assert [name["family"] for name in patient_resource(stored, [])["name"]] == ["Delgado", "Marín"]


def test_find_by_identifier_matches_system_and_value_across_clinics(storage: Storage) -> None:
    ada = make_identified_patient()
    twin = make_identified_patient(id="p-other", clinic_id=OTHER_CLINIC.id, identifiers=(HOSPITAL_MRN,))
    bare = make_patient(id="p-bare", mrn="MRN-9")
    store(storage, ada, twin, bare)
    with storage.uow() as uow:
        assert [p.id for p in uow.patients.find_by_identifier(HOSPITAL_MRN.system, HOSPITAL_MRN.value)] == [
            "p-other", "p-test-1"]
        assert uow.patients.find_by_identifier(SSN.system, SSN.value) == [ada]
        assert uow.patients.find_by_identifier(HOSPITAL_MRN.system, SSN.value) == []
        assert uow.patients.find_by_identifier("http://hl7.org/fhir/sid/us-ssn", HOSPITAL_MRN.value) == []
        assert uow.patients.find_by_identifier(mrn_system("c-test"), "MRN-9") == [bare]
        assert uow.patients.find_by_identifier(mrn_system("c-other"), "MRN-9") == []
        assert uow.patients.find_by_identifier("urn:naltrack:patient", "p-bare") == []


def test_an_update_replaces_the_identifiers(storage: Storage) -> None:
    patient = make_identified_patient()
    store(storage, patient)
    badge = Identifier("http://clinic.example.org/badge", "B-7")
    changed = replace(patient, identifiers=(badge,), names=(), race=None, version=2)
    with storage.uow() as uow:
        uow.patients.update(changed)
        uow.commit()
    with storage.uow() as uow:
        assert uow.patients.get(patient.id) == changed
        assert uow.patients.find_by_identifier(SSN.system, SSN.value) == []
        assert uow.patients.find_by_identifier(badge.system, badge.value) == [changed]


def test_patients_stored_before_the_identity_columns_read_without_them(empty_database_url: str) -> None:
    """Rows written before migration 0008 read with no identity data; an MRN stored with spaces comes back trimmed."""
    telecom = value_after_upgrade(empty_database_url, "0007_medication_daily_dose",
                                  "UPDATE patients SET mrn = ' M-1 '", "SELECT telecom FROM patients")
    assert telecom is None
    storage = Storage(empty_database_url)
    try:
        with storage.uow() as uow:
            patient = uow.patients.get("p1")
    finally:
        storage.close()
    assert (patient.identifiers, patient.telecom, patient.address, patient.names) == ((), (), (), ())
    assert (patient.race, patient.ethnicity, patient.mrn_identifier) == (None, None,
                                                                          Identifier(mrn_system("c1"), "M-1", "MR"))
