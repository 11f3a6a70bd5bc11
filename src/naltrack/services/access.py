"""Every access to patient data goes through :func:`run_audited`: tenancy, the least-privilege
matrix, break-the-glass, and one audit entry in the same transaction as the access.

A user sees only their clinic's patients; another clinic's patient is "not found", so its
existence does not leak (issue 5 §2). A refused or failed attempt is audited in a
transaction of its own, since the attempt's own transaction is rolled back.

A use case that writes records names each one with :meth:`Access.wrote`; the audit log then
gets exactly one entry per record written (a batch of N records, N entries), in the same
transaction as the records, so a failure at the audit append leaves no record behind. A
use case that writes nothing (a read, a retraction) gets one entry for the access.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from naltrack.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from naltrack.domain.patients import Patient
from naltrack.domain.security.accounts import Actor
from naltrack.domain.security.audit import AuditEvent, Outcome
from naltrack.domain.security.patient_accounts import bound_patient_id
from naltrack.domain.security.roles import CLINICAL_CATEGORIES, EMERGENCY_ROLES, AccessDenied, is_permitted
from naltrack.services.refusals import fit_for_audit
from naltrack.services.security_ports import SecureUnitOfWork, SecureUnitOfWorkFactory

T = TypeVar("T")


class OfPatient(Protocol):
    """Anything that belongs to one patient (a record, a consent, a break-the-glass grant)."""

    @property
    def patient_id(self) -> str: ...


P = TypeVar("P", bound=OfPatient)


@dataclass
class Access:
    """What one access touched, filled in by the use case and written to the audit log."""

    actor: Actor
    action: str
    """What the actor does, as the entries name it: an action of the role matrix (``read``, ``create``, ...)
    or one only the audit names (``verify``, ``acknowledge``), authorized as the matrix action it implies."""
    category: str
    now: datetime
    record_type: str | None = None
    record_id: str | None = None
    patient_id: str | None = None
    """The record and patient the access itself touched, set by the look-ups (:func:`patient_in_clinic`,
    :func:`in_clinic`); the one entry of an access that wrote nothing names them."""
    purpose: str | None = None
    """The purpose of use the entries name; ``None`` takes the actor's."""
    detail: str | None = None
    written: list[Written] = field(default_factory=list)

    def wrote(self, record_type: str, record_id: str, patient_id: str, *, category: str | None = None,
              detail: str | None = None) -> None:
        """Name one record this access wrote: it gets its own audit entry."""
        self.written.append(Written(record_type, record_id, patient_id, category or self.category, detail))

    def showed(self, patient_ids: Iterable[str], view: str) -> None:
        """Name the patients a list, a search, the dashboard or the schedule showed: each gets an audit entry of its
        own (who saw whom, 45 CFR 164.312(b)); an empty list leaves the one entry for the access."""
        for patient_id in dict.fromkeys(patient_ids):
            self.written.append(Written(self.record_type or "patients", patient_id, patient_id, self.category,
                                        f"shown on {view}"))

    def event(self, outcome: Outcome, written: Written | None = None) -> AuditEvent:
        return AuditEvent(
            at=self.now, actor=self.actor.user.id, clinic_id=self.actor.clinic_id, action=self.action,
            category=written.category if written else self.category,
            record_type=written.record_type if written else self.record_type,
            record_id=written.record_id if written else self.record_id,
            patient_id=written.patient_id if written else self.patient_id,
            purpose=self.purpose or self.actor.purpose, outcome=outcome, source=self.actor.source,
            detail=(written.detail if written else None) or self.detail,
        )

    def events(self) -> list[AuditEvent]:
        """The entries of an allowed access: one per record written, or one for the access itself."""
        if not self.written:
            return [self.event("allowed")]
        return [self.event("allowed", w) for w in self.written]


@dataclass(frozen=True)
class Written:
    """One record an access wrote, as its audit entry names it."""

    record_type: str
    record_id: str
    patient_id: str
    category: str
    detail: str | None = None


def patient_in_clinic(uow: SecureUnitOfWork, access: Access, patient_id: str) -> Patient:
    """The patient if they belong to the actor's clinic; NotFound otherwise (the same answer)."""
    access.patient_id = patient_id
    patient = uow.patients.find(patient_id)
    if patient is None or patient.clinic_id != access.actor.clinic_id:
        raise NotFound("patient", patient_id)
    return patient


def authorized_patient(uow: SecureUnitOfWork, access: Access, patient_id: str) -> Patient:
    """The patient, if of the actor's clinic (else NotFound) and the matrix allows the access (else AccessDenied).

    The clinic comes first: a patient of another clinic is "not found" whatever the role, and
    the matrix's break-the-glass exception needs the patient.
    """
    patient = patient_in_clinic(uow, access, patient_id)
    authorize(uow, access)
    return patient


def in_clinic(uow: SecureUnitOfWork, access: Access, kind: str, key: str, found: P | None) -> tuple[P, Patient]:
    """``found`` and its patient, if of the actor's clinic; ``NotFound(kind, key)`` otherwise (the same answer)."""
    access.record_id = key
    if found is None:
        raise NotFound(kind, key)
    try:
        return found, patient_in_clinic(uow, access, found.patient_id)
    except NotFound:
        raise NotFound(kind, key) from None


def authorize(uow: SecureUnitOfWork, access: Access, category: str | None = None, action: str | None = None) -> None:
    """Apply the matrix; a clinician with a break-the-glass grant in force may read any clinical category."""
    category = category or access.category
    action = action or access.action
    actor = access.actor
    bound = bound_patient_id(actor.user)  # a patient in the portal: their own patient, never a list or another
    if bound is not None and access.patient_id != bound:
        raise AccessDenied(actor.role, category, action)
    if is_permitted(actor.role, category, action):
        return
    if (action == "read" and category in CLINICAL_CATEGORIES and actor.role in EMERGENCY_ROLES
            and access.patient_id is not None):
        grants = uow.security.break_glass_for(user_id=actor.user.id, patient_id=access.patient_id)
        grant = next((g for g in grants if g.is_in_force(access.now)), None)
        if grant is not None:
            access.purpose = "emergency"
            access.detail = f"break-the-glass {grant.id}"
            return
    raise AccessDenied(actor.role, category, action)


_OUTCOME: tuple[tuple[type[DomainError], Outcome], ...] = (
    (AccessDenied, "denied"), (NotFound, "not-found"), (InvalidInput, "invalid"), (Conflict, "conflict"),
)


def run_audited(uow_factory: SecureUnitOfWorkFactory, access: Access,
                body: Callable[[SecureUnitOfWork, Access], T]) -> T:
    """Run ``body`` in one transaction, audit it there and commit; audit a refusal on its own.

    A read's entries go through :meth:`SecureUnitOfWork.commit_read`: durable before the result is
    returned, in the read's transaction or, where the store groups them, with other reads' entries.
    """
    try:
        with uow_factory() as uow:
            result = body(uow, access)
            if access.action == "read" and uow.pending is None:
                uow.commit_read(access.events())  # the store may group the entries of concurrent reads
                return result
            uow.security.append_audits(access.events())
            if uow.pending is not None:
                uow.pending.keep(uow, result, patient_id=access.patient_id, category=access.category)
            uow.commit()
            return result
    except DomainError as error:
        outcome: Outcome = next((o for cls, o in _OUTCOME if isinstance(error, cls)), "invalid")
        if outcome == "invalid" and access.patient_id is None:
            raise
        access.detail = str(error)[:500]
        access.written.clear()
        with uow_factory() as uow:
            uow.security.append_audit(fit_for_audit(access.event(outcome)))  # a refused id may be any length
            uow.commit()
        raise


def read_patient(uow_factory: SecureUnitOfWorkFactory, access: Access, patient_id: str,
                 read: Callable[[SecureUnitOfWork, Patient], T]) -> T:
    """One audited read of one patient's data: :func:`authorized_patient`, then ``read(uow, patient)``."""
    return run_audited(uow_factory, access, lambda uow, access: read(uow, authorized_patient(uow, access, patient_id)))
