"""The clinic's schedule of one day, in one query (index ``appointments(starts_at)``)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.read_models.sql import ClinicClock, in_clinic, patient_ref
from naltrack.services.read_models import ScheduledVisit


def find_appointments(connection: Connection, clinic_id: str, day: date, tz: ZoneInfo) -> list[ScheduledVisit]:
    """The clinic's appointments on the clinic-local ``day``, in time order, their times in ``tz``."""
    clock = ClinicClock(tz)
    a, p = t.appointments.c, t.patients.c
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, a.id, a.version, a.starts_at,
                       a.kind, a.duration_min, a.appointment_status, a.clinician)
             .join(t.appointments, a.patient_id == p.id)
             .where(in_clinic(clinic_id), a.status == "active", a.starts_at >= clock.start_of(day),
                    a.starts_at < clock.start_of(day + timedelta(days=1)))
             .order_by(a.starts_at))
    return [ScheduledVisit(**vars(patient_ref(row)), appointment_id=row.id, version=row.version,
                           starts_at=row.starts_at.astimezone(tz), kind=row.kind,
                           duration_min=row.duration_min, status=row.appointment_status, clinician=row.clinician)
            for row in connection.execute(query)]
