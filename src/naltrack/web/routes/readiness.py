"""The induction readiness checklist: every reason and the earliest date (domain/rules/readiness.py), on the
clinic's today (services/clinical_views.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.services import clinical_views
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.pages import page
from naltrack.web.rendering import render

router = APIRouter()
FORMS = (("xr-ntx", "XR-NTX injection"), ("oral", "Oral tablets"), ("implant", "Implant"))


@page(router, "/patients/{patient_id}/readiness")
def readiness(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    chosen = request.query_params.get("form", "xr-ntx")
    if chosen not in dict(FORMS):
        chosen = "xr-ntx"
    found = clinical_views.patient_readiness(web_of(request).ctx, actor_of(request, user),
                                             request.path_params["patient_id"], web.now(), chosen)  # type: ignore[arg-type]
    patient, result = found.patient, found.result
    context = page_context(request, user, "Readiness", patient=patient, result=result, forms=FORMS, chosen=chosen,
                           ordered=found.ordered)
    return render(request, "pages/record.html", "partials/readiness.html", context)
