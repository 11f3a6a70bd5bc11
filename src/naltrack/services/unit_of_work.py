"""The ports the use cases talk to: repositories and the unit of work.

A use case opens the unit of work, reads and adds through its repositories, and calls
:meth:`AbstractUnitOfWork.commit`. Leaving the ``with`` block without committing, or
with an exception, rolls everything back: nothing is half-written. The SQLAlchemy
implementation lives in :mod:`naltrack.adapters.db`; tests use in-memory fakes that
subclass these ports.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar, get_args, get_type_hints

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import NotFound
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord


def _record_types() -> dict[str, type[ClinicalRecord]]:
    hints = get_type_hints(PatientChart)
    return {name: get_args(hint)[0] for name, hint in hints.items() if name != "patient"}


#: Every clinical record type, keyed by its field name in :class:`PatientChart`
#: (``"injections"``, ``"labs"``, ...), in the chart's order.
RECORD_TYPES: Mapping[str, type[ClinicalRecord]] = _record_types()
#: The reverse: the chart field of each record class.
KIND_OF: Mapping[type[ClinicalRecord], str] = {cls: kind for kind, cls in RECORD_TYPES.items()}

R = TypeVar("R", bound=ClinicalRecord)
T = TypeVar("T")


class KeyedRepository(abc.ABC, Generic[T]):
    """Items found by their id: :meth:`find` may return None, :meth:`get` raises :class:`NotFound`."""

    #: What the items are called in a :class:`NotFound` message.
    kind: ClassVar[str]

    @abc.abstractmethod
    def add(self, item: T) -> None: ...

    @abc.abstractmethod
    def find(self, item_id: str) -> T | None: ...

    def get(self, item_id: str) -> T:
        """The item, or :class:`NotFound`."""
        item = self.find(item_id)
        if item is None:
            raise NotFound(self.kind, item_id)
        return item


class ClinicRepository(KeyedRepository[Clinic]):
    """Clinics (the tenants)."""

    kind = "clinic"

    @abc.abstractmethod
    def list(self) -> list[Clinic]: ...

    @abc.abstractmethod
    def update(self, clinic: Clinic) -> None:
        """Store ``clinic``'s name, time zone and phone; :class:`NotFound` for an unknown clinic."""


class PatientRepository(KeyedRepository[Patient]):
    """Patients, searchable by clinic and by name or MRN."""

    kind = "patient"

    def add(self, item: Patient) -> None:
        self.add_many([item])

    @abc.abstractmethod
    def add_many(self, patients: Iterable[Patient]) -> None: ...

    @abc.abstractmethod
    def search(self, *, clinic_id: str | None = None, text: str | None = None,
               limit: int = 50, offset: int = 0) -> list[Patient]:
        """Patients ordered by family name, given name and id."""

    @abc.abstractmethod
    def count(self, *, clinic_id: str | None = None, text: str | None = None) -> int: ...

    def find_by_identifier(self, system: str, value: str) -> list[Patient]:
        """Every patient, of any clinic, holding the identifier ``system`` + ``value`` (the clinic's MRN
        under :func:`~naltrack.domain.person_data.mrn_system` included); the caller checks the clinic and
        confirms the person with :func:`~naltrack.domain.identity.match_person`."""
        raise NotImplementedError(f"{type(self).__name__} cannot look patients up by identifier")

    def born_on(self, clinic_id: str, birth_date: date) -> list[Patient]:
        """The clinic's patients born on ``birth_date``, ordered by family name, given name and id (the
        candidates :func:`~naltrack.domain.identity.may_be_same_person` compares at intake)."""
        raise NotImplementedError(f"{type(self).__name__} cannot look patients up by birth date")

    def update(self, patient: Patient) -> None:
        """Store a new version of ``patient``; the stored one must be ``patient.version - 1``, else
        :class:`~naltrack.domain.errors.Conflict`. (Not abstract, so that existing fakes still build.)"""
        raise NotImplementedError(f"{type(self).__name__} cannot update patients")


class RecordRepository(abc.ABC):
    """Clinical records of every type (the types of :data:`RECORD_TYPES`)."""

    def add(self, record: ClinicalRecord) -> None:
        self.add_many([record])

    @abc.abstractmethod
    def add_many(self, records: Iterable[ClinicalRecord]) -> None:
        """Add records of any types; order is kept within a type (old versions first)."""

    @abc.abstractmethod
    def find(self, record_type: type[R], record_id: str) -> R | None: ...

    @abc.abstractmethod
    def update(self, record: R) -> None:
        """Store a new version of ``record``.

        The stored row must have version ``record.version - 1``, else :class:`Conflict`
        (someone else changed it first).
        """

    @abc.abstractmethod
    def for_patient(self, patient_id: str, kinds: Collection[str] | None = None) -> dict[str, list[ClinicalRecord]]:
        """Every record of the patient (of ``kinds`` only, if given), including superseded versions, keyed by kind."""

    @abc.abstractmethod
    def count_by_kind(self) -> dict[str, int]:
        """Number of rows (all versions) per kind of :data:`RECORD_TYPES`."""

    def get(self, record_type: type[R], record_id: str) -> R:
        """The record, or :class:`NotFound`."""
        record = self.find(record_type, record_id)
        if record is None:
            raise NotFound(KIND_OF.get(record_type, record_type.__name__), record_id)
        return record


class AbstractUnitOfWork(abc.ABC):
    """One transaction: ``with uow: ...; uow.commit()``."""

    clinics: ClinicRepository
    patients: PatientRepository
    records: RecordRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Rolling back after a commit is a no-op; without one it discards everything.
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


#: Builds a fresh unit of work; the faces receive one from :mod:`naltrack.bootstrap`.
UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]


def chart_in(uow: AbstractUnitOfWork, patient: Patient) -> PatientChart:
    """The whole chart of ``patient`` (superseded versions included) inside an open unit of work."""
    records = uow.records.for_patient(patient.id)
    kinds: dict[str, Any] = {kind: tuple(records.get(kind, ())) for kind in RECORD_TYPES}
    return PatientChart(patient=patient, **kinds)
