"""FHIR Patient identity both ways: a US Core-shaped Patient (MRN and SSN identifiers, an old name first,
two addresses, telecom, race and ethnicity) is read whole, written back as a US Core Patient without empty
elements, and export -> import -> export gives the same Patient."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from naltrack.adapters.fhir.bundle_reader import read_bundle
from naltrack.adapters.fhir.r4_common import find_problems
from naltrack.adapters.fhir.r4_export import patient_resource
from naltrack.adapters.fhir.r4_patient import read_demographics
from naltrack.domain.errors import InvalidInput
from naltrack.domain.identity import PartialDate, match_person
from naltrack.domain.patients import Contact, Patient
from naltrack.domain.person_data import Address, CodeDisplay, ContactPoint, HumanName, Identifier, mrn_system

FIXTURE = Path(__file__).parents[2] / "fixtures" / "fhir" / "patients" / "us-core-shaped-patient.json"
CLINIC = "c-test"
HOSPITAL = Identifier("http://riverside-hospital.example.org/mrn", "RH-448120", "MR")
SSN = Identifier("http://hl7.org/fhir/sid/us-ssn", "999-31-7702", "SS")


def fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def imported(resource: dict[str, Any], clinic_id: str = CLINIC) -> Patient:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    return read_bundle(bundle, clinic_id=clinic_id).patient


def exported(patient: Patient) -> dict[str, Any]:
    return patient_resource(patient, [])


def empty_elements(node: Any, path: str = "Patient") -> list[str]:
    """Paths of empty objects, arrays, strings and nulls (FHIR forbids them)."""
    if node is None or node in ("", [], {}):
        return [path]
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in empty_elements(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in empty_elements(value, f"{path}[{i}]")]
    return []


def test_the_current_name_is_read_never_the_old_one_listed_first() -> None:
    patient = imported(fixture())
    assert (patient.given_name, patient.family_name) == ("Rosa Elena", "Delgado")
    assert patient.names == (HumanName("old", "Marín", ("Rosa", "Elena")),)


def test_every_identity_element_is_read() -> None:
    patient = imported(fixture())
    assert patient.identifiers == (HOSPITAL, SSN)
    assert patient.mrn is None
    assert patient.telecom == (ContactPoint("phone", "555-201-4477", "mobile"),
                               ContactPoint("email", "rosa.delgado@example.com"))
    assert patient.address == (Address(("12 Harbor Rd",), "Tampa", "FL", "33602", "US", "old"),
                               Address(("780 Palm Ave", "Unit 4"), "Tampa", "FL", "33605", "US"))
    assert patient.race is not None and patient.ethnicity is not None
    assert [c.code for c in patient.race.categories] == ["2054-5", "2106-3"]
    assert patient.race.detailed == (CodeDisplay("2058-6", "African American"),)
    assert patient.race.text == "Black and White"
    assert patient.ethnicity.categories == (CodeDisplay("2135-2", "Hispanic or Latino"),)
    assert (patient.ethnicity.detailed, patient.ethnicity.text) == ((CodeDisplay("2182-4", "Cuban"),), "Cuban")
    assert (patient.birth_date, patient.sex_at_birth) == (date(1984, 11, 2), "female")


def test_export_import_export_is_stable_and_valid_without_empty_elements() -> None:
    first = exported(imported(fixture()))
    again = imported(first)
    second = exported(again)
    assert second == first
    assert exported(imported(second)) == second
    assert again == imported(fixture())
    assert empty_elements(first) == []
    assert find_problems(first) == []


def test_the_export_is_a_us_core_patient_with_every_identity_element() -> None:
    resource = exported(imported(fixture()))
    assert resource["identifier"] == [
        {"system": "urn:naltrack:patient", "value": "ehr-rosa"},
        {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
         "system": HOSPITAL.system, "value": HOSPITAL.value},
        {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]},
         "system": SSN.system, "value": SSN.value}]
    assert resource["name"] == [{"use": "official", "family": "Delgado", "given": ["Rosa Elena"]},
                                {"use": "old", "family": "Marín", "given": ["Rosa", "Elena"]}]
    assert resource["telecom"][0] == {"system": "phone", "value": "555-201-4477", "use": "mobile"}
    assert resource["address"][1] == {"line": ["780 Palm Ave", "Unit 4"], "city": "Tampa", "state": "FL",
                                      "postalCode": "33605", "country": "US"}
    urls = [e["url"].rsplit("/", 1)[1] for e in resource["extension"]]
    assert urls == ["us-core-birthsex", "us-core-race", "us-core-ethnicity"]
    race = resource["extension"][1]["extension"]
    assert race[0] == {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
                                                             "code": "2054-5", "display": "Black or African American"}}
    assert race[-1] == {"url": "text", "valueString": "Black and White"}


def test_the_clinic_mrn_comes_back_as_the_mrn_and_the_record_id_is_not_an_identifier() -> None:
    resource = fixture()
    resource["identifier"].append({"system": mrn_system(CLINIC), "value": "MRN-77"})
    resource["identifier"].append({"system": "urn:naltrack:patient", "value": "someone-else"})
    patient = imported(resource)
    assert patient.mrn == "MRN-77"
    assert patient.identifiers == (HOSPITAL, SSN)
    elsewhere = imported(resource, clinic_id="c-other")
    assert elsewhere.mrn is None
    assert elsewhere.identifiers == (HOSPITAL, SSN, Identifier(mrn_system(CLINIC), "MRN-77"))


def test_names_that_are_all_old_leave_the_current_name_unknown() -> None:
    resource = fixture()
    resource["name"] = [resource["name"][0]]
    patient = imported(resource)
    assert (patient.given_name, patient.family_name) == ("Unknown", "Unknown")
    assert patient.names == (HumanName("old", "Marín", ("Rosa", "Elena")),)


def test_official_wins_over_usual_and_the_usual_name_is_kept() -> None:
    resource = fixture()
    resource["name"] = [{"use": "usual", "given": ["Rosie"]}, {"use": "official", "family": "Delgado",
                                                               "given": ["Rosa"]}]
    patient = imported(resource)
    assert (patient.given_name, patient.family_name, patient.names) == ("Rosa", "Delgado",
                                                                        (HumanName("usual", None, ("Rosie",)),))


def test_legacy_contacts_are_written_as_telecom_address_text_and_contact_and_read_back() -> None:
    patient = imported(fixture())
    contacts = (Contact("phone", "555-0100"), Contact("address", "1 Main St, Tampa"),
                Contact("emergency-contact", "555-0101", name="Ana Delgado"))
    first = exported(Patient(**{**patient.__dict__, "contacts": contacts}))
    assert first["telecom"][0] == {"system": "phone", "value": "555-0100"}
    assert first["address"][-1] == {"text": "1 Main St, Tampa"}
    assert first["contact"] == [{"name": {"text": "Ana Delgado"}, "telecom": [{"system": "phone",
                                                                               "value": "555-0101"}]}]
    assert exported(imported(first)) == first
    assert empty_elements(exported(Patient(**{**patient.__dict__, "names": (), "identifiers": ()}))) == []


@pytest.mark.parametrize(("birth", "rule"), [
    ("1984-11", "is a partial date; a patient is registered with the full birth date"),
    ("1984", "is a partial date"),
    ("84-11-02", "must be YYYY, YYYY-MM or YYYY-MM-DD"),
])
def test_a_partial_birth_date_cannot_register_a_patient_and_says_why(birth: str, rule: str) -> None:
    resource = {**fixture(), "birthDate": birth}
    with pytest.raises(InvalidInput, match=rule) as caught:
        imported(resource)
    assert "birthDate" in caught.value.field


def test_an_absent_birth_date_is_named() -> None:
    resource = {k: v for k, v in fixture().items() if k != "birthDate"}
    with pytest.raises(InvalidInput, match="is required") as caught:
        imported(resource)
    assert caught.value.field.endswith("birthDate")


@pytest.mark.parametrize(("path", "value", "rule"), [
    (("extension", 0, "extension", 0, "valueCoding", "code"), "2135-2", "must be one of the OMB race categories"),
    (("extension", 1, "extension", 1, "valueCoding", "code"), "Cuban", "must be a CDC race/ethnicity code"),
    (("telecom", 1, "value"), "not-an-address", "an e-mail address needs an @"),
    (("identifier", 0, "value"), "9" * 101, "longer than 100 characters"),
    (("name", 1, "use"), "former", "name.use.*must be one of"),
])
def test_bad_identity_data_is_refused_naming_the_element(path: tuple[Any, ...], value: str, rule: str) -> None:
    resource = fixture()
    node: Any = resource
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    with pytest.raises(InvalidInput, match=rule):
        imported(resource)


def test_demographics_keep_a_partial_birth_date_and_every_identifier_for_matching() -> None:
    resource = {**fixture(), "birthDate": "1984-11"}
    demographics = read_demographics(resource)
    assert (demographics.family, demographics.given) == ("Delgado", "Rosa Elena")
    assert demographics.birth_date == PartialDate(1984, 11)
    assert [i.key for i in demographics.identifiers] == [HOSPITAL.key, SSN.key]
    patient = imported(fixture())
    assert match_person(patient, demographics).outcome == "insufficient"
    assert match_person(patient, read_demographics(fixture())).outcome == "same"
    someone_else = {**fixture(), "birthDate": "1985-11-02"}
    assert match_person(patient, read_demographics(someone_else)).outcome == "different"
