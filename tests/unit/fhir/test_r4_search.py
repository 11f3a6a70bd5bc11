"""Patient search parameters: names without case or accents, identifiers as tokens, birth dates with prefixes
and partial dates (FHIR R4 search), and a clear error for a value that cannot be read."""

from __future__ import annotations

from typing import Any

import pytest

from naltrack.adapters.fhir.r4_search import day_range, patient_matcher
from naltrack.errors import InvalidInput

ZOE = {"resourceType": "Patient", "id": "pt-zoe", "birthDate": "1988-03-14",
       "name": [{"use": "official", "family": "Müller", "given": ["Zoë", "Ann"]},
                {"use": "old", "family": "Quill", "given": ["Zoe"]}],
       "identifier": [{"system": "urn:naltrack:mrn:clinic-1", "value": "MRN-1"},
                      {"system": "http://hospital.example/mrn", "value": "H-77"}, {"value": "NOSYS"}]}


def _hits(**params: Any) -> bool:
    return patient_matcher({k: v if isinstance(v, list) else [v] for k, v in params.items()})(ZOE)


@pytest.mark.parametrize(("params", "hit"), [
    ({"name": "mul"}, True), ({"name": "MÜLLER"}, True), ({"name": "zoe"}, True), ({"name": "ann"}, True),
    ({"name": "quill"}, True), ({"name": "uller"}, False), ({"family": "zo"}, False), ({"given": "zo"}, True),
    ({"family": "mull"}, True), ({"given": "ann"}, True), ({"given": "mul"}, False),
    ({"name": "xyz,zoe"}, True), ({"name": ["zoe", "xyz"]}, False), ({"name": ""}, True),
    ({"_id": "pt-zoe"}, True), ({"_id": "pt-zo"}, False), ({"_id": "a,pt-zoe"}, True),
])
def test_string_and_id_parameters(params: dict[str, Any], hit: bool) -> None:
    assert _hits(**params) is hit


@pytest.mark.parametrize(("value", "hit"), [
    ("http://hospital.example/mrn|H-77", True), ("http://hospital.example/mrn|MRN-1", False),
    ("urn:naltrack:mrn:clinic-1|MRN-1", True), ("H-77", True), ("h-77", False), ("|NOSYS", True), ("|H-77", False),
    ("http://hospital.example/mrn|", True), ("http://other.example|", False),
])
def test_identifier_tokens(value: str, hit: bool) -> None:
    assert _hits(identifier=value) is hit


@pytest.mark.parametrize(("value", "hit"), [
    ("1988", True), ("1988-03", True), ("1988-03-14", True), ("eq1988-03-14", True), ("1988-03-15", False),
    ("1987", False), ("ne1988", False), ("ne1987", True),
    ("ge1988-03-14", True), ("ge1988-03-15", False), ("ge1988-03", True), ("ge1988", True), ("ge1989", False),
    ("le1988-03-14", True), ("le1988-03-13", False), ("le1988-03", True), ("le1988-02", False),
    ("gt1988-03-13", True), ("gt1988-03", False), ("gt1987", True), ("lt1988-03-15", True), ("lt1988-03", False),
])
def test_birthdate_prefixes_and_partial_dates(value: str, hit: bool) -> None:
    assert _hits(birthdate=value) is hit


def test_repeated_birthdate_parameters_must_all_hold() -> None:
    assert _hits(birthdate=["ge1980", "le1990"]) is True
    assert _hits(birthdate=["ge1980", "le1985"]) is False


def test_a_patient_born_in_a_month_matches_by_range() -> None:
    partial = {**ZOE, "birthDate": "1988-03"}
    assert patient_matcher({"birthdate": ["1988-03"]})(partial)
    assert not patient_matcher({"birthdate": ["1988-03-14"]})(partial)  # eq: the month is not inside the day
    assert patient_matcher({"birthdate": ["ge1988-03-31"]})(partial)
    assert day_range("2024-02") == (day_range("2024-02-01")[0], day_range("2024-02-29")[1])


@pytest.mark.parametrize(("value", "rule"), [
    ("88-03-14", "must be"), ("1988-13", "is not a calendar date"), ("1988-02-30", "is not a calendar date"),
    ("ap1988", "must be"), ("1988-3-14", "must be"), ("0000", "must be"),
])
def test_an_unreadable_birthdate_names_the_parameter_and_the_value(value: str, rule: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^birthdate: '{value}' {rule}"):
        patient_matcher({"birthdate": [value]})
