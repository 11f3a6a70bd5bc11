"""The checks every record write passes, and the write itself, inside an audited transaction.

The record use cases (:mod:`naltrack.services.records`) and the FHIR import
(:mod:`naltrack.services.imports`) write through :func:`write_records` and
:func:`write_patient`, always from inside :func:`~naltrack.services.access.run_audited`: each
record written is named to the access (:meth:`~naltrack.services.access.Access.wrote`), so it
gets exactly one audit entry in the same transaction.

The checks: no event dated after ``now`` (issue 2, "an administration dated in the future"),
a known RxNorm code, a patient of the actor's clinic, and regimens, implants and injections
referenced by the same patient's records (in the store or in the same batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from naltrack.domain import observations as obs
from naltrack.domain.administrations import ImplantInsertion, ImplantRemoval, Injection, OralDose
from naltrack.domain.care import AdverseEvent, CounselingSession, SupportGroupAttendance
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.regimens import Regimen
from naltrack.domain.safety import SafetyAssessment
from naltrack.domain.security.roles import KIND_CATEGORY
from naltrack.domain.terminology import resolve_rxnorm
from naltrack.domain.units import require_aware, require_not_future
from naltrack.services.access import Access, authorize, patient_in_clinic
from naltrack.services.security_ports import SecureUnitOfWork
from naltrack.services.unit_of_work import KIND_OF

#: The field that dates each kind of event that has already happened; such an event
#: cannot be recorded with a date after ``now`` (issue 2, "an administration dated in
#: the future"). Appointments, planned procedures, regimens and episodes may be future.
EVENT_TIME_FIELD: dict[type[ClinicalRecord], str] = {
    OralDose: "taken_at", Injection: "given_at", ImplantInsertion: "inserted_at",
    ImplantRemoval: "removed_at", obs.LabResult: "collected_at", obs.UrineDrugScreen: "collected_at",
    obs.NaloxoneChallenge: "performed_at", obs.QuestionnaireResponse: "completed_at", obs.DrinkingDay: "day",
    obs.SubstanceUseReport: "reported_on", CounselingSession: "held_on", SupportGroupAttendance: "attended_on",
    AdverseEvent: "onset", SafetyAssessment: "assessed_at",
}


def kind_of(record: ClinicalRecord) -> str:
    """The record kind (a :data:`~naltrack.services.unit_of_work.RECORD_TYPES` key) of ``record``."""
    kind = KIND_OF.get(type(record))
    if kind is None:
        raise InvalidInput("record", type(record).__name__, "is not a clinical record type")
    return kind


def check_record(record: ClinicalRecord, now: datetime) -> None:
    """What needs no database: a record type, no event after ``now``, an RxNorm code the terminology knows
    (:func:`~naltrack.domain.terminology.resolve_rxnorm`: the catalog or the code tables)."""
    kind = kind_of(record)
    name = EVENT_TIME_FIELD.get(type(record))
    if name is not None:
        value: datetime | date = getattr(record, name)
        require_not_future(f"{kind.rstrip('s')}.{name}", value, now)
    code = getattr(record, "rxnorm", None)
    if isinstance(record, Regimen | Injection) and code is not None and resolve_rxnorm(code) is None:
        raise NotFound("RxNorm code", code)  # neither the catalog nor the code tables know it


def write_records(uow: SecureUnitOfWork, access: Access, records: Sequence[ClinicalRecord],
                  now: datetime) -> list[ClinicalRecord]:
    """Check and store ``records`` as written by ``access.actor``; one audit entry each.

    ``recorded_by`` is the actor; ``recorded_at`` is ``now`` unless the record gives its own.

    The actor must be allowed to create each kind, and each patient must be of the actor's
    clinic. Nothing is committed here: :func:`~naltrack.services.access.run_audited` commits
    the records and their audit entries together, or rolls everything back.
    """
    return store_checked(uow, access, checked_batch(uow, access, records, now))


def store_checked(uow: SecureUnitOfWork, access: Access, batch: list[ClinicalRecord]) -> list[ClinicalRecord]:
    """Store a batch :func:`checked_batch` has passed, naming each record to the access (one audit entry each)."""
    uow.records.add_many(batch)
    for record in batch:
        access.wrote(kind_of(record), record.id, record.patient_id, category=KIND_CATEGORY[kind_of(record)])
    return batch


def checked_batch(uow: SecureUnitOfWork, access: Access, records: Sequence[ClinicalRecord],
                  now: datetime) -> list[ClinicalRecord]:
    """``records`` with their provenance, once the checks of :func:`write_records` pass (nothing is written)."""
    require_aware("now", now)
    for kind in sorted({kind_of(r) for r in records}):
        authorize(uow, access, category=KIND_CATEGORY[kind], action="create")
    for patient_id in sorted({r.patient_id for r in records}):
        patient_in_clinic(uow, access, patient_id)
    batch = [replace(r, recorded_at=r.recorded_at or now, recorded_by=access.actor.user.id) for r in records]
    for record in batch:
        check_record(record, now)
    check_references(uow, batch)
    return batch


def write_patient(uow: SecureUnitOfWork, access: Access, patient: Patient) -> Patient:
    """Register ``patient`` in the actor's clinic (a new id, an MRN not used there); one audit entry."""
    if patient.clinic_id != access.actor.clinic_id:
        raise InvalidInput("patient.clinic_id", patient.clinic_id, "must be the user's own clinic")
    authorize(uow, access, category="demographics", action="create")
    if uow.patients.find(patient.id) is not None:
        raise Conflict(f"patient {patient.id!r} already exists")
    check_mrn(uow, patient)
    uow.patients.add(patient)
    access.wrote("patients", patient.id, patient.id, category="demographics")
    return patient


def check_mrn(uow: SecureUnitOfWork, patient: Patient) -> None:
    """An MRN names one patient of a clinic."""
    if patient.mrn and any(p.mrn == patient.mrn and p.id != patient.id for p in uow.patients.search(
            clinic_id=patient.clinic_id, text=patient.mrn, limit=500)):
        raise InvalidInput("patient.mrn", patient.mrn, "is already used in this clinic")


def check_references(uow: SecureUnitOfWork, batch: Sequence[ClinicalRecord]) -> None:
    """Regimens, implants and injections named by the batch exist for the same patient."""
    in_batch = {(type(r), r.id) for r in batch}
    for record in batch:
        regimen_id = getattr(record, "regimen_id", None)
        if regimen_id is not None:
            _require(uow, in_batch, Regimen, regimen_id, record.patient_id)
        if isinstance(record, ImplantRemoval):
            _require(uow, in_batch, ImplantInsertion, record.implant_id, record.patient_id)
        if isinstance(record, AdverseEvent) and record.injection_id is not None:
            _require(uow, in_batch, Injection, record.injection_id, record.patient_id)
        if isinstance(record, SafetyAssessment) and record.response_id is not None:
            _require(uow, in_batch, obs.QuestionnaireResponse, record.response_id, record.patient_id)


def _require(uow: SecureUnitOfWork, in_batch: set[tuple[type[ClinicalRecord], str]],
             cls: type[ClinicalRecord], record_id: str, patient_id: str) -> None:
    if (cls, record_id) in in_batch:
        return
    found = uow.records.find(cls, record_id)
    if found is None or found.patient_id != patient_id:
        raise NotFound(KIND_OF[cls].rstrip("s"), record_id)
