"""The schedule use case: the appointments of the actor's clinic on one of its days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from naltrack.domain.security.accounts import Actor
from naltrack.services.access import Access, authorize, run_audited
from naltrack.services.context import AppContext
from naltrack.services.read_models import ScheduledVisit
from naltrack.services.security_ports import SecureUnitOfWork


@dataclass(frozen=True)
class Schedule:
    """One day of the clinic (``today`` is the clinic's day of ``now``), visit times in the clinic's zone."""

    day: date
    today: date
    visits: tuple[ScheduledVisit, ...]


def get_schedule(ctx: AppContext, actor: Actor, day: date | None, now: datetime) -> Schedule:
    """The appointments of the actor's clinic on ``day`` (the clinic's today when ``None``), in time order.

    Raises
    ------
    AccessDenied
        For a role that may not read the schedule.
    """
    access = Access(actor=actor, action="read", category="schedule", now=now, record_type="appointments")

    def body(uow: SecureUnitOfWork, access: Access) -> Schedule:
        authorize(uow, access)
        clinic = uow.clinics.get(actor.clinic_id)
        zone = clinic.zone
        today = now.astimezone(zone).date()
        shown = day or today
        visits = tuple(uow.read_models.appointments(clinic.id, shown, zone))
        access.showed((visit.patient_id for visit in visits), f"the schedule of {shown}")
        return Schedule(shown, today, visits)

    return run_audited(ctx.uow, access, body)
