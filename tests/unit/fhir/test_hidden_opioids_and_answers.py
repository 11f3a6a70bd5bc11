"""FHIR bundles: kratom and high-dose loperamide are read as opioid exposure, and urine screens
resulted with the common US answer codes are read (adapters/fhir/codes.py RESULT_VALUE)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from naltrack.adapters.fhir.bundle_reader import read_bundle, read_bundle_detailed
from naltrack.adapters.fhir.r4_medications import medication_use_resource
from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import MedicationUse
from naltrack.domain.rules import facts
from naltrack.domain.rules.readiness import assess_readiness

L, S, LOCAL = "http://loinc.org", "http://snomed.info/sct", "urn:naltrack:observation"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UCUM = "http://unitsofmeasure.org"
DAY = date(2026, 3, 10)


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1985-05-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}] + [{"resource": r} for r in resources]}


def obs(system: str, code: str, **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": "2026-03-09T10:00:00Z",
            **fields}


def coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def statement(text: str, *dosage: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": text}, "effectivePeriod": {"start": "2026-01-01"},
            **({"dosage": list(dosage)} if dosage else {}), **fields}


def dose(mg: float, per_day: float = 1, unit: str = "mg", period_unit: str = "d") -> dict[str, Any]:
    return {"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": period_unit}},
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": unit, "system": UCUM, "code": unit}}]}


def fentanyl_result(**value: Any) -> str | None:
    (screen,) = read_bundle(bundle(obs(L, "59673-4", **value))).screens
    return screen.result_for("fentanyl")


# Answer codes ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("system", "code", "result"),
    [(L, "LA11882-0", "positive"), (L, "LA11883-8", "negative"), (L, "LA6576-8", "positive"),
     (L, "LA6577-6", "negative"), (S, "260373001", "positive"), (S, "260415000", "negative"),
     (S, "10828004", "positive"), (S, "260385009", "negative")],
)
def test_coded_answers_are_read(system: str, code: str, result: str) -> None:
    assert fentanyl_result(valueCodeableConcept=coded(system, code)) == result


@pytest.mark.parametrize(
    ("text", "result"),
    [("POS", "positive"), ("neg", "negative"), (" Positive ", "positive"), ("NEGATIVE", "negative"),
     ("Detected", "positive"), ("not detected", "negative"), ("  Not   Detected\n", "negative")],
)
def test_string_answers_are_read_trimmed_in_any_case(text: str, result: str) -> None:
    assert fentanyl_result(valueString=text) == result


@pytest.mark.parametrize(("code", "result"), [("POS", "positive"), ("NEG", "negative"), ("DET", "positive"),
                                              ("ND", "negative")])
def test_an_interpretation_is_read_when_the_value_is_absent(code: str, result: str) -> None:
    assert fentanyl_result(interpretation=[coded(V3, code)]) == result


def test_the_value_wins_over_the_interpretation_and_data_absent_stays_invalid() -> None:
    assert fentanyl_result(valueCodeableConcept=coded(L, "LA6577-6"), interpretation=[coded(V3, "POS")]) == "negative"
    assert fentanyl_result(dataAbsentReason=coded("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                  "error")) == "invalid"
    assert fentanyl_result(dataAbsentReason={"text": "error"}, interpretation=[coded(V3, "A")]) == "invalid"


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"valueCodeableConcept": coded(L, "LA11885-3")},
      r"entry\[1\]\.resource\.valueCodeableConcept\.coding: 'http://loinc\.org\|LA11885-3' must be SNOMED"),
     ({"valueCodeableConcept": {"coding": [{"system": L, "code": "LA9663-1", "display": "Inconclusive"}]}},
      r"valueCodeableConcept\.coding: 'Inconclusive' must be SNOMED 10828004/260385009"),
     ({"valueCodeableConcept": coded(V3, "POS")},
      r"valueCodeableConcept\.coding: '.*v3-ObservationInterpretation\|POS'"),
     ({"valueString": "trace"}, r"entry\[1\]\.resource\.valueString: 'trace' must be Positive, Negative, POS, NEG"),
     ({"valueString": "positive?"}, r"valueString: 'positive\?' must be"),
     ({"interpretation": [coded(V3, "A")]},
      r"entry\[1\]\.resource\.interpretation\[0\]\.coding: '.*\|A' must be HL7 v3 ObservationInterpretation"),
     ({}, r"entry\[1\]\.resource\.valueCodeableConcept: None is required")],
)
def test_an_unknown_answer_is_an_error_naming_the_element_and_the_value(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_bundle(bundle(obs(L, "59673-4", **fields)))


def test_an_hcg_test_reads_the_same_answers() -> None:
    chart = read_bundle(bundle(obs(L, "2106-3", valueCodeableConcept=coded(L, "LA11882-0"))))
    assert chart.patient.reproductive is not None and chart.patient.reproductive.pregnant is True
    chart = read_bundle(bundle(obs(L, "2106-3", valueString="Not detected")))
    assert chart.patient.reproductive is not None and chart.patient.reproductive.pregnant is False


# Kratom ----------------------------------------------------------------------------------------

def test_last_use_of_kratom_is_read() -> None:
    chart = read_bundle(bundle(obs(LOCAL, "last-use-kratom", valueDateTime="2026-03-05")))
    (report,) = chart.substance_use
    assert (report.substance, report.last_use, report.reported_on) == ("kratom", date(2026, 3, 5), date(2026, 3, 9))
    assert facts.last_opioid_use(chart, DAY)["kratom"].day == date(2026, 3, 5)


def test_an_unknown_substance_is_still_an_error() -> None:
    with pytest.raises(InvalidInput, match=r"entry\[1\]\.resource\.code: 'betel' must name one of .*kratom"):
        read_bundle(bundle(obs(LOCAL, "last-use-betel", valueDateTime="2026-03-05")))


@pytest.mark.parametrize("code", ["75649-4", "72732-1"])
def test_a_kratom_screen_is_an_opioid_analyte(code: str) -> None:
    chart = read_bundle(bundle(obs(L, code, valueCodeableConcept=coded(L, "LA11882-0"))))
    (screen,) = chart.screens
    assert screen.positive_opioids == ("kratom",)


@pytest.mark.parametrize("text", ["Kratom powder 5 g", "MITRAGYNINE extract", "7-hydroxymitragynine tablet"])
def test_a_kratom_product_is_read_by_name(text: str) -> None:
    read = read_bundle_detailed(bundle(statement(text)))
    assert [m.rxnorm for m in read.chart.medications] == ["KRATOM"] and read.unrecognized_medications == ()
    result = assess_readiness(read.chart, "xr-ntx", DAY)
    assert any(r.rule == "RDY-OPIOID-FREE" and r.severity == "not-ready" and "kratom" in r.message
               for r in result.reasons)


# Loperamide ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("dosage", "mg_per_day", "exposure"),
    [((dose(2, per_day=8),), 16.0, False), ((dose(4, per_day=4), dose(0.5)), 16.5, True),
     ((dose(24, per_day=1, period_unit="h"),), 576.0, True), ((dose(70, per_day=1, period_unit="wk"),), 10.0, False),
     ((dose(2, per_day=8, unit="{capsule}"),), None, False), ((), None, False)],
)
def test_the_daily_amount_of_loperamide_is_read_from_the_dosage(
        dosage: tuple[dict[str, Any], ...], mg_per_day: float | None, exposure: bool) -> None:
    (med,) = read_bundle(bundle(statement("loperamide 2 MG Oral Capsule", *dosage))).medications
    assert (med.rxnorm, med.daily_dose_mg) == ("6468", mg_per_day)
    assert facts.loperamide_exposure(med) is exposure


def test_a_dosage_period_unit_that_is_not_a_day_fraction_is_an_error() -> None:
    with pytest.raises(InvalidInput, match=r"dosage\[0\]\.timing\.repeat\.periodUnit: 'mo' must be h, d or wk"):
        read_bundle(bundle(statement("loperamide", dose(2, period_unit="mo"))))
    with pytest.raises(InvalidInput, match=r"dosage\[0\]\.timing\.repeat\.frequency: -2\.0 must be greater than 0"):
        read_bundle(bundle(statement("loperamide", dose(2, per_day=-2))))


@pytest.mark.parametrize("source", ["reported", "prescribed"])
def test_the_daily_amount_is_exported_and_read_back(source: str) -> None:
    use = MedicationUse(id="m1", patient_id="p1", rxnorm="6468", start=date(2026, 1, 1), end=date(2026, 3, 1),
                        source=source, daily_dose_mg=48.0)  # type: ignore[arg-type]
    resource = medication_use_resource(use, [])
    resource["subject"] = {"reference": "Patient/p1"}
    (back,) = read_bundle(bundle(resource)).medications
    assert (back.rxnorm, back.daily_dose_mg, back.last_dose) == ("6468", 48.0, date(2026, 3, 1))
