"""The staff side of the patient portal: invite a patient (a one-time link to hand over), assign a
questionnaire to fill in at home, and mark a reported side effect reviewed (from the dashboard)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.patients import Patient
from naltrack.domain.security.patient_accounts import INVITE_TTL
from naltrack.instruments.definitions import get_instrument, instrument_ids
from naltrack.services import patients as patient_cases
from naltrack.services import portal as portal_cases
from naltrack.services import portal_accounts as account_cases
from naltrack.services.portal_accounts import IssuedInvite
from naltrack.web.context import WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()


def suggested_login_name(patient: Patient) -> str:
    """A login name to offer: ``given.family`` in plain lower-case letters (the patient may choose another).

    >>> from datetime import date
    >>> suggested_login_name(Patient(id="p", clinic_id="c", given_name="José", family_name="Núñez-Ortiz",
    ...                              birth_date=date(1990, 1, 1), sex_at_birth="male"))
    'jose.nunez-ortiz'
    """
    def plain(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z0-9-]+", "", ascii_text)

    return f"{plain(patient.given_name)}.{plain(patient.family_name)}".strip(".")[:64] or "patient"


def _portal_page(request: Request, user: WebUser, form: FormState, issued: IssuedInvite | None = None,
                 assigned: str | None = None, status: int = 200) -> Response:
    web = web_of(request)
    patient = patient_cases.get_patient(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                        web.now())
    overview = portal_cases.get_portal_overview(web.ctx, actor_of(request, user), patient.id, web.now())
    form.values.setdefault("login_name", overview.login_name or suggested_login_name(patient))
    link = f"{request.base_url}portal/invite/{issued.token}" if issued else None
    context = page_context(request, user, "Patient portal", patient=patient, form=form, invite_link=link,
                           overview=overview, titles={i: get_instrument(i).title for i in instrument_ids()},
                           issued=issued, assigned=assigned, ttl_hours=int(INVITE_TTL.total_seconds() // 3600),
                           instruments=[get_instrument(i) for i in portal_cases.portal_instrument_ids()])
    return render(request, "pages/record.html", "portal/staff_portal.html", context, status_code=status)


@page(router, "/patients/{patient_id}/portal")
def portal_for_patient(request: Request, form: Mapping[str, Any] | None) -> Response:
    return _portal_page(request, require_user(request), FormState())


@page(router, "/patients/{patient_id}/portal/invite", methods=("POST",))
def invite(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    state = FormState.from_form(form or {})
    login_name = state.text("login_name", max_length=64)
    if state.ok and login_name is not None:
        web = web_of(request)
        try:
            issued = account_cases.invite_patient(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                                  login_name, web.now())
        except InvalidInput as error:
            state.add_error("login_name", error.rule)
        else:
            return _portal_page(request, user, FormState(), issued=issued)
    return _portal_page(request, user, state, status=422)


@page(router, "/patients/{patient_id}/portal/questionnaires", methods=("POST",))
def assign(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    state = FormState.from_form(form or {})
    instrument = state.choice("instrument", portal_cases.portal_instrument_ids())
    if state.ok and instrument is not None:
        web = web_of(request)
        portal_cases.assign_questionnaire(web.ctx, actor_of(request, user), request.path_params["patient_id"],
                                          instrument, web.now())
        return _portal_page(request, user, FormState(), assigned=get_instrument(instrument).title)
    return _portal_page(request, user, state, status=422)


@page(router, "/side-effect-reports/{report_id}/review", methods=("POST",))
def review(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    portal_cases.review_side_effect(web.ctx, actor_of(request, user), request.path_params["report_id"], web.now())
    return redirect(request, "/#side-effects")
