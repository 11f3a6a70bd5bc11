"""Sign-in (bearer tokens), sign-out (revocation), who am I; users; the audit log; break-the-glass reviews."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from naltrack.api import sessions
from naltrack.api.deps import ActorDep, ContextDep, CurrentUser, NowDep, UowDep
from naltrack.api.routes.records import ERRORS
from naltrack.api.schemas import BoundedDateTime, PathId, public_schema
from naltrack.domain.security.consent import BreakGlass
from naltrack.domain.security.roles import Role
from naltrack.services import consents as consent_cases
from naltrack.services import security as security_cases
from naltrack.services.audit_trail import csv_row
from naltrack.services.security_ports import AuditQuery

router = APIRouter()


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=64, strict=True)]
    password: Annotated[str, Field(min_length=1, max_length=256, strict=True)]


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    username: str
    role: str
    clinic_id: str


class UserPublic(BaseModel):
    id: str
    username: str
    role: str
    clinic_id: str
    active: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=2, max_length=64, strict=True)]
    password: Annotated[str, Field(min_length=1, max_length=256, strict=True)]
    role: Role


@router.post("/auth/token", response_model=TokenPublic, tags=["auth"], responses=ERRORS,
             summary="Sign in: exchange a user name and password for a bearer token")
def issue_token(credentials: Credentials, request: Request, uow: UowDep, now: NowDep) -> Any:
    issued = security_cases.sign_in(uow, request.app.state.sign_in_throttle, credentials.username,
                                    credentials.password, sessions.client_address(request), now)
    return TokenPublic(access_token=issued.token, expires_at=issued.expires_at, username=issued.user.username,
                       role=issued.user.role, clinic_id=issued.user.clinic_id)


@router.delete("/auth/token", status_code=204, tags=["auth"], responses=ERRORS,
               summary="Sign out: revoke the token used for this request")
def revoke_token(auth: CurrentUser, actor: ActorDep, uow: UowDep, now: NowDep) -> Response:
    security_cases.revoke_token(uow, actor, auth.token_id, now)
    return Response(status_code=204)


@router.get("/auth/me", response_model=UserPublic, tags=["auth"], responses=ERRORS, summary="The signed-in user")
def me(auth: CurrentUser) -> Any:
    return UserPublic(**{k: v for k, v in asdict(auth.user).items() if k in UserPublic.model_fields})


@router.get("/users", response_model=list[UserPublic], tags=["users"], responses=ERRORS,
            summary="Accounts of the clinic (admin)")
def list_users(actor: ActorDep, uow: UowDep, now: NowDep) -> Any:
    users = security_cases.list_users(uow, actor, now)
    return [UserPublic(**{k: v for k, v in asdict(x).items() if k in UserPublic.model_fields}) for x in users]


@router.post("/users", status_code=201, response_model=UserPublic, tags=["users"], responses=ERRORS,
             summary="Create an account in the admin's clinic (admin)")
def create_user(payload: UserCreate, actor: ActorDep, uow: UowDep, now: NowDep) -> Any:
    user = security_cases.create_user(uow, actor, payload.username, payload.password, payload.role, now)
    return UserPublic(**{k: v for k, v in asdict(user).items() if k in UserPublic.model_fields})


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    clinic_id: str | None
    action: str
    category: str
    record_type: str | None
    record_id: str | None
    patient_id: str | None
    purpose: str
    outcome: str
    source: str | None
    detail: str | None
    prev_hash: str
    hash: str


@router.get("/audit", response_model=list[AuditEntryPublic], tags=["audit"], responses=ERRORS,
            summary="Search the audit log (auditor); format=csv exports")
def search_audit(actor: ActorDep, uow: UowDep, now: NowDep, since: BoundedDateTime | None = None,
                 until: BoundedDateTime | None = None, user: Annotated[str | None, Query(max_length=64)] = None,
                 patient_id: Annotated[str | None, Query(max_length=64)] = None,
                 outcome: Literal["allowed", "denied", "not-found", "invalid", "conflict"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                 format: Literal["json", "csv"] = "json") -> Any:
    query = AuditQuery(since, until, user, patient_id, outcome, limit, offset)
    entries = security_cases.search_audit(uow, actor, query, now)
    if format == "csv":
        return Response(entries_to_csv(entries), media_type="text/csv")
    return [AuditEntryPublic(**asdict(e)) for e in entries]


def entries_to_csv(entries: Any) -> str:
    out = io.StringIO()
    fields = list(AuditEntryPublic.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for entry in entries:
        writer.writerow(csv_row(entry, fields))
    return out.getvalue()


BreakGlassPublic = public_schema(BreakGlass)


@router.get("/break-glass", response_model=list[BreakGlassPublic], tags=["break-glass"],  # type: ignore[valid-type]
            responses=ERRORS, summary="Break-the-glass grants: the privacy officer's review queue")
def list_break_glass(actor: ActorDep, ctx: ContextDep, now: NowDep, unreviewed: bool = False) -> Any:
    return [asdict(g) for g in consent_cases.list_break_glass(ctx, actor, unreviewed, now)]


@router.post("/break-glass/{grant_id}/review", response_model=BreakGlassPublic, tags=["break-glass"],
             responses=ERRORS, summary="Mark a grant reviewed (privacy officer)")
def review_break_glass(grant_id: PathId, actor: ActorDep, ctx: ContextDep, now: NowDep) -> Any:
    return asdict(consent_cases.review_break_glass(ctx, actor, grant_id, now))



