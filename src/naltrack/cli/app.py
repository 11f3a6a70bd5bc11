"""The application of one CLI command, from the composition root (:mod:`naltrack.bootstrap`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from naltrack.adapters.audit_seal import AuditKeyError, seal_from_settings
from naltrack.bootstrap import Application, build_application
from naltrack.config import Settings, get_settings


def require_audit_key(settings: Settings) -> None:
    """Refuse to start, saying why, when the audit secret is missing or unusable."""
    try:
        seal_from_settings(settings)
    except AuditKeyError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def application(database_url: str | None = None) -> Iterator[Application]:
    """The application on the configured database (or ``database_url``), closed when the command ends."""
    settings = get_settings()
    require_audit_key(settings)
    built = build_application(settings, database_url=database_url)
    try:
        yield built
    finally:
        built.close()
