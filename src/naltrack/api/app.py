"""The application factory: one FastAPI app serves the API, the web pages, FHIR and CDS Hooks.

Nothing is built at import time; :func:`create_app` takes the settings, builds the application
once (:func:`naltrack.bootstrap.build_application`) and puts it on ``app.state.application``,
where every face of the app finds it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from naltrack import __version__
from naltrack.api.security_headers import SecurityHeaders
from naltrack.bootstrap import Application, build_application
from naltrack.config import Settings


def create_app(settings: Settings, application: Application | None = None) -> FastAPI:
    """Build the app for ``settings``, on ``application`` if given (else one built here)."""
    app = FastAPI(
        title="naltrack",
        version=__version__,
        summary="Naltrexone treatment program: readiness, dosing, coverage, Part 2 privacy.",
        openapi_url="/openapi.json",
        # Swagger UI and ReDoc load their JavaScript from a CDN, which the pages' policy forbids: demo only.
        docs_url="/docs" if settings.demo else None,
        redoc_url="/redoc" if settings.demo else None,
    )
    app.add_middleware(SecurityHeaders)
    built = application or build_application(settings)
    app.state.application = built
    app.state.settings = settings
    # Shorthands of the same application, for code that seeds the database of a served app (tests, benchmarks).
    app.state.storage = built.storage
    app.state.secure_uow = built.ctx.uow

    @app.get("/health", tags=["meta"], summary="Liveness: the server answers")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from naltrack.api.v1 import install_api  # the REST API: /api/v1, errors as problem+json

    install_api(app, settings)
    from naltrack.api.interop import install_interop  # CDS Hooks at /cds-services, FHIR R4 at /fhir/R4

    install_interop(app, built)
    from naltrack.web.router import build_web_router, not_found_page  # the clinician web pages (Jinja2 + htmx)

    app.include_router(build_web_router(settings))
    app.state.not_found_page = not_found_page  # an unknown address, asked by a browser: an HTML page
    return app


def application_of(request: Request) -> Application:
    """The application ``create_app`` built for the app serving ``request``."""
    application: Application = request.app.state.application
    return application
