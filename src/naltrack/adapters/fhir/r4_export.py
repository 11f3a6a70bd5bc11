"""Export of a patient's record as FHIR R4 resources (plain dicts, validated with fhir.resources R4B).

Implements the FHIR R4 mapping of naltrack's record (HL7 FHIR 4.0.1, US Core profiles where they
apply, HL7 DS4P security labels on Part 2 data). Validation uses ``fhir.resources.R4B``; why R4B
stands in for R4 is explained in :mod:`naltrack.adapters.fhir.r4_common`.

=========================  ==========================================================
record                     FHIR resource (profile)
=========================  ==========================================================
Patient                    Patient (US Core Patient)
Diagnosis                  Condition (US Core Condition Problems and Health Concerns)
Regimen                    MedicationRequest (US Core MedicationRequest)
OralDose, Injection,       MedicationAdministration
ImplantInsertion/Removal
MedicationUse              MedicationRequest (prescribed) or MedicationStatement (reported)
LabResult                  Observation (US Core Laboratory Result)
UrineDrugScreen            Observation per analyte (US Core Laboratory Result)
ReproductiveStatus         Observation 82810-3 (US Core Pregnancy Status)
QuestionnaireResponse      QuestionnaireResponse (US Core) + total Observation (Screening Assessment)
SubstanceUseReport,        Observation (local codes)
NaloxoneChallenge,
DrinkingDay
Allergy                    AllergyIntolerance (US Core)
SafetyAssessment           Procedure, SNOMED 225337009 suicide risk assessment (:mod:`.r4_safety`)
DoseDecision               DetectedIssue (an override) or MedicationAdministration not-done (held, refused)
consent / disclosure       Consent / AuditEvent (:mod:`.r4_privacy`)
recorded_at/by             Provenance (US Core Provenance)
=========================  ==========================================================

The reverse mapping (FHIR -> domain) is the bundle reader's; there is one, not two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from naltrack.adapters.fhir.r4_common import (
    ICD10CM,
    SNOMED,
    FhirResource,
    FhirValidationError,
    ValidationProblem,
    concept,
    day,
    fhir_id,
    find_problems,
    identifier,
    instant,
    local_references,
    meta,
    part2_labels,
    prune_empty,
    ref,
)
from naltrack.adapters.fhir.r4_dose_decisions import dose_decision_resources
from naltrack.adapters.fhir.r4_files import NdjsonWriter as NdjsonWriter
from naltrack.adapters.fhir.r4_files import as_bundle as as_bundle
from naltrack.adapters.fhir.r4_files import by_type as by_type
from naltrack.adapters.fhir.r4_files import write_ndjson as write_ndjson
from naltrack.adapters.fhir.r4_medications import (
    implant_administration,
    injection_administration,
    medication_use_resource,
    oral_dose_administration,
    regimen_request,
)
from naltrack.adapters.fhir.r4_observations import (
    allergy_intolerance,
    drinking_day_observation,
    lab_observation,
    naloxone_challenge_observation,
    pregnancy_observation,
    questionnaire_response,
    screen_observations,
    screening_total,
    substance_use_observation,
)
from naltrack.adapters.fhir.r4_patient import identity_elements
from naltrack.adapters.fhir.r4_privacy import provenance_resource
from naltrack.adapters.fhir.r4_safety import safety_assessment_procedure
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.observations import MedicationUse, QuestionnaireResponse
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.terminology import classify_condition

_BIRTHSEX = {"female": "F", "male": "M", "intersex": "UNK", "unknown": "UNK"}
_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def sensitivities(chart: PatientChart) -> tuple[str, ...]:
    """DS4P sensitivity codes for the chart: OPIOIDUD for OUD, ETHUD for AUD (anchors.md §4.2), from the
    episodes' indication and the diagnoses as the terminology classifies them (ICD-10-CM or SNOMED CT)."""
    out: list[str] = ["SUD"]
    indications = {e.indication for e in chart.episodes if e.is_active}
    kinds = {classify_condition(ICD10CM if d.system == "icd10cm" else SNOMED, d.code, d.display)
             for d in chart.diagnoses if d.is_active}
    if indications & {"OUD", "OUD+AUD"} or "oud" in kinds:
        out.append("OPIOIDUD")
    if indications & {"AUD", "OUD+AUD"} or "aud" in kinds:
        out.append("ETHUD")
    return tuple(out)


def patient_resource(patient: Patient, labels: list[dict[str, Any]]) -> FhirResource:
    """A US Core Patient: identifiers, names, telecom, address, race, ethnicity, gender, birth date, birth sex,
    contacts, clinic (:func:`~naltrack.adapters.fhir.r4_patient.identity_elements`)."""
    identity = identity_elements(patient)
    birthsex = {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": _BIRTHSEX[patient.sex_at_birth]}
    return {
        "resourceType": "Patient",
        "id": patient.id,
        "meta": meta("us-core-patient", labels),
        **identity,
        "extension": [birthsex, *identity.get("extension", ())],
        "gender": patient.gender if patient.gender in _GENDER.values() else _GENDER[patient.sex_at_birth],
        "birthDate": day(patient.birth_date),
        "managingOrganization": ref("Organization", patient.clinic_id),
    }


_CLINICAL_STATUS = {"active": "active", "in-remission": "remission", "resolved": "resolved"}


def condition_resource(diagnosis: Diagnosis, labels: list[dict[str, Any]]) -> FhirResource:
    system = ICD10CM if diagnosis.system == "icd10cm" else SNOMED
    resource: FhirResource = {
        "resourceType": "Condition",
        "id": diagnosis.id,
        "meta": meta("us-core-condition-problems-health-concerns", labels),
        "identifier": identifier("diagnosis", diagnosis.id),
        "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                  _CLINICAL_STATUS[diagnosis.clinical_status]),
        "verificationStatus": concept("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                      "confirmed" if diagnosis.is_active else "entered-in-error"),
        "category": [concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item",
                             "Problem List Item")],
        "code": concept(system, diagnosis.code, diagnosis.display),
        "subject": ref("Patient", diagnosis.patient_id),
    }
    if diagnosis.onset is not None:
        resource["onsetDateTime"] = day(diagnosis.onset)
    if diagnosis.recorded_at is not None:
        resource["recordedDate"] = instant(diagnosis.recorded_at)
    return resource


#: Builds one record's resource(s); called inside :func:`_render` so that one record that cannot be
#: written stops nothing but itself.
Build = Callable[[], FhirResource | list[FhirResource]]


def _each(kind: str, records: Iterable[Any], build: Callable[..., Any],
          labels: list[dict[str, Any]]) -> Iterator[tuple[str, Build]]:
    for record in records:
        yield f"{kind}/{fhir_id(record.id)}", partial(build, record, labels)


def _questionnaire(response: QuestionnaireResponse, labels: list[dict[str, Any]]) -> list[FhirResource]:
    return [questionnaire_response(response, labels), screening_total(response, labels)]


def _builds(chart: PatientChart, labels: list[dict[str, Any]]) -> Iterator[tuple[str, Build]]:
    """Every record of ``chart`` named as the resource it becomes, with the function that writes it, in the
    order of the export."""
    yield from _each("Condition", chart.diagnoses, condition_resource, labels)
    yield from _each("MedicationRequest", chart.regimens, regimen_request, labels)
    yield from _each("MedicationAdministration", chart.oral_doses, oral_dose_administration, labels)
    yield from _each("MedicationAdministration", chart.injections, injection_administration, labels)
    removals = {r.implant_id: r for r in chart.implant_removals if r.is_active}
    for implant in chart.implants:
        yield (f"MedicationAdministration/{fhir_id(implant.id)}",
               partial(implant_administration, implant, removals.get(implant.id), labels))
    yield from _each("MedicationStatement", chart.medications, medication_use_resource, labels)
    if chart.patient.reproductive is not None:
        yield (f"Observation/pregnancy-status-of-{fhir_id(chart.patient.id)}",
               partial(pregnancy_observation, chart.patient.id, chart.patient.reproductive, labels))
    yield from _each("Observation", chart.labs, lab_observation, labels)
    yield from _each("Observation", chart.screens, screen_observations, labels)
    yield from _each("Observation", chart.substance_use, substance_use_observation, labels)
    yield from _each("Observation", chart.naloxone_challenges, naloxone_challenge_observation, labels)
    yield from _each("Observation", chart.drinking_days, drinking_day_observation, labels)
    yield from _each("QuestionnaireResponse", chart.questionnaires, _questionnaire, labels)
    yield from _each("AllergyIntolerance", chart.allergies, allergy_intolerance, labels)
    yield from _each("Procedure", chart.safety_assessments, safety_assessment_procedure, labels)
    for decision in chart.dose_decisions:  # an override (DetectedIssue) or a dose not given (.r4_dose_decisions)
        if decision.outcome != "given" or decision.is_override:
            kind = "DetectedIssue" if decision.outcome == "given" else "MedicationAdministration"
            yield f"{kind}/{fhir_id(decision.id)}", partial(dose_decision_resources, decision, labels)


_PROVENANCE_KINDS = {"Diagnosis": "Condition", "Regimen": "MedicationRequest", "OralDose": "MedicationAdministration",
                     "Injection": "MedicationAdministration", "ImplantInsertion": "MedicationAdministration",
                     "MedicationUse": "MedicationStatement", "LabResult": "Observation",
                     "Allergy": "AllergyIntolerance"}


def _provenance_builds(chart: PatientChart, labels: list[dict[str, Any]],
                       written: set[str]) -> Iterator[tuple[str, Build]]:
    """Who entered each record and when, for the records in ``written`` (``Type/id``) only."""
    records: Iterable[Any] = (*chart.diagnoses, *chart.regimens, *chart.oral_doses, *chart.injections,
                              *chart.implants, *chart.medications, *chart.labs, *chart.allergies)
    for record in records:
        if record.recorded_at is not None:
            kind = _PROVENANCE_KINDS[type(record).__name__]
            if isinstance(record, MedicationUse) and record.source != "reported":
                kind = "MedicationRequest"
            target = f"{kind}/{fhir_id(record.id)}"
            if target in written:
                yield f"Provenance/of-{target}", partial(provenance_resource, target, record.recorded_at,
                                                         record.recorded_by, labels)


def withheld_patient_resource(patient_id: str, labels: list[dict[str, Any]]) -> FhirResource:
    """The Patient of a disclosure that leaves demographics out: the id the other resources name, no more."""
    return {"resourceType": "Patient", "id": patient_id, "meta": meta(None, labels)}


def organization_resource(clinic_id: str, labels: list[dict[str, Any]],
                          clinic: Clinic | None = None) -> FhirResource:
    """The clinic as an Organization (its naltrack identifier, and its name when known). Named beside a
    patient it tells that the patient attends a Part 2 program (42 CFR 2.12(e)(3)), so it is labelled too."""
    resource: FhirResource = {"resourceType": "Organization", "id": fhir_id(clinic_id), "meta": meta(None, labels),
                              "identifier": identifier("clinic", clinic_id), "active": True}
    if clinic is not None:
        resource["name"] = clinic.name
    pruned: FhirResource = prune_empty(resource)
    return pruned


@dataclass(frozen=True)
class ChartExport:
    """The resources of one chart, and the records that could not be written as FHIR R4 (left out)."""

    resources: list[FhirResource]
    problems: list[ValidationProblem]


def _render(builds: Iterable[tuple[str, Build]], validate: bool) -> ChartExport:
    resources: list[FhirResource] = []
    problems: list[ValidationProblem] = []
    for label, build in builds:
        try:
            built = build()
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            problems.append(ValidationProblem(label, "(record)", f"cannot be written as FHIR R4: {error}"))
            continue
        for resource in built if isinstance(built, list) else [built]:
            resource = prune_empty(resource)
            resource["id"] = fhir_id(resource["id"])
            found = find_problems(resource) if validate else []
            problems += found
            if not found:
                resources.append(resource)
    return ChartExport(resources, problems)


def close_references(resources: list[FhirResource], labels: list[dict[str, Any]],
                     clinic: Clinic | None = None) -> list[FhirResource]:
    """``resources`` with every relative reference resolvable among them: the clinic's Organization is added
    when referenced; a reference to anything else left out becomes a display-only reference."""
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    added: list[FhirResource] = []
    for resource in resources:
        for reference in local_references(resource):
            target = reference["reference"]
            if target in present:
                continue
            kind, rid = target.split("/", 1)
            if kind == "Organization" and (clinic is None or fhir_id(clinic.id) == rid):
                added.append(organization_resource(clinic.id if clinic else rid, labels, clinic))
                present.add(target)
            else:
                reference.clear()
                reference.update({"type": kind, "display": f"{kind} not included"})
    return resources + added


def render_chart(chart: PatientChart, *, provenance: bool = True, labelled: bool = True, validate: bool = True,
                 demographics: bool = True, clinic: Clinic | None = None) -> ChartExport:
    """Every resource of one patient's record, Patient first; a record that cannot be written is left out
    and named in :attr:`ChartExport.problems`, never stops the rest.

    ``labelled`` adds the Part 2 DS4P labels (always on for disclosures; tests turn it off only to compare
    content). ``demographics`` off writes a Patient with its id only (a disclosure whose consent leaves
    demographics out). ``validate`` checks each resource with fhir.resources R4B. No element is empty and
    every reference resolves among the resources (:func:`close_references`).
    """
    labels = part2_labels(sensitivities(chart)) if labelled else []
    patient = (partial(patient_resource, chart.patient, labels) if demographics
               else partial(withheld_patient_resource, chart.patient.id, labels))
    out = _render([(f"Patient/{fhir_id(chart.patient.id)}", patient), *_builds(chart, labels)], validate)
    if provenance:
        written = {f"{r['resourceType']}/{r['id']}" for r in out.resources}
        more = _render(_provenance_builds(chart, labels, written), validate)
        out = ChartExport(out.resources + more.resources, out.problems + more.problems)
    return ChartExport(close_references(out.resources, labels, clinic), out.problems)


def export_chart(chart: PatientChart, *, provenance: bool = True, labelled: bool = True,
                 validate: bool = True) -> list[FhirResource]:
    """Every resource of one patient's record, Patient first (:func:`render_chart`); raises
    :class:`~naltrack.adapters.fhir.r4_common.FhirValidationError` naming each record that cannot be written."""
    out = render_chart(chart, provenance=provenance, labelled=labelled, validate=validate)
    if out.problems:
        raise FhirValidationError(out.problems)
    return out.resources


