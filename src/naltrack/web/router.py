"""The web app's router: pages, partials and static files, mounted by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter

from naltrack.config import Settings
from naltrack.web.assets import build_static_router, discover_assets
from naltrack.web.pages import not_found_page
from naltrack.web.routes import (
    alerts,
    audit,
    auth,
    clinical_records,
    consents,
    counseling,
    dashboard,
    documents,
    doses,
    groups,
    intake,
    labs_implants,
    orders,
    outcomes,
    patients,
    portal,
    portal_auth,
    portal_documents,
    portal_staff,
    program_records,
    questionnaires,
    readiness,
    readiness_records,
    recording,
    reminders,
    safety,
    schedule,
)


def build_web_router(settings: Settings) -> APIRouter:
    """Every web route. ``settings`` is read when the first request builds the web face."""
    router = APIRouter(include_in_schema=False)
    router.include_router(build_static_router(discover_assets()))
    # intake first: /patients/new must win over /patients/{patient_id}.
    for module in (auth, portal_auth, portal, portal_documents, portal_staff,
                   dashboard, intake, patients, recording, labs_implants, questionnaires, readiness, schedule,
                   consents, audit, alerts, counseling, safety, doses, readiness_records, orders,
                   program_records, groups, clinical_records, outcomes, documents, reminders):
        router.include_router(module.router)

    return router


__all__ = ["build_web_router", "not_found_page"]
