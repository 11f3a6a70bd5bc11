"""Pre-dose decisions (:mod:`naltrack.domain.dose_decisions`) as FHIR R4 resources.

* A dose given on a prescriber's override -> ``DetectedIssue``: the not-ready reasons overridden
  (``detail``), the dose (``implicated``), and the override with its reason as a ``mitigation``
  whose action is HL7 v3 ActCode ``OVERRIDE`` ("overridden by the responsible clinician").
* A dose held by staff or refused by the patient -> ``MedicationAdministration`` with status
  ``not-done`` and the reason (``statusReason``); the naltrack extension ``dose-outcome`` says which.
  A naltrexone administration ``not-done`` reads back as a dose not given, never as a dose.

A dose given without an override leaves only its audit entry and the administration itself.
"""

from __future__ import annotations

from typing import Any

from naltrack.adapters.fhir.r4_common import FhirResource, concept, extension, identifier, instant, meta, ref
from naltrack.adapters.fhir.r4_medications import administration_shell
from naltrack.domain.catalog import FORM_CODE
from naltrack.domain.dose_decisions import OUTCOME_LABELS, DoseDecision
from naltrack.domain.regimens import form_label

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#: HL7 v3 ActCode: the issue was overridden by the clinician responsible (DetectedIssue.mitigation.action).
OVERRIDE = concept(ACT_CODE, "OVERRIDE", "Overridden")
#: The issue the pre-dose check detected: a contraindication or not-ready reason before a naltrexone dose.
PRE_DOSE_ISSUE = concept("urn:naltrack:detected-issue", "pre-dose-not-ready", "Not ready for a naltrexone dose",
                         text="Pre-dose check: not ready for a naltrexone dose")


def dose_decision_resources(decision: DoseDecision, labels: list[dict[str, Any]]) -> list[FhirResource]:
    """The resource a decision becomes: a DetectedIssue for an override, a MedicationAdministration not done
    for a dose held or refused, nothing for a dose given with nothing overridden."""
    if decision.outcome != "given":
        return [_not_given(decision, labels)]
    return [_override(decision, labels)] if decision.is_override else []


def _override(decision: DoseDecision, labels: list[dict[str, Any]]) -> FhirResource:
    return {
        "resourceType": "DetectedIssue",
        "id": decision.id,
        "meta": meta(None, labels),
        "identifier": identifier("dose-decision", decision.id),
        "status": "final" if decision.is_active else "entered-in-error",
        "code": PRE_DOSE_ISSUE,
        "severity": "high",
        "patient": ref("Patient", decision.patient_id),
        "identifiedDateTime": instant(decision.decided_at),
        "implicated": [ref("MedicationAdministration", decision.dose_id or "")],
        "detail": (f"{form_label(decision.form, first=True)} ({decision.dose_class} dose) given despite: "
                   f"{', '.join(decision.overridden)}."),
        "mitigation": [{"action": OVERRIDE, "date": instant(decision.decided_at),
                        "author": {"display": decision.decided_by}}],
        "extension": [extension("override-reason", valueString=decision.override_reason)],
    }


def _not_given(decision: DoseDecision, labels: list[dict[str, Any]]) -> FhirResource:
    out = administration_shell(decision.id, decision.patient_id, decision.is_active, "not-done",
                          FORM_CODE[decision.form], labels)
    out["statusReason"] = [{"text": f"{OUTCOME_LABELS[decision.outcome]}: {decision.reason}"}]
    out["effectiveDateTime"] = instant(decision.decided_at)
    out["performer"] = [{"actor": {"display": decision.decided_by}}]
    out["extension"] = [extension("dose-outcome", valueCode=decision.outcome)]
    return out
