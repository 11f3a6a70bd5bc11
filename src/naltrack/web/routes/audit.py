"""The auditor's view: their clinic's entries, filtered, with names, and the state of the log.

Viewing the page does not verify the log: it shows the last verification and the last
checkpoint; the auditor runs a verification with a button (``POST /audit/verify``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.security.audit import OUTCOMES
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.audit_ports import AuditVerification
from naltrack.services.audit_trail import AuditPage, audit_status, search_clinic_audit, verify_as_auditor
from naltrack.services.security_ports import AuditQuery
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()
PAGE_SIZE = 100


def _auditor(request: Request) -> WebUser:
    user = require_user(request)
    if not user.may("audit"):
        raise AccessDenied(user.role, "audit", "read")
    return user


@page(router, "/audit")
def audit(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _render(request, _auditor(request), None)


@page(router, "/audit/verify", methods=("POST",))
def verify(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = _auditor(request)
    web = web_of(request)
    return _render(request, user, verify_as_auditor(web.ctx.uow, actor_of(request, user), web.now()))


def _render(request: Request, user: WebUser, verification: AuditVerification | None) -> Response:
    web = web_of(request)
    state = FormState.from_form(dict(request.query_params))
    since = state.day("since", required=False)
    patient = state.text("patient_id", required=False, max_length=64)
    who = state.text("actor", required=False, max_length=64)
    outcome = state.choice("outcome", OUTCOMES, required=False)
    found = AuditPage([], 0, {})
    if state.ok:
        query = AuditQuery(since=datetime.combine(since, time.min, tzinfo=web.zone(user)) if since else None,
                           actor=who, patient_id=patient, outcome=outcome, limit=PAGE_SIZE)
        found = search_clinic_audit(web.ctx.uow, actor_of(request, user), query, web.now())
    context = page_context(request, user, "Audit", form=state, found=found, entries=found.entries,
                           status=audit_status(web.ctx.uow), verification=verification, outcomes=OUTCOMES,
                           page_size=PAGE_SIZE)
    return render(request, "pages/record.html", "partials/audit.html", context, status_code=200 if state.ok else 422)
