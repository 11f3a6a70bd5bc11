"""``naltrack serve``: run the server (uvicorn) from the app factory."""

from __future__ import annotations

import click

from naltrack.config import get_settings


@click.command()
@click.option("--host", default=None, help="Address to bind (default NALTRACK_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default NALTRACK_PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app, the REST API, FHIR and CDS Hooks."""
    import uvicorn

    from naltrack.api.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    click.echo(f"naltrack serving on http://{host}:{port}  (database: {settings.resolved_database_url})")
    # The app reads forwarded headers itself, from NALTRACK_TRUSTED_PROXIES only (naltrack.api.forwarded).
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
