"""The REST API under ``/api/v1``: error handlers, the sign-in throttle and secret, and every router.

:func:`install_api` is called once by :func:`naltrack.api.app.create_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI

from naltrack.api.errors import install_error_handlers
from naltrack.api.routes import auth, patients, records
from naltrack.config import Settings
from naltrack.services.security import SignInThrottle

PREFIX = "/api/v1"


def data_dir_secret(data_dir: Path) -> str:
    """The secret that signs CSRF tokens when ``NALTRACK_SECRET_KEY`` is unset and the database
    is the embedded SQLite file: one per data directory (``.secret_key``, mode 0600), so that
    every worker and every restart agree; a per-process one when the directory cannot be written."""
    path = data_dir / ".secret_key"
    try:
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text(encoding="ascii").strip()
    except FileExistsError:  # another worker wrote it first
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return secrets.token_hex(32)


def install_api(app: FastAPI, settings: Settings) -> None:
    """Mount ``/api/v1`` on ``app`` (whose ``state.application`` is built) and add what sign-in needs."""
    state = app.state
    state.sign_in_throttle = SignInThrottle()
    # Embedded mode keeps a secret in the data directory; with an explicit database (PostgreSQL,
    # several workers) set NALTRACK_SECRET_KEY, else each process signs with its own.
    state.generated_secret = data_dir_secret(settings.data_dir) if settings.database_url is None \
        else secrets.token_hex(32)
    install_error_handlers(app)
    app.include_router(auth.router, prefix=PREFIX)
    app.include_router(patients.router, prefix=PREFIX)
    app.include_router(records.records_router(), prefix=PREFIX)
