"""The application of one CLI command, from the composition root (:mod:`naltrack.bootstrap`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from naltrack.bootstrap import Application, build_application
from naltrack.config import get_settings


@contextmanager
def application(database_url: str | None = None) -> Iterator[Application]:
    """The application on the configured database (or ``database_url``), closed when the command ends."""
    built = build_application(get_settings(), database_url=database_url)
    try:
        yield built
    finally:
        built.close()
