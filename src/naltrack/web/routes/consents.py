"""Part 2 consents of a patient: list, record, revoke (services/consents.py).

Revoking names the version the page showed; if someone changed the consent meanwhile the
page says so instead of overwriting (:class:`~naltrack.errors.StaleVersion`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.consent import PURPOSES
from naltrack.domain.security.roles import CLINICAL_CATEGORIES
from naltrack.errors import StaleVersion
from naltrack.services import consents
from naltrack.services import patients as patient_cases
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()
CONSENT_FIELDS = {"consent.recipient": "recipient", "consent.purpose": "purpose", "consent.categories": "categories",
                  "consent.expires_on": "expires_on", "consent.signed_on": "signed_on"}
DISCLOSURE_PURPOSES = tuple(p for p in PURPOSES if p != "emergency")


def _page(request: Request, user: WebUser, state: FormState, status: int = 200,
          notice: str | None = None) -> Response:
    web = web_of(request)
    pid = request.path_params["patient_id"]
    actor = actor_of(request, user)
    patient = patient_cases.get_patient(web_of(request).ctx, actor, pid, web.now())
    items = sorted(consents.list_consents(web_of(request).ctx, actor, pid, web.now()), key=lambda c: c.signed_on,
                   reverse=True)
    context = page_context(request, user, "Consents", patient=patient, consents=items, form=state, now=web.now(),
                           purposes=DISCLOSURE_PURPOSES, categories=CLINICAL_CATEGORIES, notice=notice,
                           may_create=user.may("consents", "create"), may_revoke=user.may("consents", "update"))
    return render(request, "pages/record.html", "partials/consents.html", context, status_code=status)


@page(router, "/patients/{patient_id}/consents")
def consent_list(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    today = web_of(request).today(user)
    state = FormState(values={"signed_on": today.isoformat(), "purpose": "treatment"})
    return _page(request, user, state)


@page(router, "/patients/{patient_id}/consents", methods=("POST",))
def consent_create(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    raw = dict(form or {})
    state = FormState.from_form(raw)
    recipient = state.text("recipient", max_length=200)
    purpose = state.choice("purpose", DISCLOSURE_PURPOSES)
    signed_on = state.day("signed_on")
    expires_on = state.day("expires_on")
    chosen = tuple(c for c in CLINICAL_CATEGORIES if raw.get(f"cat_{c}"))
    for c in chosen:
        state.values[f"cat_{c}"] = "on"
    if not chosen:
        state.add_error("categories", "choose at least one record category the patient consents to share")
    if state.ok:
        web = web_of(request)
        values = {"recipient": recipient, "purpose": purpose, "categories": chosen, "signed_on": signed_on,
                  "expires_on": expires_on}
        try:
            consents.create_consent(web_of(request).ctx, actor_of(request, user), request.path_params["patient_id"],
                                    values, web.now())
            return redirect(request, f"/patients/{request.path_params['patient_id']}/consents")
        except InvalidInput as error:
            state.apply(error, CONSENT_FIELDS)
    return _page(request, user, state, 422)


@page(router, "/patients/{patient_id}/consents/{consent_id}/revoke", methods=("POST",))
def consent_revoke(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    state = FormState.from_form(form or {})
    version = state.version() or 0
    try:
        consents.revoke_consent(web_of(request).ctx, actor_of(request, user), request.path_params["consent_id"],
                                version, web.now())
    except StaleVersion:
        return _page(request, user, FormState(), 409, notice="Someone else changed this consent after you opened the "
                     "page: it was not revoked. Check it below and revoke again if needed.")
    return redirect(request, f"/patients/{request.path_params['patient_id']}/consents")
