"""The auditor's view: who read or changed what, filtered, and whether the chain is intact."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.security.audit import OUTCOMES
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.security import search_audit, verify_audit
from naltrack.services.security_ports import AuditQuery
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()
PAGE_SIZE = 100


@page(router, "/audit")
def audit(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    if not user.may("audit"):
        raise AccessDenied(user.role, "audit", "read")
    web = web_of(request)
    state = FormState.from_form(dict(request.query_params))
    since = state.day("since", required=False)
    patient = state.text("patient_id", required=False, max_length=64)
    who = state.text("actor", required=False, max_length=64)
    outcome = state.choice("outcome", OUTCOMES, required=False)
    entries = []
    if state.ok:
        query = AuditQuery(since=datetime.combine(since, time.min, tzinfo=web.zone(user)) if since else None,
                           actor=who, patient_id=patient, outcome=outcome, limit=PAGE_SIZE)
        entries = search_audit(web.ctx.uow, actor_of(request, user), query, web.now())
    chain = verify_audit(web.ctx.uow)
    context = page_context(request, user, "Audit", form=state, entries=entries, chain=chain, outcomes=OUTCOMES,
                           page_size=PAGE_SIZE)
    return render(request, "pages/record.html", "partials/audit.html", context, status_code=200 if state.ok else 422)
