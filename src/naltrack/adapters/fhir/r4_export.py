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
consent / disclosure       Consent / AuditEvent (:mod:`.r4_privacy`)
recorded_at/by             Provenance (US Core Provenance)
=========================  ==========================================================

The reverse mapping (FHIR -> domain) is the bundle reader's; there is one, not two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from naltrack.adapters.fhir.r4_common import (
    ICD10CM,
    SNOMED,
    FhirResource,
    concept,
    day,
    fhir_id,
    identifier,
    instant,
    meta,
    part2_labels,
    ref,
    validate_resource,
)
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
from naltrack.domain.observations import MedicationUse
from naltrack.domain.patients import Patient

_BIRTHSEX = {"female": "F", "male": "M", "intersex": "UNK", "unknown": "UNK"}
_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def sensitivities(chart: PatientChart) -> tuple[str, ...]:
    """DS4P sensitivity codes for the chart: OPIOIDUD for OUD, ETHUD for AUD (anchors.md §4.2)."""
    out: list[str] = ["SUD"]
    indications = {e.indication for e in chart.episodes if e.is_active}
    codes = [d.code for d in chart.diagnoses if d.is_active and d.system == "icd10cm"]
    if indications & {"OUD", "OUD+AUD"} or any(c.startswith("F11") for c in codes):
        out.append("OPIOIDUD")
    if indications & {"AUD", "OUD+AUD"} or any(c.startswith("F10") for c in codes):
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


def _administrations(chart: PatientChart, labels: list[dict[str, Any]]) -> Iterator[FhirResource]:
    for dose in chart.oral_doses:
        yield oral_dose_administration(dose, labels)
    for shot in chart.injections:
        yield injection_administration(shot, labels)
    removals = {r.implant_id: r for r in chart.implant_removals if r.is_active}
    for implant in chart.implants:
        yield implant_administration(implant, removals.get(implant.id), labels)


def _observations(chart: PatientChart, labels: list[dict[str, Any]]) -> Iterator[FhirResource]:
    if chart.patient.reproductive is not None:
        yield pregnancy_observation(chart.patient.id, chart.patient.reproductive, labels)
    for lab in chart.labs:
        yield lab_observation(lab, labels)
    for screen in chart.screens:
        yield from screen_observations(screen, labels)
    for report in chart.substance_use:
        yield substance_use_observation(report, labels)
    for challenge in chart.naloxone_challenges:
        yield naloxone_challenge_observation(challenge, labels)
    for entry in chart.drinking_days:
        yield drinking_day_observation(entry, labels)
    for response in chart.questionnaires:
        yield questionnaire_response(response, labels)
        yield screening_total(response, labels)


def _provenances(chart: PatientChart, labels: list[dict[str, Any]]) -> Iterator[FhirResource]:
    records: Iterable[Any] = (*chart.diagnoses, *chart.regimens, *chart.oral_doses, *chart.injections,
                              *chart.implants, *chart.medications, *chart.labs, *chart.allergies)
    kinds = {"Diagnosis": "Condition", "Regimen": "MedicationRequest", "OralDose": "MedicationAdministration",
             "Injection": "MedicationAdministration", "ImplantInsertion": "MedicationAdministration",
             "MedicationUse": "MedicationStatement", "LabResult": "Observation",
             "Allergy": "AllergyIntolerance"}
    for record in records:
        if record.recorded_at is not None:
            kind = kinds[type(record).__name__]
            if isinstance(record, MedicationUse) and record.source != "reported":
                kind = "MedicationRequest"
            target = f"{kind}/{fhir_id(record.id)}"
            yield provenance_resource(target, record.recorded_at, record.recorded_by, labels)


def export_chart(chart: PatientChart, *, provenance: bool = True, labelled: bool = True,
                 validate: bool = True) -> list[FhirResource]:
    """Every resource of one patient's record, Patient first.

    ``labelled`` adds the Part 2 DS4P labels (always on for disclosures; tests turn it off
    only to compare content). ``validate`` checks each resource with fhir.resources R4B and
    raises :class:`~naltrack.adapters.fhir.r4_common.FhirValidationError` naming the element.
    """
    labels = part2_labels(sensitivities(chart)) if labelled else []
    resources: list[FhirResource] = [patient_resource(chart.patient, labels)]
    resources += [condition_resource(d, labels) for d in chart.diagnoses]
    resources += [regimen_request(r, labels) for r in chart.regimens]
    resources += _administrations(chart, labels)
    resources += [medication_use_resource(m, labels) for m in chart.medications]
    resources += _observations(chart, labels)
    resources += [allergy_intolerance(a, labels) for a in chart.allergies]
    resources += [safety_assessment_procedure(a, labels) for a in chart.safety_assessments]
    if provenance:
        resources += _provenances(chart, labels)
    for resource in resources:
        resource["id"] = fhir_id(resource["id"])
    if validate:
        for resource in resources:
            validate_resource(resource)
    return resources


def as_bundle(resources: Sequence[FhirResource], bundle_type: str = "collection",
              bundle_id: str | None = None) -> FhirResource:
    """Wrap resources in a Bundle; a ``transaction`` gets PUT requests keyed on type and id."""
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:naltrack:{resource['resourceType']}/{resource['id']}",
                                 "resource": resource}
        if bundle_type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        entries.append(entry)
    bundle: FhirResource = {"resourceType": "Bundle", "type": bundle_type, "entry": entries}
    if bundle_id:
        bundle["id"] = bundle_id
    if bundle_type == "searchset":
        bundle["total"] = len(entries)
    return bundle


def by_type(resources: Iterable[FhirResource]) -> dict[str, list[FhirResource]]:
    """Resources grouped by ``resourceType``, in first-seen order."""
    out: dict[str, list[FhirResource]] = {}
    for resource in resources:
        out.setdefault(resource["resourceType"], []).append(resource)
    return out


class NdjsonWriter:
    """Streams resources to one ``<Type>.ndjson`` per type (FHIR Bulk Data style), patient after patient.

    Use as a context manager; :attr:`counts` gives the resources written per type.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.counts: dict[str, int] = {}
        self._handles: dict[str, IO[str]] = {}

    def __enter__(self) -> NdjsonWriter:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, resources: Iterable[FhirResource]) -> None:
        for resource in resources:
            kind = resource["resourceType"]
            handle = self._handles.get(kind)
            if handle is None:
                handle = self._handles[kind] = (self.out_dir / f"{kind}.ndjson").open("w", encoding="utf-8")
            handle.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n")
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles.values():
            handle.close()


def write_ndjson(resources: Iterable[FhirResource], out_dir: Path) -> dict[str, int]:
    """Write one ``<Type>.ndjson`` per resource type; returns counts per type."""
    with NdjsonWriter(out_dir) as writer:
        writer.write(resources)
    return writer.counts
