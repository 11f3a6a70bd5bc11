"""The FHIR R4 bundle reader: what each resource becomes, and errors that name the element path."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from naltrack.adapters.fhir.bundle_reader import (
    load_bundle_file,
    match_medication_text,
    read_bundle,
    read_bundle_detailed,
)
from naltrack.domain.errors import InvalidInput

FIXTURES = Path(__file__).parents[2] / "fixtures" / "fhir" / "readiness"
L, S, R, ICD = ("http://loinc.org", "http://snomed.info/sct", "http://www.nlm.nih.gov/research/umls/rxnorm",
              "http://hl7.org/fhir/sid/icd-10-cm")


def bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    pt = patient or {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lane", "given": ["Ada"]}],
                     "gender": "female", "birthDate": "1988-03-14"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": "urn:uuid:p1", "resource": pt}] + [{"resource": r} for r in resources]}


def obs(code: tuple[str, str], **fields: Any) -> dict[str, Any]:
    base = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": code[0], "code": code[1]}]}, "effectiveDateTime": "2026-03-09T10:00:00Z"}
    base.update(fields)
    return base


def coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def test_reads_the_fixtures() -> None:
    read = load_bundle_file(FIXTURES / "fentanyl-positive.json")
    chart = read.chart
    assert chart.patient.id == "pt-1" and chart.patient.sex_at_birth == "male"
    assert [(d.system, d.code) for d in chart.diagnoses] == [("snomed", "75544000")]
    assert [(s.substance, s.last_use) for s in chart.substance_use] == [("fentanyl", date(2026, 3, 1))]
    (screen,) = chart.screens
    assert screen.result_for("fentanyl") == "positive" and screen.result_for("opiates") == "negative"
    assert [(q.instrument, q.total, q.band) for q in chart.questionnaires] == [("cows", 2.0, "none")]
    (oxy,) = chart.medications
    assert (oxy.rxnorm, oxy.start, oxy.last_dose, oxy.end) == ("1049621", date(2026, 1, 10), date(2026, 2, 20),
                                                               date(2026, 2, 20))
    assert read.skipped == ("Bundle.entry[11].resource: Encounter not read",)


def test_reads_pregnancy_from_hcg_allergy_by_text_and_an_active_request() -> None:
    chart = load_bundle_file(FIXTURES / "aud-first-injection.json").chart
    assert chart.patient.reproductive is not None
    assert (chart.patient.reproductive.pregnant, chart.patient.reproductive.as_of) == (False, date(2026, 3, 9))
    assert [a.substance for a in chart.allergies] == ["polylactide-co-glycolide"]
    (warfarin,) = chart.medications
    assert (warfarin.source, warfarin.end, warfarin.is_active_on(date(2026, 3, 10))) == ("prescribed", None, True)
    alt = next(lab for lab in chart.labs if lab.loinc == "1742-6")
    assert (alt.value, alt.unit, alt.reference_high, alt.times_upper_limit) == (164.0, "U/L", 41.0, 4.0)


def test_lab_without_a_unit_names_the_element_path() -> None:
    with pytest.raises(InvalidInput, match=r"Bundle\.entry\[8\]\.resource\.valueQuantity\.unit: None is required "
                                           r"for ALT \(1742-6\)"):
        load_bundle_file(FIXTURES / "bad-lab-unit.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.update(resourceType="Patient"), r"Bundle\.resourceType: 'Patient' must be Bundle"),
        (lambda b: b["entry"].pop(0), r"Bundle\.entry: '0 Patient resources' must hold exactly one Patient"),
        (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), r"'2 Patient resources'"),
        (lambda b: b["entry"][0]["resource"].pop("birthDate"),
         r"Bundle\.entry\[0\]\.resource\.birthDate: None is required"),
        (lambda b: b["entry"][0]["resource"].update(birthDate="1988-03"),
         r"Bundle\.entry\[0\]\.resource\.birthDate: '1988-03' is a partial date; a patient is registered with "
         r"the full birth date \(YYYY-MM-DD\)"),
        (lambda b: b["entry"].append({"fullUrl": "x"}), r"Bundle\.entry\[1\]\.resource: None is required"),
        (lambda b: b.update(entry={"a": 1}), r"Bundle\.entry: .* must be a JSON array"),
    ],
)
def test_bundle_shape_errors_name_the_path(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = bundle()
    mutate(data)
    with pytest.raises(InvalidInput, match=message):
        read_bundle(data)


def test_not_json_is_rejected_with_line_and_column() -> None:
    with pytest.raises(InvalidInput, match=r"Bundle: 'line 1 column 2' is not valid JSON"):
        read_bundle("{oops")


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (obs((L, "59673-4"), valueCodeableConcept=coded(S, "1234567")),
         r"entry\[1\]\.resource\.valueCodeableConcept\.coding: 'http://snomed\.info/sct\|1234567' "
         r"must be SNOMED 10828004"),
        (obs((L, "59673-4")), r"entry\[1\]\.resource\.valueCodeableConcept: None is required"),
        (obs((L, "1742-6"), valueQuantity={"value": "high", "unit": "U/L"}),
         r"entry\[1\]\.resource\.valueQuantity\.value: 'high' must be a number"),
        (obs((L, "1742-6"), valueQuantity={"value": 30, "unit": "IU/dL"}),
         r"entry\[1\]\.resource\.valueQuantity\.unit: 'IU/dL' is not a known unit"),
        (obs((L, "1742-6"), valueQuantity={"value": 30, "unit": "U/L"}, effectiveDateTime="2026-03-09T10:00:00"),
         r"effectiveDateTime: '2026-03-09T10:00:00' has a time but no time zone"),
        (obs((L, "1742-6"), valueQuantity={"value": 30, "unit": "U/L"}, effectiveDateTime=None),
         r"entry\[1\]\.resource\.effectiveDateTime: None is required"),
        (obs((L, "44261-6"), valueQuantity={"value": 31}), r"valueQuantity\.value: 31\.0 must be between 0 and 27"),
        (obs((L, "1742-6"), valueQuantity={"value": 30, "unit": "U/L"}, subject={"reference": "Patient/other"}),
         r"entry\[1\]\.resource\.subject\.reference: 'Patient/other' refers to another patient than p1"),
        ({"resourceType": "Condition", "subject": {"reference": "urn:uuid:p1"}, "code": coded(ICD, "F11-20")},
         r"entry\[1\]\.resource\.code\.coding\[0\]\.code: 'F11-20' is not an ICD-10-CM code"),
        ({"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p1"},
          "medicationCodeableConcept": coded(R, "1049621")},
         r"entry\[1\]\.resource\.effectivePeriod\.start: None is required"),
        (obs((L, "82810-3"), valueCodeableConcept=coded(S, "1")), r"must be SNOMED 77386006 \(pregnant\)"),
        (obs(("urn:naltrack:observation", "last-use-glue"), valueDateTime="2026-03-01"),
         r"entry\[1\]\.resource\.code: 'glue' must name one of heroin"),
        (obs(("urn:naltrack:observation", "naloxone-challenge"), valueCodeableConcept={"text": "ok"}),
         r"valueCodeableConcept\.coding: 'ok' must be SNOMED 1264554000 \(failed\)"),
    ],
)
def test_resource_errors_name_the_element(resource: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_bundle(bundle(resource))


def test_hcg_code_keys_on_the_system_not_the_code() -> None:
    race = obs(("urn:oid:2.16.840.1.113883.6.238", "2106-3"), valueCodeableConcept=coded(S, "10828004"))
    read = read_bundle_detailed(bundle(race))
    assert read.chart.patient.reproductive is None
    assert "not read" in read.skipped[0]
    hcg = obs((L, "2106-3"), valueCodeableConcept=coded(S, "10828004"))
    status = read_bundle(bundle(hcg)).patient.reproductive
    assert status is not None and status.pregnant is True


def test_pregnancy_status_with_breastfeeding_component_and_latest_wins() -> None:
    older = obs((L, "82810-3"), valueCodeableConcept=coded(S, "77386006"), effectiveDateTime="2026-01-01")
    newer = obs((L, "82810-3"), valueCodeableConcept=coded(S, "60001007"), effectiveDateTime="2026-03-01",
                component=[{"code": coded("urn:naltrack:observation", "breastfeeding"), "valueBoolean": True}])
    status = read_bundle(bundle(newer, older)).patient.reproductive
    assert status is not None
    assert (status.pregnant, status.breastfeeding, status.as_of) == (False, True, date(2026, 3, 1))


def test_screen_analytes_group_by_collection_time_and_positive_wins() -> None:
    t1, t2 = "2026-03-01T09:00:00Z", "2026-03-09T09:00:00Z"
    pos, neg = coded(S, "10828004"), coded(S, "260385009")
    chart = read_bundle(bundle(
        obs((L, "19295-5"), valueCodeableConcept=neg, effectiveDateTime=t1),
        obs((L, "59673-4"), valueCodeableConcept=neg, effectiveDateTime=t2),
        obs((L, "58379-9"), valueCodeableConcept=pos, effectiveDateTime=t2),   # fentanyl+norfentanyl screen
        obs((L, "93494-3"), dataAbsentReason=coded("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                   "error"), effectiveDateTime=t2),
    ))
    first, second = chart.screens
    assert first.collected_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert [(r.analyte, r.result) for r in second.results] == [("fentanyl", "positive"), ("buprenorphine", "invalid")]


def test_challenge_last_use_drinking_and_totals() -> None:
    local = "urn:naltrack:observation"
    chart = read_bundle(bundle(
        obs((local, "naloxone-challenge"), valueCodeableConcept=coded(S, "1264554000"), method={"text": "sc"},
            note=[{"text": "sign: yawning"}]),
        obs((S, "1264554000"), effectiveDateTime="2026-03-02T10:00:00Z"),
        obs((local, "last-use-alcohol"), valueDateTime="2026-03-07", effectiveDateTime="2026-03-09"),
        obs((local, "standard-drinks"), valueQuantity={"value": 6}, effectiveDateTime="2026-03-07"),
        obs((L, "44261-6"), valueQuantity={"value": 12}, note=[{"text": "flag: item-9-positive"}]),
    ))
    assert [(c.passed, c.route, c.signs) for c in chart.naloxone_challenges] == [
        (False, "sc", ("yawning",)), (False, "iv", ())]
    assert [(r.substance, r.last_use) for r in chart.substance_use] == [("alcohol", date(2026, 3, 7))]
    assert [(d.day, d.standard_drinks) for d in chart.drinking_days] == [(date(2026, 3, 7), 6.0)]
    assert [(q.instrument, q.total, q.band, q.flags) for q in chart.questionnaires] == [
        ("phq-9", 12.0, "moderate", ("item-9-positive",))]


def test_questionnaire_response_is_scored_and_its_total_is_not_doubled() -> None:
    response = {"resourceType": "QuestionnaireResponse", "id": "qr1", "status": "completed",
                "questionnaire": "urn:naltrack:questionnaire:phq9", "subject": {"reference": "Patient/p1"},
                "authored": "2026-03-09T10:00:00Z",
                "item": [{"linkId": str(n), "answer": [{"valueDecimal": v}]}
                         for n, v in enumerate([1, 1, 1, 1, 1, 0, 0, 0, 2], start=1)]}
    total = obs((L, "44261-6"), valueQuantity={"value": 7}, derivedFrom=[{"reference": "QuestionnaireResponse/qr1"}])
    for order in ((response, total), (total, response)):
        (q,) = read_bundle(bundle(*order)).questionnaires
        assert (q.total, q.band, q.flags, len(q.answers)) == (7, "mild", ("item-9-positive",), 9)
    bad = copy.deepcopy(response)
    bad["item"][8]["answer"][0]["valueDecimal"] = 4
    with pytest.raises(InvalidInput, match=r"entry\[1\]\.resource\.item \(phq-9\.phq-9-9 .*\): 4 must be one of"):
        read_bundle(bundle(bad))


@pytest.mark.parametrize(
    ("medication", "status", "effective", "expect"),
    [
        (coded(R, "1049621"), "completed", {"effectiveDateTime": "2026-03-01"}, ("1049621", date(2026, 3, 1))),
        (coded(R, "1049621"), "active", {"effectivePeriod": {"start": "2026-02-01"}}, ("1049621", None)),
        ({"text": "HYDROmorphone 2 MG Oral Tablet", "coding": [{"system": R, "code": "897696"}]}, "completed",
         {"effectiveDateTime": "2026-03-01"}, ("897696", date(2026, 3, 1))),  # an SCD of the code tables: kept
        ({"text": "Suboxone 8/2 film"}, "active", {"effectivePeriod": {"start": "2026-01-01"}}, None),
        ({"text": "buprenorphine 8 MG / naloxone 2 MG film"}, "active", {"effectivePeriod": {"start": "2026-01-01"}},
         ("1819", None)),
    ],
)
def test_medication_statements(medication: dict[str, Any], status: str, effective: dict[str, Any],
                               expect: tuple[str, date | None] | None) -> None:
    resource = {"resourceType": "MedicationStatement", "status": status, "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": medication, **effective}
    read = read_bundle_detailed(bundle(resource))
    if expect is None:
        assert read.chart.medications == ()
        assert read.unrecognized_medications == ("Bundle.entry[1].resource: Suboxone 8/2 film",)
        return
    (med,) = read.chart.medications
    assert (med.rxnorm, med.end) == expect
    assert med.source == "reported"


def test_medication_request_supply_and_contained_medication() -> None:
    request = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-03-01",
               "contained": [{"resourceType": "Medication", "id": "m1", "code": coded(R, "1049621")}],
               "medicationReference": {"reference": "#m1"},
               "dispenseRequest": {"expectedSupplyDuration": {"value": 5, "unit": "days", "code": "d"}}}
    (med,) = read_bundle(bundle(request)).medications
    assert (med.rxnorm, med.source, med.days_supply) == ("1049621", "prescribed", 5)
    assert med.is_active_on(date(2026, 3, 5)) and not med.is_active_on(date(2026, 3, 6))
    request["dispenseRequest"]["expectedSupplyDuration"] = {"value": 1, "unit": "wk"}
    with pytest.raises(InvalidInput, match=r"expectedSupplyDuration\.unit: 'wk' must be days"):
        read_bundle(bundle(request))


def test_entered_in_error_and_refuted_records_are_not_read() -> None:
    chart = read_bundle(bundle(
        obs((L, "59673-4"), status="entered-in-error", valueCodeableConcept=coded(S, "10828004")),
        {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}, "code": coded(ICD, "F11.20"),
         "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "refuted")},
        {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"}, "code": coded(R, "7243"),
         "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "resolved")},
    ))
    assert (chart.screens, chart.diagnoses, chart.allergies) == ((), (), ())


def test_allergy_codes_and_unconfirmed_verification() -> None:
    ver = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
    chart = read_bundle(bundle(
        {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"}, "code": coded(R, "7243"),
         "verificationStatus": coded(ver, "unconfirmed")},
        {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"},
         "code": {"text": "Carboxymethylcellulose sodium"}},
        {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"}, "code": {"text": "Penicillin"}},
    ))
    assert [(a.substance, a.verified) for a in chart.allergies] == [
        ("naltrexone", False), ("carboxymethylcellulose", True), ("other", True)]


def test_condition_status_and_birth_sex_extension() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "other", "birthDate": "1990-01-01",
               "extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                              "valueCode": "M"}]}
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                 "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "remission"),
                 "code": {"coding": [{"system": "http://example.org/local", "code": "X"},
                                     {"system": S, "code": "66590003", "display": "Alcohol dependence"}]},
                 "onsetDateTime": "2020-05-01T00:00:00+02:00"}
    chart = read_bundle(bundle(condition, patient=patient))
    assert chart.patient.sex_at_birth == "male" and chart.patient.given_name == "Unknown"
    (dx,) = chart.diagnoses
    assert (dx.system, dx.code, dx.clinical_status, dx.onset) == ("snomed", "66590003", "in-remission",
                                                                  date(2020, 5, 1))


@pytest.mark.parametrize(
    ("text", "code"),
    [("Oxycodone 5 mg", "7804"), ("naltrexone 380 mg injectable suspension", "637213"),
     ("naltrexone implant pellets", "NTX-IMPLANT"), ("naltrexone 50 mg tablet", "7243"),
     ("Narcan (naloxone) nasal spray", "7242"), ("lisinopril 10 mg", None), ("", None),
     ("morphine / naltrexone ER capsule", "7052")],
)
def test_medicines_matched_by_text(text: str, code: str | None) -> None:
    assert match_medication_text(text) == code


def test_file_errors() -> None:
    with pytest.raises(InvalidInput, match="bundle: '/no/such.json' cannot be read"):
        load_bundle_file("/no/such.json")


def test_json_text_and_bytes_are_accepted() -> None:
    text = json.dumps(bundle())
    assert read_bundle(text).patient.id == "p1"
    assert read_bundle(text.encode()).patient.family_name == "Lane"
