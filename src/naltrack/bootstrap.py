"""The composition root: the one place that knows the concrete classes and builds the application.

:func:`build_application` builds, once per process, everything a face needs: the settings,
the :class:`Storage` (engine, schema migrated on first use), the application context
(:class:`~naltrack.services.context.AppContext`: the factory of secure units of work, the
thresholds, the default time zone, the redisclosure notice, the clock) and the token lookup
that authenticates API and web requests. Faces get it from here and from nowhere else:
``create_app`` puts it on ``app.state.application`` (the API's ``ContextDep``, the web's
``web_of(request).ctx``, the CDS engine), and each CLI command opens one with
:func:`naltrack.cli.app.application`. Nothing connects until the first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from naltrack.adapters.audit_seal import AuditSeal, audit_secret, seal_from_settings
from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import (
    configured_seal,
    restore_guards_at_start,
    secure_uow_factory,
    token_lookup,
)
from naltrack.adapters.db.token_cache import CachedTokenLookup
from naltrack.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from naltrack.analytics.definitions import MeasureDefinitions
from naltrack.config import Settings
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.security.audit import derive_key
from naltrack.domain.security.consent import REDISCLOSURE_NOTICE_DEFAULT
from naltrack.services.context import AppContext
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import AbstractUnitOfWork


class Storage:
    """The database of one process: an engine and the unit-of-work factories."""

    def __init__(self, url: str, *, echo: bool = False, migrate_schema: bool = True,
                 audit_seal: AuditSeal | None = None) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, echo=echo)
        self._migrate = migrate_schema
        self._lock = threading.Lock()
        self._ready = False
        self._audit_seal = audit_seal
        self._secure = secure_uow_factory(self.engine, self.ensure_schema, audit_seal)

    def ensure_schema(self) -> None:
        """Run the migrations (``upgrade head``) once per process."""
        with self._lock:
            if not self._ready and self._migrate:
                from naltrack.adapters.db.migrate import migrate  # Alembic only when needed

                migrate(self.engine)
            if not self._ready:
                restore_guards_at_start(self.engine, self._audit_seal or configured_seal())
            self._ready = True

    def uow(self) -> AbstractUnitOfWork:
        """A new unit of work on this database (the clinical repositories only)."""
        self.ensure_schema()
        return SqlAlchemyUnitOfWork(self.engine)

    def secure_uow(self) -> SecureUnitOfWork:
        """A new secure unit of work: the clinical repositories, the security repository, the read models."""
        return self._secure()

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Application:
    """One built application: what every face gets from the composition root.

    Attributes
    ----------
    settings : Settings
        The settings it was built from.
    storage : Storage
        The database (seeding and schema; faces reach data only through ``ctx``).
    ctx : AppContext
        What every use case receives.
    token_lookup : CachedTokenLookup
        Finds a token and its user by the token's hash, outside any transaction; remembers what it
        found for a moment (``find_cached`` reads only that memory).
    """

    settings: Settings
    storage: Storage
    ctx: AppContext
    token_lookup: CachedTokenLookup

    def close(self) -> None:
        """Release the database connections."""
        self.storage.close()


def build_storage(settings: Settings, *, database_url: str | None = None) -> Storage:
    """Storage for ``database_url``, else the settings' database; :class:`AuditKeyError` without an audit key."""
    return Storage(database_url or settings.resolved_database_url, echo=settings.echo_sql,
                   audit_seal=seal_from_settings(settings))


def build_application(settings: Settings, *, database_url: str | None = None, storage: Storage | None = None,
                      thresholds: Thresholds = DEFAULT) -> Application:
    """The application for ``settings``: on ``storage`` if given, else on ``database_url`` or the settings' database."""
    store = storage or build_storage(settings, database_url=database_url)
    definitions = MeasureDefinitions(retention_allowed_gap_days=settings.retention_gap_days,
                                     naloxone_window_days=settings.naloxone_window_days,
                                     min_cell=settings.measure_min_cell)
    ctx = AppContext(uow=store.secure_uow, thresholds=thresholds, default_timezone=settings.timezone,
                     redisclosure_notice=settings.part2_redisclosure_notice or REDISCLOSURE_NOTICE_DEFAULT,
                     definitions=definitions, pseudonym_key=derive_key(audit_secret(settings), "pseudonym"))
    return Application(settings=settings, storage=store, ctx=ctx,
                       token_lookup=token_lookup(store.engine, store.ensure_schema))
