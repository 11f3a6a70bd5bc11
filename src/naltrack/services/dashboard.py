"""The morning dashboard of one clinic, computed with set-based queries.

DESIGN.md "A day in the program", step 1: injections due today and overdue, patients whose
protection ends within a week or has ended, urgent alerts (PHQ-9 item 9, liver tests,
injection site) and inductions in progress. With 10,000 patients the dashboard cannot load
10,000 charts: each list is one SQL query with a date bound that the indexes serve, and only
the rows that qualify come back to Python. The numbers are the monitoring rules' own
(:class:`~naltrack.domain.rules.thresholds.Thresholds`); ``tests/integration/
test_web_dashboard.py`` checks that these queries agree with the per-patient rules.

Indexes used (``adapters/db/tables.py``): ``injections(given_at)`` and
``injections(patient_id, given_at)``; ``regimens(patient_id, start)``;
``oral_doses(patient_id, taken_at)``; ``questionnaire_responses(completed_at)``;
``lab_results(patient_id, loinc, collected_at)``; ``adverse_events(patient_id, onset)``;
``patients(clinic_id)``.

The queries use SQLAlchemy Core over lightweight table clauses (names and columns only, in
``services/dashboard_sql.py``), so this module does not import the storage adapter; the caller
passes a connection. The protection list is ``services/dashboard_protection.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.domain.observations import LIVER_LOINC
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.services.dashboard_protection import (
    PROTECTION_WINDOW_DAYS,
    ProtectionEnding,
    find_protection_ending,
)
from naltrack.services.dashboard_sql import (
    ClinicClock,
    PatientRef,
    adverse_t,
    as_day,
    episodes_t,
    find_on_treatment,
    implants_t,
    in_clinic,
    injections_t,
    labs_t,
    oral_t,
    patient_ids,
    patient_ref,
    patients_t,
    questionnaires_t,
    raw_time,
)

#: Aminotransferases the liver alert reads (clinical.md §2.7, §8.3).
AMINOTRANSFERASES = ("1742-6", "1920-8")
#: How a PHQ-9 response names its instrument (instruments.definitions id and aliases).
PHQ9_IDS = ("phq-9", "PHQ-9", "phq9", "PHQ9")
#: Outcomes of an adverse event that close it.
CLOSED_OUTCOMES = ("resolved", "resolved-with-sequelae")
#: How many inductions the dashboard lists (the patient list shows the rest).
INDUCTION_LIST_LIMIT = 12


@dataclass(frozen=True)
class DueInjection(PatientRef):
    last_given_on: date
    days_since: int
    due_on: date
    last_side: str
    suggested_side: str


@dataclass(frozen=True)
class UrgentAlert(PatientRef):
    kind: str
    rule: str
    kind_label: str
    message: str
    on: date
    severity: str


@dataclass(frozen=True)
class InductionInProgress(PatientRef):
    started_on: date


@dataclass(frozen=True)
class Dashboard:
    """What the nurse sees at 8:00 (DESIGN.md, "A day in the program")."""

    today: date
    patient_count: int
    due_today: tuple[DueInjection, ...]
    overdue: tuple[DueInjection, ...]
    protection: tuple[ProtectionEnding, ...]
    alerts: tuple[UrgentAlert, ...]
    inductions: tuple[InductionInProgress, ...]
    induction_total: int
    protection_window_days: int = PROTECTION_WINDOW_DAYS


def find_due_injections(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                        thresholds: Thresholds = DEFAULT,
                        rows: list[Any] | None = None) -> tuple[list[DueInjection], list[DueInjection]]:
    """XR-NTX patients due (from ``interval - due_window`` days) and overdue (after ``interval``).

    Only patients on an active XR-NTX regimen with an injection count (rule MON-INJECTION-DUE,
    clinical.md §1.2).
    """
    clock = ClinicClock(connection, tz)
    due: list[DueInjection] = []
    overdue: list[DueInjection] = []
    for row in rows if rows is not None else find_on_treatment(connection, clinic_id, today):
        if not row.on_xr or row.last_injection is None:
            continue
        interval = row.interval_days or thresholds.injection_interval_days
        last_day = clock.local_day(row.last_injection)
        days_since = (today - last_day).days
        if days_since < interval - thresholds.injection_due_window_days:
            continue
        item = DueInjection(**vars(patient_ref(row)), last_given_on=last_day, days_since=days_since,
                            due_on=last_day + timedelta(days=interval), last_side=row.side,
                            suggested_side="right" if row.side == "left" else "left")
        # Overdue as the rule has it: past the interval, or at the day a drug screen is required.
        late = days_since > interval or days_since >= min(thresholds.injection_uds_required_from_day,
                                                          thresholds.injection_consult_from_day)
        (overdue if late else due).append(item)
    return sorted(due, key=_most_days_first), sorted(overdue, key=_most_days_first)


def _most_days_first(item: DueInjection) -> tuple[int, str]:
    return -item.days_since, item.name


@dataclass(frozen=True)
class InCare:
    """The clinic's current patients (an episode open today), by id, with their episode start."""

    refs: dict[str, PatientRef]
    started_on: dict[str, date]

    @property
    def ids(self) -> list[str]:
        return sorted(self.refs)


def find_in_care(connection: Connection, clinic_id: str, today: date) -> InCare:
    """One pass over ``patients(clinic_id)`` joined to ``episodes(patient_id, start)``."""
    p, e = patients_t.c, episodes_t.c
    started = sa.func.max(e.start)
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn,
                       raw_time(started).label("started_on"))
             .join(episodes_t, e.patient_id == p.id)
             .where(in_clinic(clinic_id), e.status == "active", e.start <= today,
                    sa.or_(e.end.is_(None), e.end >= today))
             .group_by(p.id, p.given_name, p.family_name, p.mrn))
    refs, starts = {}, {}
    for row in connection.execute(query):
        refs[row.patient_id] = patient_ref(row)
        starts[row.patient_id] = as_day(row.started_on)
    return InCare(refs, starts)


def find_urgent_alerts(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                       thresholds: Thresholds = DEFAULT, acknowledged: Iterable[tuple[str, str]] = (),
                       care: InCare | None = None) -> list[UrgentAlert]:
    """PHQ-9 item 9, aminotransferases above the review multiple of ULN, open injection-site reactions,
    for the patients in care (a discharged patient's old results do not fill the morning list).

    Each query probes the record's ``(patient_id, ...)`` index for the patients in care only.
    Each alert is named like the monitoring rule's (rule id, record id); ``acknowledged`` holds
    those names to leave out (services/acknowledgements.py).
    """
    clock = ClinicClock(connection, tz)
    care = care or find_in_care(connection, clinic_id, today)
    done = set(acknowledged)
    found = [*_phq9_alerts(connection, care, today, clock, thresholds),
             *_liver_alerts(connection, care, today, clock, thresholds),
             *_site_alerts(connection, care, today, thresholds)]
    alerts = [a for a, record_id in found if (a.rule, record_id) not in done]
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(alerts, key=lambda a: (order.get(a.severity, 3), -a.on.toordinal(), a.name))


def _alert(care: InCare, patient_id: str, **fields: Any) -> UrgentAlert:
    ref = care.refs[patient_id]
    return UrgentAlert(ref.patient_id, ref.name, ref.mrn, **fields)


def _phq9_alerts(connection: Connection, care: InCare, today: date, clock: ClinicClock,
                 thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """Rule MON-PHQ9-ITEM9 (clinical.md §5): the latest PHQ-9, within ``phq9_lookback_days``, has item 9 above 0."""
    q = questionnaires_t.c
    since = clock.start_of(today - timedelta(days=thresholds.phq9_lookback_days))
    later = questionnaires_t.alias("later")
    newest = (sa.select(sa.func.max(later.c.completed_at))
              .where(later.c.patient_id == q.patient_id, later.c.instrument.in_(PHQ9_IDS), later.c.status == "active")
              .scalar_subquery())
    query = (sa.select(q.patient_id, q.id, q.completed_at)
             .where(q.patient_id.in_(patient_ids()), q.instrument.in_(PHQ9_IDS), q.completed_at >= since,
                    q.status == "active", sa.cast(q.flags, sa.Text).like("%item-9-positive%"),
                    q.completed_at == newest))
    return [(_alert(care, row.patient_id, kind="phq9-item9", rule="MON-PHQ9-ITEM9", kind_label="PHQ-9 item 9",
                    message="thoughts of self-harm reported: start the safety workflow today",
                    on=clock.local_day(row.completed_at), severity="critical"), row.id)
            for row in connection.execute(query, {"ids": care.ids})]


def _liver_alerts(connection: Connection, care: InCare, today: date, clock: ClinicClock,
                  thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """The latest ALT or AST of each patient, when above ``liver_review_above_x_uln`` (clinical.md §2.7).

    Only elevated results are candidates; a correlated ``max(collected_at)`` on
    ``lab_results(patient_id, loinc, collected_at)`` keeps those that are the latest of their test.
    """
    lab = labs_t.c
    since = clock.start_of(today - timedelta(days=thresholds.liver_lookback_days))
    later = labs_t.alias("later")
    newest = (sa.select(sa.func.max(later.c.collected_at))
              .where(later.c.patient_id == lab.patient_id, later.c.loinc == lab.loinc, later.c.status == "active")
              .scalar_subquery())
    query = (sa.select(lab.patient_id, lab.id, lab.loinc, lab.value, lab.reference_high, lab.collected_at)
             .where(lab.patient_id.in_(patient_ids()), lab.loinc.in_(AMINOTRANSFERASES), lab.collected_at >= since,
                    lab.status == "active", lab.reference_high > 0,
                    lab.value > lab.reference_high * thresholds.liver_review_above_x_uln,
                    lab.collected_at == newest))
    out = []
    for row in connection.execute(query, {"ids": care.ids}):
        multiple = row.value / row.reference_high
        severe = multiple > thresholds.liver_not_ready_above_x_uln
        out.append((_alert(care, row.patient_id, kind="liver", rule="MON-LIVER-RISING", kind_label="Liver",
                           message=f"{LIVER_LOINC.get(row.loinc, row.loinc)} {row.value:g} U/L is "
                                   f"{multiple:.1f}x the upper limit of normal",
                           on=clock.local_day(row.collected_at), severity="critical" if severe else "warning"),
                    row.id))
    return out


def _site_alerts(connection: Connection, care: InCare, today: date,
                 thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """Open injection-site reactions (clinical.md §3); critical with necrosis or after two weeks."""
    a = adverse_t.c
    query = (sa.select(a.patient_id, a.id, a.onset, a.site_necrosis)
             .where(a.patient_id.in_(patient_ids()), a.kind == "injection-site-reaction", a.onset <= today,
                    a.status == "active", a.outcome.not_in(CLOSED_OUTCOMES)))
    out = []
    for row in connection.execute(query, {"ids": care.ids}):
        days = (today - row.onset).days
        critical = bool(row.site_necrosis) or days >= thresholds.injection_site_escalate_days
        message = ("necrosis reported: refer to a surgeon" if row.site_necrosis else
                   f"not resolved after {days} days: review the site" if critical else
                   f"open since {days} days: check the site at the next visit")
        out.append((_alert(care, row.patient_id, kind="injection-site", rule="MON-INJECTION-SITE",
                           kind_label="Injection site",
                           message=message, on=row.onset, severity="critical" if critical else "warning"),
                    row.id))
    return out


def find_inductions(connection: Connection, clinic_id: str, today: date, limit: int = INDUCTION_LIST_LIMIT,
                    care: InCare | None = None) -> tuple[list[InductionInProgress], int]:
    """Patients in care who have had no naltrexone yet, newest episodes first; and their count."""
    care = care or find_in_care(connection, clinic_id, today)
    p = patients_t.c

    def given(table: sa.TableClause, *extra: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        c = table.c
        return sa.exists(sa.select(c.id).where(c.patient_id == p.id, c.status == "active", *extra))

    query = sa.select(p.id).where(p.id.in_(patient_ids()), sa.or_(
        given(injections_t), given(oral_t, oral_t.c.dose_status != "missed"), given(implants_t)))
    treated = {row.id for row in connection.execute(query, {"ids": care.ids})}
    waiting = [pid for pid in care.refs if pid not in treated]
    waiting.sort(key=lambda pid: (-care.started_on[pid].toordinal(), care.refs[pid].name))
    items = [InductionInProgress(**vars(care.refs[pid]), started_on=care.started_on[pid]) for pid in waiting[:limit]]
    return items, len(waiting)


def count_patients(connection: Connection, clinic_id: str) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(patients_t)
                                  .where(in_clinic(clinic_id))).scalar_one())


#: Opens another connection to the same database, for the half of the dashboard run alongside.
Connect = Callable[[], AbstractContextManager[Connection]]


def build_dashboard(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo, *,
                    thresholds: Thresholds = DEFAULT, sections: Mapping[str, bool] | None = None,
                    acknowledged: Iterable[tuple[str, str]] = (), connect: Connect | None = None) -> Dashboard:
    """The dashboard of ``clinic_id`` on the clinic-local day ``today``.

    ``sections`` switches off the lists a role may not see (``injections``, ``protection``,
    ``alerts``, ``inductions``), so nothing it may not read is even queried. With ``connect``,
    the treatment lists (due injections, protection) are read on a second connection in a
    second thread while this one reads the patients in care (alerts, inductions): the
    database driver releases the interpreter while a query runs, so two cores serve one page.
    """
    shown = {"injections": True, "protection": True, "alerts": True, "inductions": True, **(sections or {})}

    def treatment(conn: Connection) -> tuple[list[DueInjection], list[DueInjection], list[ProtectionEnding]]:
        rows = find_on_treatment(conn, clinic_id, today) if shown["injections"] or shown["protection"] else []
        due, overdue = (find_due_injections(conn, clinic_id, today, tz, thresholds, rows)
                        if shown["injections"] else ([], []))
        protection = (find_protection_ending(conn, clinic_id, today, tz, thresholds, rows=rows)
                      if shown["protection"] else [])
        return due, overdue, protection

    def in_care(conn: Connection) -> tuple[list[UrgentAlert], list[InductionInProgress], int, int]:
        care = find_in_care(conn, clinic_id, today) if shown["alerts"] or shown["inductions"] else None
        alerts = (find_urgent_alerts(conn, clinic_id, today, tz, thresholds, acknowledged, care)
                  if shown["alerts"] else [])
        inductions, total = find_inductions(conn, clinic_id, today, care=care) if shown["inductions"] else ([], 0)
        return alerts, inductions, total, count_patients(conn, clinic_id)

    if connect is None:
        due, overdue, protection = treatment(connection)
        alerts, inductions, total, count = in_care(connection)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(_on_own_connection, connect, treatment)
            alerts, inductions, total, count = in_care(connection)
            due, overdue, protection = future.result()
    return Dashboard(today=today, patient_count=count, due_today=tuple(due), overdue=tuple(overdue),
                     protection=tuple(protection), alerts=tuple(alerts), inductions=tuple(inductions),
                     induction_total=total)


T = TypeVar("T")


def _on_own_connection(connect: Connect, work: Callable[[Connection], T]) -> T:
    with connect() as connection:
        return work(connection)
