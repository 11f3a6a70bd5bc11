"""Record use cases: register clinics and patients, add and correct clinical records,
load a patient's chart, list patients.

Every use case takes a unit of work and, where a rule needs the clock, ``now`` (an aware
datetime): the services never read the clock themselves. A batch is checked whole before
anything is written, and written in one transaction, so a bad record leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import AdverseEvent, CounselingSession, SupportGroupAttendance
from naltrack.domain.catalog import get_medication
from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.observations import (
    DrinkingDay,
    LabResult,
    NaloxoneChallenge,
    QuestionnaireResponse,
    SubstanceUseReport,
    UrineDrugScreen,
)
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord, supersede
from naltrack.domain.regimens import Regimen
from naltrack.domain.units import require_aware, require_not_future
from naltrack.services.unit_of_work import KIND_OF, RECORD_TYPES, AbstractUnitOfWork

#: The field that dates each kind of event that has already happened; such an event
#: cannot be recorded with a date after ``now`` (issue 2, "an administration dated in
#: the future"). Appointments, planned procedures, regimens and episodes may be future.
EVENT_TIME_FIELD: dict[type[ClinicalRecord], str] = {
    OralDose: "taken_at", Injection: "given_at", ImplantInsertion: "inserted_at",
    ImplantRemoval: "removed_at", LabResult: "collected_at", UrineDrugScreen: "collected_at",
    NaloxoneChallenge: "performed_at", QuestionnaireResponse: "completed_at", DrinkingDay: "day",
    SubstanceUseReport: "reported_on", CounselingSession: "held_on", SupportGroupAttendance: "attended_on",
    AdverseEvent: "onset",
}
#: Largest page of patients one call returns.
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PatientPage:
    """One page of a patient listing."""

    items: tuple[Patient, ...]
    total: int
    limit: int
    offset: int


def register_clinic(uow: AbstractUnitOfWork, clinic: Clinic) -> Clinic:
    """Add a clinic; :class:`Conflict` if the id is taken."""
    with uow:
        if uow.clinics.find(clinic.id) is not None:
            raise Conflict(f"clinic {clinic.id!r} already exists")
        uow.clinics.add(clinic)
        uow.commit()
    return clinic


def register_patient(uow: AbstractUnitOfWork, patient: Patient) -> Patient:
    """Add a patient to an existing clinic; :class:`NotFound` for an unknown clinic."""
    with uow:
        uow.clinics.get(patient.clinic_id)
        if uow.patients.find(patient.id) is not None:
            raise Conflict(f"patient {patient.id!r} already exists")
        uow.patients.add(patient)
        uow.commit()
    return patient


def add_record(uow: AbstractUnitOfWork, record: ClinicalRecord, *, now: datetime) -> ClinicalRecord:
    """Check and store one clinical record; returns it as stored (``recorded_at`` filled)."""
    return add_records(uow, [record], now=now)[0]


def add_records(uow: AbstractUnitOfWork, records: Iterable[ClinicalRecord], *,
                now: datetime) -> list[ClinicalRecord]:
    """Check every record, then store them all in one transaction, or none.

    Raises
    ------
    InvalidInput
        An event dated after ``now``, or a naive ``now``.
    NotFound
        An unknown patient, RxNorm code, regimen or implant.
    """
    require_aware("now", now)
    batch = [_stamp(record, now) for record in records]
    for record in batch:
        _check_timing(record, now)
        _check_codes(record)
    with uow:
        _check_references(uow, batch)
        uow.records.add_many(batch)
        uow.commit()
    return batch


def correct_record(uow: AbstractUnitOfWork, old_id: str, new: ClinicalRecord, *,
                   now: datetime) -> ClinicalRecord:
    """Replace record ``old_id`` by ``new``: the old one stays, marked entered-in-error.

    Returns the stored correction, whose ``supersedes`` names the old record.
    """
    require_aware("now", now)
    new = _stamp(new, now)
    _check_timing(new, now)
    _check_codes(new)
    with uow:
        old = uow.records.get(type(new), old_id)
        retired, linked = supersede(old, new)
        _check_references(uow, [linked])
        uow.records.update(replace(retired, version=old.version + 1))
        uow.records.add(linked)
        uow.commit()
    return linked


def load_chart(uow: AbstractUnitOfWork, patient_id: str) -> PatientChart:
    """Everything recorded about one patient (superseded versions included)."""
    with uow:
        patient = uow.patients.get(patient_id)
        records = uow.records.for_patient(patient_id)
    by_kind: dict[str, Any] = {kind: tuple(records.get(kind, ())) for kind in RECORD_TYPES}
    return PatientChart(patient=patient, **by_kind)


def list_patients(uow: AbstractUnitOfWork, *, clinic_id: str | None = None, text: str | None = None,
                  limit: int = 50, offset: int = 0) -> PatientPage:
    """A page of patients, ordered by name; ``text`` matches names and MRN."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("limit", limit, f"must be between 1 and {MAX_PAGE_SIZE}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("offset", offset, "must be 0 or more")
    with uow:
        items = uow.patients.search(clinic_id=clinic_id, text=text, limit=limit, offset=offset)
        total = uow.patients.count(clinic_id=clinic_id, text=text)
    return PatientPage(items=tuple(items), total=total, limit=limit, offset=offset)


# --- checks ----------------------------------------------------------------------------

def _stamp(record: ClinicalRecord, now: datetime) -> ClinicalRecord:
    if type(record) not in KIND_OF:
        raise InvalidInput("record", type(record).__name__, "is not a clinical record type")
    return record if record.recorded_at is not None else replace(record, recorded_at=now)


def _check_timing(record: ClinicalRecord, now: datetime) -> None:
    name = EVENT_TIME_FIELD.get(type(record))
    if name is None:
        return
    value: datetime | date = getattr(record, name)
    require_not_future(f"{KIND_OF[type(record)].rstrip('s')}.{name}", value, now)


def _check_codes(record: ClinicalRecord) -> None:
    code = getattr(record, "rxnorm", None)
    if isinstance(record, Regimen | Injection) and code is not None:
        get_medication(code)  # NotFound names the unknown code


def _check_references(uow: AbstractUnitOfWork, batch: Sequence[ClinicalRecord]) -> None:
    """Patients, regimens and implants named by the batch exist (in the store or the batch)."""
    in_batch = {(type(r), r.id) for r in batch}
    for patient_id in sorted({r.patient_id for r in batch}):
        uow.patients.get(patient_id)
    for record in batch:
        regimen_id = getattr(record, "regimen_id", None)
        if regimen_id is not None:
            _require(uow, in_batch, Regimen, regimen_id, record.patient_id)
        if isinstance(record, ImplantRemoval):
            _require(uow, in_batch, ImplantInsertion, record.implant_id, record.patient_id)
        if isinstance(record, AdverseEvent) and record.injection_id is not None:
            _require(uow, in_batch, Injection, record.injection_id, record.patient_id)


def _require(uow: AbstractUnitOfWork, in_batch: set[tuple[type[ClinicalRecord], str]],
             cls: type[ClinicalRecord], record_id: str, patient_id: str) -> None:
    if (cls, record_id) in in_batch:
        return
    found = uow.records.find(cls, record_id)
    if found is None or found.patient_id != patient_id:
        raise NotFound(KIND_OF[cls].rstrip("s"), record_id)
