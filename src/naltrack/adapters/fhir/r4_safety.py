"""The suicide-risk safety assessment as a FHIR R4 Procedure.

SNOMED CT 225337009 "Suicide risk assessment (procedure)" (the code of the CMS suicide-risk
assessment measures) names what was done; ``reasonReference`` points at the PHQ-9
QuestionnaireResponse it answers; the risk level is the ``outcome`` and the actions taken the
``followUp``, both in local code systems (no public value set fits the form's closed lists);
the follow-up date and the clinician's note are notes.
"""

from __future__ import annotations

from typing import Any

from naltrack.adapters.fhir.r4_common import SNOMED, FhirResource, concept, identifier, instant, meta, ref, text_concept
from naltrack.domain.safety import ACTION_LABELS, RISK_LABELS, SafetyAssessment

SUICIDE_RISK_ASSESSMENT = concept(SNOMED, "225337009", "Suicide risk assessment")
RISK_SYSTEM = "urn:naltrack:suicide-risk-level"
ACTION_SYSTEM = "urn:naltrack:safety-action"


def safety_assessment_procedure(assessment: SafetyAssessment, labels: list[dict[str, Any]]) -> FhirResource:
    """One Procedure (status ``completed``, or ``entered-in-error`` for a retracted assessment)."""
    notes = [{"text": f"Follow-up on {assessment.follow_up_on.isoformat()}"}] if assessment.follow_up_on else []
    if assessment.note:
        notes.append({"text": assessment.note})
    resource: FhirResource = {
        "resourceType": "Procedure",
        "id": assessment.id,
        "meta": meta(None, labels),
        "identifier": identifier("safety-assessment", assessment.id),
        "status": "completed" if assessment.is_active else "entered-in-error",
        "code": SUICIDE_RISK_ASSESSMENT,
        "subject": ref("Patient", assessment.patient_id),
        "performedDateTime": instant(assessment.assessed_at),
        "performer": [{"actor": {"display": assessment.assessed_by},
                       "function": text_concept(assessment.assessor_role)}],
        "outcome": concept(RISK_SYSTEM, assessment.risk_level, RISK_LABELS[assessment.risk_level]),
        "followUp": [concept(ACTION_SYSTEM, a, ACTION_LABELS[a]) for a in assessment.actions],
    }
    if assessment.response_id is not None:
        resource["reasonReference"] = [ref("QuestionnaireResponse", assessment.response_id)]
    if notes:
        resource["note"] = notes
    return resource
