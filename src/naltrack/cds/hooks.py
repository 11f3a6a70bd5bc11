"""CDS Hooks 2.0 requests and the discovery document (HL7 CDS Hooks 2.0; anchors.md §3.4).

A request is checked here once: ``hook``, ``hookInstance`` and ``context`` are required, the
context carries what the hook defines (``patientId``; ``draftOrders`` for order-select and
order-sign), ``fhirServer`` is an absolute URL, and ``fhirAuthorization`` has a bearer token.
Anything else is a 400 naming the JSON path.

A CDS Hooks service declares exactly one ``hook`` in discovery, and an EHR calls a service only for
the hook it declares. Advice that serves several hooks is therefore listed once per hook, each entry
with its own id and the prefetch templates of that hook (:data:`SERVICES`): the naltrexone order check
and the opioid-order check each for ``order-select`` and ``order-sign`` (the CDC opioid IG computes on
order-select ahead of order-sign, anchors.md §3.1). Every order entry also accepts the other order hook
and the deprecated ``medication-prescribe`` the CDS Hooks sandbox still sends, reading its
``context.medications`` as the draft orders. ``context.patientId`` given as ``Patient/x`` is read as ``x``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from naltrack.adapters.fhir.r4_common import find_problems
from naltrack.cds.problems import bad_request

ORDER_HOOKS = ("order-select", "order-sign")
#: The deprecated hook the CDS Hooks sandbox still sends (anchors.md §3.4); its ``context.medications``
#: bundle is read as ``draftOrders``.
LEGACY_PRESCRIBE = "medication-prescribe"

_PATIENT = "Patient/{{context.patientId}}"
_BY_PATIENT = "?patient={{context.patientId}}"


@dataclass(frozen=True)
class ServiceDefinition:
    """One CDS service as discovery lists it: one ``id``, one ``hook``.

    ``advice`` names what answers it (several entries share one advice, one per hook); ``accepts``
    is every hook a request to this entry may carry.
    """

    id: str
    hook: str
    advice: str
    accepts: tuple[str, ...]
    title: str
    description: str
    prefetch: dict[str, str]
    required: tuple[str, ...]
    usage: str = ""

    def as_discovery(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"hook": self.hook, "title": self.title, "description": self.description,
                                 "id": self.id, "prefetch": dict(self.prefetch)}
        if self.usage:
            entry["usageRequirements"] = self.usage
        return entry


def _prefetch(*keys: str) -> dict[str, str]:
    templates = {
        "patient": _PATIENT,
        "conditions": "Condition" + _BY_PATIENT,
        "medicationRequests": "MedicationRequest" + _BY_PATIENT,
        "medicationAdministrations": "MedicationAdministration" + _BY_PATIENT,
        "medicationStatements": "MedicationStatement" + _BY_PATIENT,
        "observations": "Observation" + _BY_PATIENT,
        "allergies": "AllergyIntolerance" + _BY_PATIENT,
    }
    return {key: templates[key] for key in keys}


_PART2 = ("Answers that use naltrack's own records need the patient's Part 2 consent naming the calling "
          "system (42 CFR 2.31); without it the service answers from the data the EHR sent only.")
_ORDER_ACCEPTS = (*ORDER_HOOKS, LEGACY_PRESCRIBE)
_ORDER_CHECK = ServiceDefinition(
    id="naltrexone-order-check", hook="order-sign", advice="naltrexone-order-check", accepts=_ORDER_ACCEPTS,
    title="Naltrexone order check",
    description="Checks a draft naltrexone order (tablet, XR-NTX injection, implant) against the induction "
                "readiness rules: opioids on board, contraindications, review items.",
    prefetch=_prefetch("patient", "conditions", "medicationRequests", "medicationAdministrations",
                       "medicationStatements", "observations", "allergies"),
    required=("patient",), usage=_PART2)
_OPIOID_ORDER = ServiceDefinition(
    id="opioid-order-on-naltrexone", hook="order-select", advice="opioid-order-on-naltrexone",
    accepts=_ORDER_ACCEPTS, title="Opioid order for a patient on naltrexone",
    description="Warns when an opioid (analgesic, antitussive, antidiarrheal), buprenorphine or methadone is "
                "ordered while naltrexone blocks opioids, with the expected end of blockade and non-opioid "
                "options; flags disulfiram and thioridazine.",
    prefetch=_prefetch("patient", "medicationRequests", "medicationAdministrations", "medicationStatements"),
    required=("patient",), usage=_PART2)
_PATIENT_VIEW = ServiceDefinition(
    id="naltrexone-patient-view", hook="patient-view", advice="naltrexone-patient-view", accepts=("patient-view",),
    title="Naltrexone protection summary",
    description="Today's naltrexone protection, the next injection due, lapse and overdose risk with a naloxone "
                "suggestion; counts XR-NTX as treatment for opioid use disorder.",
    prefetch=_prefetch("patient", "conditions", "medicationRequests", "medicationAdministrations",
                       "medicationStatements"),
    required=("patient",), usage=_PART2)

#: Every discovery entry by id: one per (advice, hook), each id keeping the hook it always declared.
SERVICES: dict[str, ServiceDefinition] = {
    s.id: s for s in (
        _ORDER_CHECK,
        replace(_ORDER_CHECK, id="naltrexone-order-check-select", hook="order-select"),
        _OPIOID_ORDER,
        replace(_OPIOID_ORDER, id="opioid-order-on-naltrexone-sign", hook="order-sign"),
        _PATIENT_VIEW,
    )
}


def discovery_document() -> dict[str, Any]:
    return {"services": [s.as_discovery() for s in SERVICES.values()]}


@dataclass(frozen=True)
class HookRequest:
    """A checked CDS Hooks request."""

    hook: str
    hook_instance: str
    context: dict[str, Any]
    prefetch: dict[str, Any] | None
    fhir_server: str | None
    fhir_token: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def patient_id(self) -> str:
        return str(self.context["patientId"])

    @property
    def user_id(self) -> str | None:
        value = self.context.get("userId")
        return str(value) if value is not None else None

    @property
    def draft_orders(self) -> list[dict[str, Any]]:
        bundle = self.context.get("draftOrders") or {}
        return [e["resource"] for e in bundle.get("entry", []) if isinstance(e, dict) and "resource" in e]

    @property
    def selections(self) -> list[str]:
        return list(self.context.get("selections") or [])


def parse_request(body: bytes, service: ServiceDefinition) -> HookRequest:
    """Check a request body against CDS Hooks 2.0 and ``service``; 400 with the path when it fails."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request("(body)", f"is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise bad_request("(body)", "must be a JSON object")
    hook = _require_str(data, "hook")
    if hook not in service.accepts:
        raise bad_request("hook", f"{hook!r} is not served by {service.id} (expects {', '.join(service.accepts)})")
    instance = _require_str(data, "hookInstance")
    context = data.get("context")
    if not isinstance(context, dict):
        raise bad_request("context", "is required and must be an object")
    patient_id = _require_str(context, "patientId", "context.")
    if patient_id.startswith("Patient/"):  # a reference where the hook defines the id: read the id
        context = {**context, "patientId": _patient_id(patient_id)}
    if hook == LEGACY_PRESCRIBE and "draftOrders" not in context:
        context = {**context, "draftOrders": context.get("medications")}
    if hook in (*ORDER_HOOKS, LEGACY_PRESCRIBE):
        _check_draft_orders(context, hook)
    prefetch = data.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise bad_request("prefetch", "must be an object keyed by the service's prefetch templates")
    server, token = _fhir_access(data)
    return HookRequest(hook=hook, hook_instance=instance, context=context, prefetch=prefetch,
                       fhir_server=server, fhir_token=token)


def _require_str(data: dict[str, Any], key: str, prefix: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(prefix + key, "is required and must be a non-empty string")
    return value


def _patient_id(reference: str) -> str:
    found = reference.removeprefix("Patient/").strip()
    if not found or "/" in found:
        raise bad_request("context.patientId", f"{reference!r} is not a Patient id or Patient/id reference")
    return found


def _check_draft_orders(context: dict[str, Any], hook: str) -> None:
    draft = context.get("draftOrders")
    if not isinstance(draft, dict) or draft.get("resourceType") != "Bundle":
        raise bad_request("context.draftOrders", f"is required for {hook} and must be a FHIR Bundle")
    entries = draft.get("entry", [])
    if not isinstance(entries, list):
        raise bad_request("context.draftOrders.entry", "must be an array")
    for n, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise bad_request(f"context.draftOrders.entry[{n}].resource", "must be a FHIR resource")
        problems = find_problems(resource)  # the draft orders are read here, so they must be valid FHIR
        if problems:
            raise bad_request(f"context.draftOrders.entry[{n}].resource.{problems[0].path}", problems[0].message)
    selections = context.get("selections")
    if selections is not None and not (isinstance(selections, list) and all(isinstance(s, str) for s in selections)):
        raise bad_request("context.selections", "must be an array of resource references")


def _fhir_access(data: dict[str, Any]) -> tuple[str | None, str | None]:
    server = data.get("fhirServer")
    if server is not None and (not isinstance(server, str) or not server.startswith(("http://", "https://"))):
        raise bad_request("fhirServer", "must be an absolute http(s) URL")
    auth = data.get("fhirAuthorization")
    token = None
    if auth is not None:
        if not isinstance(auth, dict):
            raise bad_request("fhirAuthorization", "must be an object")
        token = auth.get("access_token")
        if not isinstance(token, str) or not token:
            raise bad_request("fhirAuthorization.access_token", "is required and must be a string")
        if str(auth.get("token_type", "Bearer")).lower() != "bearer":
            raise bad_request("fhirAuthorization.token_type", "must be Bearer")
    return server, token
