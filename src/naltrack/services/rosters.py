"""The roster of a group session: the clinic's patients in an episode open today, by name, to pick from.

Names and MRNs only (the demographics a counselor may read); each patient shown gets an audit entry, as every list
does (:meth:`~naltrack.services.access.Access.showed`). The day is the clinic's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.read_models import PatientRef
from naltrack.services.security_ports import SecureUnitOfWork


@dataclass(frozen=True)
class InCare:
    """The first ``limit`` patients in care by name, and how many there are."""

    today: date
    items: tuple[PatientRef, ...]
    total: int


def list_in_care(ctx: AppContext, actor: Actor, limit: int, now: datetime) -> InCare:
    """The actor's clinic's patients in an episode open on the clinic's day of ``now``, by name.

    Raises
    ------
    InvalidInput
        A ``limit`` below 1.
    AccessDenied
        For a role that may not read demographics.
    """
    if limit < 1:
        raise InvalidInput("limit", limit, "must be at least 1")
    access = Access(actor=actor, action="read", category="demographics", now=now, record_type="patients")

    def body(uow: SecureUnitOfWork, access: Access) -> InCare:
        authorize(uow, access)
        today = now.astimezone(uow.clinics.get(actor.clinic_id).zone).date()
        patients = uow.read_models.in_care(actor.clinic_id, today)
        shown = tuple(patients[:limit])
        access.showed((p.patient_id for p in shown), "the group roster")
        return InCare(today, shown, len(patients))

    return run_audited(ctx.uow, access, body)
