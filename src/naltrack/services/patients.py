"""Patient use cases: register a clinic, register, read, list and update a clinic's patients, and find
possible duplicates before registering.

Like the record use cases (:mod:`naltrack.services.records`), each one takes the application
context, the acting user, its inputs and ``now``, and runs in one
:func:`~naltrack.services.access.run_audited` call; a registered patient gets exactly one
audit entry, in the same transaction. A user sees only their own clinic's patients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from naltrack.domain.errors import Conflict
from naltrack.domain.identity import may_be_same_person
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.records import ClinicalRecord
from naltrack.domain.security.accounts import Actor
from naltrack.errors import StaleVersion
from naltrack.services.access import Access, authorize, authorized_patient, read_patient, run_audited
from naltrack.services.context import AppContext
from naltrack.services.record_writes import check_mrn, write_patient, write_records
from naltrack.services.records import Page, check_page
from naltrack.services.security import new_id
from naltrack.services.security_ports import SecureUnitOfWork

PatientBuilder = Callable[[dict[str, Any]], Patient]


def register_clinic(ctx: AppContext, clinic: Clinic) -> Clinic:
    """Add a clinic (set-up, before it has users); :class:`Conflict` if the id is taken."""
    with ctx.uow() as uow:
        if uow.clinics.find(clinic.id) is not None:
            raise Conflict(f"clinic {clinic.id!r} already exists")
        uow.clinics.add(clinic)
        uow.commit()
    return clinic


def update_clinic(ctx: AppContext, clinic_id: str, *, name: str | None = None, timezone: str | None = None,
                  phone: str | None = None) -> Clinic:
    """Change a clinic's name, time zone or phone (set-up); :class:`NotFound` for an unknown clinic."""
    with ctx.uow() as uow:
        current = uow.clinics.get(clinic_id)
        changed = replace(current, name=current.name if name is None else name,
                          timezone=current.timezone if timezone is None else timezone,
                          phone=current.phone if phone is None else phone)
        uow.clinics.update(changed)
        uow.commit()
    return changed


def _access(actor: Actor, action: str, now: datetime, patient_id: str | None = None) -> Access:
    return Access(actor=actor, action=action, category="demographics", now=now, record_type="patients",
                  record_id=patient_id)


def register_patient(ctx: AppContext, actor: Actor, build: PatientBuilder, now: datetime, *,
                     first_records: Callable[[Patient], Sequence[ClinicalRecord]] | None = None) -> Patient:
    """Register a patient in the actor's clinic; ``build`` gets the new ``id`` and the ``clinic_id``.

    ``first_records`` (e.g. the intake's episode of care) are written with the patient, in the
    same transaction: the patient and every record, or nothing; one audit entry each.
    """
    access = _access(actor, "create", now)

    def body(uow: SecureUnitOfWork, access: Access) -> Patient:
        authorize(uow, access)
        patient = build({"id": new_id(), "clinic_id": actor.clinic_id})
        access.record_id = access.patient_id = patient.id
        write_patient(uow, access, patient)
        records = first_records(patient) if first_records is not None else ()
        if records:
            write_records(uow, access, records, now)
        return patient

    return run_audited(ctx.uow, access, body)


def get_patient(ctx: AppContext, actor: Actor, patient_id: str, now: datetime) -> Patient:
    """One patient of the actor's clinic; NotFound for any other."""
    access = _access(actor, "read", now, patient_id)
    return read_patient(ctx.uow, access, patient_id, lambda uow, patient: patient)


def list_patients(ctx: AppContext, actor: Actor, text: str | None, limit: int, offset: int, now: datetime) -> Page:
    """A page of the actor's clinic's patients, ordered by name; ``text`` matches names and MRN."""
    check_page(limit, offset)
    access = _access(actor, "read", now)

    def body(uow: SecureUnitOfWork, access: Access) -> Page:
        authorize(uow, access)
        items = uow.patients.search(clinic_id=actor.clinic_id, text=text, limit=limit, offset=offset)
        total = uow.patients.count(clinic_id=actor.clinic_id, text=text)
        access.showed((patient.id for patient in items), "a patient search" if text else "the patient list")
        return Page(tuple(items), total, limit, offset)

    return run_audited(ctx.uow, access, body)


def find_possible_duplicates(ctx: AppContext, actor: Actor, family: str, given: str, birth_date: date,
                             now: datetime) -> tuple[Patient, ...]:
    """The actor's clinic's patients who may be the person about to be registered: born on ``birth_date``,
    with an agreeing family name and first given name (:func:`~naltrack.domain.identity.may_be_same_person`).

    A read like :func:`list_patients`: each patient returned gets an audit entry of its own.
    """
    access = _access(actor, "read", now)

    def body(uow: SecureUnitOfWork, access: Access) -> tuple[Patient, ...]:
        authorize(uow, access)
        found = tuple(patient for patient in uow.patients.born_on(actor.clinic_id, birth_date)
                      if may_be_same_person(patient, family, given, birth_date))
        access.showed((patient.id for patient in found), "a possible duplicate at intake")
        return found

    return run_audited(ctx.uow, access, body)


def update_patient(ctx: AppContext, actor: Actor, patient_id: str, expected_version: int, build: PatientBuilder,
                   now: datetime) -> Patient:
    """Replace a patient's demographics (a new version; If-Match names the one it replaces)."""
    access = _access(actor, "update", now, patient_id)

    def body(uow: SecureUnitOfWork, access: Access) -> Patient:
        old = authorized_patient(uow, access, patient_id)
        if old.version != expected_version:
            raise StaleVersion(f"version {expected_version} is stale: the patient is at version {old.version}")
        new = build({"id": old.id, "clinic_id": old.clinic_id, "version": old.version + 1})
        check_mrn(uow, new)
        uow.patients.update(new)
        access.wrote("patients", new.id, new.id, detail=f"version {new.version}")
        return new

    return run_audited(ctx.uow, access, body)
