"""The REST API under ``/api/v1``: error handlers, the storage of the secure service, and every router.

:func:`install_api` is called once by :func:`naltrack.api.app.create_app`.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI

from naltrack.adapters.db.security_repository import secure_uow_factory, token_lookup
from naltrack.api.errors import install_error_handlers
from naltrack.api.routes import auth, patients, records
from naltrack.bootstrap import build_storage
from naltrack.config import Settings
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.security import SignInThrottle

PREFIX = "/api/v1"


def install_api(app: FastAPI, settings: Settings) -> None:
    """Mount ``/api/v1`` on ``app`` and put what it needs on ``app.state``."""
    state = app.state
    if getattr(state, "storage", None) is None:
        state.storage = build_storage(settings)
    state.secure_uow = secure_uow_factory(state.storage.engine, state.storage.ensure_schema)
    state.token_lookup = token_lookup(state.storage.engine, state.storage.ensure_schema)
    state.sign_in_throttle = SignInThrottle()
    state.generated_secret = secrets.token_hex(32)
    state.redisclosure_notice = settings.part2_redisclosure_notice or REDISCLOSURE_NOTICE_DEFAULT
    install_error_handlers(app)
    app.include_router(auth.router, prefix=PREFIX)
    app.include_router(patients.router, prefix=PREFIX)
    app.include_router(records.records_router(), prefix=PREFIX)
