"""FHIR R4 Bundle (JSON) -> :class:`~naltrack.domain.chart.PatientChart`: the one FHIR-to-domain mapping.

Implements reading of FHIR R4 (https://hl7.org/fhir/R4/) resources as plain dicts, so that
every error names the element path (``Bundle.entry[3].resource.valueQuantity.unit``), the
value and the rule. The bundle holds exactly one Patient; what each resource becomes:

* Patient -> ``Patient`` (birth sex from the US Core extension, else ``gender``; names, identifiers, telecom,
  address, race and ethnicity by :mod:`~naltrack.adapters.fhir.r4_patient`);
* Condition (ICD-10-CM or SNOMED CT, by URI or OID) -> ``Diagnosis``; an ICD-10-CM code written without its
  dot, as value sets write them (``F1120``), is read as ``F11.20``;
* MedicationRequest written by naltrack for its own order (``regimen-kind`` extension) -> ``Regimen``
  (:mod:`~naltrack.adapters.fhir.bundle_regimens`);
* MedicationStatement / MedicationRequest (RxNorm ingredient or product) -> ``MedicationUse``;
  ``effectiveDateTime`` or ``effectivePeriod.end`` is the last dose or use, prescribed or not;
  the Dosages in mg give the amount per day (:mod:`~naltrack.adapters.fhir.bundle_dosage`);
  any code the terminology resolves (:func:`~naltrack.domain.terminology.resolve_rxnorm`: the catalog,
  then the code tables of the public value sets) is kept; a code neither knows is matched by ingredient
  name in the text (kratom by "kratom" or "mitragyn*", having no RxNorm code), else reported;
* MedicationAdministration of naltrexone -> ``OralDose``, ``Injection`` or ``ImplantInsertion``
  (with its ``ImplantRemoval``) when it states what that record needs, else a reported
  ``MedicationUse`` on its date (:mod:`naltrack.adapters.fhir.bundle_administrations`); of any
  other medicine (opioids included) -> a reported ``MedicationUse`` whose last dose is its date;
* Observation -> labs, urine screens, pregnancy, instrument totals, naloxone challenge, last
  use and drinking days (:mod:`naltrack.adapters.fhir.bundle_observations`);
* QuestionnaireResponse of a naltrack instrument -> ``QuestionnaireResponse`` (scored here);
* AllergyIntolerance -> ``Allergy`` (naltrexone, PLG, carboxymethylcellulose).

Other resource types are skipped and listed in :attr:`BundleRead.skipped`. The codes read
are documented in ``docs/readiness-bundle.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from naltrack.adapters.fhir import codes
from naltrack.adapters.fhir.bulk_files import UnreadableJson, parse_json
from naltrack.adapters.fhir.bundle_administrations import Administrations, administered_code, read_administration
from naltrack.adapters.fhir.bundle_dosage import daily_dose_mg, medication_dates
from naltrack.adapters.fhir.bundle_observations import (
    ObservationBuckets,
    read_observation,
    read_questionnaire_response,
    score_items,
)
from naltrack.adapters.fhir.bundle_regimens import read_regimen
from naltrack.adapters.fhir.json_paths import At, codings, concept_text, reference_id
from naltrack.adapters.fhir.r4_common import IDENTIFIER_SYSTEM
from naltrack.adapters.fhir.r4_patient import read_patient
from naltrack.domain.catalog import match_medication_text
from naltrack.domain.chart import PatientChart
from naltrack.domain.episodes import Diagnosis
from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.observations import (
    Allergy,
    MedicationSource,
    MedicationUse,
    QuestionnaireResponse,
    UrineDrugScreen,
    allergen_of,
)
from naltrack.domain.patients import Patient, combine_reproductive
from naltrack.domain.regimens import Regimen
from naltrack.domain.terminology import resolve_rxnorm

#: Code systems of a diagnosis, by FHIR URI or OID (HL7 OIDs 2.16.840.1.113883.6.90 and .6.96).
_CONDITION_SYSTEMS = {codes.ICD10CM: "icd10cm", "urn:oid:2.16.840.1.113883.6.90": "icd10cm",
                      codes.SNOMED: "snomed", "urn:oid:2.16.840.1.113883.6.96": "snomed"}
_UNDOTTED_ICD10CM = re.compile(r"([A-TV-Z][0-9][0-9AB])([0-9A-TV-Z]{1,4})")
_SKIP_STATUS = frozenset({"entered-in-error", "cancelled", "not-taken", "draft", "intended", "refuted"})
_BIRTHSEX = {"F": "female", "M": "male", "UNK": "unknown"}
_GENDER = {"female": "female", "male": "male"}
#: Where a medication use comes from, by the resource that says it.
_SOURCE: dict[str, MedicationSource] = {"MedicationRequest": "prescribed", "MedicationDispense": "dispensed",
                                         "MedicationStatement": "reported", "MedicationAdministration": "reported"}


@dataclass(frozen=True)
class BundleRead:
    """A chart read from a bundle, with what was left out and why."""

    chart: PatientChart
    skipped: tuple[str, ...] = ()
    unrecognized_medications: tuple[str, ...] = ()
    #: Ids of the resources marked entered-in-error: records stored from them are retracted on import.
    retracted: tuple[str, ...] = ()


def read_bundle(bundle: Mapping[str, Any] | str | bytes, *, clinic_id: str = "imported") -> PatientChart:
    """The chart of the one patient in a FHIR R4 Bundle (a parsed dict or JSON text).

    Raises
    ------
    InvalidInput
        Naming the element path, the value and the rule it breaks.
    """
    return read_bundle_detailed(bundle, clinic_id=clinic_id).chart


def load_bundle_file(path: str | Path, *, clinic_id: str = "imported") -> BundleRead:
    """Read a bundle from a JSON file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput("bundle", str(path), f"cannot be read ({error.strerror})") from error
    return read_bundle_detailed(text, clinic_id=clinic_id)


def read_bundle_detailed(bundle: Mapping[str, Any] | str | bytes, *, clinic_id: str = "imported") -> BundleRead:
    """Like :func:`read_bundle`, also returning the skipped entries and unrecognised medicines."""
    root = At(_parse_json(bundle), "Bundle")
    kind = root.need("resourceType", "must be Bundle").text()
    if kind != "Bundle":
        raise InvalidInput("Bundle.resourceType", kind, "must be Bundle")
    entries = [(e, e.need("resource", "each entry carries a resource")) for e in root.list_of("entry")]
    patient_entry = _the_patient(entries)
    patient, own_refs = _patient(patient_entry[1], patient_entry[0], clinic_id)
    medicines = _medicines(entries)
    reader = _Reader(patient, own_refs, medicines)
    not_records = {id(patient_entry[1])} | {id(m) for m in medicines.values()}
    for entry, resource in entries:
        if id(resource) not in not_records:
            reader.read(resource, _record_id(resource, entry))
    return reader.result()


def _medicines(entries: list[tuple[At, At]]) -> dict[str, At]:
    """The Medication resources of the bundle by id and full URL: what a ``medicationReference`` names."""
    found: dict[str, At] = {}
    for entry, resource in entries:
        if isinstance(resource.value, dict) and resource.value.get("resourceType") == "Medication":
            for key in (resource.get("id"), entry.get("fullUrl")):
                if key is not None:
                    found[key.text()] = resource
    return found


def _parse_json(bundle: Mapping[str, Any] | str | bytes) -> Any:
    if isinstance(bundle, Mapping):
        return dict(bundle)
    try:
        return parse_json(bundle.decode("utf-8", "replace") if isinstance(bundle, bytes) else bundle)
    except UnreadableJson as error:
        raise InvalidInput("Bundle", error.where, error.reason) from error


def _record_id(resource: At, entry: At) -> str:
    rid = resource.get("id")
    return rid.text() if rid is not None else entry.path.replace("Bundle.entry", "entry")


def _the_patient(entries: list[tuple[At, At]]) -> tuple[At, At]:
    patients = [(e, r) for e, r in entries if isinstance(r.value, dict) and r.value.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise InvalidInput("Bundle.entry", f"{len(patients)} Patient resources",
                           "must hold exactly one Patient (the chart is one patient's record)")
    return patients[0]


def _patient(at: At, entry: At, clinic_id: str) -> tuple[Patient, set[str]]:
    pid = at.get("id")
    full_url = entry.get("fullUrl")
    patient_id = pid.text() if pid else (full_url.text() if full_url else "patient")
    gender = at.get("gender")
    sex = _GENDER.get(gender.text() if gender is not None else "", "unknown")
    for ext in at.list_of("extension"):
        url = ext.get("url")
        if url is not None and url.text() == codes.BIRTHSEX_URL and ext.get("valueCode") is not None:
            sex = _BIRTHSEX.get(ext.need("valueCode", "").text(), "unknown")
    patient = read_patient(at, patient_id, clinic_id, sex)
    refs = {patient_id, f"Patient/{patient_id}"} | ({full_url.text()} if full_url else set())
    return patient, refs


class _Reader:
    """Collects the records of one patient's bundle."""

    def __init__(self, patient: Patient, own_refs: set[str], medicines: dict[str, At]) -> None:
        self.patient = patient
        self.own_refs = own_refs
        self.medicines = medicines
        self.diagnoses: list[Diagnosis] = []
        self.medications: list[MedicationUse] = []
        self.regimens: list[Regimen] = []
        self.allergies: list[Allergy] = []
        self.obs = ObservationBuckets()
        self.given = Administrations()
        self.unrecognized: list[str] = []
        self.retracted: list[str] = []

    def read(self, at: At, rid: str) -> None:
        kind = at.need("resourceType", "every resource names its type").text()
        status = at.get("status")
        if status is not None and status.text() in _SKIP_STATUS:
            self.obs.skipped.append(f"{at.path}: {kind} with status {status.text()} not read")
            if status.text() == "entered-in-error":
                self.retracted.append(rid)
            return
        handler = {
            "Condition": self._condition, "MedicationStatement": self._medication,
            "MedicationRequest": self._medication, "MedicationDispense": self._medication,
            "MedicationAdministration": self._administration,
            "Observation": self._observation,
            "QuestionnaireResponse": self._questionnaire, "AllergyIntolerance": self._allergy,
        }.get(kind)
        if handler is None:
            self.obs.skipped.append(f"{at.path}: {kind} not read")
            return
        self._check_subject(at, "patient" if kind == "AllergyIntolerance" else "subject")
        try:
            handler(at, rid)
        except InvalidInput as error:  # a record's own limit (naloxone_challenge.signs, ...): name the resource too
            if error.field.startswith(at.path):
                raise
            raise InvalidInput(f"{at.path} ({error.field})", error.value, error.rule) from error

    def _check_subject(self, at: At, key: str) -> None:
        subject = at.get(key)
        ref = subject.get("reference") if subject is not None else None
        if ref is not None and ref.text() not in self.own_refs and reference_id(subject) not in self.own_refs:
            raise InvalidInput(ref.path, ref.text(), f"refers to another patient than {self.patient.id}")

    def _condition(self, at: At, rid: str) -> None:
        verification = {c for (_, c), _ in codings(at.get("verificationStatus"))}
        if verification & {"entered-in-error", "refuted"}:
            self.retracted.append(rid)  # a diagnosis stored from it before is withdrawn
            return
        status_codes = [c for (_, c), _ in codings(at.get("clinicalStatus"))]
        status = codes.CONDITION_STATUS.get(status_codes[0], "active") if status_codes else "active"
        concept = at.need("code", "the diagnosis code")
        for index, ((system, code), display) in enumerate(codings(concept)):
            kind = _CONDITION_SYSTEMS.get(system)
            if kind is None:
                continue
            code = _dotted(code) if kind == "icd10cm" else code
            # naltrack writes recordedDate as when it was recorded; another system's stands in for a missing onset
            onset_at = at.get("onsetDateTime") or (at.get("onsetPeriod") or At({}, "")).get("start") \
                or (None if _written_by_naltrack(at) else at.get("recordedDate"))
            try:
                self.diagnoses.append(Diagnosis(
                    id=rid, patient_id=self.patient.id, system=kind, code=code,  # type: ignore[arg-type]
                    display=display or concept_text(concept) or code, clinical_status=status,  # type: ignore[arg-type]
                    onset=onset_at.day() if onset_at else None))
            except InvalidInput as error:
                element = "display" if error.field.endswith("display") else "code"
                raise InvalidInput(f"{concept.path}.coding[{index}].{element}", error.value, error.rule) from error
            return
        self.obs.skipped.append(f"{at.path}: Condition without an ICD-10-CM or SNOMED CT code not read")

    def _medication(self, at: At, rid: str, code: str | None = None) -> None:
        concept = self._medication_concept(at)
        code = code or _known_code(concept) or _rxnorm_code(concept)
        if code is None:
            self._unrecognized(at, concept)
            return
        resource_type = at.need("resourceType", "").text()
        regimen = read_regimen(at, rid, self.patient.id, code) if resource_type == "MedicationRequest" else None
        if regimen is not None:  # naltrack's own order, exported: an order again
            self.regimens.append(regimen)
            return
        start, last, end, days_supply = medication_dates(at)
        source, per_day = _SOURCE.get(resource_type, "reported"), daily_dose_mg(at)
        try:
            self.medications.append(MedicationUse(id=rid, patient_id=self.patient.id, rxnorm=code, start=start,
                                                  end=end, last_dose=last, source=source, days_supply=days_supply,
                                                  daily_dose_mg=per_day))
        except (InvalidInput, NotFound) as error:  # the domain field (medication.end, ...) names what is wrong
            raise InvalidInput(f"{at.path} ({getattr(error, 'field', 'medication')})", getattr(error, "value", code),
                               getattr(error, "rule", "is not a medication naltrack can keep")) from error

    def _administration(self, at: At, rid: str) -> None:
        concept = self._medication_concept(at)
        code = administered_code(at, concept, _known_code(concept))
        if code is None:
            self._unrecognized(at, concept)
            return
        outcome = read_administration(at, rid, self.patient.id, code, self._contained_medication(at), self.given)
        if outcome == "use":
            self._medication(at, rid, code)
        elif outcome == "not-given":
            self.obs.skipped.append(f"{at.path}: MedicationAdministration not done (not given) not read")

    def _unrecognized(self, at: At, concept: At | None) -> None:
        label = concept_text(concept) or ", ".join(c for (_, c), _ in codings(concept)) or "(no code)"
        self.unrecognized.append(f"{at.path}: {label}")

    def _medication_concept(self, at: At) -> At | None:
        contained = self._contained_medication(at)
        return at.get("medicationCodeableConcept") or (contained.get("code") if contained is not None else None)

    def _contained_medication(self, at: At) -> At | None:
        """The Medication that ``medicationReference`` names: contained (``#kit``), else one of the bundle
        (``Medication/123`` or its full URL, as bulk exports and Synthea write them), if any."""
        ref = reference_id(at.get("medicationReference"))
        for contained in at.list_of("contained"):
            cid = contained.get("id")
            if ref is not None and cid is not None and ref.lstrip("#") == cid.text():
                return contained
        return self.medicines.get(ref) if ref is not None else None

    def _observation(self, at: At, rid: str) -> None:
        read_observation(at, rid, self.patient.id, self.obs)

    def _questionnaire(self, at: At, rid: str) -> None:
        response = read_questionnaire_response(at, rid, self.patient.id, self.patient.sex_at_birth)
        if response is None:
            self.obs.skipped.append(f"{at.path}: QuestionnaireResponse of an unknown questionnaire not read")
            return
        self.obs.responses.append(response)

    def _allergy(self, at: At, rid: str) -> None:
        clinical = {c for (_, c), _ in codings(at.get("clinicalStatus"))}
        verification = {c for (_, c), _ in codings(at.get("verificationStatus"))}
        if clinical & {"inactive", "resolved"} or verification & {"refuted", "entered-in-error"}:
            return
        concept = at.need("code", "the substance")
        substance = next((codes.ALLERGY_CODE[k] for k, _ in codings(concept) if k in codes.ALLERGY_CODE), None)
        substance = substance or allergen_of(concept_text(concept))
        criticality = at.get("criticality")
        self.allergies.append(Allergy(
            id=rid, patient_id=self.patient.id, substance=substance,  # type: ignore[arg-type]
            criticality=criticality.text() if criticality else "high",  # type: ignore[arg-type]
            verified=not verification & {"unconfirmed", "presumed"}))

    def result(self) -> BundleRead:
        score_items(self.obs, self.patient.id, self.patient.sex_at_birth)
        reproductive = combine_reproductive(self.obs.pregnancy)
        patient = self.patient if reproductive is None else replace(self.patient, reproductive=reproductive)
        screens = tuple(
            UrineDrugScreen(id=f"uds-{moment.isoformat()}", patient_id=patient.id, collected_at=moment,
                            results=tuple(results.values()))
            for moment, results in sorted(self.obs.analytes.items()))
        chart = PatientChart(
            patient=patient, diagnoses=tuple(self.diagnoses), medications=tuple(self.medications),
            regimens=tuple(self.regimens),
            oral_doses=tuple(self.given.oral_doses), injections=tuple(self.given.injections),
            implants=tuple(self.given.implants), implant_removals=tuple(self.given.removals),
            substance_use=tuple(self.obs.reports), drinking_days=tuple(self.obs.drinking), labs=tuple(self.obs.labs),
            screens=screens, naloxone_challenges=tuple(self.obs.challenges),
            questionnaires=_without_duplicate_totals(self.obs.responses),
            allergies=tuple(self.allergies))
        return BundleRead(chart, tuple(self.obs.skipped), tuple(self.unrecognized), tuple(self.retracted))


def _without_duplicate_totals(responses: list[QuestionnaireResponse]) -> tuple[QuestionnaireResponse, ...]:
    """Drop a total-only response when the response with its answers is in the bundle too."""
    answered = {(r.instrument, r.completed_at) for r in responses if r.answers}
    return tuple(r for r in responses if r.answers or (r.instrument, r.completed_at) not in answered)


def _dotted(code: str) -> str:
    """An ICD-10-CM code with its dot: ``F1120`` -> ``F11.20`` (value sets and some EHRs leave it out)."""
    found = _UNDOTTED_ICD10CM.fullmatch(code.strip().upper())
    return f"{found.group(1)}.{found.group(2)}" if found else code


def _known_code(concept: At | None) -> str | None:
    """A code the terminology knows: the coded RxNorm (or local) code that
    :func:`~naltrack.domain.terminology.resolve_rxnorm` resolves at any level (IN, SCD, SBD, pack, brand), else the
    catalog ingredient named in the text."""
    for (system, code), _ in codings(concept):
        if system in (codes.RXNORM, codes.LOCAL_MEDICATION) and resolve_rxnorm(code) is not None:
            return code
    return match_medication_text(concept_text(concept)) if concept is not None else None


def _written_by_naltrack(at: At) -> bool:
    """Whether a resource is naltrack's own export (it carries a ``urn:naltrack:<kind>`` identifier)."""
    return any(isinstance(i.value, dict) and str(i.value.get("system", "")).startswith(IDENTIFIER_SYSTEM)
               for i in at.list_of("identifier"))


def _rxnorm_code(concept: At | None) -> str | None:
    """The first RxNorm code (an RxCUI) of a medicine the terminology does not classify: kept, unclassified."""
    return next((code for (system, code), _ in codings(concept) if system == codes.RXNORM and code.isdigit()), None)
