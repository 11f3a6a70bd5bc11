"""The web app's router: pages, partials and static files, mounted by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from naltrack.config import Settings
from naltrack.web.assets import build_static_router, discover_assets
from naltrack.web.pages import message_page
from naltrack.web.routes import (
    alerts,
    audit,
    auth,
    consents,
    counseling,
    dashboard,
    doses,
    intake,
    labs_implants,
    patients,
    questionnaires,
    readiness,
    readiness_records,
    recording,
    safety,
    schedule,
)


def build_web_router(settings: Settings) -> APIRouter:
    """Every web route. ``settings`` is read when the first request builds the web face."""
    router = APIRouter(include_in_schema=False)
    router.include_router(build_static_router(discover_assets()))
    # intake first: /patients/new must win over /patients/{patient_id}.
    for module in (auth, dashboard, intake, patients, recording, labs_implants, questionnaires, readiness, schedule,
                   consents, audit, alerts, counseling, safety, doses, readiness_records):
        router.include_router(module.router)

    @router.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def unknown_page(request: Request, path: str) -> Response:
        """A page that does not exist: an HTML page for a browser's GET; the machine faces and other methods keep
        the plain 404 they had."""
        if request.method != "GET" or path.split("/", 1)[0] in MACHINE_PREFIXES:
            raise StarletteHTTPException(404, "Not Found")
        return message_page(request, 404, "Page not found", "There is no page at this address.",
                            {"href": "/", "label": "Dashboard"})

    return router


#: Paths whose unknown addresses answer as their face does (problem+json, OperationOutcome, plain 404).
MACHINE_PREFIXES = frozenset({"api", "fhir", "cds-services", "health", "docs", "openapi.json", "static"})
