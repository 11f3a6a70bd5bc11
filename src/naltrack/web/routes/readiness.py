"""The induction readiness checklist: every reason and the earliest date (domain/rules/readiness.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.domain.rules.readiness import assess_readiness
from naltrack.services import records as record_cases
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.pages import page
from naltrack.web.rendering import render
from naltrack.web.routes.recording import context_of

router = APIRouter()
FORMS = (("xr-ntx", "XR-NTX injection"), ("oral", "Oral tablets"), ("implant", "Implant"))


@page(router, "/patients/{patient_id}/readiness")
def readiness(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    chosen = request.query_params.get("form", "xr-ntx")
    if chosen not in dict(FORMS):
        chosen = "xr-ntx"
    today = web.today()

    def compute(chart: PatientChart) -> Any:
        return chart.patient, assess_readiness(chart, chosen, today)  # type: ignore[arg-type]

    patient, result = record_cases.chart_view(context_of(request), actor_of(request, user),
                                              request.path_params["patient_id"], "readiness", compute, web.now())
    context = page_context(request, user, "Readiness", patient=patient, result=result, forms=FORMS, chosen=chosen)
    return render(request, "pages/record.html", "partials/readiness.html", context)
