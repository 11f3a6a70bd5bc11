"""A patient's identity data checks itself when built: each refusal names the field, the value and the limit."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import make_patient
from tests.people import HOSPITAL_MRN, make_identified_patient

from naltrack.domain.errors import InvalidInput
from naltrack.domain.person_data import (
    Address,
    CodeDisplay,
    ContactPoint,
    HumanName,
    Identifier,
    RaceEthnicity,
    mrn_system,
)


def test_the_mrn_is_the_clinics_identifier_before_the_others() -> None:
    patient = make_identified_patient()
    assert patient.mrn_identifier == Identifier("urn:naltrack:mrn:c-test", "MRN-1", "MR")
    assert patient.all_identifiers == (patient.mrn_identifier, *patient.identifiers)
    assert make_patient(mrn=None).all_identifiers == ()


@pytest.mark.parametrize(("build", "field", "rule"), [
    (lambda: Identifier("hospital-mrn", "1"), "identifier.system", "must be a URI"),
    (lambda: Identifier("http://h.example.org/" + "s" * 240, "1"), "identifier.system", "longer than 255"),
    (lambda: Identifier("http://h.example.org", " 12"), "identifier.value", "must not start or end with spaces"),
    (lambda: Identifier("http://h.example.org", ""), "identifier.value", "is required"),
    (lambda: Identifier("http://h.example.org", "1" * 101), "identifier.value", "longer than 100"),
    (lambda: HumanName("former", "Lane"), "name.use", "must be one of usual, official"),
    (lambda: HumanName("old"), "name", "needs a family or a given name"),
    (lambda: HumanName("old", "Lane", tuple("abcdef")), "name.given", "at most 5"),
    (lambda: ContactPoint("pigeon", "x"), "telecom.system", "must be one of phone"),  # type: ignore[arg-type]
    (lambda: ContactPoint("email", "ada.example.com"), "telecom.value", "needs an @"),
    (lambda: ContactPoint("phone", "555", "cell"), "telecom.use", "must be one of home"),  # type: ignore[arg-type]
    (lambda: Address(), "address", "needs a line, city, state, postal code or country"),
    (lambda: Address(("a", "b", "c", "d", "e")), "address.line", "at most 4 lines"),
    (lambda: Address(postal_code="1" * 21), "address.postal_code", "longer than 20"),
    (lambda: Address(city="X", use="holiday"), "address.use", "must be one of home"),  # type: ignore[arg-type]
    (lambda: CodeDisplay("White", "White"), "race_ethnicity.code", "CDC race/ethnicity code"),
    (lambda: RaceEthnicity("race", (CodeDisplay("2186-5", "Not Hispanic or Latino"),)), "race.category",
     "OMB race categories"),
    (lambda: RaceEthnicity("ethnicity", (CodeDisplay("2135-2", "Hispanic or Latino"),
                                         CodeDisplay("2186-5", "Not Hispanic or Latino"))),
     "ethnicity.categories", "at most 1"),
    (lambda: RaceEthnicity("race"), "race", "needs a category, a detailed code or a text"),
])
def test_bad_identity_values_are_refused_naming_field_and_limit(build: Any, field: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule) as caught:
        build()
    assert caught.value.field == field


@pytest.mark.parametrize(("overrides", "field", "rule"), [
    ({"identifiers": (HOSPITAL_MRN, HOSPITAL_MRN)}, "patient.identifiers", "must not repeat a system and value"),
    ({"identifiers": (Identifier("urn:naltrack:patient", "p-1"),)}, "patient.identifiers",
     "a naltrack record id is not an identifier"),
    ({"identifiers": (Identifier(mrn_system("c-test"), "MRN-2"),)}, "patient.identifiers",
     "the clinic's own MRN belongs in patient.mrn"),
    ({"identifiers": tuple(Identifier("http://h.example.org", str(n)) for n in range(21))}, "patient.identifiers",
     "at most 20 entries"),
    ({"race": RaceEthnicity("ethnicity", text="Hispanic")}, "patient.race", "must be a race"),
    ({"ethnicity": RaceEthnicity("race", text="White")}, "patient.ethnicity", "must be an ethnicity"),
    ({"mrn": "M" * 65}, "patient.mrn", "longer than 64"),
    ({"mrn": ""}, "patient.mrn", "must not be blank"),
    ({"mrn": " MRN-1"}, "patient.mrn", "or start or end with spaces"),
])
def test_the_patient_refuses_inconsistent_identity_data(overrides: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule) as caught:
        make_identified_patient(**overrides)
    assert caught.value.field == field


def test_another_clinics_mrn_is_an_ordinary_identifier() -> None:
    theirs = Identifier(mrn_system("c-other"), "MRN-1")
    assert make_identified_patient(identifiers=(theirs,)).all_identifiers[1] == theirs


def test_race_text_falls_back_to_the_displays_and_null_flavors_are_allowed() -> None:
    race = RaceEthnicity("race", (CodeDisplay("2106-3", "White"), CodeDisplay("2028-9", "Asian")))
    assert race.display_text == "White, Asian"
    assert RaceEthnicity("race", (CodeDisplay("ASKU", "Asked but no answer"),)).display_text == "Asked but no answer"
    assert RaceEthnicity("ethnicity", (CodeDisplay("UNK", "Unknown"),), text="unknown").display_text == "unknown"
