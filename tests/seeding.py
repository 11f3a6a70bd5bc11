"""Test data straight into a store through its repositories: clinics, patients and records that a
test needs as a precondition (not audited; the write paths under test go through the use cases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from naltrack.adapters.db.migrate import migrate
from naltrack.domain.chart import PatientChart
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.services.unit_of_work import AbstractUnitOfWork, chart_in


def seed(uow_factory: Callable[[], AbstractUnitOfWork], *, clinics: Iterable[Clinic] = (),
         patients: Iterable[Patient] = (), records: Iterable[ClinicalRecord] = (),
         now: datetime | None = None) -> None:
    """Store ``clinics``, ``patients`` and ``records`` in one transaction (``recorded_at`` = ``now`` if unset)."""
    with uow_factory() as uow:
        for clinic in clinics:
            uow.clinics.add(clinic)
        uow.patients.add_many(list(patients))
        uow.records.add_many([r if r.recorded_at is not None or now is None else replace(r, recorded_at=now)
                              for r in records])
        uow.commit()


def stored_chart(uow_factory: Callable[[], AbstractUnitOfWork], patient_id: str) -> PatientChart:
    """Everything stored about one patient."""
    with uow_factory() as uow:
        return chart_in(uow, uow.patients.get(patient_id))


def value_after_upgrade(database_url: str, revision: str, insert_sql: str, select_sql: str,
                        params: dict[str, object] | None = None) -> object:
    """A row written as the schema stood at ``revision`` (one clinic ``c1`` and patient ``p1`` first),
    then the database upgraded to head: the one value ``select_sql`` reads back."""
    migrate(database_url, revision)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO clinics (id, name, timezone) VALUES ('c1', 'C', 'UTC')"))
            connection.execute(sa.text(
                "INSERT INTO patients (id, clinic_id, given_name, family_name, birth_date, sex_at_birth, contacts, "
                "version) VALUES ('p1', 'c1', 'A', 'B', '1990-01-01', 'male', '[]', 1)"))
            connection.execute(sa.text(insert_sql), params or {})
        migrate(database_url)
        with engine.connect() as connection:
            return connection.execute(sa.text(select_sql)).scalar_one()
    finally:
        engine.dispose()
