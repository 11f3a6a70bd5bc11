"""Patients whose protection ends within the dashboard's window or ended lately, for one clinic.

The end of protection ("blocked through") is the coverage engine's blockade estimate
(``domain/coverage.py``, docs/pk.md "How the domain uses the blockade estimate"), computed in
one batch for the clinic's patients on treatment from their recent doses, so the dashboard, the
chart and the monitoring rules give the same date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.read_models.sql import ClinicClock, on_treatment_ids, patient_ids, patient_ref, raw_time
from naltrack.domain.coverage import (
    BODY_WEIGHT_LOINC,
    LOOKBACK_HOURS,
    estimate_protection_ends,
    protection_origin,
)
from naltrack.domain.protection import announces_protection_end
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.pk.models import Form
from naltrack.pk.protection import FORM_CODES, Dosing
from naltrack.services.read_models import ProtectionEnding


def protection_ends(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo) -> dict[str, date | None]:
    """The end of protection of each patient on treatment of the clinic (:func:`~.sql.on_treatment`), by id.

    The recent administrations are read in three set-based queries (:func:`_dosing`) and
    :func:`estimate_protection_ends` computes all the ends at once, as :func:`estimate_protection_end`
    does for one chart. The patients are read here, not taken from :func:`~.sql.find_on_treatment`,
    so that the dashboard reads the ends and the patients' rows at once on two connections.
    """
    ids = on_treatment_ids(connection, clinic_id, today)
    return dict(zip(ids, estimate_protection_ends(_dosing(connection, ids, today, tz), today, tz), strict=True))


def find_protection_ending(rows: Sequence[Any], ends: Mapping[str, date | None], today: date, tz: ZoneInfo,
                           thresholds: Thresholds) -> list[ProtectionEnding]:
    """Of the patients on treatment (``rows`` of :func:`~.sql.find_on_treatment`), those whose end
    of protection the care team is told of today (:func:`~naltrack.domain.protection.announces_protection_end`,
    the decision of rule MON-PROTECTION-END): ended lately, or ending soon with no next dose scheduled.

    The end of protection is the coverage engine's (rule MON-PROTECTION-END, docs/pk.md "End
    of protection"), ``ends`` :func:`protection_ends`' (a patient missing from it has none). "Lately" is
    ``lapse_alert_days``, "soon" ``protection_warning_days``. ``form`` and ``last_dose_on`` name the
    latest administration.
    """
    clock = ClinicClock(tz)
    items = []
    for row in rows:
        end = ends.get(row.patient_id)
        latest = [(clock.local_day(when), form) for when, form in
                  ((row.last_injection, "xr-ntx"), (row.last_oral, "oral"), (row.last_implant, "implant"))
                  if when is not None]
        if not latest:
            continue
        # The row-level form of domain.due_dates.next_dose_scheduled (XR-NTX with an injection on file,
        # or a scheduled oral regimen); test_web_dashboard_rules.py keeps the two in step.
        next_dose_scheduled = bool(row.on_xr and row.last_injection is not None) or bool(row.on_scheduled_oral)
        if end is not None and announces_protection_end(end, today, next_dose_scheduled, thresholds):
            days_left = (end - today).days
            last_day, form = max(latest)
            ref = patient_ref(row)
            phone = next((value for system, value, _ in row.telecom or () if system == "phone"), None)
            items.append(ProtectionEnding(ref.patient_id, ref.name, ref.mrn, form, last_day, end, days_left, phone))
    return sorted(items, key=lambda e: (e.days_left, e.name))


def _dosing(connection: Connection, ids: list[str], today: date, tz: ZoneInfo) -> Dosing:
    """The administrations in force of ``ids`` (in that order) that reach the end-of-protection window.

    Injections, oral doses taken or observed and implants (with their earliest active removal
    and recorded duration) given by the end of ``today``, since the window's origin less the
    form's look-back, by index ranges on
    ``(patient_id, given_at | taken_at | inserted_at)``; and each patient's latest body weight.
    One row per patient and form, the times and doses joined as text: ten thousand doses come
    back as a few hundred rows and are parsed by NumPy, not as ten thousand Python rows.
    """
    clock = ClinicClock(tz)
    origin = protection_origin(today, tz)
    before = clock.start_of(today + timedelta(days=1))  # doses given by the end of today, as for one chart
    since = {form: clock.start_of(origin.date() - timedelta(days=LOOKBACK_HOURS[form] / 24 + 1))
             for form in FORM_CODES}
    i, o, m, rm = t.injections.c, t.oral_doses.c, t.implant_insertions.c, t.implant_removals.c
    # The patient's own removals (as in a chart), by the index on ``implant_removals(patient_id)``.
    removed = (sa.select(sa.func.min(rm.removed_at))
               .where(rm.patient_id == m.patient_id, rm.implant_id == m.id, rm.status == "active").scalar_subquery())
    never = sa.func.coalesce(_time_text(connection, removed), NEVER)
    recorded = sa.func.coalesce(sa.cast(m.expected_duration_days, sa.Text), UNKNOWN)
    queries: tuple[tuple[Form, sa.Table, sa.ColumnElement[Any], tuple[sa.ColumnElement[Any], ...],
                         sa.ColumnElement[bool]], ...] = (
        ("xr-ntx", t.injections, i.given_at, (), sa.and_(i.given_at >= since["xr-ntx"], i.given_at < before)),
        ("oral", t.oral_doses, o.taken_at, (),
         sa.and_(o.dose_status != "missed", o.taken_at >= since["oral"], o.taken_at < before)),
        ("implant", t.implant_insertions, m.inserted_at, (never, recorded),
         sa.and_(m.inserted_at >= since["implant"], m.inserted_at < before)),
    )
    index = {pid: n for n, pid in enumerate(ids)}
    patients: list[int] = []
    forms: list[int] = []
    texts: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])  # the last two: implants only
    for form, table, when, extra, recent in queries:
        c = table.c
        query = (sa.select(c.patient_id, *(_joined(connection, column) for column in (
                           _time_text(connection, when), sa.cast(c.dose_mg, sa.Text), *extra)))
                 .where(c.patient_id.in_(patient_ids()), c.status == "active", recent).group_by(c.patient_id))
        for pid, *joined in connection.execute(query, {"ids": ids}) if ids else []:
            count = joined[0].count(",") + 1
            patients += [index[pid]] * count
            forms += [FORM_CODES[form]] * count
            for column, text in zip(texts, joined, strict=False):
                column.append(text)
    form_codes = np.array(forms, dtype=np.int64)
    start = _hours_since(",".join(texts[0]), origin)
    implant = form_codes == FORM_CODES["implant"]
    stop, days = np.full(len(forms), np.inf), np.full(len(forms), np.nan)
    stop[implant] = _hours_since(",".join(texts[2]), origin)
    dose, days[implant] = (np.array(",".join(texts[k]).split(",") if texts[k] else [], dtype=np.float64)
                           for k in (1, 3))
    # Never removed (or removed before insertion): in place, ``inf`` as in the chart's dosing.
    taken_out = (stop > start) & (stop < _hours_since(NEVER, origin))
    return Dosing(np.array(patients, dtype=np.int64), form_codes, start, dose,
                  np.where(taken_out, stop, np.inf), _weights(connection, ids, today, clock), 24.0 * days)


#: A removal that never happened, as stored-time text (later than any time read).
NEVER = "9999-12-31T00:00:00"
#: An implant's duration not recorded, parsed by NumPy as NaN.
UNKNOWN = "nan"


def _time_text(connection: Connection, expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A stored instant as ISO text in UTC (SQLite stores it so; PostgreSQL formats it)."""
    if connection.dialect.name == "sqlite":
        return raw_time(expr)
    return sa.func.to_char(sa.func.timezone("UTC", expr), 'YYYY-MM-DD"T"HH24:MI:SS.US')


def _joined(connection: Connection, text: sa.ColumnElement[Any], separator: str = ",") -> sa.ColumnElement[Any]:
    """The group's values joined by ``separator`` (one pass: every column of a group keeps the row order)."""
    if connection.dialect.name == "sqlite":
        return sa.func.group_concat(text, separator)
    return sa.func.string_agg(text, separator)


def _weights(connection: Connection, ids: list[str], today: date, clock: ClinicClock) -> npt.NDArray[np.float64]:
    """Each patient's latest body weight in kg (NaN when none), the coverage engine's covariate."""
    lab = t.lab_results.c
    query = (sa.select(lab.patient_id, lab.value).where(
        lab.patient_id.in_(patient_ids()), lab.loinc == BODY_WEIGHT_LOINC, lab.status == "active", lab.unit == "kg",
        lab.collected_at < clock.start_of(today + timedelta(days=1))).order_by(lab.collected_at))
    weights = np.full(len(ids), np.nan)
    index = {pid: n for n, pid in enumerate(ids)}
    for row in connection.execute(query, {"ids": ids}) if ids else []:
        weights[index[row.patient_id]] = row.value
    return weights


def _hours_since(joined: str, origin: datetime) -> npt.NDArray[np.float64]:
    """Comma-joined UTC times (ISO text) as hours from ``origin``, parsed by NumPy."""
    if not joined:
        return np.zeros(0)
    moments = np.array(joined.split(","), dtype="datetime64[us]")
    zero = np.datetime64(origin.astimezone(UTC).replace(tzinfo=None), "us")
    return (moments - zero).astype(np.float64) / 3.6e9
