"""The one place that knows the concrete classes: engine, migrations, unit-of-work factory.

Faces call :func:`build_storage` with the settings (or a database URL) and get a
:class:`Storage` whose :meth:`Storage.uow` builds a fresh unit of work per use case.
Nothing connects until the first use; the schema is migrated once, on first use.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from naltrack.config import Settings
from naltrack.services.unit_of_work import AbstractUnitOfWork


class Storage:
    """The database of one process: an engine and a unit-of-work factory."""

    def __init__(self, url: str, *, echo: bool = False, migrate_schema: bool = True) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, echo=echo)
        self._migrate = migrate_schema
        self._lock = threading.Lock()
        self._ready = False

    def ensure_schema(self) -> None:
        """Run the migrations (``upgrade head``) once per process."""
        with self._lock:
            if not self._ready and self._migrate:
                from naltrack.adapters.db.migrate import migrate  # Alembic only when needed

                migrate(self.engine)
            self._ready = True

    def uow(self) -> AbstractUnitOfWork:
        """A new unit of work on this database."""
        self.ensure_schema()
        return SqlAlchemyUnitOfWork(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def build_storage(settings: Settings, *, database_url: str | None = None) -> Storage:
    """Storage for ``database_url``, else the settings' database."""
    return Storage(database_url or settings.resolved_database_url, echo=settings.echo_sql)
