"""The SQL vocabulary of the read models: the clinic clock, stored times, the shared per-patient query.

The tables are the schema's own (:mod:`naltrack.adapters.db.tables`). Stored times are UTC
(:class:`~naltrack.adapters.db.tables.UtcDateTime`); the lists read some of them raw
(:func:`raw_time`), which on SQLite is ISO text parsed many times faster than row by row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.domain.regimens import SCHEDULED_ORAL_KINDS
from naltrack.services.read_models import PatientRef

#: Regimen kinds given as XR-NTX injections (rule MON-INJECTION-DUE, clinical.md §1.2).
XR_KINDS = ("xr-ntx-q4w", "xr-ntx-bupropion")


class ClinicClock:
    """Turns clinic-local days into UTC instants, and stored instants into clinic-local days."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def start_of(self, day: date) -> datetime:
        """The first instant of the clinic-local ``day``, in UTC."""
        return datetime.combine(day, time.min, tzinfo=self.tz).astimezone(UTC)

    def local_day(self, stored: datetime | str) -> date:
        """The clinic-local day of a stored instant (a string when read raw from SQLite)."""
        return as_utc(stored).astimezone(self.tz).date()


def as_utc(stored: datetime | str) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives naive UTC text)."""
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def raw_time(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Read a time column without SQLAlchemy's per-row string parsing (SQLite stores ISO text);
    :meth:`ClinicClock.local_day` parses it with ``datetime.fromisoformat``, which is many times faster."""
    return sa.type_coerce(expr, sa.String())


def as_day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def patient_ref(row: Any) -> PatientRef:
    return PatientRef(row.patient_id, f"{row.given_name} {row.family_name}", row.mrn)


def in_clinic(clinic_id: str) -> sa.ColumnElement[bool]:
    return t.patients.c.clinic_id == clinic_id


def patient_ids() -> sa.BindParameter[Any]:
    """The expanding ``:ids`` parameter: a list of patient ids."""
    return sa.bindparam("ids", expanding=True)


def correlated_last(table: sa.Table, when: str, *extra: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The newest active row of ``table`` for the outer patient (an index range per patient)."""
    c = table.c
    return (sa.select(c[when]).where(c.patient_id == t.patients.c.id, c.status == "active", *extra)
            .order_by(c[when].desc()).limit(1))


def find_on_treatment(connection: Connection, clinic_id: str, today: date) -> list[Any]:
    """One row per patient of the clinic with a regimen active today: the newest injection, oral
    dose and implant in place (their times; the injection's side) and the XR-NTX interval when on XR-NTX.

    The plan: the patients with a current regimen (one pass over ``regimens``), ``patients(clinic_id)``,
    then per patient index ranges on ``regimens(patient_id)``,
    ``injections(patient_id, given_at)`` and ``oral_doses(patient_id, taken_at)``.
    """
    p, r, i, o = t.patients.c, t.regimens.c, t.injections.c, t.oral_doses.c
    implants, removals = t.implant_insertions, t.implant_removals
    active = sa.and_(r.patient_id == p.id, current_regimen(today))
    xr_interval = sa.select(sa.func.coalesce(sa.func.max(r.interval_days), 0)).where(active, r.kind.in_(XR_KINDS))
    on_xr = sa.exists(sa.select(r.id).where(active, r.kind.in_(XR_KINDS)))
    on_scheduled_oral = sa.exists(sa.select(r.id).where(active, r.kind.in_(SCHEDULED_ORAL_KINDS)))
    taken = o.dose_status != "missed"
    in_place = implants.c.id.not_in(sa.select(removals.c.implant_id).where(removals.c.status == "active"))
    implant = correlated_last(implants, "inserted_at", in_place)
    query = sa.select(
        p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, p.telecom,
        on_xr.label("on_xr"), on_scheduled_oral.label("on_scheduled_oral"),
        xr_interval.scalar_subquery().label("interval_days"),
        raw_time(correlated_last(t.injections, "given_at").scalar_subquery()).label("last_injection"),
        correlated_last(t.injections, "given_at").with_only_columns(i.side).scalar_subquery().label("side"),
        raw_time(correlated_last(t.oral_doses, "taken_at", taken).scalar_subquery()).label("last_oral"),
        raw_time(implant.scalar_subquery()).label("last_implant"),
    ).where(on_treatment(clinic_id, today))
    return list(connection.execute(query))


def current_regimen(today: date) -> sa.ColumnElement[bool]:
    """A regimen in force on ``today``."""
    r = t.regimens.c
    return sa.and_(r.status == "active", r.start <= today, sa.or_(r.end.is_(None), r.end >= today))


def on_treatment(clinic_id: str, today: date) -> sa.ColumnElement[bool]:
    """The patients of the clinic with a regimen in force on ``today`` (one pass over ``regimens``)."""
    r = t.regimens.c
    return sa.and_(in_clinic(clinic_id), t.patients.c.id.in_(sa.select(r.patient_id).where(current_regimen(today))))


def on_treatment_ids(connection: Connection, clinic_id: str, today: date) -> list[str]:
    """The ids of :func:`find_on_treatment`'s patients, without their columns."""
    return list(connection.execute(sa.select(t.patients.c.id).where(on_treatment(clinic_id, today))).scalars())
