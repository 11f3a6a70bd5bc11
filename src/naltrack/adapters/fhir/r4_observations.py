"""Observations, questionnaire responses and allergies as FHIR R4 resources.

* Lab results -> Observation, US Core Laboratory Result (LOINC, UCUM ``valueQuantity``,
  ``referenceRange``; clinical.md §8.3).
* Urine drug screens -> one Observation per analyte (LOINC screen code; value SNOMED
  10828004 Positive / 260385009 Negative as Synthea writes them, anchors.md §5.1); the
  analytes of one screen share an ``identifier`` naming the screen.
* Questionnaire responses -> QuestionnaireResponse (US Core) plus the total as a US Core
  Screening Assessment Observation ``derivedFrom`` it (anchors.md §4.1), with the LOINC total
  codes of clinical.md §5 (AUDIT 75624-7, AUDIT-C 75626-2, DAST-10 82667-7, PHQ-9 44261-6,
  GAD-7 70274-6); instruments without a LOINC (CAGE, COWS, craving VAS) use local codes.
* Pregnancy -> US Core Pregnancy Status Observation, LOINC 82810-3 (clinical.md §8.3).
* Substance-use reports, naloxone challenges and drinking days -> Observations with local
  codes (no public code was found for them; clinical.md §10).
* Allergies -> AllergyIntolerance (US Core); naltrexone is RxNorm 7243 (codes.md §1); the
  kit components have no code (codes.md §6) and are sent as text.
"""

from __future__ import annotations

from typing import Any

from naltrack.adapters.fhir.codes import LOCAL_OBSERVATION, LOCAL_QUESTIONNAIRE
from naltrack.adapters.fhir.r4_common import (
    LOINC,
    OBS_CATEGORY,
    RXNORM,
    SNOMED,
    UCUM,
    FhirResource,
    concept,
    day,
    identifier,
    instant,
    meta,
    ref,
    text_concept,
)
from naltrack.domain.observations import (
    Allergy,
    DrinkingDay,
    LabResult,
    NaloxoneChallenge,
    QuestionnaireResponse,
    SubstanceUseReport,
    UrineDrugScreen,
)
from naltrack.domain.patients import ReproductiveStatus
from naltrack.instruments.definitions import get_instrument, instrument_key

SCREEN_RESULT = {
    "positive": concept(SNOMED, "10828004", "Positive"),
    "negative": concept(SNOMED, "260385009", "Negative"),
}
#: Total-score LOINC per instrument (clinical.md §5); keys are normalised names.
INSTRUMENT_TOTAL_LOINC = {
    "audit": ("75624-7", "Total score [AUDIT]"),
    "auditc": ("75626-2", "Total score [AUDIT-C]"),
    "dast10": ("82667-7", "Total score [DAST-10]"),
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}
#: Pregnancy status answers (US Core pregnancy status value set; SNOMED 77386006, codes.md §4).
PREGNANCY_VALUE = {
    True: concept(SNOMED, "77386006", "Pregnant"),
    False: concept(SNOMED, "60001007", "Not pregnant"),
    None: concept(SNOMED, "261665006", "Unknown"),
}


def _category(code: str) -> list[dict[str, Any]]:
    return [concept(OBS_CATEGORY, code)]


def _observation(record_id: str, patient_id: str, active: bool, profile: str | None,
                 labels: list[dict[str, Any]], category: str, code: dict[str, Any]) -> FhirResource:
    return {
        "resourceType": "Observation",
        "id": record_id,
        "meta": meta(profile, labels),
        "identifier": identifier("observation", record_id),
        "status": "final" if active else "entered-in-error",
        "category": _category(category),
        "code": code,
        "subject": ref("Patient", patient_id),
    }


def lab_observation(lab: LabResult, labels: list[dict[str, Any]]) -> FhirResource:
    out = _observation(lab.id, lab.patient_id, lab.is_active, "us-core-observation-lab", labels,
                       "laboratory", concept(LOINC, lab.loinc, lab.name))
    out["effectiveDateTime"] = instant(lab.collected_at)
    out["valueQuantity"] = {"value": lab.value, "unit": lab.unit, "system": UCUM, "code": lab.unit}
    if lab.reference_low is not None or lab.reference_high is not None:
        band: dict[str, Any] = {}
        if lab.reference_low is not None:
            band["low"] = {"value": lab.reference_low, "unit": lab.unit, "system": UCUM, "code": lab.unit}
        if lab.reference_high is not None:
            band["high"] = {"value": lab.reference_high, "unit": lab.unit, "system": UCUM, "code": lab.unit}
        out["referenceRange"] = [band]
    return out


def screen_observations(screen: UrineDrugScreen, labels: list[dict[str, Any]]) -> list[FhirResource]:
    """One Observation per analyte; ``invalid`` has no value and ``dataAbsentReason`` error."""
    out = []
    for result in screen.results:
        obs = _observation(f"{screen.id}-{result.analyte}", screen.patient_id, screen.is_active,
                           "us-core-observation-lab", labels, "laboratory",
                           concept(LOINC, result.code, f"{result.analyte} [Presence] in Urine by Screen method"))
        obs["identifier"] = [*identifier("urine-drug-screen", screen.id),
                             *identifier("observation", f"{screen.id}-{result.analyte}")]
        obs["effectiveDateTime"] = instant(screen.collected_at)
        if result.result in SCREEN_RESULT:
            obs["valueCodeableConcept"] = SCREEN_RESULT[result.result]
        else:
            obs["dataAbsentReason"] = concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error")
        obs["method"] = text_concept("point of care" if screen.point_of_care else "laboratory")
        out.append(obs)
    return out


def pregnancy_observation(patient_id: str, status: ReproductiveStatus,
                          labels: list[dict[str, Any]]) -> FhirResource:
    obs = _observation(f"{patient_id}-pregnancy", patient_id, True, "us-core-observation-pregnancystatus",
                       labels, "social-history", concept(LOINC, "82810-3", "Pregnancy status"))
    obs["effectiveDateTime"] = day(status.as_of)
    obs["valueCodeableConcept"] = PREGNANCY_VALUE[status.pregnant]
    if status.breastfeeding is not None:
        obs["component"] = [{"code": concept(LOCAL_OBSERVATION, "breastfeeding", "Breastfeeding"),
                             "valueBoolean": status.breastfeeding}]
    return obs


def questionnaire_response(response: QuestionnaireResponse, labels: list[dict[str, Any]]) -> FhirResource:
    items = [{"linkId": str(n), "answer": [{"valueDecimal": value}]}
             for n, value in enumerate(response.answers, start=1)]
    resource: FhirResource = {
        "resourceType": "QuestionnaireResponse",
        "id": response.id,
        "meta": meta("us-core-questionnaireresponse", labels),
        "identifier": identifier("questionnaire-response", response.id)[0],
        # The canonical URL of the instrument's Questionnaire (instruments.scoring), so a receiver, and
        # naltrack's own reader, can resolve it.
        "questionnaire": LOCAL_QUESTIONNAIRE + get_instrument(response.instrument).id,
        "status": "completed" if response.is_active else "entered-in-error",
        "subject": ref("Patient", response.patient_id),
        "authored": instant(response.completed_at),
        "item": items,
    }
    return resource


def screening_total(response: QuestionnaireResponse, labels: list[dict[str, Any]]) -> FhirResource:
    """The score as a US Core Screening Assessment Observation, band in ``interpretation``."""
    key = instrument_key(response.instrument)
    loinc = INSTRUMENT_TOTAL_LOINC.get(key)
    code = concept(LOINC, *loinc) if loinc else concept(LOCAL_OBSERVATION, f"{key}-total",
                                                        f"{response.instrument} total score")
    obs = _observation(f"{response.id}-total", response.patient_id, response.is_active,
                       "us-core-observation-screening-assessment", labels, "survey", code)
    obs["effectiveDateTime"] = instant(response.completed_at)
    obs["valueQuantity"] = {"value": response.total, "unit": "{score}", "system": UCUM, "code": "{score}"}
    obs["interpretation"] = [text_concept(response.band)]
    obs["derivedFrom"] = [ref("QuestionnaireResponse", response.id)]
    if response.flags:
        obs["note"] = [{"text": f"flag: {flag}"} for flag in response.flags]
    return obs


def substance_use_observation(report: SubstanceUseReport, labels: list[dict[str, Any]]) -> FhirResource:
    """The patient's report of last use: ``valueDateTime`` is the last day of use."""
    obs = _observation(report.id, report.patient_id, report.is_active, None, labels, "social-history",
                       concept(LOCAL_OBSERVATION, f"last-use-{report.substance}",
                               f"Last use of {report.substance} (reported)"))
    obs["effectiveDateTime"] = day(report.reported_on)
    obs["valueDateTime"] = day(report.last_use)
    if report.route:
        obs["method"] = text_concept(report.route)
    return obs


def naloxone_challenge_observation(challenge: NaloxoneChallenge, labels: list[dict[str, Any]]) -> FhirResource:
    """A challenge (clinical.md §2.2): failed is SNOMED 1264554000 (codes.md §4); passed and equivocal
    have no public code."""
    obs = _observation(challenge.id, challenge.patient_id, challenge.is_active, None, labels, "procedure",
                       concept(LOCAL_OBSERVATION, "naloxone-challenge", "Naloxone challenge"))
    obs["effectiveDateTime"] = instant(challenge.performed_at)
    obs["method"] = text_concept(challenge.route)
    if challenge.result == "equivocal":
        obs["valueCodeableConcept"] = concept(LOCAL_OBSERVATION, "equivocal", "Equivocal: doubt about withdrawal signs")
    elif challenge.passed:
        obs["valueCodeableConcept"] = concept(LOCAL_OBSERVATION, "passed", "No withdrawal signs")
    else:
        obs["valueCodeableConcept"] = concept(
            SNOMED, "1264554000", "Signs of opioid withdrawal on naloxone challenge test")
    if challenge.signs:
        obs["note"] = [{"text": f"sign: {sign}"} for sign in challenge.signs]
    return obs


def drinking_day_observation(entry: DrinkingDay, labels: list[dict[str, Any]]) -> FhirResource:
    obs = _observation(entry.id, entry.patient_id, entry.is_active, None, labels, "social-history",
                       concept(LOCAL_OBSERVATION, "standard-drinks", "Standard drinks on the day"))
    obs["effectiveDateTime"] = day(entry.day)
    obs["valueQuantity"] = {"value": entry.standard_drinks, "unit": "{drinks}", "system": UCUM,
                            "code": "{drinks}"}
    return obs


_ALLERGY_CODE = {"naltrexone": concept(RXNORM, "7243", "naltrexone")}
_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def allergy_intolerance(allergy: Allergy, labels: list[dict[str, Any]]) -> FhirResource:
    verification = "confirmed" if allergy.verified else "unconfirmed"
    if not allergy.is_active:
        verification = "entered-in-error"
    resource: FhirResource = {
        "resourceType": "AllergyIntolerance",
        "id": allergy.id,
        "meta": meta("us-core-allergyintolerance", labels),
        "identifier": identifier("allergy", allergy.id),
        "clinicalStatus": concept(_CLINICAL, "active"),
        "verificationStatus": concept(_VERIFICATION, verification),
        "type": "allergy",
        "category": ["medication"],
        "criticality": allergy.criticality,
        "code": _ALLERGY_CODE.get(allergy.substance, text_concept(allergy.substance)),
        "patient": ref("Patient", allergy.patient_id),
    }
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [text_concept(allergy.reaction)]}]
    if allergy.recorded_at is not None:
        resource["recordedDate"] = instant(allergy.recorded_at)
    return resource

