"""FHIR R4 REST face under ``/fhir/R4``: read and search of the main resources, ``Patient/$everything``.

Implements a subset of the FHIR R4 RESTful API (https://hl7.org/fhir/R4/http.html): ``read`` of
Patient, ``search`` by ``patient`` (and ``code``, ``_id``) of Condition, Observation,
MedicationAdministration, MedicationRequest, MedicationStatement and AllergyIntolerance, and the
``$everything`` operation. Every call is authenticated and audited; ``$everything`` with a
``recipient`` is a Part 2 disclosure (consent, disclosure record, notice in ``Bundle.meta.tag``).
Errors are OperationOutcome resources naming the element in ``issue.expression``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from naltrack.adapters.fhir.exchange import disclose_record, read_record, search
from naltrack.api.deps import ActorDep, ContextDep, NowDep
from naltrack.domain.errors import DomainError, InvalidInput, NotFound
from naltrack.domain.security.roles import AccessDenied

FHIR_JSON = "application/fhir+json"
SEARCHABLE = ("Condition", "Observation", "MedicationAdministration", "MedicationRequest", "MedicationStatement",
              "AllergyIntolerance")
router = APIRouter(prefix="/fhir/R4", tags=["fhir"])


def outcome(status: int, code: str, text: str, expression: str | None = None) -> JSONResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if expression:
        issue["expression"] = [expression]
    return JSONResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status_code=status,
                        media_type=FHIR_JSON)


def _error(error: DomainError) -> JSONResponse:
    if isinstance(error, AccessDenied):
        return outcome(403, "forbidden", str(error))
    if isinstance(error, NotFound):
        return outcome(404, "not-found", str(error))
    if isinstance(error, InvalidInput):
        return outcome(400, "invalid", str(error), error.field)
    return outcome(400, "processing", str(error))


def _fhir(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, media_type=FHIR_JSON)


@router.get("/metadata", summary="CapabilityStatement")
def metadata() -> JSONResponse:
    search_params = [{"name": "patient", "type": "reference"}, {"name": "code", "type": "token"},
                     {"name": "_id", "type": "token"}]
    resources = [{"type": "Patient", "interaction": [{"code": "read"}],
                  "operation": [{"name": "everything",
                                 "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]}]
    resources += [{"type": t, "interaction": [{"code": "search-type"}], "searchParam": search_params}
                  for t in SEARCHABLE]
    return _fhir({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01",
                  "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
                  "rest": [{"mode": "server", "resource": resources}]})


@router.get("/Patient/{patient_id}", summary="Read a Patient")
def read_patient(patient_id: str, actor: ActorDep, ctx: ContextDep, now: NowDep) -> JSONResponse:
    try:
        record = read_record(ctx, actor, patient_id, now)
    except DomainError as error:
        return _error(error)
    return _fhir(record.resources[0])


@router.get("/Patient/{patient_id}/$everything", summary="Everything about a patient (Part 2 aware)")
def everything(patient_id: str, actor: ActorDep, ctx: ContextDep, now: NowDep,
               recipient: Annotated[str | None, Query(max_length=200)] = None,
               purpose: Annotated[str, Query(max_length=32)] = "treatment") -> JSONResponse:
    """Inside the program: the chart. With ``recipient``: a disclosure under the patient's consent."""
    try:
        if recipient:
            record = disclose_record(ctx, actor, patient_id, recipient, purpose, now)
        else:
            record = read_record(ctx, actor, patient_id, now)
    except DomainError as error:
        return _error(error)
    return _fhir(record.bundle("searchset"))


@router.get("/{resource_type}", summary="Search one resource type by patient")
def search_type(resource_type: str, actor: ActorDep, ctx: ContextDep, now: NowDep,
                patient: Annotated[str | None, Query(max_length=128)] = None,
                code: Annotated[str | None, Query(max_length=500)] = None,
                _id: Annotated[str | None, Query(alias="_id", max_length=500)] = None) -> JSONResponse:
    if resource_type not in SEARCHABLE:
        return outcome(404, "not-supported", f"{resource_type} cannot be searched here", "resourceType")
    if not patient:
        return outcome(400, "required", "the 'patient' search parameter is required", f"{resource_type}.patient")
    params = {k: v for k, v in {"code": code, "_id": _id}.items() if v}
    try:
        record = read_record(ctx, actor, patient.removeprefix("Patient/"), now)
    except DomainError as error:
        return _error(error)
    found = search(record.resources, resource_type, params)
    return _fhir({"resourceType": "Bundle", "type": "searchset", "total": len(found),
                  "entry": [{"fullUrl": f"{resource_type}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                            for r in found]})
