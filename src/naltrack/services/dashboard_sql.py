"""The SQL vocabulary of the dashboard: table clauses, the clinic clock and the shared per-patient query.

Lightweight SQLAlchemy Core table clauses (names and columns only), so the services do not import
the storage adapter; the caller passes a connection. See ``services/dashboard.py`` for the indexes
these queries rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

XR_KINDS = ("xr-ntx-q4w", "xr-ntx-bupropion")


def table_clause(name: str, *cols: str | tuple[str, sa.types.TypeEngine[Any]]) -> sa.TableClause:
    columns = [sa.column(c) if isinstance(c, str) else sa.column(c[0], c[1]) for c in cols]
    return sa.table(name, *columns)


TIMESTAMP = sa.DateTime()
RECORD_COLUMNS = ("id", "patient_id", "status")
patients_t = table_clause("patients", "id", "clinic_id", "given_name", "family_name", "mrn")
injections_t = table_clause("injections", *RECORD_COLUMNS, ("given_at", TIMESTAMP), "side", "dose_mg")
regimens_t = table_clause("regimens", *RECORD_COLUMNS, "kind", ("start", sa.Date()), ("end", sa.Date()),
                          "interval_days")
oral_t = table_clause("oral_doses", *RECORD_COLUMNS, ("taken_at", TIMESTAMP), "dose_mg", "dose_status")
implants_t = table_clause("implant_insertions", *RECORD_COLUMNS, ("inserted_at", TIMESTAMP), "expected_duration_days",
                          "dose_mg")
removals_t = table_clause("implant_removals", *RECORD_COLUMNS, "implant_id", ("removed_at", TIMESTAMP))
episodes_t = table_clause("episodes", *RECORD_COLUMNS, ("start", sa.Date()), ("end", sa.Date()))
questionnaires_t = table_clause("questionnaire_responses", *RECORD_COLUMNS, "instrument",
                                ("completed_at", TIMESTAMP), "flags", "total")
labs_t = table_clause("lab_results", *RECORD_COLUMNS, "loinc", "name", "value", "unit", "reference_high",
                      ("collected_at", TIMESTAMP))
adverse_t = table_clause("adverse_events", *RECORD_COLUMNS, "kind", ("onset", sa.Date()), "outcome", "ctcae_grade",
               "site_necrosis", "description")


@dataclass(frozen=True)
class PatientRef:
    patient_id: str
    name: str
    mrn: str | None


class ClinicClock:
    """Turns clinic-local days into the stored UTC instants of one backend."""

    def __init__(self, connection: Connection, tz: ZoneInfo) -> None:
        self.naive = connection.dialect.name == "sqlite"
        self.tz = tz

    def start_of(self, day: date) -> datetime:
        moment = datetime.combine(day, time.min, tzinfo=self.tz).astimezone(UTC)
        return moment.replace(tzinfo=None) if self.naive else moment

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
    return patients_t.c.clinic_id == clinic_id


def correlated_last(table: sa.TableClause, when: str, *extra: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The newest active row of ``table`` for the outer patient (an index range per patient)."""
    c = table.c
    return (sa.select(c[when]).where(c.patient_id == patients_t.c.id, c.status == "active", *extra)
            .order_by(c[when].desc()).limit(1))


def find_on_treatment(connection: Connection, clinic_id: str, today: date) -> list[Any]:
    """One row per patient of the clinic with a regimen active today: the newest injection, oral
    dose and implant in place (time, side, dose, duration) and the XR-NTX interval when on XR-NTX.

    The plan: ``patients(clinic_id)``, then per patient index ranges on ``regimens(patient_id)``,
    ``injections(patient_id, given_at)`` and ``oral_doses(patient_id, taken_at)``.
    """
    p, r, i, o = patients_t.c, regimens_t.c, injections_t.c, oral_t.c
    active = sa.and_(r.patient_id == p.id, r.status == "active", r.start <= today,
                     sa.or_(r.end.is_(None), r.end >= today))
    xr_interval = sa.select(sa.func.coalesce(sa.func.max(r.interval_days), 0)).where(active, r.kind.in_(XR_KINDS))
    on_xr = sa.exists(sa.select(r.id).where(active, r.kind.in_(XR_KINDS)))
    taken = o.dose_status != "missed"
    in_place = implants_t.c.id.not_in(sa.select(removals_t.c.implant_id).where(removals_t.c.status == "active"))
    implant = correlated_last(implants_t, "inserted_at", in_place)
    query = sa.select(
        p.id.label("patient_id"), p.given_name, p.family_name, p.mrn,
        on_xr.label("on_xr"), xr_interval.scalar_subquery().label("interval_days"),
        raw_time(correlated_last(injections_t, "given_at").scalar_subquery()).label("last_injection"),
        correlated_last(injections_t, "given_at").with_only_columns(i.side).scalar_subquery().label("side"),
        raw_time(correlated_last(oral_t, "taken_at", taken).scalar_subquery()).label("last_oral"),
        correlated_last(oral_t, "taken_at", taken).with_only_columns(o.dose_mg).scalar_subquery().label("oral_mg"),
        raw_time(implant.scalar_subquery()).label("last_implant"),
        implant.with_only_columns(implants_t.c.expected_duration_days).scalar_subquery().label("implant_days"),
    ).where(in_clinic(clinic_id), sa.exists(sa.select(r.id).where(active)))
    return list(connection.execute(query))


def patient_ids() -> sa.BindParameter[Any]:
    return sa.bindparam("ids", expanding=True)
