"""The morning dashboard of one clinic, computed with set-based queries.

Each list is one SQL query with a date bound that the indexes serve, and only the rows that
qualify come back to Python. The numbers are the monitoring rules' own
(:class:`~naltrack.domain.rules.thresholds.Thresholds`) and the due date is the domain's
(:mod:`naltrack.domain.due_dates`); ``tests/integration/test_web_dashboard_rules.py``
checks that these queries agree with the per-patient rules.

Indexes used (``adapters/db/tables.py``): ``injections(given_at)`` and
``injections(patient_id, given_at)``; ``regimens(patient_id, start)``;
``oral_doses(patient_id, taken_at)``; ``questionnaire_responses(completed_at)``;
``lab_results(patient_id, loinc, collected_at)``; ``adverse_events(patient_id, onset)``;
``patients(clinic_id)``. The protection list is :mod:`.protection`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.adapters.db import tables as t
from naltrack.adapters.db.read_models.alerts import InCare, find_in_care, find_urgent_alerts
from naltrack.adapters.db.read_models.protection import find_protection_ending, protection_ends
from naltrack.adapters.db.read_models.sql import ClinicClock, find_on_treatment, in_clinic, patient_ids, patient_ref
from naltrack.domain.due_dates import injection_due_on, injection_interval_days
from naltrack.domain.rules.thresholds import Thresholds
from naltrack.services.read_models import (
    DASHBOARD_SECTIONS,
    INDUCTION_LIST_LIMIT,
    Dashboard,
    DueInjection,
    InductionInProgress,
    UrgentAlert,
)


def find_due_injections(rows: Iterable[Any], today: date, tz: ZoneInfo,
                        thresholds: Thresholds) -> tuple[list[DueInjection], list[DueInjection]]:
    """XR-NTX patients due (from ``interval - due_window`` days) and overdue (after ``interval``).

    ``rows`` are :func:`~.sql.find_on_treatment`'s. Only patients on an active XR-NTX regimen
    with an injection count (rule MON-INJECTION-DUE, clinical.md §1.2).
    """
    clock = ClinicClock(tz)
    # The SQL reads the active XR-NTX regimen's interval; none set, the domain's default interval.
    default_interval = injection_interval_days((), thresholds)
    due: list[DueInjection] = []
    overdue: list[DueInjection] = []
    for row in rows:
        if not row.on_xr or row.last_injection is None:
            continue
        interval = row.interval_days or default_interval
        last_day = clock.local_day(row.last_injection)
        days_since = (today - last_day).days
        if days_since < interval - thresholds.injection_due_window_days:
            continue
        item = DueInjection(**vars(patient_ref(row)), last_given_on=last_day, days_since=days_since,
                            due_on=injection_due_on(last_day, interval), last_side=row.side,
                            suggested_side="right" if row.side == "left" else "left")
        # Overdue as the rule has it: past the interval, or at the day a drug screen is required.
        late = days_since > interval or days_since >= min(thresholds.injection_uds_required_from_day,
                                                          thresholds.injection_consult_from_day)
        (overdue if late else due).append(item)
    return sorted(due, key=_most_days_first), sorted(overdue, key=_most_days_first)


def _most_days_first(item: DueInjection) -> tuple[int, str]:
    return -item.days_since, item.name


def find_inductions(connection: Connection, care: InCare,
                    limit: int = INDUCTION_LIST_LIMIT) -> tuple[list[InductionInProgress], int]:
    """Patients in care who have had no naltrexone yet, newest episodes first; and their count."""
    p = t.patients.c

    def given(table: sa.Table, *extra: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        c = table.c
        return sa.exists(sa.select(c.id).where(c.patient_id == p.id, c.status == "active", *extra))

    query = sa.select(p.id).where(p.id.in_(patient_ids()), sa.or_(
        given(t.injections), given(t.oral_doses, t.oral_doses.c.dose_status != "missed"),
        given(t.implant_insertions)))
    treated = {row.id for row in connection.execute(query, {"ids": care.ids})} if care.ids else set()
    waiting = [pid for pid in care.refs if pid not in treated]
    waiting.sort(key=lambda pid: (-care.started_on[pid].toordinal(), care.refs[pid].name))
    items = [InductionInProgress(**vars(care.refs[pid]), started_on=care.started_on[pid]) for pid in waiting[:limit]]
    return items, len(waiting)


def count_patients(connection: Connection, clinic_id: str) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(t.patients)
                                  .where(in_clinic(clinic_id))).scalar_one())


#: Opens another connection to the same database, for the half of the dashboard run alongside.
Connect = Callable[[], AbstractContextManager[Connection]]


@dataclass(frozen=True)
class DashboardQuery:
    """The dashboard of one clinic on one clinic-local day, on ``connection``.

    With ``connect``, the ends of protection (the doses and the blockade scan, the longest
    part) are computed on a second connection in a second thread while ``connection`` reads
    the patients on treatment and the patients in care (alerts, inductions): the database
    driver and the scan release the interpreter, so two cores serve one page.
    """

    connection: Connection
    clinic_id: str
    today: date
    tz: ZoneInfo
    thresholds: Thresholds
    connect: Connect | None = None

    def run(self, sections: Mapping[str, bool] | None = None,
            acknowledged: Iterable[tuple[str, str]] = ()) -> Dashboard:
        shown = {name: True for name in DASHBOARD_SECTIONS} | dict(sections or {})
        done = set(acknowledged)
        if self.connect is None:
            ends = self._ends(self.connection, shown)
            rows = self._on_treatment(self.connection, shown)
            alerts, inductions, total, count = self._in_care(self.connection, shown, done)
        else:  # the ends of protection (doses, blockade) on a second connection while this one reads the rest
            with ThreadPoolExecutor(max_workers=1) as pool:
                future = pool.submit(_on_own_connection, self.connect, lambda c: self._ends(c, shown))
                rows = self._on_treatment(self.connection, shown)
                alerts, inductions, total, count = self._in_care(self.connection, shown, done)
                ends = future.result()
        due, overdue = (find_due_injections(rows, self.today, self.tz, self.thresholds)
                        if shown["injections"] else ([], []))
        protection = (find_protection_ending(rows, ends, self.today, self.tz, self.thresholds)
                      if shown["protection"] else [])
        return Dashboard(today=self.today, patient_count=count, due_today=tuple(due), overdue=tuple(overdue),
                         protection=tuple(protection), alerts=tuple(alerts), inductions=tuple(inductions),
                         induction_total=total)

    def _on_treatment(self, connection: Connection, shown: Mapping[str, bool]) -> list[Any]:
        wanted = shown["injections"] or shown["protection"]
        return find_on_treatment(connection, self.clinic_id, self.today) if wanted else []

    def _ends(self, connection: Connection, shown: Mapping[str, bool]) -> dict[str, date | None]:
        return protection_ends(connection, self.clinic_id, self.today, self.tz) if shown["protection"] else {}

    def _in_care(self, connection: Connection, shown: Mapping[str, bool], acknowledged: set[tuple[str, str]]
                 ) -> tuple[list[UrgentAlert], list[InductionInProgress], int, int]:
        care = (find_in_care(connection, self.clinic_id, self.today)
                if shown["alerts"] or shown["inductions"] else None)
        alerts = (find_urgent_alerts(connection, care, self.today, self.tz, self.thresholds, acknowledged)
                  if care is not None and shown["alerts"] else [])
        inductions, total = (find_inductions(connection, care)
                             if care is not None and shown["inductions"] else ([], 0))
        return alerts, inductions, total, count_patients(connection, self.clinic_id)


T = TypeVar("T")


def _on_own_connection(connect: Connect, work: Callable[[Connection], T]) -> T:
    with connect() as connection:
        return work(connection)
