"""Use cases behind the generic record API: list, get, create, correct, retract, for every
kind of clinical record, each through :func:`~naltrack.services.access.run_audited`.

Corrections supersede (the old version stays, entered-in-error; DESIGN.md "Architecture");
both corrections and retractions name the version they expect (If-Match), and a stale
version is a :class:`~naltrack.domain.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from naltrack.domain.chart import PatientChart
from naltrack.domain.errors import Conflict, InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.roles import KIND_CATEGORY
from naltrack.services import records as record_cases
from naltrack.services.access import Access, authorize, patient_in_clinic, run_audited
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork, SecureUnitOfWorkFactory
from naltrack.services.unit_of_work import RECORD_TYPES

MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    """A page of results and the total that matched."""

    items: tuple[Any, ...]
    total: int
    limit: int
    offset: int


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", limit, f"must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise InvalidInput("offset", offset, "must be 0 or more")


@dataclass(frozen=True)
class RecordFilter:
    """Filters of a record listing: status, and a date window on the record's own date."""

    status: str | None = "active"
    since: date | None = None
    until: date | None = None


def _record_day(record: ClinicalRecord) -> date | None:
    name = record_cases.EVENT_TIME_FIELD.get(type(record))
    for field in (name, "start", "starts_at", "planned_on", "issued_on", "onset", "signed_on"):
        value = getattr(record, field, None) if field else None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
    return None


def _matches(record: ClinicalRecord, filters: RecordFilter) -> bool:
    if filters.status is not None and record.status != filters.status:
        return False
    day = _record_day(record)
    if day is None:
        return filters.since is None and filters.until is None
    return (filters.since is None or day >= filters.since) and (filters.until is None or day <= filters.until)


def _access(actor: Actor, action: str, kind: str, now: datetime) -> Access:
    if kind not in RECORD_TYPES:
        raise NotFound("record kind", kind)
    return Access(actor=actor, action=action, category=KIND_CATEGORY[kind], now=now, record_type=kind)


def list_records(uow_factory: SecureUnitOfWorkFactory, actor: Actor, kind: str, patient_id: str,
                 filters: RecordFilter, limit: int, offset: int, now: datetime) -> Page:
    """A patient's records of one kind, newest first."""
    check_page(limit, offset)
    access = _access(actor, "read", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> Page:
        patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        rows = [r for r in uow.records.for_patient(patient_id).get(kind, []) if _matches(r, filters)]
        rows.sort(key=lambda r: (_record_day(r) or date.min, r.id), reverse=True)
        return Page(tuple(rows[offset:offset + limit]), len(rows), limit, offset)

    return run_audited(uow_factory, access, body)


def _owned_record(uow: SecureUnitOfWork, access: Access, kind: str, record_id: str) -> ClinicalRecord:
    return _owned(uow, access, kind, record_id)[0]


def _owned(uow: SecureUnitOfWork, access: Access, kind: str, record_id: str) -> tuple[ClinicalRecord, Patient]:
    """The record and its patient, if the patient is of the actor's clinic; NotFound otherwise."""
    access.record_id = record_id
    record = uow.records.find(RECORD_TYPES[kind], record_id)
    if record is None:
        raise NotFound(kind.rstrip("s"), record_id)
    try:
        patient = patient_in_clinic(uow, access, record.patient_id)
    except NotFound:
        raise NotFound(kind.rstrip("s"), record_id) from None
    return record, patient


def get_record(uow_factory: SecureUnitOfWorkFactory, actor: Actor, kind: str, record_id: str,
               now: datetime) -> ClinicalRecord:
    access = _access(actor, "read", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        record = _owned_record(uow, access, kind, record_id)
        authorize(uow, access)
        return record

    return run_audited(uow_factory, access, body)


Builder = Callable[[dict[str, Any]], ClinicalRecord]


def create_record(uow_factory: SecureUnitOfWorkFactory, actor: Actor, kind: str, patient_id: str,
                  build: Builder, now: datetime) -> ClinicalRecord:
    """Build the record from validated input (``build`` gets id, patient and provenance) and store it."""
    access = _access(actor, "create", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        record = build({"id": new_id(), "patient_id": patient_id, "recorded_by": actor.user.id,
                        "recorded_at": now, "_sex": patient.sex_at_birth})
        access.record_id = record.id
        stored = record_cases.add_records(_Borrowed(uow), [record], now=now)[0]
        return stored

    return run_audited(uow_factory, access, body)


def correct_record(uow_factory: SecureUnitOfWorkFactory, actor: Actor, kind: str, record_id: str,
                   expected_version: int, build: Builder, now: datetime) -> ClinicalRecord:
    """Supersede ``record_id`` by a new record built from the input; the old one becomes entered-in-error."""
    access = _access(actor, "update", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        old, patient = _owned(uow, access, kind, record_id)
        authorize(uow, access)
        _check_version(old.version, expected_version, old.status)
        new = build({"id": new_id(), "patient_id": old.patient_id, "recorded_by": actor.user.id,
                     "recorded_at": now, "_sex": patient.sex_at_birth})
        access.detail = f"superseded by {new.id}"
        try:
            return record_cases.correct_record(_Borrowed(uow), record_id, new, now=now)
        except Conflict as error:  # another correction committed between our read and our write
            raise StaleVersion(f"version {expected_version} is stale: {error}") from error

    return run_audited(uow_factory, access, body)


def retract_record(uow_factory: SecureUnitOfWorkFactory, actor: Actor, kind: str, record_id: str,
                   expected_version: int, now: datetime) -> ClinicalRecord:
    """Mark a record entered-in-error without a replacement."""
    access = _access(actor, "retract", kind, now)

    def body(uow: SecureUnitOfWork, access: Access) -> ClinicalRecord:
        old = _owned_record(uow, access, kind, record_id)
        authorize(uow, access)
        _check_version(old.version, expected_version, old.status)
        retired = replace(old, status="entered-in-error", version=old.version + 1)
        uow.records.update(retired)
        return retired

    return run_audited(uow_factory, access, body)


def _check_version(stored: int, expected: int, status: str) -> None:
    if stored != expected:
        raise StaleVersion(f"version {expected} is stale: the record is at version {stored}")
    if status != "active":
        raise Conflict("the record is already entered-in-error")


class StaleVersion(Conflict):
    """If-Match names a version that is no longer current."""


class _Borrowed(SecureUnitOfWork):
    """The open unit of work, lent to the record use cases: their ``with``/``commit`` are no-ops,
    so everything, the audit entry included, commits once in :func:`run_audited`."""

    def __init__(self, inner: SecureUnitOfWork) -> None:
        self.clinics, self.patients, self.records = inner.clinics, inner.patients, inner.records
        self.security = inner.security

    def __exit__(self, *args: object) -> None:
        return None

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None


# --- patients and views -----------------------------------------------------------------

def list_patients(uow_factory: SecureUnitOfWorkFactory, actor: Actor, text: str | None, limit: int, offset: int,
                  now: datetime) -> Page:
    """The actor's clinic's patients only."""
    check_page(limit, offset)
    access = Access(actor=actor, action="read", category="demographics", now=now, record_type="patients")

    def body(uow: SecureUnitOfWork, access: Access) -> Page:
        authorize(uow, access)
        page = record_cases.list_patients(_Borrowed(uow), clinic_id=actor.clinic_id, text=text,
                                          limit=limit, offset=offset)
        return Page(page.items, page.total, limit, offset)

    return run_audited(uow_factory, access, body)


def get_patient(uow_factory: SecureUnitOfWorkFactory, actor: Actor, patient_id: str, now: datetime) -> Patient:
    access = Access(actor=actor, action="read", category="demographics", now=now, record_type="patients",
                    record_id=patient_id)

    def body(uow: SecureUnitOfWork, access: Access) -> Patient:
        patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        return patient

    return run_audited(uow_factory, access, body)


def create_patient(uow_factory: SecureUnitOfWorkFactory, actor: Actor, build: Callable[[dict[str, Any]], Patient],
                   now: datetime) -> Patient:
    access = Access(actor=actor, action="create", category="demographics", now=now, record_type="patients")

    def body(uow: SecureUnitOfWork, access: Access) -> Patient:
        authorize(uow, access)
        patient = build({"id": new_id(), "clinic_id": actor.clinic_id})
        access.record_id = access.patient_id = patient.id
        _check_mrn(uow, patient)
        uow.patients.add(patient)
        return patient

    return run_audited(uow_factory, access, body)


def update_patient(uow_factory: SecureUnitOfWorkFactory, actor: Actor, patient_id: str, expected_version: int,
                   build: Callable[[dict[str, Any]], Patient], now: datetime) -> Patient:
    """Replace a patient's demographics (a new version; If-Match names the one it replaces)."""
    access = Access(actor=actor, action="update", category="demographics", now=now, record_type="patients",
                    record_id=patient_id)

    def body(uow: SecureUnitOfWork, access: Access) -> Patient:
        old = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        if old.version != expected_version:
            raise StaleVersion(f"version {expected_version} is stale: the patient is at version {old.version}")
        new = build({"id": old.id, "clinic_id": old.clinic_id, "version": old.version + 1})
        _check_mrn(uow, new)
        uow.patients.update(new)
        return new

    return run_audited(uow_factory, access, body)


def _check_mrn(uow: SecureUnitOfWork, patient: Patient) -> None:
    if patient.mrn and any(p.mrn == patient.mrn and p.id != patient.id for p in uow.patients.search(
            clinic_id=patient.clinic_id, text=patient.mrn, limit=MAX_PAGE)):
        raise InvalidInput("patient.mrn", patient.mrn, "is already used in this clinic")


def chart_view(uow_factory: SecureUnitOfWorkFactory, actor: Actor, patient_id: str, view: str,
               compute: Callable[[PatientChart], Any], now: datetime) -> Any:
    """A read view computed from the whole chart (alerts, readiness, coverage)."""
    access = Access(actor=actor, action="read", category="clinical-views", now=now, record_type=view)

    def body(uow: SecureUnitOfWork, access: Access) -> Any:
        patient = patient_in_clinic(uow, access, patient_id)
        authorize(uow, access)
        records = uow.records.for_patient(patient_id)
        chart = PatientChart(patient=patient, **{k: tuple(records.get(k, ())) for k in RECORD_TYPES})  # type: ignore[arg-type]
        return compute(chart)

    return run_audited(uow_factory, access, body)
