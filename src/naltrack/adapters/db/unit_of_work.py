"""The SQLAlchemy unit of work: one connection, one transaction, all repositories on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection, Engine, RootTransaction

from naltrack.adapters.db.repositories import SqlClinicRepository, SqlPatientRepository, SqlRecordRepository
from naltrack.services.unit_of_work import AbstractUnitOfWork


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """``with uow: ...; uow.commit()``; anything not committed is rolled back on exit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; build a new one per use")
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        self.clinics = SqlClinicRepository(self._connection)
        self.patients = SqlPatientRepository(self._connection)
        self.records = SqlRecordRepository(self._connection)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            self._close()

    def _close(self) -> None:
        """Close the connection, after the rollback of whatever was not committed."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._transaction = None

    def commit(self) -> None:
        if self._connection is None or self._transaction is None:
            raise RuntimeError("commit outside of 'with uow:'")
        self._transaction.commit()
        self._transaction = self._connection.begin()

    def rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()
