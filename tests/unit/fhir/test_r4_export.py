"""The FHIR R4 export: every resource validates, carries its US Core profile and the Part 2 labels."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.adapters.fhir.r4_common import (
    FhirValidationError,
    fhir_id,
    find_problems,
    is_part2_labelled,
    validate_resource,
)
from naltrack.adapters.fhir.r4_export import as_bundle, by_type, export_chart, write_ndjson
from naltrack.adapters.fhir.r4_samples import implant_chart, sample_chart
from naltrack.domain.observations import AnalyteResult, UrineDrugScreen

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"


def _one(resources: list[dict], kind: str, rid: str) -> dict:
    return next(r for r in resources if r["resourceType"] == kind and r["id"] == rid)


def _codes(resource: dict) -> set[str]:
    return {s["code"] for s in resource["meta"]["security"]}


def test_exports_every_record_type_of_the_sample_chart() -> None:
    resources = export_chart(sample_chart())
    counts = {kind: len(items) for kind, items in by_type(resources).items()}
    assert counts == {
        "Patient": 1, "Condition": 1, "MedicationRequest": 2, "MedicationAdministration": 3,
        "MedicationStatement": 1, "Observation": 9, "QuestionnaireResponse": 1, "AllergyIntolerance": 1,
        "Provenance": 5, "Organization": 1,
    }
    assert resources[0]["resourceType"] == "Patient"


def test_every_resource_carries_the_part2_labels_with_the_opioid_sensitivity() -> None:
    for resource in export_chart(sample_chart()):
        assert is_part2_labelled(resource), resource["id"]
        assert {"R", "42CFRPart2", "NORDSLCD", "SUD", "OPIOIDUD"} <= _codes(resource)
        assert "ETHUD" not in _codes(resource)


def test_restricted_label_names_part2_as_its_basis() -> None:
    patient = export_chart(sample_chart())[0]
    restricted = next(s for s in patient["meta"]["security"] if s["code"] == "R")
    assert restricted["extension"][0]["valueCoding"]["code"] == "42CFRPart2"


def test_unlabelled_export_has_no_security_labels() -> None:
    assert not any(is_part2_labelled(r) for r in export_chart(sample_chart(), labelled=False))


@pytest.mark.parametrize(("kind", "rid", "profile"), [
    ("Patient", "pt-ada", "us-core-patient"),
    ("Condition", "pt-ada-dx-1", "us-core-condition-problems-health-concerns"),
    ("MedicationRequest", "pt-ada-reg-1", "us-core-medicationrequest"),
    ("Observation", "pt-ada-lab-alt", "us-core-observation-lab"),
    ("Observation", "pt-ada-uds-1-fentanyl", "us-core-observation-lab"),
    ("Observation", "pt-ada-pregnancy", "us-core-observation-pregnancystatus"),
    ("Observation", "pt-ada-q-1-total", "us-core-observation-screening-assessment"),
    ("QuestionnaireResponse", "pt-ada-q-1", "us-core-questionnaireresponse"),
    ("AllergyIntolerance", "pt-ada-al-1", "us-core-allergyintolerance"),
])
def test_resources_declare_their_us_core_profile(kind: str, rid: str, profile: str) -> None:
    resource = _one(export_chart(sample_chart()), kind, rid)
    assert resource["meta"]["profile"] == [US_CORE + profile]


def test_patient_has_identifier_name_gender_birth_sex_and_mrn() -> None:
    patient = export_chart(sample_chart())[0]
    assert patient["birthDate"] == "1988-03-14"
    assert patient["gender"] == "female"
    assert patient["extension"][0]["valueCode"] == "F"
    assert patient["identifier"][0] == {"system": "urn:naltrack:patient", "value": "pt-ada"}
    assert patient["identifier"][1]["value"] == "MRN-pt-ada"
    assert patient["contact"][0]["name"]["text"] == "Bo Quill"


def test_injection_carries_lot_expiry_hcpcs_site_and_needle() -> None:
    shot = _one(export_chart(sample_chart()), "MedicationAdministration", "pt-ada-inj-1")
    kit = shot["contained"][0]
    assert kit["batch"] == {"lotNumber": "LOT001", "expirationDate": "2027-06-30"}
    assert [c["code"] for c in kit["code"]["coding"]] == ["637213", "J2315"]
    assert shot["dosage"]["dose"]["value"] == 380.0
    assert shot["dosage"]["site"]["text"] == "right gluteal"
    assert shot["extension"][0]["valueQuantity"]["value"] == 1.5
    assert shot["effectiveDateTime"] == "2026-03-02T10:00:00+00:00"
    assert shot["request"] == {"reference": "MedicationRequest/pt-ada-reg-1"}


def test_xr_regimen_is_an_order_every_28_days_of_637213() -> None:
    order = _one(export_chart(sample_chart()), "MedicationRequest", "pt-ada-reg-1")
    assert order["status"] == "active" and order["intent"] == "order"
    assert order["medicationCodeableConcept"]["coding"][0]["code"] == "637213"
    assert order["dosageInstruction"][0]["timing"]["repeat"]["period"] == 28


@pytest.mark.parametrize(("indication", "reasons"), [
    ("OUD", [("75544000", "Opioid dependence (disorder)")]),
    ("OUD+AUD", [("75544000", "Opioid dependence (disorder)"), ("66590003", "Alcohol dependence (disorder)")]),
    ("stimulant", [(None, "Stimulant use disorder")]),
])
def test_an_order_names_its_indication_as_reason_code(indication: str, reasons: list[tuple[str | None, str]]) -> None:
    chart = sample_chart()
    ordered = replace(chart, regimens=tuple(replace(r, indication=indication) for r in chart.regimens))
    order = validate_resource(_one(export_chart(ordered), "MedicationRequest", "pt-ada-reg-1"))
    found = [(c["coding"][0]["code"] if "coding" in c else None, c["text"]) for c in order["reasonCode"]]
    assert found == reasons
    assert all(c["coding"][0]["system"] == "http://snomed.info/sct" for c in order["reasonCode"] if "coding" in c)
    assert "reasonCode" not in _one(export_chart(chart), "MedicationRequest", "pt-ada-reg-1")


def test_ended_oral_regimen_is_completed_with_its_supply() -> None:
    order = _one(export_chart(sample_chart()), "MedicationRequest", "pt-ada-reg-0")
    assert order["status"] == "completed"
    assert order["medicationCodeableConcept"]["coding"][0]["code"] == "1483744"
    assert order["dispenseRequest"]["expectedSupplyDuration"]["value"] == 3


def test_removed_implant_is_completed_and_its_period_ends_at_removal() -> None:
    resources = export_chart(implant_chart(removed=date(2026, 2, 1)))
    implant = _one(resources, "MedicationAdministration", "pt-imp-imp-1")
    assert implant["status"] == "completed"
    assert implant["effectivePeriod"]["end"].startswith("2026-02-01")
    assert implant["dosage"]["dose"]["value"] == 1800.0


def test_implant_in_place_is_in_progress() -> None:
    implant = _one(export_chart(implant_chart()), "MedicationAdministration", "pt-imp-imp-1")
    assert implant["status"] == "in-progress"
    assert "end" not in implant["effectivePeriod"]


def test_urine_screen_becomes_one_observation_per_analyte_sharing_the_screen_identifier() -> None:
    resources = export_chart(sample_chart())
    analytes = [r for r in resources if r["id"].startswith("pt-ada-uds-1-")]
    assert [a["code"]["coding"][0]["code"] for a in analytes] == ["19295-5", "59673-4", "93494-3"]
    assert all(a["valueCodeableConcept"]["coding"][0]["code"] == "260385009" for a in analytes)
    assert all(a["identifier"][0] == {"system": "urn:naltrack:urine-drug-screen", "value": "pt-ada-uds-1"}
               for a in analytes)


def test_positive_and_invalid_analytes() -> None:
    chart = sample_chart()
    screen = UrineDrugScreen(id="uds-9", patient_id="pt-ada", collected_at=chart.screens[0].collected_at,
                             results=(AnalyteResult("fentanyl", "positive"), AnalyteResult("opiates", "invalid")))
    resources = export_chart(replace(chart, screens=(screen,)))
    assert _one(resources, "Observation", "uds-9-fentanyl")["valueCodeableConcept"]["coding"][0]["code"] == "10828004"
    invalid = _one(resources, "Observation", "uds-9-opiates")
    assert invalid["dataAbsentReason"]["coding"][0]["code"] == "error"
    assert "valueCodeableConcept" not in invalid


def test_phq9_total_uses_44261_6_and_derives_from_the_response() -> None:
    total = _one(export_chart(sample_chart()), "Observation", "pt-ada-q-1-total")
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueQuantity"]["value"] == 4
    assert total["derivedFrom"] == [{"reference": "QuestionnaireResponse/pt-ada-q-1"}]
    assert total["category"][0]["coding"][0]["code"] == "survey"


def test_lab_has_ucum_quantity_and_reference_range() -> None:
    alt = _one(export_chart(sample_chart()), "Observation", "pt-ada-lab-alt")
    assert alt["valueQuantity"] == {"value": 38.0, "unit": "U/L", "system": "http://unitsofmeasure.org",
                                    "code": "U/L"}
    assert alt["referenceRange"][0]["high"]["value"] == 40.0


def test_medication_statement_period_ends_at_last_dose() -> None:
    chart = sample_chart()
    use = replace(chart.medications[0], last_dose=date(2026, 2, 20), end=date(2026, 2, 21))
    statement = _one(export_chart(replace(chart, medications=(use,))), "MedicationStatement", "pt-ada-med-1")
    assert statement["effectivePeriod"] == {"start": "2025-11-01", "end": "2026-02-20"}
    assert statement["status"] == "completed"


def test_entered_in_error_records_keep_that_status() -> None:
    chart = sample_chart()
    wrong = replace(chart.diagnoses[0], status="entered-in-error")
    condition = _one(export_chart(replace(chart, diagnoses=(wrong,))), "Condition", "pt-ada-dx-1")
    assert condition["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


def test_validation_names_the_resource_and_the_element_path() -> None:
    bad = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
           "valueQuantity": {"value": "abc"}}
    with pytest.raises(FhirValidationError, match=r"Observation/o1: valueQuantity\.value"):
        validate_resource(bad)


def test_unknown_resource_type_and_missing_required_element_are_problems() -> None:
    assert find_problems({"resourceType": "Nope"})[0].path == "resourceType"
    problems = find_problems({"resourceType": "Observation", "id": "o2", "code": {"text": "x"}})
    assert [p.path for p in problems] == ["status"]


def test_illegal_record_ids_get_a_stable_digest() -> None:
    assert fhir_id("pt-1.2") == "pt-1.2"
    assert fhir_id("a b") == fhir_id("a b") != fhir_id("a c")
    assert fhir_id("x" * 65).startswith("h-") and len(fhir_id("x" * 65)) == 34


def test_transaction_bundle_puts_each_resource_by_type_and_id() -> None:
    bundle = as_bundle(export_chart(sample_chart()), "transaction")
    validate_resource(bundle)
    assert bundle["entry"][0]["request"] == {"method": "PUT", "url": "Patient/pt-ada"}


def test_ndjson_writes_one_file_per_type_that_parses_back(tmp_path) -> None:
    resources = export_chart(sample_chart())
    counts = write_ndjson(resources, tmp_path)
    assert counts["Observation"] == 9
    lines = (tmp_path / "Observation.ndjson").read_text().splitlines()
    assert len(lines) == 9
    assert all(json.loads(line)["resourceType"] == "Observation" for line in lines)


@settings(max_examples=25, deadline=None)
@given(shots=st.integers(min_value=1, max_value=8), offset=st.integers(min_value=0, max_value=400))
def test_any_sample_chart_exports_valid_and_fully_labelled(shots: int, offset: int) -> None:
    chart = sample_chart("pt-h", last_injection=date(2025, 1, 1) + timedelta(days=offset), injections=shots)
    resources = export_chart(chart, validate=False)
    assert all(find_problems(r) == [] for r in resources)
    assert all(is_part2_labelled(r) for r in resources)
    assert sum(r["resourceType"] == "MedicationAdministration" for r in resources) == shots + 1


def test_consent_and_disclosure_audit_event_validate() -> None:
    from datetime import UTC, datetime

    from naltrack.adapters.fhir.r4_common import part2_labels
    from naltrack.adapters.fhir.r4_privacy import consent_resource, disclosure_audit_event
    from naltrack.domain.security.consent import Consent

    consent = Consent(id="c1", patient_id="pt-ada", recipient="County Hospital", purpose="referral",
                      categories=("medications",), signed_on=date(2026, 1, 2), expires_on=date(2026, 6, 30))
    now = datetime(2026, 3, 1, tzinfo=UTC)
    resource = validate_resource(consent_resource(consent, part2_labels(), now))
    assert resource["status"] == "active"
    assert resource["provision"]["period"] == {"start": "2026-01-02", "end": "2026-06-30"}
    assert resource["provision"]["purpose"][0]["code"] == "TREAT"
    assert consent_resource(consent, [], datetime(2026, 7, 1, tzinfo=UTC))["status"] == "inactive"
    event = validate_resource(disclosure_audit_event(
        event_id="d1", recorded=now, patient_id="pt-ada", actor="dr.okafor", recipient="County Hospital",
        purpose="referral", records=["Condition/x"], labels=part2_labels()))
    assert event["type"]["code"] == "110106"
    assert [e["what"]["reference"] for e in event["entity"]] == ["Patient/pt-ada", "Condition/x"]
