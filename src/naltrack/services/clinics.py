"""The clinic a user works in: its time zone, which decides every clinical date of its patients.

Clinical dates are the clinic's local dates (DESIGN.md "Words"); a face that needs "today" or
reads a local date-time from a form asks here for the zone of the acting user's clinic rather
than assuming the server's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from naltrack.services.context import AppContext


def get_clinic_zone(ctx: AppContext, clinic_id: str) -> ZoneInfo:
    """The time zone of clinic ``clinic_id``; :class:`~naltrack.errors.NotFound` for an unknown clinic."""
    with ctx.uow() as uow:
        return uow.clinics.get(clinic_id).zone


def clinic_today(zone: ZoneInfo, now: datetime) -> date:
    """The clinic's local date at the aware instant ``now``."""
    return now.astimezone(zone).date()
