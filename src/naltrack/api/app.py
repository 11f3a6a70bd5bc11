"""The application factory: one FastAPI app serves the API, the web pages, FHIR and CDS Hooks.

Nothing is built at import time; :func:`create_app` takes the settings and wires the
faces to the services that :mod:`naltrack.bootstrap` builds.
"""

from __future__ import annotations

from fastapi import FastAPI

from naltrack import __version__
from naltrack.config import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the app for ``settings``."""
    app = FastAPI(
        title="naltrack",
        version=__version__,
        summary="Naltrexone treatment program: readiness, dosing, coverage, Part 2 privacy.",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings

    @app.get("/health", tags=["meta"], summary="Liveness: the server answers")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from naltrack.api.v1 import install_api  # the REST API: /api/v1, errors as problem+json

    install_api(app, settings)
    from naltrack.api.interop import install_interop  # CDS Hooks at /cds-services, FHIR R4 at /fhir/R4

    install_interop(app, settings)
    from naltrack.web.router import build_web_router  # the clinician web pages (Jinja2 + htmx)

    app.include_router(build_web_router(settings))
    return app
