"""The dashboard: the morning's work of one clinic (services/dashboard.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.pool import StaticPool

from naltrack.domain.rules.readiness import assess_readiness
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.domain.security.roles import AccessDenied
from naltrack.services import api_records
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.acknowledgements import acknowledged_since
from naltrack.services.dashboard import Connect, Dashboard, build_dashboard, find_inductions
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.web.context import WebApp, WebUser, actor_of, page_context, require_user, web_of
from naltrack.web.navigation import home_for
from naltrack.web.pages import page, redirect
from naltrack.web.rendering import render

router = APIRouter()
#: Acknowledgements older than the longest alert look-back (liver, 90 days) no longer matter.
ACKNOWLEDGED_LOOKBACK = timedelta(days=DEFAULT.liver_lookback_days)


def dashboard_sections(user: WebUser) -> dict[str, bool]:
    """Which lists the role may see: injections need administrations, the rest clinical views."""
    clinical = user.may("clinical-views")
    return {"injections": user.may("administrations") and clinical, "protection": clinical,
            "alerts": clinical, "inductions": clinical}


def _second_connection(web: WebApp) -> Connect | None:
    """A second connection for the dashboard's parallel half; not for an in-memory SQLite database,
    whose one shared connection must not serve two threads at once."""
    engine = web.storage.engine
    return None if isinstance(engine.pool, StaticPool) else engine.connect


@page(router, "/")
def dashboard(request: Request, form: Mapping[str, Any] | None) -> Response:
    user = require_user(request)
    sections = dashboard_sections(user)
    if not any(sections.values()):
        return redirect(request, home_for(user.role))
    web = web_of(request)
    now = web.now()
    access = Access(actor=actor_of(request, user), action="read", category="clinical-views", now=now,
                    record_type="dashboard")

    def body(uow: SecureUnitOfWork, access: Access) -> Dashboard:
        authorize(uow, access)
        clinic = uow.clinics.get(user.user.clinic_id)
        with web.storage.engine.connect() as connection:
            seen = acknowledged_since(connection, clinic.id, now - ACKNOWLEDGED_LOOKBACK)
            board = build_dashboard(connection, clinic.id, web.today(), web.tz, sections=sections, acknowledged=seen,
                                    connect=_second_connection(web))
        request.state.clinic_name = clinic.name
        return board

    board = run_audited(web.secure_uow, access, body)
    context = page_context(request, user, "Dashboard", board=board, sections=sections,
                           clinic_name=request.state.clinic_name, thresholds=DEFAULT)
    return render(request, "pages/dashboard.html", "partials/dashboard.html", context)


@page(router, "/dashboard/inductions")
def inductions(request: Request, form: Mapping[str, Any] | None) -> Response:
    """The inductions card with each patient's earliest ready date (one readiness check per chart)."""
    user = require_user(request)
    if not user.may("clinical-views"):
        raise AccessDenied(user.role, "clinical-views", "read")
    web = web_of(request)
    today, actor = web.today(), actor_of(request, user)
    with web.storage.engine.connect() as connection:
        listed, total = find_inductions(connection, user.user.clinic_id, today)
    readiness = {
        item.patient_id: api_records.chart_view(web.secure_uow, actor, item.patient_id, "readiness",
                                                lambda chart: assess_readiness(chart, "xr-ntx", today), web.now())
        for item in listed
    }
    board = SimpleNamespace(inductions=listed, induction_total=total)
    context = page_context(request, user, "Inductions", board=board, readiness=readiness)
    return render(request, "pages/record.html", "partials/inductions_page.html", context,
                  swap="partials/inductions.html")
