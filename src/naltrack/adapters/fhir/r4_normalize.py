"""FHIR -> FHIR: restate MedicationAdministrations as MedicationStatements before the bundle reader.

The bundle reader (the one FHIR -> domain mapping) reads MedicationStatement and MedicationRequest;
an EHR often records a Vivitrol injection given in its clinic, or an observed oral dose, only as a
MedicationAdministration. Restated as a completed MedicationStatement whose effective date is the
administration's, it reaches the reader's rule: ``effectiveDateTime`` or ``effectivePeriod.end`` is
the last dose (FHIR R4 MedicationAdministration.effective[x] and MedicationStatement.effective[x]).
Nothing else changes, and no domain record is built here.
"""

from __future__ import annotations

from typing import Any

_KEEP = ("id", "identifier", "medicationCodeableConcept", "medicationReference", "contained", "subject",
         "effectiveDateTime", "effectivePeriod", "meta")
_STATUS = {"completed": "completed", "in-progress": "active", "on-hold": "on-hold", "stopped": "stopped",
           "not-done": "not-taken", "entered-in-error": "entered-in-error", "unknown": "unknown"}


def administration_as_statement(resource: dict[str, Any]) -> dict[str, Any]:
    """A MedicationAdministration restated as a MedicationStatement (other resources unchanged)."""
    if resource.get("resourceType") != "MedicationAdministration":
        return resource
    statement = {key: resource[key] for key in _KEEP if key in resource}
    statement["resourceType"] = "MedicationStatement"
    statement["status"] = _STATUS.get(str(resource.get("status")), "unknown")
    return statement


def with_administrations_as_statements(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [administration_as_statement(r) for r in resources]
