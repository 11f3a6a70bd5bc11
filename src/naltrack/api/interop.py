"""Mounts the interoperability faces: CDS Hooks 2.0 at ``/cds-services`` and FHIR R4 at ``/fhir/R4``.

Called once by :func:`naltrack.api.app.create_app`, with the application it built. The CDS router
completes its settings (``NALTRACK_CDS_*``) for the mode the server runs in (no loopback FHIR server,
except in the demo: :func:`naltrack.cds.wiring.cds_router`); JWTs are always verified unless
``NALTRACK_CDS_ANONYMOUS=allow``. Cross-origin calls
are allowed on these two paths only, for the configured origins (:class:`naltrack.api.cors.PathCors`).
"""

from __future__ import annotations

from fastapi import FastAPI

from naltrack.api.cors import PathCors
from naltrack.api.routes import fhir_r4
from naltrack.bootstrap import Application
from naltrack.cds.wiring import cds_router


def install_interop(app: FastAPI, application: Application) -> None:
    """Include the CDS Hooks and FHIR routers on ``app``, with CORS on their paths."""
    app.include_router(cds_router(application))
    app.include_router(fhir_r4.router)
    app.add_middleware(PathCors, origins=application.settings.cors_origin_list())
