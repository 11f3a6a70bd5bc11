"""Naltrexone orders, doses and other medications as FHIR R4 resources.

* :class:`~naltrack.domain.regimens.Regimen` -> MedicationRequest (US Core MedicationRequest).
* :class:`~naltrack.domain.administrations.OralDose`, ``Injection``, ``ImplantInsertion`` (with
  its ``ImplantRemoval``) -> MedicationAdministration (no US Core profile exists for it).
* :class:`~naltrack.domain.observations.MedicationUse` -> MedicationRequest when prescribed or
  dispensed, MedicationStatement when reported (US Core has no statement profile); the last
  dose is ``effectivePeriod.end`` or the timing's ``boundsPeriod.end``, as the bundle reader reads it.

Codes: RxNorm 1483744 oral tablet, 637213 XR-NTX (clinical.md §8.1), HCPCS J2315 beside it for
the injection (billed in 1 mg units, clinical.md §8.1); implants have no RxNorm or HCPCS code
and carry the catalog's local code (clinical.md §1.3).
"""

from __future__ import annotations

from typing import Any

from naltrack.adapters.fhir.codes import INDICATION_CONCEPTS
from naltrack.adapters.fhir.r4_common import (
    HCPCS,
    RXNORM,
    SNOMED,
    UCUM,
    FhirResource,
    coding,
    concept,
    day,
    extension,
    identifier,
    instant,
    meta,
    quantity_mg,
    ref,
    text_concept,
)
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.catalog import find_medication
from naltrack.domain.episodes import INDICATION_LABELS
from naltrack.domain.observations import MedicationUse
from naltrack.domain.regimens import Regimen

#: Default product per form when a regimen names no RxNorm code (clinical.md §8.1, §1.3).
FORM_PRODUCT = {"oral": "1483744", "xr-ntx": "637213", "implant": "NTX-IMPLANT"}
#: SNOMED CT routes of administration.
ROUTES = {
    "oral": concept(SNOMED, "26643006", "Oral route"),
    "xr-ntx": concept(SNOMED, "78421000", "Intramuscular route"),
    "implant": concept(SNOMED, "34206005", "Subcutaneous route"),
}


def medication_concept(code: str) -> dict[str, Any]:
    """A CodeableConcept for a catalog code (RxNorm, or the local implant code)."""
    med = find_medication(code)
    if med is None:
        return concept(RXNORM, code)
    return concept(med.system, med.code, med.display)


def _status(record_active: bool, open_: bool) -> str:
    if not record_active:
        return "entered-in-error"
    return "active" if open_ else "completed"


def _request(kind: str, record: Regimen | MedicationUse, labels: list[dict[str, Any]], *, code: str, status: str,
             requester: str, extensions: list[dict[str, Any]], **fields: Any) -> FhirResource:
    """A US Core MedicationRequest: a regimen (``kind`` "regimen") or an outside prescription ("medication")."""
    return {
        "resourceType": "MedicationRequest",
        "id": record.id,
        "meta": meta("us-core-medicationrequest", labels),
        "identifier": identifier(kind, record.id),
        "extension": extensions,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication_concept(code),
        "subject": ref("Patient", record.patient_id),
        "authoredOn": day(record.start),
        "requester": {"display": requester},
        **fields,
    }


def regimen_request(regimen: Regimen, labels: list[dict[str, Any]]) -> FhirResource:
    """A naltrexone order as a US Core MedicationRequest."""
    resource = _request("regimen", regimen, labels, code=regimen.rxnorm or FORM_PRODUCT[regimen.form],
                        status=_status(regimen.is_active, regimen.end is None),
                        requester=regimen.prescriber or "naltrack program prescriber",
                        extensions=_regimen_extensions(regimen),
                        dosageInstruction=_dosages(regimen), dispenseRequest=_dispense(regimen))
    if regimen.indication is not None:
        resource["reasonCode"] = _reasons(regimen.indication)
    if regimen.note:
        resource["note"] = [{"text": regimen.note}]
    return resource


def _reasons(indication: str) -> list[dict[str, Any]]:
    """The disorders an order treats as SNOMED CT concepts; stimulant use, with no concept, as text."""
    concepts = [concept(*disorder) for disorder in INDICATION_CONCEPTS[indication]]
    return concepts or [text_concept(INDICATION_LABELS[indication])]


def _days(days: int) -> dict[str, Any]:
    """A number of days as a UCUM quantity (naltrack's ``expected-duration`` extension)."""
    return {"value": days, "unit": "days", "system": UCUM, "code": "d"}


def _regimen_extensions(regimen: Regimen) -> list[dict[str, Any]]:
    """The order's kind, and what FHIR has no element for (read back by ``bundle_regimens``)."""
    out = [extension("regimen-kind", valueCode=regimen.kind)]
    if regimen.expected_duration_days is not None:
        out.append(extension("expected-duration", valueQuantity=_days(regimen.expected_duration_days)))
    if regimen.implant_product is not None:
        out.append(extension("implant-product", valueString=regimen.implant_product))
    if regimen.induction_test_dose:
        out.append(extension("induction-test-dose", valueBoolean=True))
    return out


def _dosages(regimen: Regimen) -> list[dict[str, Any]]:
    """One dosage, or one per weekday of a weekly oral schedule (each with its own dose)."""
    if regimen.kind != "oral-schedule":
        return [_dosage(regimen)]
    return [{**_dosage(regimen), "text": f"{d.weekday} {d.dose_mg:g} mg",
             "timing": {"repeat": {"dayOfWeek": [d.weekday], **_bounds(regimen)}},
             "doseAndRate": [{"doseQuantity": quantity_mg(d.dose_mg)}]} for d in regimen.schedule]


def _bounds(regimen: Regimen) -> dict[str, Any]:
    if regimen.end is None:
        return {}
    return {"boundsPeriod": {"start": day(regimen.start), "end": day(regimen.end)}}


def _dosage(regimen: Regimen) -> dict[str, Any]:
    dosage: dict[str, Any] = {"text": _dosage_text(regimen), "route": ROUTES[regimen.form]}
    if regimen.form == "xr-ntx":
        dosage["timing"] = {"repeat": {"frequency": 1, "period": regimen.injection_interval_days, "periodUnit": "d"}}
    elif regimen.kind == "oral-daily":
        dosage["timing"] = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
    elif regimen.kind == "oral-schedule":
        dosage["timing"] = {"repeat": {"dayOfWeek": [d.weekday for d in regimen.schedule]}}
    elif regimen.kind == "targeted":
        dosage["asNeededCodeableConcept"] = text_concept("about one hour before drinking (clinical.md §1.4)")
    if regimen.end is not None:
        dosage.setdefault("timing", {}).setdefault("repeat", {}).update(_bounds(regimen))
    dosage["doseAndRate"] = [{"doseQuantity": quantity_mg(regimen.dose_mg)}]
    return dosage


def _dosage_text(regimen: Regimen) -> str:
    if regimen.form == "xr-ntx":
        return f"380 mg deep IM gluteal every {regimen.injection_interval_days} days"
    if regimen.form == "implant":
        return f"{regimen.dose_mg:g} mg subcutaneous implant"
    if regimen.kind == "oral-schedule":
        return ", ".join(f"{d.weekday} {d.dose_mg:g} mg" for d in regimen.schedule)
    if regimen.kind == "targeted":
        return f"{regimen.dose_mg:g} mg by mouth before drinking"
    return f"{regimen.dose_mg:g} mg by mouth daily"


def _dispense(regimen: Regimen) -> dict[str, Any]:
    period: dict[str, str] = {"start": day(regimen.start)}
    if regimen.end is not None:
        period["end"] = day(regimen.end)
    out: dict[str, Any] = {"validityPeriod": period}
    if regimen.days_supply is not None:
        out["expectedSupplyDuration"] = {"value": regimen.days_supply, "unit": "days", "system": UCUM, "code": "d"}
    return out


def administration_shell(record_id: str, patient_id: str, active: bool, status: str, code: str,
                         labels: list[dict[str, Any]]) -> FhirResource:
    """The MedicationAdministration every naltrexone dose (or dose not given) starts from."""
    return {
        "resourceType": "MedicationAdministration",
        "id": record_id,
        "meta": meta(None, labels),
        "identifier": identifier("administration", record_id),
        "status": status if active else "entered-in-error",
        "medicationCodeableConcept": medication_concept(code),
        "subject": ref("Patient", patient_id),
    }


def oral_dose_administration(dose: OralDose, labels: list[dict[str, Any]]) -> FhirResource:
    """An oral dose; a missed dose is ``not-done``; an observed dose names its observer."""
    out = administration_shell(dose.id, dose.patient_id, dose.is_active,
                          "completed" if dose.was_taken else "not-done", "1483744", labels)
    out["extension"] = [extension("dose-status", valueCode=dose.dose_status)]
    out["effectiveDateTime"] = instant(dose.taken_at)
    out["dosage"] = {"route": ROUTES["oral"], "dose": quantity_mg(dose.dose_mg)}
    if dose.observed_by:
        out["performer"] = [{"actor": {"display": dose.observed_by}}]
    if dose.regimen_id:
        out["request"] = ref("MedicationRequest", dose.regimen_id)
    return out


def injection_administration(shot: Injection, labels: list[dict[str, Any]]) -> FhirResource:
    """An XR-NTX injection: side, lot and expiry (a contained Medication's batch), needle length."""
    out = administration_shell(shot.id, shot.patient_id, shot.is_active, "completed", shot.rxnorm, labels)
    kit = {
        "resourceType": "Medication",
        "id": "kit",
        "code": {"coding": [*medication_concept(shot.rxnorm)["coding"],
                            coding(HCPCS, "J2315", "Injection, naltrexone, depot form, 1 mg")]},
        "batch": {"lotNumber": shot.lot, "expirationDate": day(shot.expiry)},
    }
    out["contained"] = [kit]
    del out["medicationCodeableConcept"]
    out["medicationReference"] = {"reference": "#kit"}
    out["extension"] = [extension("needle-length", valueQuantity={
        "value": shot.needle_length_in, "unit": "in", "system": UCUM, "code": "[in_i]"})]
    out["effectiveDateTime"] = instant(shot.given_at)
    out["performer"] = [{"actor": {"display": shot.given_by}}]
    out["dosage"] = {"site": text_concept(f"{shot.side} gluteal"), "route": ROUTES["xr-ntx"],
                     "dose": quantity_mg(shot.dose_mg)}
    if shot.regimen_id:
        out["request"] = ref("MedicationRequest", shot.regimen_id)
    return out


def implant_administration(implant: ImplantInsertion, removal: ImplantRemoval | None,
                           labels: list[dict[str, Any]]) -> FhirResource:
    """An implant: ``in-progress`` while in place; its removal closes ``effectivePeriod``."""
    status = "completed" if removal is not None else "in-progress"
    out = administration_shell(implant.id, implant.patient_id, implant.is_active, status, "NTX-IMPLANT", labels)
    period = {"start": instant(implant.inserted_at)}
    if removal is not None:
        period["end"] = instant(removal.removed_at)
        out["statusReason"] = [text_concept(f"removed: {removal.reason}")]
    out["effectivePeriod"] = period
    out["performer"] = [{"actor": {"display": implant.inserted_by}}]
    out["note"] = [{"text": f"product: {implant.product}"}]
    out["dosage"] = {"site": text_concept(implant.site), "route": ROUTES["implant"],
                     "dose": quantity_mg(implant.dose_mg)}
    if implant.expected_duration_days is not None:
        out["extension"] = [extension("expected-duration", valueQuantity=_days(implant.expected_duration_days))]
    if implant.lot:
        out["note"].append({"text": f"lot: {implant.lot}"})
    if implant.regimen_id:
        out["request"] = ref("MedicationRequest", implant.regimen_id)
    return out


def medication_use_resource(use: MedicationUse, labels: list[dict[str, Any]]) -> FhirResource:
    """A medication outside the regimen: prescribed or dispensed -> MedicationRequest, reported -> statement."""
    if use.source == "reported":
        return medication_statement(use, labels)
    return medication_order(use, labels)


def medication_order(use: MedicationUse, labels: list[dict[str, Any]]) -> FhirResource:
    """A prescribed (or dispensed) medication as a MedicationRequest; its last day bounds the timing."""
    last = use.last_dose or use.end
    dosage: dict[str, Any] = {"text": "as prescribed", **_per_day(use)}
    if last is not None:
        dosage["timing"] = {"repeat": {**dosage.get("timing", {}).get("repeat", {}),
                                       "boundsPeriod": {"start": day(use.start), "end": day(last)}}}
    resource = _request("medication", use, labels, code=use.rxnorm, status=_status(use.is_active, last is None),
                        requester="outside prescriber", extensions=[extension("source", valueCode=use.source)],
                        dosageInstruction=[dosage])
    if use.days_supply is not None:
        resource["dispenseRequest"] = {"expectedSupplyDuration": {
            "value": use.days_supply, "unit": "days", "system": UCUM, "code": "d"}}
    return resource


def medication_statement(use: MedicationUse, labels: list[dict[str, Any]]) -> FhirResource:
    """A reported medication; ``effectivePeriod.end`` is the last dose (or the stop date)."""
    period: dict[str, str] = {"start": day(use.start)}
    end = use.last_dose or use.end
    if end is not None:
        period["end"] = day(end)
    resource: FhirResource = {
        "resourceType": "MedicationStatement",
        "id": use.id,
        "meta": meta(None, labels),
        "identifier": identifier("medication", use.id),
        "status": _status(use.is_active, end is None),
        "category": concept("http://terminology.hl7.org/CodeSystem/medication-statement-category",
                            "patientspecified"),
        "medicationCodeableConcept": medication_concept(use.rxnorm),
        "subject": ref("Patient", use.patient_id),
        "effectivePeriod": period,
    }
    if use.daily_dose_mg is not None:
        resource["dosage"] = [_per_day(use)]
    if use.recorded_at is not None:
        resource["dateAsserted"] = instant(use.recorded_at)
    return resource


def _per_day(use: MedicationUse) -> dict[str, Any]:
    """The amount per day as a Dosage (once a day, the whole amount); empty when it is not known."""
    if use.daily_dose_mg is None:
        return {}
    return {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": use.daily_dose_mg, "unit": "mg", "system": UCUM,
                                              "code": "mg"}}]}
