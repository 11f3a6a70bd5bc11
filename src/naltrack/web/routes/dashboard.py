"""The dashboard: the morning's work of one clinic (services/dashboard.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from naltrack.domain.rules.readiness import assess_readiness
from naltrack.services import records as record_cases
from naltrack.services.dashboard import dashboard_sections, get_dashboard, list_inductions
from naltrack.web.context import actor_of, page_context, require_user, web_of
from naltrack.web.navigation import home_for
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()


@page(router, "/")
def dashboard(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    if not any(dashboard_sections(user.role).values()):
        return redirect(request, home_for(user.role))
    ctx = web_of(request).ctx
    view = get_dashboard(ctx, actor_of(request, user), web_of(request).now())
    context = page_context(request, user, "Dashboard", board=view.board, sections=view.sections,
                           clinic_name=view.clinic.name, thresholds=ctx.thresholds, side_effects=view.side_effects,
                           recorded=request.query_params.get("recorded"))
    return render(request, "pages/dashboard.html", "partials/dashboard.html", context)


@page(router, "/dashboard/inductions")
def inductions(request: Request, form: Mapping[str, Any] | None) -> Response:
    """The inductions card with each patient's earliest ready date (one readiness check per chart)."""
    user = require_user(request)
    web = web_of(request)
    actor, now = actor_of(request, user), web.now()
    listed = list_inductions(web_of(request).ctx, actor, now)
    readiness = {
        item.patient_id: record_cases.chart_view(web_of(request).ctx, actor, item.patient_id, "readiness",
                                                lambda chart: assess_readiness(chart, "xr-ntx", listed.today), now)
        for item in listed.items
    }
    board = SimpleNamespace(inductions=listed.items, induction_total=listed.total)
    context = page_context(request, user, "Inductions", board=board, readiness=readiness)
    return render(request, "pages/record.html", "partials/inductions_page.html", context,
                  swap="partials/inductions.html")
