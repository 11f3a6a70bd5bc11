"""The clinic's schedule of one day, in one query (index ``appointments(starts_at)``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.services.dashboard_sql import (
    RECORD_COLUMNS,
    TIMESTAMP,
    ClinicClock,
    PatientRef,
    in_clinic,
    patient_ref,
    patients_t,
    table_clause,
)

appointments_t = table_clause("appointments", *RECORD_COLUMNS, "kind", ("starts_at", TIMESTAMP), "duration_min",
                              "appointment_status", "clinician")


@dataclass(frozen=True)
class ScheduledVisit(PatientRef):
    starts_at: datetime
    kind: str
    duration_min: int
    status: str
    clinician: str | None


def find_appointments(connection: Connection, clinic_id: str, day: date, tz: ZoneInfo) -> list[ScheduledVisit]:
    """The clinic's appointments on one local day, in time order (index ``appointments(starts_at)``)."""
    clock = ClinicClock(connection, tz)
    a, p = appointments_t.c, patients_t.c
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, a.starts_at, a.kind,
                       a.duration_min, a.appointment_status, a.clinician)
             .join(appointments_t, a.patient_id == p.id)
             .where(in_clinic(clinic_id), a.status == "active", a.starts_at >= clock.start_of(day),
                    a.starts_at < clock.start_of(day + timedelta(days=1)))
             .order_by(a.starts_at))
    visits = []
    for row in connection.execute(query):
        moment = row.starts_at if row.starts_at.tzinfo else row.starts_at.replace(tzinfo=UTC)
        visits.append(ScheduledVisit(**vars(patient_ref(row)), starts_at=moment.astimezone(tz), kind=row.kind,
                                     duration_min=row.duration_min, status=row.appointment_status,
                                     clinician=row.clinician))
    return visits
