"""Alembic environment.

Run programmatically by :func:`naltrack.adapters.db.migrate.migrate` (which hands over an
open connection), or from the command line at the repository root: ``alembic upgrade
head`` uses ``-x url=...``, else ``NALTRACK_DATABASE_URL``, else the SQLite file of the
default settings.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from naltrack.adapters.db import cds_tables as _cds_tables  # noqa: F401  (its tables on metadata)
from naltrack.adapters.db import reminder_tables as _reminder_tables  # noqa: F401  (its tables on metadata)
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.tables import metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from naltrack.config import Settings

    return Settings().resolved_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.config.config_file_name is not None and not context.config.attributes.get("connection"):
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
