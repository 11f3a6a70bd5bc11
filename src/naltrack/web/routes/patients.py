"""Patient list and search, and the patient chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.chart import PatientChart
from naltrack.services import api_records
from naltrack.services.acknowledgements import acknowledgements_for
from naltrack.web.chart_view import build_chart_view
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.coverage_view import coverage_view
from naltrack.web.pages import page
from naltrack.web.rendering import render
from naltrack.web.routes.recording import permitted_chart

router = APIRouter()
PAGE_SIZE = 25


@page(router, "/patients")
def patient_list(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    text = (request.query_params.get("q") or "").strip()[:100] or None
    offset = max(0, int(request.query_params.get("offset", "0") or 0)) if (
        request.query_params.get("offset", "0") or "0").isdigit() else 0
    result = api_records.list_patients(web.secure_uow, actor_of(request, user), text, PAGE_SIZE, offset, web.now())
    context = page_context(request, user, "Patients", result=result, q=text or "", page_size=PAGE_SIZE,
                           may_register=user.may("demographics", "create"), today=web.today())
    partial = "partials/patient_results.html" if request.headers.get("HX-Target") == "patient-results" \
        else "partials/patients.html"
    return render(request, "pages/patients.html", partial, context)


@page(router, "/patients/{patient_id}")
def patient_chart(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    patient_id = request.path_params["patient_id"]
    today = web.today()
    if not user.may("clinical-views"):
        chart = permitted_chart(request, user, patient_id)
        view = build_chart_view(chart, user.role, today)
        context = page_context(request, user, view.patient.display_name, view=view)
        return render(request, "pages/chart.html", "partials/chart.html", context)

    def compute(chart: PatientChart) -> Any:
        return build_chart_view(chart, user.role, today, coverage_view(chart, today, web.tz))

    view = api_records.chart_view(web.secure_uow, actor_of(request, user), patient_id, "chart", compute, web.now())
    with web.storage.engine.connect() as connection:
        view.acknowledged = acknowledgements_for(connection, patient_id)
    context = page_context(request, user, view.patient.display_name, view=view)
    return render(request, "pages/chart.html", "partials/chart.html", context)
