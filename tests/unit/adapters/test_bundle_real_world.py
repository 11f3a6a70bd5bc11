"""What real systems send: every medication kept (dispenses and unclassified medicines included), US Core
observation value types, a US Core PHQ-9 (total as valueString, items with LOINC answers, LOINC
QuestionnaireResponse), and resources marked entered-in-error named for retraction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.unit.adapters.test_bundle_reader import L, R, S, bundle, coded, obs

from naltrack.adapters.fhir.bundle_reader import read_bundle, read_bundle_detailed
from naltrack.adapters.fhir.instrument_items import ITEM_LOINCS, questionnaire_instrument
from naltrack.domain.errors import InvalidInput
from naltrack.domain.terminology import classify_rxnorm

PHQ9_ITEMS = ITEM_LOINCS["phq-9"]
ANSWERS = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def med(kind: str, code: str, display: str, rid: str, **fields: Any) -> dict[str, Any]:
    return {"resourceType": kind, "id": rid, "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"coding": [{"system": R, "code": code, "display": display}]}, **fields}


def test_a_dispense_is_kept_as_dispensed_for_its_days_supply() -> None:
    dispense = med("MedicationDispense", "1049621", "oxycodone hydrochloride 5 MG Oral Tablet", "d1",
                   status="completed", whenHandedOver="2026-02-01T12:46:59-03:00",
                   daysSupply={"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"})
    (use,) = read_bundle(bundle(dispense)).medications
    assert (use.id, use.source, use.start, use.end, use.days_supply) == ("d1", "dispensed", date(2026, 2, 1), None, 30)
    assert use.is_active_on(date(2026, 3, 2)) and not use.is_active_on(date(2026, 3, 3))


@pytest.mark.parametrize(("kind", "fields", "source"), [
    ("MedicationRequest", {"status": "completed", "intent": "order", "authoredOn": "2020-03-20T12:46:59-03:00"},
     "prescribed"),
    ("MedicationStatement", {"status": "active", "effectivePeriod": {"start": "2021-05-01"}}, "reported"),
])
def test_a_medicine_the_terminology_does_not_classify_is_kept_by_its_rxcui(kind: str, fields: dict[str, Any],
                                                                          source: str) -> None:
    read = read_bundle_detailed(bundle(med(kind, "314076", "lisinopril 10 MG Oral Tablet", "m1", **fields)))
    (use,) = read.chart.medications
    assert (use.rxnorm, use.source) == ("314076", source)
    assert classify_rxnorm(use.rxnorm) is None and read.unrecognized_medications == ()


def test_a_medicine_without_an_rxnorm_code_or_a_known_name_is_reported_not_kept() -> None:
    statement = {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
                 "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-01",
                 "medicationCodeableConcept": {"coding": [{"system": "http://example.org/local", "code": "42"}],
                                               "text": "house blend tea"}}
    read = read_bundle_detailed(bundle(statement))
    assert read.chart.medications == ()
    assert read.unrecognized_medications == ("Bundle.entry[1].resource: house blend tea",)


def test_a_us_core_phq9_total_sent_as_value_string_is_read() -> None:
    (response,) = read_bundle(bundle(obs((L, "44261-6"), valueString="12"))).questionnaires
    assert (response.instrument, response.total, response.band, response.answers) == ("phq-9", 12.0, "moderate", ())


@pytest.mark.parametrize(("value", "message"), [
    ({"valueString": "twelve"}, r"valueString: 'twelve' must be a number \(the total score\)"),
    ({"valueString": "NaN"}, r"valueString: 'NaN' must be a number"),
    ({"valueString": "28"}, r"valueString: 28.0 must be between 0 and 27 for phq-9"),
    ({}, r"valueQuantity: None is required \(the total score: valueQuantity, valueInteger"),
])
def test_a_phq9_total_that_is_no_number_in_range_names_its_element(value: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_bundle(bundle(obs((L, "44261-6"), **value)))


def _items(points: list[int]) -> list[dict[str, Any]]:
    return [obs((L, code), id=f"item-{n}", valueCodeableConcept=coded(L, ANSWERS[p]))
            for n, (code, p) in enumerate(zip(PHQ9_ITEMS, points, strict=True))]


def test_phq9_item_observations_with_loinc_answers_are_scored_with_item_nine() -> None:
    points = [1, 2, 0, 3, 1, 0, 2, 1, 2]
    chart = read_bundle(bundle(obs((L, "44261-6"), valueString="12"), *_items(points)))
    (response,) = chart.questionnaires  # the total-only response gives way to the scored items
    assert (response.instrument, response.answers, response.total) == ("phq-9", tuple(points), 12.0)
    assert response.id == "item-0-phq-9"
    assert response.flags  # item 9 above 0 raises the safety flag as on any PHQ-9


def test_an_incomplete_set_of_items_is_noted_and_the_total_kept() -> None:
    read = read_bundle_detailed(bundle(obs((L, "44261-6"), valueInteger=4), *_items([1, 1, 1, 1, 0, 0, 0, 0, 0])[:4]))
    assert [(q.total, q.answers) for q in read.chart.questionnaires] == [(4.0, ())]
    assert any("4 of 9 items, not scored" in line for line in read.skipped)


def test_an_item_answered_outside_the_loinc_answer_list_names_it() -> None:
    with pytest.raises(InvalidInput, match=r"valueCodeableConcept.coding: \['LA9999-9'\] must be a LOINC answer"):
        read_bundle(bundle(obs((L, PHQ9_ITEMS[0]), valueCodeableConcept=coded(L, "LA9999-9"))))


def test_a_loinc_phq9_questionnaire_response_is_scored_by_link_id() -> None:
    items = [{"linkId": f"/{code}", "answer": [{"valueCoding": {"system": L, "code": ANSWERS[p]}}]}
             for code, p in zip(PHQ9_ITEMS, [0, 1, 2, 3, 0, 1, 2, 3, 0], strict=True)]
    items.insert(0, {"linkId": "/69722-7", "answer": [{"valueCoding": {"system": L, "code": "LA6572-7"}}]})
    response = {"resourceType": "QuestionnaireResponse", "id": "qr1", "status": "completed",
                "questionnaire": "http://loinc.org/q/44249-1", "subject": {"reference": "Patient/p1"},
                "authored": "2026-03-01T10:00:00Z", "item": [{"linkId": "/44249-1", "item": items}]}
    (scored,) = read_bundle(bundle(response)).questionnaires
    assert (scored.instrument, scored.answers, scored.total) == ("phq-9", (0, 1, 2, 3, 0, 1, 2, 3, 0), 12.0)


def test_questionnaire_canonicals() -> None:
    assert questionnaire_instrument("http://loinc.org/q/69737-5|2.74") == "gad-7"
    assert questionnaire_instrument("urn:naltrack:questionnaire:cravingvas") == "craving-vas"
    assert questionnaire_instrument("http://example.org/Questionnaire/144249-10") is None


def test_boolean_values_read_where_they_carry_meaning() -> None:
    chart = read_bundle(bundle(obs((L, "19295-5"), valueBoolean=True), obs((L, "82810-3"), valueBoolean=False)))
    (screen,) = chart.screens
    assert screen.result_for("opiates") == "positive"
    assert chart.patient.reproductive is not None and chart.patient.reproductive.pregnant is False


def test_standard_drinks_as_an_integer() -> None:
    (day,) = read_bundle(bundle(obs(("urn:naltrack:observation", "standard-drinks"), valueInteger=5))).drinking_days
    assert day.standard_drinks == 5.0


def test_resources_marked_entered_in_error_are_named_for_retraction() -> None:
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                             "entered-in-error"), "code": coded(S, "5602001")}
    read = read_bundle_detailed(bundle(obs((L, "1742-6"), id="lab1", status="entered-in-error"), condition))
    assert read.retracted == ("lab1", "c1")
    assert read.chart.labs == () and read.chart.diagnoses == ()


def test_a_request_naming_a_medication_resource_of_the_bundle_keeps_its_code() -> None:
    medicine = {"resourceType": "Medication", "id": "med-9",
                "code": {"coding": [{"system": R, "code": "197696", "display": "fentanyl 0.1 MG/HR Patch"}]}}
    request = {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
               "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-02-01",
               "medicationReference": {"reference": "Medication/med-9"}}
    read = read_bundle_detailed(bundle(request, medicine))
    assert [(m.id, m.rxnorm, classify_rxnorm(m.rxnorm)) for m in read.chart.medications] == [
        ("m1", "197696", "opioid-analgesic")]
    assert read.skipped == ()
