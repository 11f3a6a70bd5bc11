"""FHIR R4 REST face under ``/fhir/R4``: read and search of the main resources, ``Patient/$everything``.

Implements a subset of the FHIR R4 RESTful API (https://hl7.org/fhir/R4/http.html): ``read`` of
Patient (``meta.versionId`` and a weak ``ETag``), ``search`` of Patient by ``_id``, ``name``,
``family``, ``given``, ``identifier`` and ``birthdate`` (:mod:`naltrack.adapters.fhir.r4_search`,
one audit entry per patient shown), ``search`` by ``patient`` (and ``code``, ``_id``) of Condition,
Observation, MedicationAdministration, MedicationRequest, MedicationStatement and AllergyIntolerance,
paged by ``_count`` and ``_offset`` with ``self``/``next``/``previous`` links
(https://hl7.org/fhir/R4/search.html#count, #conformance), and the ``$everything`` operation. An
unknown search parameter is refused under ``Prefer: handling=strict`` and otherwise ignored, left
out of the ``self`` link and named in an OperationOutcome entry of the Bundle. Every call is
authenticated and audited; ``$everything`` with a ``recipient`` is a Part 2 disclosure (consent,
disclosure record, notice in ``Bundle.meta.tag``). Errors are OperationOutcome resources
(:mod:`naltrack.api.routes.fhir_outcome`). A stored record that cannot be written as FHIR R4 is left
out of a Bundle and named in an OperationOutcome entry; a Patient that cannot be written is a 409.
The CapabilityStatement is built by :mod:`naltrack.adapters.fhir.r4_capability`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from naltrack.adapters.fhir.exchange import disclose_record, read_record, search, search_patients
from naltrack.adapters.fhir.r4_capability import PAGE_PARAMS, SEARCH_PARAMS, SEARCHABLE, capability_statement
from naltrack.adapters.fhir.r4_common import ValidationProblem
from naltrack.adapters.fhir.r4_search import patient_matcher
from naltrack.api.deps import ActorDep, ContextDep, NowDep
from naltrack.api.routes.fhir_outcome import FHIR_JSON, FhirRoute, operation_outcome, outcome
from naltrack.errors import InvalidInput

#: The largest page a search returns (``_count``). Without ``_count`` every match is on one page.
MAX_COUNT = 100
#: The date the CapabilityStatement names (when this face last changed what it offers).
PUBLISHED = "2026-12-01"
router = APIRouter(prefix="/fhir/R4", tags=["fhir"], route_class=FhirRoute)


@dataclass(frozen=True)
class SearchRequest:
    """A search as the server applies it: the parameters used (each with its values), the page, and the
    parameters ignored."""

    used: dict[str, list[str]]
    count: int | None
    offset: int
    ignored: tuple[str, ...]

    def first(self, name: str) -> str | None:
        values = self.used.get(name)
        return values[0] if values else None


def _whole_number(name: str, raw: str | None, low: int, high: int | None) -> int | None:
    if raw is None:
        return None
    limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= (high or 10**9):
        raise InvalidInput(name, raw, f"must be a whole number {limit}")
    return int(raw)


def strict_handling(prefer: str | None) -> bool:
    """Whether ``Prefer`` asks for ``handling=strict`` (https://hl7.org/fhir/R4/search.html#errors)."""
    tokens = (t.strip().replace(" ", "").lower() for t in (prefer or "").replace(",", ";").split(";"))
    return "handling=strict" in tokens


def parse_search(request: Request, strict: bool, resource_type: str) -> SearchRequest:
    """The search parameters of ``request`` for ``resource_type`` (:data:`SEARCH_PARAMS`); raises
    ``InvalidInput`` for a bad page size or offset, or an unknown parameter under strict handling."""
    query = request.query_params
    supported = SEARCH_PARAMS[resource_type]
    ignored = tuple(dict.fromkeys(k for k in query if k not in supported))
    if strict and ignored:
        raise InvalidInput(ignored[0], query[ignored[0]], "is not a search parameter this server supports "
                           f"(supported: {', '.join(supported)})")
    count = _whole_number("_count", query.get("_count"), 1, MAX_COUNT)
    offset = _whole_number("_offset", query.get("_offset"), 0, None) or 0
    used = {k: [v for v in query.getlist(k) if v] for k in supported if k not in PAGE_PARAMS}
    return SearchRequest({k: v for k, v in used.items() if v}, count, offset, ignored)


def _page_url(request: Request, wanted: SearchRequest, offset: int) -> str:
    params = [(k, v) for k, values in wanted.used.items() for v in values]
    if wanted.count is not None:
        params.append(("_count", str(wanted.count)))
    if wanted.count is not None or offset:
        params.append(("_offset", str(offset)))
    return str(request.url.replace(query=urlencode(params)))


def page_links(request: Request, wanted: SearchRequest, total: int) -> list[dict[str, str]]:
    """``self`` (the parameters used), ``next`` and ``previous`` as absolute URLs of the same search."""
    links = [{"relation": "self", "url": _page_url(request, wanted, wanted.offset)}]
    if wanted.count is not None and wanted.offset + wanted.count < total:
        links.append({"relation": "next", "url": _page_url(request, wanted, wanted.offset + wanted.count)})
    if wanted.offset > 0:
        previous = max(0, wanted.offset - (wanted.count or wanted.offset))
        links.append({"relation": "previous", "url": _page_url(request, wanted, previous)})
    return links


def _fhir(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, media_type=FHIR_JSON, headers=headers)


def _outcome_entries(wanted: SearchRequest | None, problems: tuple[ValidationProblem, ...]) -> list[dict[str, Any]]:
    """OperationOutcome entries: the parameters not applied, and each record that could not be written."""
    entries = []
    if wanted is not None and wanted.ignored:
        entries.append(operation_outcome("not-supported", "search parameter(s) not applied: "
                                         f"{', '.join(wanted.ignored)}", wanted.ignored[0], severity="warning"))
    entries += [operation_outcome("processing", f"{p.resource} left out: it cannot be written as FHIR R4: "
                                  f"{p.path}: {p.message}", p.resource, severity="error") for p in problems]
    return [{"resource": resource, "search": {"mode": "outcome"}} for resource in entries]


def _searchset(request: Request, resource_type: str, wanted: SearchRequest, page: list[dict[str, Any]],
               total: int, problems: tuple[ValidationProblem, ...]) -> JSONResponse:
    base = str(request.url.replace(query="")).rsplit("/", 1)[0]
    entries: list[dict[str, Any]] = [{"fullUrl": f"{base}/{resource_type}/{r['id']}", "resource": r,
                                      "search": {"mode": "match"}} for r in page]
    return _fhir({"resourceType": "Bundle", "type": "searchset", "total": total,
                  "link": page_links(request, wanted, total), "entry": entries + _outcome_entries(wanted, problems)})


@router.get("/metadata", summary="CapabilityStatement")
def metadata(request: Request) -> JSONResponse:
    base = str(request.url.replace(query="")).removesuffix("/metadata")
    cors = bool(request.app.state.application.settings.cors_origin_list())
    return _fhir(capability_statement(base, cors, PUBLISHED))


@router.get("/Patient/{patient_id}", summary="Read a Patient")
def read_patient(patient_id: str, actor: ActorDep, ctx: ContextDep, now: NowDep) -> JSONResponse:
    patient = read_record(ctx, actor, patient_id, now).resources[0]
    version = patient.get("meta", {}).get("versionId")
    return _fhir(patient, {"ETag": f'W/"{version}"'} if version else None)


@router.get("/Patient/{patient_id}/$everything", summary="Everything about a patient (Part 2 aware)")
def everything(patient_id: str, actor: ActorDep, ctx: ContextDep, now: NowDep,
               recipient: Annotated[str | None, Query(max_length=200)] = None,
               purpose: Annotated[str, Query(max_length=32)] = "treatment") -> JSONResponse:
    """Inside the program: the chart. With ``recipient``: a disclosure under the patient's consent.
    A record that cannot be written as FHIR is left out and named in an OperationOutcome entry."""
    if recipient:
        record = disclose_record(ctx, actor, patient_id, recipient, purpose, now)
    else:
        record = read_record(ctx, actor, patient_id, now)
    bundle = record.bundle("searchset")
    bundle["entry"] += _outcome_entries(None, record.problems)
    return _fhir(bundle)


@router.get("/Patient", summary="Search the clinic's patients by id, name, identifier or birth date, paged")
def search_patient(request: Request, actor: ActorDep, ctx: ContextDep, now: NowDep,
                   name: Annotated[str | None, Query(max_length=200)] = None,
                   family: Annotated[str | None, Query(max_length=200)] = None,
                   given: Annotated[str | None, Query(max_length=200)] = None,
                   identifier: Annotated[str | None, Query(max_length=500,
                                                           description="system|value, |value or value")] = None,
                   birthdate: Annotated[str | None, Query(max_length=100,
                                                          description="[eq|ne|gt|lt|ge|le]YYYY[-MM[-DD]]")] = None,
                   _id: Annotated[str | None, Query(alias="_id", max_length=500)] = None,
                   _count: Annotated[str | None, Query(alias="_count", max_length=12,
                                                       description=f"page size, 1 to {MAX_COUNT}")] = None,
                   _offset: Annotated[str | None, Query(alias="_offset", max_length=12)] = None,
                   prefer: Annotated[str | None, Header(max_length=200)] = None) -> JSONResponse:
    """The parameters are declared for the API description and their limits; the search reads them, repeated
    ones and unknown ones included, from the request (:func:`parse_search`). Each patient shown is audited."""
    try:
        wanted = parse_search(request, strict_handling(prefer), "Patient")
        matches = patient_matcher(wanted.used)
    except InvalidInput as error:  # a search the server cannot run as asked is a 400 (FHIR R4 search, Errors)
        return outcome(400, "invalid", str(error), error.field)
    found = search_patients(ctx, actor, matches, wanted.offset, wanted.count, now)
    return _searchset(request, "Patient", wanted, found.page, found.total, found.problems)


@router.get("/{resource_type}", summary="Search one resource type by patient, paged")
def search_type(resource_type: str, request: Request, actor: ActorDep, ctx: ContextDep, now: NowDep,
                patient: Annotated[str | None, Query(max_length=128)] = None,
                code: Annotated[str | None, Query(max_length=500)] = None,
                _id: Annotated[str | None, Query(alias="_id", max_length=500)] = None,
                _count: Annotated[str | None, Query(alias="_count", max_length=12,
                                                    description=f"page size, 1 to {MAX_COUNT}")] = None,
                _offset: Annotated[str | None, Query(alias="_offset", max_length=12)] = None,
                prefer: Annotated[str | None, Header(max_length=200)] = None) -> JSONResponse:
    """The query parameters are declared for the API description and their length limits; the search reads
    them, and any unknown one, from the request (:func:`parse_search`)."""
    if resource_type not in SEARCHABLE:
        return outcome(404, "not-supported", f"{resource_type} cannot be searched here", "resourceType")
    try:
        wanted = parse_search(request, strict_handling(prefer), resource_type)
    except InvalidInput as error:  # a search the server cannot run as asked is a 400 (FHIR R4 search, Errors)
        return outcome(400, "invalid", str(error), error.field)
    subject = wanted.first("patient")
    if subject is None:
        return outcome(400, "required", "the 'patient' search parameter is required", f"{resource_type}.patient")
    record = read_record(ctx, actor, subject.removeprefix("Patient/"), now)
    found = search(record.resources, resource_type, {k: v[0] for k, v in wanted.used.items() if k != "patient"})
    problems = tuple(p for p in record.problems if p.resource.startswith(resource_type))
    return _searchset(request, resource_type, wanted, found[wanted.offset:][:wanted.count], len(found), problems)
