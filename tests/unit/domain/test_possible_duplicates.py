"""A possible duplicate at intake: same family name, first given name and birth date, spelled loosely."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.people import make_identified_patient

from naltrack.domain.identity import may_be_same_person

BORN = date(1990, 5, 1)
PATIENT = make_identified_patient(family_name="Núñez-O'Brien", given_name="José María", birth_date=BORN)


@pytest.mark.parametrize(("family", "given"), [("Núñez-O'Brien", "José María"), ("NUNEZ OBRIEN", "jose"),
                                               ("nunez-o'brien", "JOSÉ"), (" Nuñez O Brien ", "José Luis")])
def test_accents_case_spaces_and_punctuation_are_ignored(family: str, given: str) -> None:
    assert may_be_same_person(PATIENT, family, given, BORN) is True


@pytest.mark.parametrize("days", [-1, 1, 365])
def test_another_birth_date_is_another_person(days: int) -> None:
    assert may_be_same_person(PATIENT, "Núñez-O'Brien", "José", BORN + timedelta(days=days)) is False


@pytest.mark.parametrize("given", ["María", "Josefina", "Jos"])
def test_another_first_given_name_is_another_person(given: str) -> None:
    assert may_be_same_person(PATIENT, "Núñez-O'Brien", given, BORN) is False


def test_another_family_name_is_another_person() -> None:
    assert may_be_same_person(PATIENT, "Nunez", "José", BORN) is False


def test_a_former_family_name_on_record_may_be_the_same_person() -> None:
    patient = make_identified_patient()  # Ada Testwell, formerly Shaw, born 1990-05-01
    assert may_be_same_person(patient, "Shaw", "Ada", patient.birth_date) is True


@pytest.mark.parametrize(("family", "given"), [("", "José"), ("Núñez-O'Brien", " "), ("-", "José")])
def test_an_empty_name_is_never_a_match(family: str, given: str) -> None:
    assert may_be_same_person(PATIENT, family, given, BORN) is False
