"""SQLAlchemy implementations of the repository ports (Core statements over one connection).

Every repository of a unit of work shares its :class:`~sqlalchemy.engine.Connection`,
so all of them write inside the same transaction. Bulk adds use one ``INSERT`` per
table with executemany, in batches, which is what makes a 10,000-patient program load
in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.mappers import (
    MAPPINGS,
    clinic_from_row,
    clinic_to_row,
    identifier_from_row,
    identifier_rows,
    mapping_for,
    patient_from_row,
    patient_to_row,
)
from naltrack.domain.errors import Conflict, NotFound, StaleVersion
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.person_data import MRN_SYSTEM_PREFIX, Identifier
from naltrack.domain.records import ClinicalRecord
from naltrack.services.unit_of_work import (
    KIND_OF,
    ClinicRepository,
    PatientRepository,
    RecordRepository,
)

R = TypeVar("R", bound=ClinicalRecord)
#: Rows per executemany call: large enough to amortize, small enough for PostgreSQL's parameter limit.
BATCH_ROWS = 5_000


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert(connection: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    try:
        for batch in _batches(rows):
            connection.execute(sa.insert(table), batch)
    except sa.exc.IntegrityError as error:
        raise Conflict(f"{table.name}: a record breaks a key or reference ({error.orig})") from error


class OnConnection:
    """A repository on the unit of work's connection (its transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection


class SqlClinicRepository(OnConnection, ClinicRepository):
    def add(self, clinic: Clinic) -> None:
        _insert(self._connection, t.clinics, [clinic_to_row(clinic)])

    def update(self, clinic: Clinic) -> None:
        row = clinic_to_row(clinic)
        statement = sa.update(t.clinics).where(t.clinics.c.id == clinic.id).values(
            {k: v for k, v in row.items() if k != "id"})
        if self._connection.execute(statement).rowcount != 1:
            raise NotFound(self.kind, clinic.id)

    def find(self, clinic_id: str) -> Clinic | None:
        row = self._connection.execute(sa.select(t.clinics).where(t.clinics.c.id == clinic_id)).mappings().first()
        return None if row is None else clinic_from_row(row)

    def list(self) -> list[Clinic]:
        rows = self._connection.execute(sa.select(t.clinics).order_by(t.clinics.c.name, t.clinics.c.id))
        return [clinic_from_row(row) for row in rows.mappings()]


class SqlPatientRepository(OnConnection, PatientRepository):
    def add_many(self, patients: Iterable[Patient]) -> None:
        patients = list(patients)
        _insert(self._connection, t.patients, (patient_to_row(p) for p in patients))
        _insert(self._connection, t.patient_identifiers, (row for p in patients for row in identifier_rows(p)))

    def update(self, patient: Patient) -> None:
        row = patient_to_row(patient)
        statement = (sa.update(t.patients)
                     .where(t.patients.c.id == patient.id, t.patients.c.version == patient.version - 1)
                     .values({k: v for k, v in row.items() if k != "id"}))
        if self._connection.execute(statement).rowcount != 1:
            raise StaleVersion(f"patient {patient.id!r} was changed by someone else "
                               f"(expected stored version {patient.version - 1})")
        ids = t.patient_identifiers
        self._connection.execute(sa.delete(ids).where(ids.c.patient_id == patient.id))
        _insert(self._connection, ids, identifier_rows(patient))

    def find(self, patient_id: str) -> Patient | None:
        """The patient and its identifiers in one query (every audited chart read starts here)."""
        ids = t.patient_identifiers.c
        query = (sa.select(t.patients, ids.system.label("identifier_system"), ids.value.label("identifier_value"),
                           ids.type_code.label("identifier_type_code"))
                 .select_from(t.patients.outerjoin(t.patient_identifiers, ids.patient_id == t.patients.c.id))
                 .where(t.patients.c.id == patient_id).order_by(ids.position))
        rows = list(self._connection.execute(query).mappings())
        if not rows:
            return None
        identifiers = tuple(Identifier(r["identifier_system"], r["identifier_value"], r["identifier_type_code"])
                            for r in rows if r["identifier_system"] is not None)
        return patient_from_row(rows[0], identifiers)

    def find_by_identifier(self, system: str, value: str) -> list[Patient]:
        p, ids = t.patients.c, t.patient_identifiers.c
        recorded = sa.select(ids.patient_id).where(ids.system == system, ids.value == value)
        condition: sa.ColumnElement[bool] = p.id.in_(recorded)
        if system.startswith(MRN_SYSTEM_PREFIX):
            clinic_id = system.removeprefix(MRN_SYSTEM_PREFIX)
            condition = sa.or_(condition, sa.and_(p.clinic_id == clinic_id, p.mrn == value))
        return self._with_identifiers(sa.select(t.patients).where(condition).order_by(p.clinic_id, p.id))

    def born_on(self, clinic_id: str, birth_date: date) -> list[Patient]:
        c = t.patients.c
        query = (sa.select(t.patients).where(c.clinic_id == clinic_id, c.birth_date == birth_date)
                 .order_by(c.family_name, c.given_name, c.id))
        return self._with_identifiers(query)

    def _with_identifiers(self, query: sa.Select[Any]) -> list[Patient]:
        """The patients ``query`` selects, each with its identifiers (one more query for all of them)."""
        rows = list(self._connection.execute(query).mappings())
        ids = t.patient_identifiers.c
        found: dict[str, list[Identifier]] = defaultdict(list)
        if rows:
            listed = (sa.select(t.patient_identifiers).where(ids.patient_id.in_([r["id"] for r in rows]))
                      .order_by(ids.patient_id, ids.position))
            for row in self._connection.execute(listed).mappings():
                found[row["patient_id"]].append(identifier_from_row(row))
        return [patient_from_row(row, tuple(found[row["id"]])) for row in rows]

    def search(self, *, clinic_id: str | None = None, text: str | None = None,
               limit: int = 50, offset: int = 0) -> list[Patient]:
        c = t.patients.c
        query = (self._filtered(sa.select(t.patients), clinic_id, text)
                 .order_by(c.family_name, c.given_name, c.id).limit(limit).offset(offset))
        return self._with_identifiers(query)

    def count(self, *, clinic_id: str | None = None, text: str | None = None) -> int:
        query = self._filtered(sa.select(sa.func.count()).select_from(t.patients), clinic_id, text)
        return int(self._connection.execute(query).scalar_one())

    @staticmethod
    def _filtered(query: sa.Select[Any], clinic_id: str | None, text: str | None) -> sa.Select[Any]:
        c = t.patients.c
        if clinic_id is not None:
            query = query.where(c.clinic_id == clinic_id)
        if text:
            pattern = f"%{text.strip().lower()}%"
            query = query.where(sa.or_(sa.func.lower(c.given_name).like(pattern),
                                       sa.func.lower(c.family_name).like(pattern),
                                       sa.func.lower(c.mrn).like(pattern)))
        return query


class SqlRecordRepository(OnConnection, RecordRepository):
    def add_many(self, records: Iterable[ClinicalRecord]) -> None:
        rows: dict[type[ClinicalRecord], list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            rows[type(record)].append(mapping_for(type(record)).to_row(record))
        for cls, mapping in MAPPINGS.items():  # parents before children
            if rows.get(cls):
                _insert(self._connection, mapping.table, rows[cls])

    def find(self, record_type: type[R], record_id: str) -> R | None:
        mapping = mapping_for(record_type)
        query = sa.select(mapping.table).where(mapping.table.c.id == record_id)
        row = self._connection.execute(query).mappings().first()
        return None if row is None else mapping.from_row(row)  # type: ignore[return-value]

    def update(self, record: R) -> None:
        mapping = mapping_for(type(record))
        table = mapping.table
        row = mapping.to_row(record)
        statement = (sa.update(table)
                     .where(table.c.id == record.id, table.c.version == record.version - 1)
                     .values({k: v for k, v in row.items() if k != "id"}))
        if self._connection.execute(statement).rowcount != 1:
            raise StaleVersion(f"{KIND_OF[type(record)]} {record.id!r} was changed by someone else "
                               f"(expected stored version {record.version - 1})")

    def for_patient(self, patient_id: str, kinds: Collection[str] | None = None) -> dict[str, list[ClinicalRecord]]:
        chart: dict[str, list[ClinicalRecord]] = {}
        for cls, mapping in MAPPINGS.items():
            if kinds is not None and KIND_OF[cls] not in kinds:  # one query per kind asked for
                continue
            table = mapping.table
            query = sa.select(table).where(table.c.patient_id == patient_id).order_by(table.c.id)
            chart[KIND_OF[cls]] = [mapping.from_row(row) for row in self._connection.execute(query).mappings()]
        return chart

    def count_by_kind(self) -> dict[str, int]:
        counts = {}
        for cls, mapping in MAPPINGS.items():
            query = sa.select(sa.func.count()).select_from(mapping.table)
            counts[KIND_OF[cls]] = int(self._connection.execute(query).scalar_one())
        return counts
