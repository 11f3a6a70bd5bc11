"""In-memory fakes of the ports, for use-case tests without a database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from naltrack.domain.errors import Conflict
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.services.unit_of_work import (
    KIND_OF,
    AbstractUnitOfWork,
    ClinicRepository,
    PatientRepository,
    RecordRepository,
)

R = TypeVar("R", bound=ClinicalRecord)


@dataclass
class Store:
    """What a fake database holds; committed state only."""

    clinics: dict[str, Clinic] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    records: dict[tuple[type[ClinicalRecord], str], ClinicalRecord] = field(default_factory=dict)


class FakeClinicRepository(ClinicRepository):
    def __init__(self, data: dict[str, Clinic]) -> None:
        self.data = data

    def add(self, clinic: Clinic) -> None:
        self.data[clinic.id] = clinic

    def find(self, clinic_id: str) -> Clinic | None:
        return self.data.get(clinic_id)

    def list(self) -> list[Clinic]:
        return sorted(self.data.values(), key=lambda c: (c.name, c.id))


class FakePatientRepository(PatientRepository):
    def __init__(self, data: dict[str, Patient]) -> None:
        self.data = data

    def add(self, patient: Patient) -> None:
        self.data[patient.id] = patient

    def add_many(self, patients: Iterable[Patient]) -> None:
        for patient in patients:
            self.add(patient)

    def find(self, patient_id: str) -> Patient | None:
        return self.data.get(patient_id)

    def _matching(self, clinic_id: str | None, text: str | None) -> list[Patient]:
        found = [p for p in self.data.values() if clinic_id is None or p.clinic_id == clinic_id]
        if text:
            needle = text.lower()
            found = [p for p in found if needle in f"{p.given_name} {p.family_name} {p.mrn or ''}".lower()]
        return sorted(found, key=lambda p: (p.family_name, p.given_name, p.id))

    def search(self, *, clinic_id: str | None = None, text: str | None = None,
               limit: int = 50, offset: int = 0) -> list[Patient]:
        return self._matching(clinic_id, text)[offset:offset + limit]

    def count(self, *, clinic_id: str | None = None, text: str | None = None) -> int:
        return len(self._matching(clinic_id, text))


class FakeRecordRepository(RecordRepository):
    def __init__(self, data: dict[tuple[type[ClinicalRecord], str], ClinicalRecord]) -> None:
        self.data = data

    def add(self, record: ClinicalRecord) -> None:
        key = (type(record), record.id)
        if key in self.data:
            raise Conflict(f"duplicate {record.id}")
        self.data[key] = record

    def add_many(self, records: Iterable[ClinicalRecord]) -> None:
        for record in records:
            self.add(record)

    def find(self, record_type: type[R], record_id: str) -> R | None:
        return self.data.get((record_type, record_id))  # type: ignore[return-value]

    def update(self, record: R) -> None:
        stored = self.data.get((type(record), record.id))
        if stored is None or stored.version != record.version - 1:
            raise Conflict(f"{record.id} was changed by someone else")
        self.data[(type(record), record.id)] = record

    def for_patient(self, patient_id: str) -> dict[str, list[ClinicalRecord]]:
        chart: dict[str, list[ClinicalRecord]] = {}
        for (cls, _), record in sorted(self.data.items(), key=lambda kv: kv[0][1]):
            if record.patient_id == patient_id:
                chart.setdefault(KIND_OF[cls], []).append(record)
        return chart

    def count_by_kind(self) -> dict[str, int]:
        counts = dict.fromkeys(KIND_OF.values(), 0)
        for cls, _ in self.data:
            counts[KIND_OF[cls]] += 1
        return counts


class FakeUnitOfWork(AbstractUnitOfWork):
    """Works on a copy of the store; :meth:`commit` publishes it, anything else is dropped."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        self._work = Store(dict(self.store.clinics), dict(self.store.patients), dict(self.store.records))
        self.clinics = FakeClinicRepository(self._work.clinics)
        self.patients = FakePatientRepository(self._work.patients)
        self.records = FakeRecordRepository(self._work.records)
        return self

    def commit(self) -> None:
        self.store.clinics, self.store.patients, self.store.records = (
            dict(self._work.clinics), dict(self._work.patients), dict(self._work.records))
        self.commits += 1

    def rollback(self) -> None:
        self.__enter__()
