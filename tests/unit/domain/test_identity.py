"""Linking a person another system describes to a patient: only on an identifier and agreeing demographics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.people import HOSPITAL_MRN, SSN, make_identified_patient

from naltrack.domain.errors import InvalidInput
from naltrack.domain.identity import Demographics, PartialDate, match_person, normalized_name
from naltrack.domain.person_data import NALTRACK_ID_SYSTEM, Identifier, mrn_system

PATIENT = make_identified_patient()  # Ada Testwell (formerly Shaw), born 1990-05-01, MRN-1 at c-test
BORN = PartialDate(1990, 5, 1)


def demographics(**overrides: object) -> Demographics:
    values: dict[str, object] = {"family": "Testwell", "given": "Ada", "birth_date": BORN,
                                 "identifiers": (HOSPITAL_MRN,)}
    return Demographics(**{**values, **overrides})  # type: ignore[arg-type]


def test_an_identifier_and_agreeing_demographics_are_the_same_person() -> None:
    match = match_person(PATIENT, demographics())
    assert match.outcome == "same"
    assert match.is_same
    assert match.shared == (HOSPITAL_MRN,)
    assert match.reasons == ()


def test_names_compare_without_case_accents_spaces_or_punctuation() -> None:
    patient = make_identified_patient(family_name="Núñez-O'Brien", given_name="José María")
    match = match_person(patient, demographics(family="NUNEZ OBRIEN", given="jose"))
    assert match.outcome == "same"


def test_the_clinic_mrn_is_an_identifier_under_the_clinic_system() -> None:
    mrn = Identifier(mrn_system("c-test"), "MRN-1")
    assert match_person(PATIENT, demographics(identifiers=(mrn,))).outcome == "same"
    other_clinic = Identifier(mrn_system("c-other"), "MRN-1")
    assert match_person(PATIENT, demographics(identifiers=(other_clinic,))).outcome == "unknown"


def test_a_bare_naltrack_id_is_never_an_identifier_match() -> None:
    bare = Identifier(NALTRACK_ID_SYSTEM, PATIENT.id)
    match = match_person(PATIENT, demographics(identifiers=(bare,)))
    assert match.outcome == "unknown"
    assert match.reasons == ("no identifier in common",)


@pytest.mark.parametrize(("identifier", "outcome"), [
    (Identifier(HOSPITAL_MRN.system, "1032703"), "unknown"),  # same system, other value
    (Identifier("http://other.example.org/mrn", HOSPITAL_MRN.value), "unknown"),  # same value, other system
    (Identifier(SSN.system, SSN.value), "same"),  # the type does not matter
])
def test_system_and_value_must_both_match(identifier: Identifier, outcome: str) -> None:
    assert match_person(PATIENT, demographics(identifiers=(identifier,))).outcome == outcome


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"family": "Testwel"}, "the family name differs"),
    ({"given": "Bea"}, "the given name differs"),
    ({"birth_date": PartialDate(1990, 5, 2)}, "the birth date differs"),
    ({"birth_date": PartialDate(1991)}, "the birth date differs"),
])
def test_a_known_identifier_with_disagreeing_demographics_is_a_different_person(
        overrides: dict[str, object], reason: str) -> None:
    match = match_person(PATIENT, demographics(**overrides))
    assert match.outcome == "different"
    assert match.reasons == (reason,)
    assert not match.is_same


def test_an_old_family_name_on_record_agrees() -> None:
    assert match_person(PATIENT, demographics(family="SHAW")).outcome == "same"


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"birth_date": None}, "no full birth date to compare (none)"),
    ({"birth_date": PartialDate(1990, 5)}, "no full birth date to compare (1990-05)"),
    ({"birth_date": PartialDate(1990)}, "no full birth date to compare (1990)"),
    ({"family": None}, "no family name to compare"),
    ({"family": "  "}, "no family name to compare"),
])
def test_missing_or_partial_demographics_are_insufficient_to_link(overrides: dict[str, object], reason: str) -> None:
    match = match_person(PATIENT, demographics(**overrides))
    assert match.outcome == "insufficient"
    assert match.reasons == (reason,)


def test_a_missing_given_name_does_not_prevent_a_link() -> None:
    assert match_person(PATIENT, demographics(given=None)).outcome == "same"


@pytest.mark.parametrize(("text", "expected"), [
    ("1974", PartialDate(1974)), ("1974-12", PartialDate(1974, 12)), ("1974-12-25", PartialDate(1974, 12, 25)),
])
def test_partial_dates_parse_at_their_precision(text: str, expected: PartialDate) -> None:
    assert PartialDate.parse(text) == expected
    assert str(expected) == text
    assert expected.is_full == (text.count("-") == 2)


@pytest.mark.parametrize(("text", "rule"), [
    ("74", "must be YYYY, YYYY-MM or YYYY-MM-DD"), ("1974-13", "is not a calendar date"),
    ("1974-02-30", "is not a calendar date"), ("1974-12-25T10:00", "must be YYYY, YYYY-MM or YYYY-MM-DD"),
])
def test_bad_dates_are_refused_naming_the_value(text: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule):
        PartialDate.parse(text)


def test_normalized_name_folds_case_accents_and_punctuation() -> None:
    assert normalized_name("Straße") == normalized_name("STRASSE") == "strasse"
    assert normalized_name("Zoë  d'Arc") == "zoedarc"
    assert normalized_name(None) == ""


NAMES = st.text(alphabet=st.characters(categories=("L", "Zs", "Pd")), min_size=1, max_size=30)
DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@settings(deadline=None)  # the first examples build the text strategy; shared cores make timing noisy
@given(family=NAMES, given_name=NAMES, born=DAYS, shift=st.integers(1, 20_000))
def test_a_disagreeing_birth_date_is_never_the_same_person(family: str, given_name: str, born: date,
                                                           shift: int) -> None:
    patient = make_identified_patient(family_name=family.strip() or "X", birth_date=born)
    elsewhere = born + timedelta(days=shift) if born.year < 1950 else born - timedelta(days=shift)
    for birth in (PartialDate.of(elsewhere), PartialDate(elsewhere.year, elsewhere.month), PartialDate(born.year)):
        match = match_person(patient, Demographics(family, given_name, birth, patient.all_identifiers))
        assert match.outcome != "same"


@settings(deadline=None)  # the first examples build the text strategy; shared cores make timing noisy
@given(family=NAMES, other=NAMES, born=DAYS)
def test_a_disagreeing_family_name_is_never_the_same_person(family: str, other: str, born: date) -> None:
    patient = make_identified_patient(family_name=family.strip() or "X", birth_date=born)
    on_record = {normalized_name(patient.family_name)} | {normalized_name(n.family) for n in patient.names}
    match = match_person(patient, Demographics(other, patient.given_name, PartialDate.of(born),
                                               patient.all_identifiers))
    if normalized_name(other) not in on_record:
        assert match.outcome != "same"
    else:
        assert match.outcome in ("same", "insufficient")


@settings(deadline=None)  # the first examples build the text strategy; shared cores make timing noisy
@given(family=NAMES, born=DAYS, value=st.text(alphabet="ABC123-", min_size=1, max_size=12))
def test_without_a_shared_identifier_nothing_is_ever_the_same_person(family: str, born: date, value: str) -> None:
    patient = make_identified_patient(family_name=family.strip() or "X", birth_date=born)
    theirs = Identifier("http://elsewhere.example.org/id", value)
    match = match_person(patient, Demographics(patient.family_name, patient.given_name, PartialDate.of(born),
                                               (theirs, Identifier(NALTRACK_ID_SYSTEM, patient.id))))
    assert match.outcome == "unknown"
