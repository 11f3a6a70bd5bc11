"""Patients, their consents and disclosures, break-the-glass, and the read views
(alerts, readiness, coverage) computed from the chart."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from naltrack.api.deps import ActorDep, ContextDep, NowDep
from naltrack.api.idempotency import IdempotencyDep, created, respond
from naltrack.api.routes.records import ERRORS, etag, parse_if_match
from naltrack.api.schemas import NO_NUL, BoundedDate, PathId, json_of, model_for, public_schema, to_domain, to_public
from naltrack.domain.limits import PERSON_NAME_MAX_LENGTH
from naltrack.domain.patients import Patient
from naltrack.domain.security.consent import BREAK_GLASS_DEFAULT_MINUTES, BREAK_GLASS_MAX_MINUTES, PURPOSES, Consent
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.services import clinical_views
from naltrack.services import consents as consent_cases
from naltrack.services import patients as patient_cases
from naltrack.services import records as cases
from naltrack.services.context import AppContext
from naltrack.services.idempotency_ports import StoredResponse
from naltrack.services.security_ports import Disclosure

router = APIRouter()
PatientCreate = model_for(Patient, "PatientCreate", ("id", "clinic_id", "version"))
PatientPublic = public_schema(Patient)
ConsentPublic = public_schema(Consent)
DisclosurePublic = public_schema(Disclosure)
ClinicalCategory = Literal[CLINICAL_CATEGORIES]  # type: ignore[valid-type]
Purpose = Literal[PURPOSES]  # type: ignore[valid-type]


def _versioned(response: Response, schema: type[BaseModel], record: Patient | Consent) -> BaseModel:
    """``record`` in its public schema, its version in the ETag header (for a later If-Match)."""
    response.headers["ETag"] = etag(record.version)
    return to_public(schema, record)


class PatientPage(BaseModel):
    items: list[PatientPublic]  # type: ignore[valid-type]
    total: int
    limit: int
    offset: int


@router.get("/patients", response_model=PatientPage, tags=["patients"], responses=ERRORS,
            summary="The clinic's patients, by name; q matches names and MRN")
def list_patients(actor: ActorDep, ctx: ContextDep, now: NowDep,
                  q: Annotated[str | None, Query(max_length=PERSON_NAME_MAX_LENGTH, pattern=NO_NUL)] = None,
                  limit: Annotated[int, Query(ge=1, le=cases.MAX_PAGE)] = 50,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Any:
    page = patient_cases.list_patients(ctx, actor, q, limit, offset, now)
    return {"items": [to_public(PatientPublic, p) for p in page.items], "total": page.total, "limit": limit,
            "offset": offset}


@router.post("/patients", status_code=201, response_model=PatientPublic, tags=["patients"], responses=ERRORS,
             summary="Register a patient in the user's clinic")
def create_patient(payload: PatientCreate, actor: ActorDep, ctx: ContextDep, now: NowDep,  # type: ignore[valid-type]
                   key: IdempotencyDep) -> Any:
    values = payload.model_dump()  # type: ignore[attr-defined]

    def run(ctx: AppContext) -> Patient:
        return patient_cases.register_patient(ctx, actor, lambda base: to_domain(Patient, {**values, **base}), now)

    def render(patient: Patient) -> StoredResponse:
        return created(to_public(PatientPublic, patient), {"ETag": etag(patient.version),
                                                          "Location": f"/api/v1/patients/{patient.id}"})

    return respond(ctx, actor, key, payload.model_dump(mode="json"), now, run, render)  # type: ignore[attr-defined]


@router.get("/patients/{patient_id}", response_model=PatientPublic, tags=["patients"], responses=ERRORS,
            summary="One patient's demographics")
def get_patient(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    patient = patient_cases.get_patient(ctx, actor, patient_id, now)
    return json_of(to_public(PatientPublic, patient), {"ETag": etag(patient.version)})


@router.put("/patients/{patient_id}", response_model=PatientPublic, tags=["patients"], responses=ERRORS,
            summary="Replace a patient's demographics (If-Match with the patient's ETag)")
def update_patient(patient_id: PathId, payload: PatientCreate, actor: ActorDep, ctx: ContextDep,  # type: ignore[valid-type]
                   now: NowDep, response: Response,
                   if_match: Annotated[str | None, Header(max_length=64)] = None) -> Any:
    values = payload.model_dump()  # type: ignore[attr-defined]
    patient = patient_cases.update_patient(ctx, actor, patient_id, parse_if_match(if_match),
                                           lambda base: to_domain(Patient, {**values, **base}), now)
    return _versioned(response, PatientPublic, patient)


# --- consents and disclosures -------------------------------------------------------------

class ConsentCreate(BaseModel):
    """A written Part 2 consent (42 CFR 2.31): recipient, purpose, categories and expiry are required."""

    model_config = ConfigDict(extra="forbid")
    recipient: Annotated[str, Field(min_length=1, max_length=200, strict=True, pattern=NO_NUL)]
    purpose: Purpose
    categories: Annotated[list[ClinicalCategory], Field(min_length=1, max_length=20)]
    signed_on: BoundedDate
    expires_on: BoundedDate
    signed_by: Annotated[str, Field(min_length=1, max_length=100, strict=True, pattern=NO_NUL)] = "patient"


class DisclosureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: Annotated[str, Field(min_length=1, max_length=200, strict=True, pattern=NO_NUL)]
    purpose: Purpose
    categories: Annotated[list[ClinicalCategory], Field(min_length=1, max_length=20)]


class DisclosurePackagePublic(BaseModel):
    disclosure: DisclosurePublic  # type: ignore[valid-type]
    notice: str
    records: dict[str, list[dict[str, Any]]]


class BreakGlassRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500, strict=True, pattern=NO_NUL)]
    minutes: Annotated[int, Field(strict=True, ge=1, le=BREAK_GLASS_MAX_MINUTES)] = BREAK_GLASS_DEFAULT_MINUTES


@router.get("/patients/{patient_id}/consents", response_model=list[ConsentPublic],  # type: ignore[valid-type]
            tags=["consents"], responses=ERRORS, summary="A patient's Part 2 consents")
def list_consents(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    return [to_public(ConsentPublic, c) for c in consent_cases.list_consents(ctx, actor, patient_id, now)]


@router.post("/patients/{patient_id}/consents", status_code=201, response_model=ConsentPublic, tags=["consents"],
             responses=ERRORS, summary="Record a written Part 2 consent")
def create_consent(patient_id: PathId, payload: ConsentCreate, actor: ActorDep, ctx: ContextDep, now: NowDep,
                   key: IdempotencyDep) -> Any:
    values = {**payload.model_dump(), "categories": tuple(payload.categories)}

    def run(ctx: AppContext) -> Consent:
        return consent_cases.create_consent(ctx, actor, patient_id, values, now)

    def render(consent: Consent) -> StoredResponse:
        return created(to_public(ConsentPublic, consent), {"ETag": etag(consent.version)})

    return respond(ctx, actor, key, payload.model_dump(mode="json"), now, run, render)


@router.get("/consents/{consent_id}", response_model=ConsentPublic, tags=["consents"], responses=ERRORS,
            summary="One consent")
def get_consent(consent_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep, response: Response) -> Any:
    consent = consent_cases.get_consent(ctx, actor, consent_id, now)
    return _versioned(response, ConsentPublic, consent)


@router.post("/consents/{consent_id}/revoke", response_model=ConsentPublic, tags=["consents"], responses=ERRORS,
             summary="Revoke a consent (If-Match): stops future disclosures")
def revoke_consent(consent_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep, response: Response,
                   if_match: Annotated[str | None, Header(max_length=64)] = None) -> Any:
    consent = consent_cases.revoke_consent(ctx, actor, consent_id, parse_if_match(if_match), now)
    return _versioned(response, ConsentPublic, consent)


@router.post("/patients/{patient_id}/disclosures", status_code=201, response_model=DisclosurePackagePublic,
             tags=["consents"], responses=ERRORS,
             summary="Disclose records outside the program: needs a consent in force; carries the 42 CFR 2.32 notice")
def disclose(patient_id: PathId, payload: DisclosureRequest, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    package = consent_cases.disclose(ctx, actor, patient_id, payload.recipient, payload.purpose,
                                     tuple(payload.categories), now)
    return jsonable_encoder({"disclosure": asdict(package.disclosure), "notice": package.notice,
                             "records": package.records})


@router.get("/patients/{patient_id}/disclosures", response_model=list[DisclosurePublic],  # type: ignore[valid-type]
            tags=["consents"], responses=ERRORS, summary="The accounting of a patient's disclosures")
def list_disclosures(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    return [asdict(d) for d in consent_cases.list_disclosures(ctx, actor, patient_id, now)]


@router.post("/patients/{patient_id}/break-glass", status_code=201, tags=["break-glass"], responses=ERRORS,
             summary="Emergency access: a stated reason, limited in time, raised to the privacy officer")
def break_glass(patient_id: PathId, payload: BreakGlassRequest, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    grant = consent_cases.break_the_glass(ctx, actor, patient_id, payload.reason, payload.minutes,
                                          BREAK_GLASS_MAX_MINUTES, now)
    return jsonable_encoder(asdict(grant))


# --- read views --------------------------------------------------------------------------
# Computed by services.clinical_views on the day of ``now`` in the patient's clinic's zone.

def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable_encoder(asdict(value))
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return jsonable_encoder(value)


@router.get("/patients/{patient_id}/alerts", tags=["views"], responses=ERRORS,
            summary="Monitoring alerts on the clinic's today, most severe first, with the end of protection "
                    "and the next injection due")
def alerts(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    found = clinical_views.patient_alerts(ctx, actor, patient_id, now)
    return {"date": found.today.isoformat(), "alerts": _plain(found.alerts),
            "protection_ends": jsonable_encoder(found.protection_ends),
            "next_injection_due": jsonable_encoder(found.next_injection_due)}


@router.get("/patients/{patient_id}/readiness", tags=["views"], responses=ERRORS,
            summary="Induction readiness for a form on a day (default today)")
def readiness(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep,
              form: Literal["oral", "xr-ntx", "implant"] = "xr-ntx", on: BoundedDate | None = None) -> Any:
    return _plain(clinical_views.patient_readiness(ctx, actor, patient_id, now, form, on).result)


@router.get("/patients/{patient_id}/coverage", tags=["views"], responses=ERRORS,
            summary="Daily coverage bands from the pharmacokinetic model (coverage engine)")
def coverage(patient_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep,
             days_back: Annotated[int, Query(ge=1, le=730)] = 180,
             days_ahead: Annotated[int, Query(ge=0, le=365)] = 60) -> Any:
    result = clinical_views.patient_coverage(ctx, actor, patient_id, now, days_back, days_ahead)
    return _plain({"patient_id": result.patient_id, "today": result.today, "protection_ends": result.protection_ends,
                   "days_in_band": result.days_in_band, "thresholds": result.thresholds, "days": result.days})
