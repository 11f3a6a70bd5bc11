"""Mounts the interoperability faces: CDS Hooks 2.0 at ``/cds-services`` and FHIR R4 at ``/fhir/R4``.

Called once by :func:`naltrack.api.app.create_app`, with the application it built.
"""

from __future__ import annotations

from fastapi import FastAPI

from naltrack.api.routes import fhir_r4
from naltrack.bootstrap import Application
from naltrack.cds.wiring import cds_router


def install_interop(app: FastAPI, application: Application) -> None:
    """Include the CDS Hooks and FHIR routers on ``app``."""
    app.include_router(cds_router(application))
    app.include_router(fhir_r4.router)
