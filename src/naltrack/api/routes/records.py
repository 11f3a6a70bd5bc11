"""ONE router factory for every kind of clinical record, driven by :data:`RECORD_API`.

For each kind (path ``p``):

* ``GET  /api/v1/patients/{patient_id}/p``  list, newest first (``status``, ``since``, ``until``, ``limit``, ``offset``)
* ``POST /api/v1/patients/{patient_id}/p``  create (201, ``Location`` and ``ETag``)
* ``GET  /api/v1/p/{record_id}``            read (``ETag``)
* ``PUT  /api/v1/p/{record_id}``            correct: supersede by a new version (``If-Match`` required)
* ``POST /api/v1/p/{record_id}/entered-in-error``  retract (``If-Match`` required)
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field, create_model

from naltrack.api.deps import ActorDep, ContextDep, NowDep
from naltrack.api.errors import PreconditionRequired
from naltrack.api.idempotency import IdempotencyDep, created, respond
from naltrack.api.schemas import (
    NO_NUL,
    BoundedDate,
    PathId,
    ProblemDetail,
    create_schema,
    json_of,
    public_schema,
    to_domain,
    to_public,
)
from naltrack.domain.dose_decisions import MAX_KEYS, MAX_REASON_CHARS
from naltrack.domain.errors import InvalidInput, NotFound
from naltrack.domain.questionnaires import score_answers
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.doses import UNCONFIRMED, DoseAuthorisation
from naltrack.services.idempotency_ports import StoredResponse
from naltrack.services.unit_of_work import RECORD_TYPES

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDetail, "content": {"application/problem+json": {}}}
    for code in (401, 403, 404, 412, 413, 422, 428)
}


@dataclass(frozen=True)
class RecordApi:
    """How one kind of record is exposed."""

    path: str
    kind: str
    extra_exclude: tuple[str, ...] = ()
    prepare: Callable[[dict[str, Any], cases.NewRecord], dict[str, Any]] | None = None
    #: Fields the server fills from the signed-in user, never from the body (left out of the create schema).
    from_actor: Callable[[Actor], dict[str, Any]] | None = None

    @property
    def cls(self) -> type[ClinicalRecord]:
        return RECORD_TYPES[self.kind]


def _score_questionnaire(data: dict[str, Any], new: cases.NewRecord) -> dict[str, Any]:
    """Questionnaires are scored on submit, with the patient's sex (naltrack.domain.questionnaires)."""
    result = score_answers(new.patient.sex_at_birth, data["instrument"], data["answers"])
    return {**data, "instrument": result.instrument, "total": float(result.total), "band": result.band,
            "flags": tuple(result.flags)}


def _assessor(actor: Actor) -> dict[str, Any]:
    """A safety assessment closes the PHQ-9 item 9 alert by its author's role (naltrack.domain.safety)."""
    return {"assessor_role": actor.role}


RECORD_API: tuple[RecordApi, ...] = (
    RecordApi("episodes", "episodes"), RecordApi("diagnoses", "diagnoses"), RecordApi("regimens", "regimens"),
    RecordApi("oral-doses", "oral_doses"), RecordApi("injections", "injections"),
    RecordApi("implants", "implants"), RecordApi("implant-removals", "implant_removals"),
    RecordApi("medications", "medications"), RecordApi("substance-use", "substance_use"),
    RecordApi("drinking-days", "drinking_days"), RecordApi("labs", "labs"),
    RecordApi("urine-drug-screens", "screens"), RecordApi("naloxone-challenges", "naloxone_challenges"),
    RecordApi("questionnaire-responses", "questionnaires", ("total", "band", "flags"), _score_questionnaire),
    RecordApi("allergies", "allergies"), RecordApi("adverse-events", "adverse_events"),
    RecordApi("counseling-sessions", "counseling"), RecordApi("support-groups", "support_groups"),
    RecordApi("appointments", "appointments"), RecordApi("procedures", "procedures"),
    RecordApi("documents", "documents"),
    RecordApi("safety-assessments", "safety_assessments", ("assessor_role",), from_actor=_assessor),
)


def etag(version: int) -> str:
    return f'"v{version}"'


def parse_if_match(value: str | None) -> int:
    """The version named by If-Match (``"v3"``, ``W/"v3"`` or ``3``); 428 when absent."""
    if value is None or not value.strip():
        raise PreconditionRequired("an update needs If-Match with the record's ETag (read it first)")
    text = value.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not text.isdigit():
        raise InvalidInput("If-Match", value, 'must be the ETag of the record, e.g. "v1"')
    return int(text)


def _builder(api: RecordApi, payload: BaseModel, actor: Actor) -> cases.Builder:
    def build(new: cases.NewRecord) -> ClinicalRecord:
        data = {**payload.model_dump(), **new.fields}
        if api.from_actor is not None:
            data |= api.from_actor(actor)
        if api.prepare is not None:
            data = api.prepare(data, new)
        try:
            return to_domain(api.cls, data)  # type: ignore[no-any-return]
        except NotFound as error:  # an unknown code in the body is bad input, not a missing resource
            raise InvalidInput(f"{api.kind}.{error.kind}", error.key, "does not exist") from error

    return build


class PageOf(BaseModel):
    total: int
    limit: int
    offset: int


#: The kinds whose create runs the pre-dose check (services/doses.py): the body may carry ``pre_dose``.
DOSE_KINDS = ("oral_doses", "injections", "implants")


class DoseOverride(BaseModel):
    """A prescriber's override of contraindications and not-ready reasons, with the reason (kept with the dose)."""

    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON_CHARS, pattern=NO_NUL)]


class PreDose(BaseModel):
    """What the caller brings to the pre-dose check: review items confirmed (their ``key`` from a 409's ``reasons``)
    and a prescriber's ``override``."""

    confirm: Annotated[list[Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]],
                       Field(max_length=MAX_KEYS)] = []
    override: DoseOverride | None = None


def _create_schema(api: RecordApi) -> type[BaseModel]:
    base = create_schema(api.cls, api.extra_exclude)
    if api.kind not in DOSE_KINDS:
        return base
    return create_model(base.__name__, __base__=base, pre_dose=(PreDose | None, None))


def _authorisation(payload: BaseModel) -> DoseAuthorisation:
    pre_dose: PreDose | None = getattr(payload, "pre_dose", None)
    if pre_dose is None:
        return UNCONFIRMED
    return DoseAuthorisation(confirmed=frozenset(pre_dose.confirm),
                             override_reason=pre_dose.override.reason if pre_dose.override else None)


def add_record_routes(router: APIRouter, api: RecordApi) -> None:
    """The five routes of one kind of record."""
    create_model_ = _create_schema(api)
    public_model = public_schema(api.cls)
    page_model = create_model(f"{api.cls.__name__}Page", __base__=PageOf, items=(list[public_model], ...))  # type: ignore[valid-type]
    tag = api.path
    _set_payload_type = _payload_setter(create_model_)

    @router.get(f"/patients/{{patient_id}}/{api.path}", response_model=page_model, tags=[tag], responses=ERRORS,
                name=f"list_{api.kind}", summary=f"List a patient's {api.path}")
    def list_(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep,
              status: Literal["active", "entered-in-error", "any"] = "active",
              since: BoundedDate | None = None, until: BoundedDate | None = None,
              limit: Annotated[int, Query(ge=1, le=cases.MAX_PAGE)] = 50,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Any:
        filters = cases.RecordFilter(None if status == "any" else status, since, until)
        page = cases.list_records(ctx, actor, api.kind, patient_id, filters, limit, offset, now)
        return json_of(page_model(items=[to_public(public_model, r) for r in page.items], total=page.total,
                                  limit=page.limit, offset=page.offset))

    @router.post(f"/patients/{{patient_id}}/{api.path}", status_code=201, response_model=public_model, tags=[tag],
                 responses=ERRORS, name=f"create_{api.kind}", summary=f"Record a new {api.path} entry")
    @_set_payload_type
    def create(patient_id: PathId, payload: BaseModel, actor: ActorDep, ctx: ContextDep, now: NowDep,
               key: IdempotencyDep) -> Any:
        def run(ctx: AppContext) -> ClinicalRecord:
            return cases.create_record(ctx, actor, api.kind, patient_id, _builder(api, payload, actor), now,
                                       _authorisation(payload))

        def render(record: ClinicalRecord) -> StoredResponse:
            return created(to_public(public_model, record), {"ETag": etag(record.version),
                                                              "Location": f"/api/v1/{api.path}/{record.id}"})

        return respond(ctx, actor, key, payload.model_dump(mode="json"), now, run, render)

    @router.get(f"/{api.path}/{{record_id}}", response_model=public_model, tags=[tag], responses=ERRORS,
                name=f"get_{api.kind}", summary=f"Read one {api.path} entry")
    def get(record_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
        record = cases.get_record(ctx, actor, api.kind, record_id, now)
        return json_of(to_public(public_model, record), {"ETag": etag(record.version)})

    @router.put(f"/{api.path}/{{record_id}}", response_model=public_model, tags=[tag], responses=ERRORS,
                name=f"correct_{api.kind}", summary=f"Correct a {api.path} entry (supersedes it; If-Match)")
    @_set_payload_type
    def correct(record_id: PathId, payload: BaseModel, actor: ActorDep, ctx: ContextDep, now: NowDep,
                response: Response, if_match: Annotated[str | None, Header(max_length=64)] = None) -> Any:
        expected = parse_if_match(if_match)
        record = cases.correct_record(ctx, actor, api.kind, record_id, expected, _builder(api, payload, actor), now)
        response.headers["ETag"] = etag(record.version)
        response.headers["Location"] = f"/api/v1/{api.path}/{record.id}"
        return to_public(public_model, record)

    @router.post(f"/{api.path}/{{record_id}}/entered-in-error", response_model=public_model, tags=[tag],
                 responses=ERRORS, name=f"retract_{api.kind}", summary=f"Mark a {api.path} entry entered-in-error")
    def retract(record_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep, response: Response,
                if_match: Annotated[str | None, Header(max_length=64)] = None) -> Any:
        record = cases.retract_record(ctx, actor, api.kind, record_id, parse_if_match(if_match), now)
        response.headers["ETag"] = etag(record.version)
        return to_public(public_model, record)


def _payload_setter(model: type[BaseModel]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a route's ``payload`` the generated schema (annotations are strings under PEP 563)."""

    def setter(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__annotations__ = {**typing.get_type_hints(func, include_extras=True), "payload": model}
        return func

    return setter


def records_router() -> APIRouter:
    router = APIRouter()
    for api in RECORD_API:
        add_record_routes(router, api)
    return router


__all__ = ["RECORD_API", "records_router"]
