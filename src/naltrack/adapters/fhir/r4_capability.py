"""The CapabilityStatement of ``/fhir/R4`` (https://hl7.org/fhir/R4/capabilitystatement.html).

It says what the server does, no more: each resource type with its interactions, its search
parameters (``_count`` and ``_offset`` included) and operations; ``rest.security`` with whether
browsers may call it (CORS) and how to authenticate. It satisfies the CapabilityStatement
invariants: an ``instance`` statement has ``implementation`` (cpb-2, cpb-14, cpb-15), a ``rest``
(cpb-1), no messaging or document parts (cpb-3, cpb-7), each resource once (cpb-9) and each search
parameter name once per resource (cpb-12).
"""

from __future__ import annotations

from typing import Any

from naltrack import __version__
from naltrack.adapters.fhir.r4_search import PATIENT_PARAMS, defined_by

#: Resource types searched by patient, with the parameters each takes (``patient`` is required).
SEARCHABLE = ("Condition", "Observation", "MedicationAdministration", "MedicationRequest", "MedicationStatement",
              "AllergyIntolerance")
TYPE_PARAMS: dict[str, tuple[str, str]] = {
    "patient": defined_by("reference", "clinical-patient"), "code": defined_by("token", "clinical-code"),
    "_id": PATIENT_PARAMS["_id"],
}
#: The paging parameters every search takes (https://hl7.org/fhir/R4/search.html#count).
PAGE_PARAMS: dict[str, tuple[str, str]] = {
    "_count": ("number", "the page size"),
    "_offset": ("number", "how many matches to skip (the links next and previous carry it)"),
}
#: The search parameters of each searchable type, paging included.
SEARCH_PARAMS: dict[str, tuple[str, ...]] = {
    "Patient": (*PATIENT_PARAMS, *PAGE_PARAMS),
    **{kind: (*TYPE_PARAMS, *PAGE_PARAMS) for kind in SEARCHABLE},
}
SECURITY = ("Every request carries 'Authorization: Bearer <token>', a token from POST /api/v1/auth/token "
            "(username and password of a naltrack user). A user reads only the patients of their clinic and "
            "the record categories their role allows; every read is audited. $everything with 'recipient' is a "
            "42 CFR Part 2 disclosure and needs the patient's consent naming that recipient and purpose.")


def _search_param(name: str, kind: str, about: str) -> dict[str, str]:
    param = {"name": name, "type": kind}
    param["definition" if about.startswith("http") else "documentation"] = about
    return param


def _params(names: tuple[str, ...]) -> list[dict[str, str]]:
    table = {**PATIENT_PARAMS, **TYPE_PARAMS, **PAGE_PARAMS}
    return [_search_param(name, *table[name]) for name in names]


def capability_statement(base_url: str, cors: bool, published: str) -> dict[str, Any]:
    """The statement of this server at ``base_url``; ``cors`` tells whether cross-origin callers are allowed."""
    patient = {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
               "versioning": "versioned", "readHistory": False, "searchParam": _params(SEARCH_PARAMS["Patient"]),
               "operation": [{"name": "everything",
                              "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]}
    others = [{"type": kind, "interaction": [{"code": "search-type"}], "searchParam": _params(SEARCH_PARAMS[kind])}
              for kind in SEARCHABLE]
    security = {"cors": cors, "description": SECURITY,
                "service": [{"text": "Bearer token (RFC 6750) issued by naltrack"}]}
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": published, "kind": "instance",
        "name": "NaltrackFhirR4", "title": "naltrack FHIR R4 server", "publisher": "naltrack",
        "description": "Read and search of a naltrexone treatment program's records, Part 2 aware.",
        "software": {"name": "naltrack", "version": __version__},
        "implementation": {"description": "naltrack FHIR R4 REST face", "url": base_url},
        "fhirVersion": "4.0.1", "format": ["json"],
        "rest": [{"mode": "server", "security": security, "resource": [patient, *others]}],
    }
