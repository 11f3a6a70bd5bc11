"""Consent, AuditEvent and Provenance as FHIR R4 resources (42 CFR Part 2; anchors.md §4.2).

* A Part 2 consent -> Consent (scope ``patient-privacy``, policy 42 CFR Part 2, an opt-in
  ``permit`` provision naming the recipient as ``IRCP`` actor, the purpose of use and the period),
  shaped like FHIR's Contract-example-42cfr-part2 and the IHE PCF consents.
* A disclosure -> AuditEvent (DICOM 110106 "Export", the recipient, the purpose, the records).
* Who entered a record and when -> Provenance (US Core Provenance).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from naltrack.adapters.fhir.r4_common import (
    LOINC,
    V3_ACTCODE,
    V3_ACTREASON,
    FhirResource,
    coding,
    concept,
    day,
    identifier,
    instant,
    meta,
    ref,
)
from naltrack.domain.security.consent import Consent

PART2_POLICY_URI = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
#: Purposes of use (HL7 v3 ActReason) by the words naltrack uses.
PURPOSE_OF_USE = {
    "treatment": ("TREAT", "treatment"),
    "referral": ("TREAT", "treatment"),
    "payment": ("HPAYMT", "healthcare payment"),
    "health-care-operations": ("HOPERAT", "healthcare operations"),
    "emergency": ("ETREAT", "Emergency Treatment"),
    "research": ("HRESCH", "healthcare research"),
    "patient-request": ("PATRQT", "patient requested"),
    "legal": ("HLEGAL", "legal"),
}


def purpose_coding(purpose: str) -> dict[str, str]:
    code, display = PURPOSE_OF_USE.get(purpose, ("TREAT", "treatment"))
    return coding(V3_ACTREASON, code, display)


def consent_resource(consent: Consent, labels: list[dict[str, Any]], now: datetime) -> FhirResource:
    """A Part 2 opt-in consent naming recipient, purpose and period; ``inactive`` once revoked or expired."""
    in_force = (consent.revoked_at is None or consent.revoked_at > now) and consent.expires_on >= now.date()
    return {
        "resourceType": "Consent",
        "id": consent.id,
        "meta": meta(None, labels),
        "identifier": identifier("consent", consent.id),
        "status": "active" if in_force else "inactive",
        "scope": concept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy",
                         "Privacy Consent"),
        "category": [concept(LOINC, "59284-0", "Patient Consent")],
        "patient": ref("Patient", consent.patient_id),
        "dateTime": day(consent.signed_on),
        "policy": [{"authority": "https://www.hhs.gov", "uri": PART2_POLICY_URI}],
        "policyRule": concept(V3_ACTCODE, "OPTIN", "opt-in"),
        "provision": {
            "type": "permit",
            "period": {"start": day(consent.signed_on), "end": day(consent.expires_on)},
            "actor": [{
                "role": concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
                                "information recipient"),
                "reference": {"display": consent.recipient},
            }],
            "purpose": [purpose_coding(consent.purpose)],
        },
    }


def disclosure_audit_event(*, event_id: str, recorded: datetime, patient_id: str, actor: str,
                           recipient: str, purpose: str, records: Sequence[str], labels: list[dict[str, Any]],
                           succeeded: bool = True) -> FhirResource:
    """An AuditEvent for a disclosure (export or a CDS answer) of ``records`` to ``recipient``.

    It names the patient and what they were treated for, so it carries the patient's Part 2 ``labels``."""
    entities: list[dict[str, Any]] = [{"what": ref("Patient", patient_id), "role": _entity_role("1", "Patient")}]
    entities += [{"what": {"reference": r}, "role": _entity_role("4", "Domain Resource")} for r in records]
    return {
        "resourceType": "AuditEvent",
        "id": event_id,
        "meta": meta(None, labels),
        "type": coding(DICOM, "110106", "Export"),
        "action": "R",
        "recorded": instant(recorded),
        "outcome": "0" if succeeded else "8",
        "purposeOfEvent": [{"coding": [purpose_coding(purpose)]}],
        "agent": [
            {"who": {"display": actor}, "requestor": True},
            {"who": {"display": recipient}, "requestor": False,
             "type": concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
                             "information recipient")},
        ],
        "source": {"observer": {"display": "naltrack"}},
        "entity": entities,
    }


def _entity_role(code: str, display: str) -> dict[str, str]:
    return coding("http://terminology.hl7.org/CodeSystem/object-role", code, display)


def provenance_resource(target: str, recorded: datetime, author: str | None,
                        labels: list[dict[str, Any]]) -> FhirResource:
    """Who entered ``target`` (``"Observation/lab-1"``) and when (US Core Provenance)."""
    rid = "prov-" + target.replace("/", "-")
    return {
        "resourceType": "Provenance",
        "id": rid[:64],
        "meta": meta("us-core-provenance", labels),
        "target": [{"reference": target}],
        "recorded": instant(recorded),
        "agent": [{
            "type": concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author",
                            "Author"),
            "who": {"display": author or "naltrack"},
        }],
    }
