"""``naltrack serve``: run the server (uvicorn) from the app factory, one worker process per core.

The schema is migrated and expired idempotency keys are removed once, in this process, before
the workers start; each worker then builds its own app from the same settings (the
environment). Several processes share the database safely: PostgreSQL serializes the audit
chain on its head row, and SQLite (WAL, busy timeout) takes its write lock before an append.
"""

from __future__ import annotations

import os

import click

from naltrack.cli.app import application, require_audit_key
from naltrack.config import get_settings


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_app() -> object:
    """The app of one worker process, from the environment's settings (uvicorn's factory)."""
    from naltrack.api.app import create_app

    return create_app(get_settings())


@click.command()
@click.option("--host", default=None, help="Address to bind (default NALTRACK_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default NALTRACK_PORT or 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes (default NALTRACK_WORKERS or one per core).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app, the REST API, FHIR and CDS Hooks."""
    import uvicorn

    from naltrack.services.context import utc_now
    from naltrack.services.idempotency import purge_expired

    settings = get_settings()
    require_audit_key(settings)
    host = host or settings.host
    port = port or settings.port
    count = workers or settings.workers or default_workers()
    with application() as app:  # migrate once, before the workers race to
        app.storage.ensure_schema()
        purged = purge_expired(app.ctx, utc_now())
    click.echo(f"naltrack serving on http://{host}:{port} with {count} worker(s)  "
               f"(database: {settings.resolved_database_url}; {purged} expired idempotency key(s) removed)")
    # The app reads forwarded headers itself, from NALTRACK_TRUSTED_PROXIES only (naltrack.api.forwarded).
    uvicorn.run("naltrack.cli.serve:build_app", factory=True, host=host, port=port, workers=count,
                log_level="info", proxy_headers=False)
