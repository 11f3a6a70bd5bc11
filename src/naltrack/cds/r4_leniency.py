"""Valid FHIR R4 that the bundle reader needs more of, made readable before it is read.

An EHR's resources are valid R4 without some elements naltrack's own records always have
(US Core examples, Synthea): ``Patient.birthDate`` is ``0..1`` and may be partial (``1980``,
``1980-05``; R4 ``date``), and a MedicationStatement or MedicationRequest may carry no date at all
(``effective[x]``, ``authoredOn`` and ``dateAsserted`` are each optional). A CDS call must not fail
on them with 400. What is decided here, and said on the data card when it matters:

* a partial birth date is read as the last day it can be (the youngest the patient can be, so an
  under-18 check errs towards review);
* no birth date: the age checks of the naltrexone order check cannot be made; the patient is read as
  an adult (:data:`UNKNOWN_AGE_YEARS`) and the card says the age was not known;
* a medication with an end but no start starts at its end;
* an undated medication whose status is ``active`` ("is still being taken", R4
  MedicationStatement.status) is read as taken on the day of the call; any other undated medication
  is left out, and the card names it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from naltrack.cds.data_gaps import DataGap

UNKNOWN_AGE_YEARS = 30
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_MEDICATIONS = ("MedicationStatement", "MedicationRequest")


def make_readable(resources: list[dict[str, Any]], today: date, *,
                  ages_matter: bool) -> tuple[list[dict[str, Any]], list[DataGap]]:
    """``resources`` as the reader can read them, and what had to be assumed or left out."""
    out: list[dict[str, Any]] = []
    gaps: list[DataGap] = []
    for resource in resources:
        kind = resource.get("resourceType")  # resources_of gives dicts only
        if kind == "Patient":
            resource = _patient(resource, today, gaps if ages_matter else [])
        elif kind in _MEDICATIONS:
            found = _medication(resource, today, gaps)
            if found is None:
                continue
            resource = found
        out.append(resource)
    return out, gaps


def _patient(patient: dict[str, Any], today: date, gaps: list[DataGap]) -> dict[str, Any]:
    birth = patient.get("birthDate")
    if birth is None:
        gaps.append(DataGap("patient", "no birth date was given: the under-18 and pregnancy-age checks "
                                       f"took the patient for an adult of {UNKNOWN_AGE_YEARS}"))
        return {**patient, "birthDate": date(today.year - UNKNOWN_AGE_YEARS, 1, 1).isoformat()}
    partial = _PARTIAL_DATE.match(birth) if isinstance(birth, str) else None
    if partial is None:
        return patient  # a full date, or something the reader reports with its path
    year, month = int(partial.group(1)), int(partial.group(2) or 12)
    if not (1 <= year and 1 <= month <= 12):
        return patient  # year 0 or month 13: not a date; the reader names it
    last = date(year, month, calendar.monthrange(year, month)[1])
    return {**patient, "birthDate": min(last, today).isoformat()}


def _medication(resource: dict[str, Any], today: date, gaps: list[DataGap]) -> dict[str, Any] | None:
    period = resource.get("effectivePeriod")
    period = period if isinstance(period, dict) else {}
    if any(resource.get(k) is not None for k in ("effectiveDateTime", "authoredOn", "dateAsserted")) \
            or period.get("start") is not None:
        return resource
    end = period.get("end") or _bounds_end(resource)
    if isinstance(end, str):
        return {**resource, "effectivePeriod": {**period, "start": end}}
    name = f"{resource.get('resourceType')}/{resource.get('id', '?')}"
    label = _label(resource)
    if resource.get("status") == "active":
        gaps.append(DataGap(name, f"{label} has no date; being active, it was read as taken today"))
        return {**resource, "effectiveDateTime": today.isoformat()}
    if resource.get("status") in ("entered-in-error", "cancelled", "not-taken", "draft", "intended"):
        return resource  # not read at all
    gaps.append(DataGap(name, f"{label} has no date: naltrack could not tell when it was taken"))
    return None


def _bounds_end(resource: dict[str, Any]) -> Any:
    dosages = resource.get("dosageInstruction") or resource.get("dosage")
    for dosage in dosages if isinstance(dosages, list) else []:
        timing = dosage.get("timing") if isinstance(dosage, dict) else None
        repeat = timing.get("repeat") if isinstance(timing, dict) else None
        bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
        if isinstance(bounds, dict) and bounds.get("end") is not None:
            return bounds["end"]
    return None


def _label(resource: dict[str, Any]) -> str:
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        if isinstance(concept.get("text"), str):
            return str(concept["text"])
        found = concept.get("coding")
        for coding in found if isinstance(found, list) else []:
            if isinstance(coding, dict) and isinstance(coding.get("display") or coding.get("code"), str):
                return str(coding.get("display") or coding.get("code"))
    return "a medication"
