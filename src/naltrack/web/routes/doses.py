"""A naltrexone dose not given: held by staff or refused by the patient, with the reason
(:func:`naltrack.services.doses.record_dose_not_given`; the chart lists it with the doses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.dose_decisions import MAX_REASON_CHARS, OUTCOME_LABELS
from naltrack.domain.errors import InvalidInput
from naltrack.domain.regimens import FORMS, form_label
from naltrack.services.doses import record_dose_not_given
from naltrack.web.context import actor_of, require_user, web_of
from naltrack.web.forms import FormState
from naltrack.web.pages import page, redirect
from naltrack.web.routes.recording import chart_for, form_page, local_now

router = APIRouter()

FIELDS = {"dose_decision.reason": "reason", "dose_decision.decided_at": "at", "dose_decision.outcome": "outcome",
          "dose_decision.form": "form", "at": "at"}
TITLE = "Dose not given"


@page(router, "/patients/{patient_id}/held-doses/new", methods=("GET", "POST"))
def dose_not_given(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    chart = chart_for(request, user, "administrations")
    web = web_of(request)
    options: dict[str, Any] = {"forms": [(f, form_label(f, first=True)) for f in FORMS],
               "outcomes": [(o, OUTCOME_LABELS[o]) for o in ("held", "refused")], "reason_max": MAX_REASON_CHARS}
    if form is None:
        wanted = request.query_params.get("form", "xr-ntx")
        state = FormState(values={"form": wanted if wanted in FORMS else "xr-ntx", "outcome": "held",
                                  "at": local_now(request, user)})
        return form_page(request, user, chart, "dose_not_given", TITLE, state, **options)
    state = FormState.from_form(form)
    values = {"form": state.choice("form", FORMS), "outcome": state.choice("outcome", ("held", "refused")),
              "at": state.moment("at", web.zone(user)), "reason": state.text("reason", max_length=MAX_REASON_CHARS)}
    if state.ok:
        try:
            record_dose_not_given(web.ctx, actor_of(request, user), chart.patient.id, values["form"],  # type: ignore[arg-type]
                                  values["at"], values["outcome"], values["reason"], web.now())  # type: ignore[arg-type]
            return redirect(request, f"/patients/{chart.patient.id}?recorded=dose-not-given")
        except InvalidInput as error:
            state.apply(error, FIELDS)
    return form_page(request, user, chart, "dose_not_given", TITLE, state, 422, **options)
