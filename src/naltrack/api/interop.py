"""Mounts the interoperability faces: CDS Hooks 2.0 at ``/cds-services`` and FHIR R4 at ``/fhir/R4``.

Called once by :func:`naltrack.api.app.create_app`, after the REST API has put the storage on
``app.state``.
"""

from __future__ import annotations

from fastapi import FastAPI

from naltrack.api.routes import fhir_r4
from naltrack.cds.wiring import cds_router
from naltrack.config import Settings


def install_interop(app: FastAPI, settings: Settings) -> None:
    """Include the CDS Hooks and FHIR routers on ``app``."""
    app.include_router(cds_router(settings, getattr(app.state, "storage", None)))
    app.include_router(fhir_r4.router)
