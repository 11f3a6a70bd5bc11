"""Patient list and search, and the patient chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.services import clinical_views
from naltrack.services import patients as patient_cases
from naltrack.services.acknowledgements import list_acknowledgements
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
    result = patient_cases.list_patients(web_of(request).ctx, actor_of(request, user), text, PAGE_SIZE, offset,
                                         web.now())
    context = page_context(request, user, "Patients", result=result, q=text or "", page_size=PAGE_SIZE,
                           may_register=user.may("demographics", "create"), today=web.today(user))
    partial = "partials/patient_results.html" if request.headers.get("HX-Target") == "patient-results" \
        else "partials/patients.html"
    return render(request, "pages/patients.html", partial, context)


@page(router, "/patients/{patient_id}")
def patient_chart(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    web = web_of(request)
    patient_id = request.path_params["patient_id"]
    if not user.may("clinical-views"):
        chart = permitted_chart(request, user, patient_id)
        view = build_chart_view(chart, user.role, web.today(user), web.zone(user))
        context = page_context(request, user, view.patient.display_name, view=view)
        return render(request, "pages/chart.html", "partials/chart.html", context)
    ctx, actor, now = web_of(request).ctx, actor_of(request, user), web.now()
    read = clinical_views.patient_chart(ctx, actor, patient_id, now)
    view = build_chart_view(read.chart, user.role, read.today, read.zone,
                            coverage_view(read.chart, read.today, read.zone), ctx.thresholds)
    view.acknowledged = list_acknowledgements(ctx, actor, patient_id, now)
    context = page_context(request, user, view.patient.display_name, view=view)
    return render(request, "pages/chart.html", "partials/chart.html", context)
