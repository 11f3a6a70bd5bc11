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

The queries use SQLAlchemy Core over lightweight table clauses (names and columns only),
so this module does not import the storage adapter; the caller passes a connection.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.domain.observations import LIVER_LOINC
from naltrack.domain.rules.monitoring import oral_blockade_hours
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

XR_KINDS = ("xr-ntx-q4w", "xr-ntx-bupropion")
ORAL_KINDS = ("oral-daily", "oral-schedule", "targeted")
#: Aminotransferases the liver alert reads (clinical.md §2.7, §8.3).
AMINOTRANSFERASES = ("1742-6", "1920-8")
#: Outcomes of an adverse event that close it.
CLOSED_OUTCOMES = ("resolved", "resolved-with-sequelae", "fatal")
#: Dashboard window: protection ending within this many days (issue 6).
PROTECTION_WINDOW_DAYS = 7
#: How many inductions the dashboard lists (the patient list shows the rest).
INDUCTION_LIST_LIMIT = 12


def _t(name: str, *cols: str | tuple[str, sa.types.TypeEngine[Any]]) -> sa.TableClause:
    columns = [sa.column(c) if isinstance(c, str) else sa.column(c[0], c[1]) for c in cols]
    return sa.table(name, *columns)


_TS = sa.DateTime()
_REC = ("id", "patient_id", "status")
patients_t = _t("patients", "id", "clinic_id", "given_name", "family_name", "mrn")
injections_t = _t("injections", *_REC, ("given_at", _TS), "side")
regimens_t = _t("regimens", *_REC, "kind", ("start", sa.Date()), ("end", sa.Date()), "interval_days")
oral_t = _t("oral_doses", *_REC, ("taken_at", _TS), "dose_mg", "dose_status")
implants_t = _t("implant_insertions", *_REC, ("inserted_at", _TS), "expected_duration_days")
removals_t = _t("implant_removals", *_REC, "implant_id")
episodes_t = _t("episodes", *_REC, ("start", sa.Date()), ("end", sa.Date()))
questionnaires_t = _t("questionnaire_responses", *_REC, "instrument", ("completed_at", _TS), "flags", "total")
labs_t = _t("lab_results", *_REC, "loinc", "name", "value", "reference_high", ("collected_at", _TS))
adverse_t = _t("adverse_events", *_REC, "kind", ("onset", sa.Date()), "outcome", "ctcae_grade",
               "site_necrosis", "description")


@dataclass(frozen=True)
class PatientRef:
    patient_id: str
    name: str
    mrn: str | None


@dataclass(frozen=True)
class DueInjection(PatientRef):
    last_given_on: date
    days_since: int
    due_on: date
    last_side: str
    suggested_side: str


@dataclass(frozen=True)
class ProtectionEnding(PatientRef):
    form: str
    last_dose_on: date
    protection_ends_on: date
    days_left: int


@dataclass(frozen=True)
class UrgentAlert(PatientRef):
    kind: str
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


class _Clock:
    """Turns clinic-local days into the stored UTC instants of one backend."""

    def __init__(self, connection: Connection, tz: ZoneInfo) -> None:
        self.naive = connection.dialect.name == "sqlite"
        self.tz = tz

    def start_of(self, day: date) -> datetime:
        moment = datetime.combine(day, time.min, tzinfo=self.tz).astimezone(UTC)
        return moment.replace(tzinfo=None) if self.naive else moment

    def local_day(self, stored: datetime) -> date:
        aware = stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored
        return aware.astimezone(self.tz).date()


def _name(row: Any) -> PatientRef:
    return PatientRef(row.patient_id, f"{row.given_name} {row.family_name}", row.mrn)


def _in_clinic(clinic_id: str) -> sa.ColumnElement[bool]:
    return patients_t.c.clinic_id == clinic_id


def _active_regimen(kinds: Sequence[str], today: date) -> sa.Select[Any]:
    r = regimens_t.c
    return (sa.select(r.patient_id, sa.func.max(r.interval_days).label("interval_days"))
            .where(r.status == "active", r.kind.in_(kinds), r.start <= today,
                   sa.or_(r.end.is_(None), r.end >= today))
            .group_by(r.patient_id))


def find_due_injections(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                        thresholds: Thresholds = DEFAULT) -> tuple[list[DueInjection], list[DueInjection]]:
    """XR-NTX patients due (from ``interval - due_window`` days) and overdue (after ``interval``).

    Only patients on an active XR-NTX regimen count (rule MON-INJECTION-DUE, clinical.md §1.2);
    the query returns only those whose last injection is at least that old.
    """
    clock = _Clock(connection, tz)
    i = injections_t.c
    last = (sa.select(i.patient_id, sa.func.max(i.given_at).label("last_at"))
            .where(i.status == "active").group_by(i.patient_id).subquery())
    regimen = _active_regimen(XR_KINDS, today).subquery()
    earliest_due = thresholds.injection_interval_days - thresholds.injection_due_window_days
    # Shortest regimen interval is 21 days (domain/regimens.py): nobody is due sooner.
    bound = clock.start_of(today - timedelta(days=min(earliest_due, 21) - 1))
    p = patients_t.c
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, last.c.last_at,
                       regimen.c.interval_days, i.side)
             .join(last, last.c.patient_id == p.id)
             .join(regimen, regimen.c.patient_id == p.id)
             .join(injections_t, sa.and_(i.patient_id == p.id, i.given_at == last.c.last_at, i.status == "active"))
             .where(_in_clinic(clinic_id), last.c.last_at < bound))
    due, overdue = [], []
    for row in connection.execute(query):
        interval = row.interval_days or thresholds.injection_interval_days
        last_day = clock.local_day(row.last_at)
        days_since = (today - last_day).days
        if days_since < interval - thresholds.injection_due_window_days:
            continue
        item = DueInjection(**vars(_name(row)), last_given_on=last_day, days_since=days_since,
                            due_on=last_day + timedelta(days=interval), last_side=row.side,
                            suggested_side="right" if row.side == "left" else "left")
        (overdue if days_since > interval else due).append(item)
    return sorted(due, key=_most_days_first), sorted(overdue, key=_most_days_first)


def _most_days_first(item: DueInjection) -> tuple[int, str]:
    return -item.days_since, item.name


def _oral_days(dose_mg: float | None) -> int:
    """Whole days of blockade after an oral dose (rule MON-PROTECTION-END, clinical.md §1.1)."""
    return max(1, math.ceil(oral_blockade_hours(dose_mg or 50.0) / 24.0))


def _protection_ends(connection: Connection, clinic_id: str, today: date, clock: _Clock,
                     thresholds: Thresholds, lookback_days: int) -> dict[str, tuple[str, date, date, PatientRef]]:
    """Per patient with an active regimen and a recent dose: (form, last dose day, protection end)."""
    p, i, o, m = patients_t.c, injections_t.c, oral_t.c, implants_t.c
    active = (sa.select(regimens_t.c.patient_id).where(
        regimens_t.c.status == "active", regimens_t.c.start <= today,
        sa.or_(regimens_t.c.end.is_(None), regimens_t.c.end >= today)).distinct().subquery())
    horizon = max(thresholds.xr_ntx_blockade_days, 3, 365) + lookback_days
    since = clock.start_of(today - timedelta(days=horizon))
    removed = sa.select(removals_t.c.implant_id).where(removals_t.c.status == "active")
    parts = [
        sa.select(i.patient_id, sa.literal("xr-ntx").label("form"), sa.func.max(i.given_at).label("last_at"),
                  sa.literal(None).label("extra"))
        .where(i.status == "active", i.given_at >= since).group_by(i.patient_id),
        sa.select(o.patient_id, sa.literal("oral").label("form"), sa.func.max(o.taken_at).label("last_at"),
                  sa.func.max(o.dose_mg).label("extra"))
        .where(o.status == "active", o.dose_status != "missed", o.taken_at >= since).group_by(o.patient_id),
        sa.select(m.patient_id, sa.literal("implant").label("form"), m.inserted_at.label("last_at"),
                  m.expected_duration_days.label("extra"))
        .where(m.status == "active", m.inserted_at >= since, m.id.not_in(removed)),
    ]
    events = sa.union_all(*parts).subquery()
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, events.c.form,
                       events.c.last_at, events.c.extra)
             .join(events, events.c.patient_id == p.id).join(active, active.c.patient_id == p.id)
             .where(_in_clinic(clinic_id)))
    ends: dict[str, tuple[str, date, date, PatientRef]] = {}
    for row in connection.execute(query):
        last_day = clock.local_day(row.last_at)
        if row.form == "xr-ntx":
            days = thresholds.xr_ntx_blockade_days
        elif row.form == "oral":
            days = _oral_days(row.extra)
        else:
            days = int(row.extra or thresholds.implant_default_days)
        end = last_day + timedelta(days=days)
        if row.patient_id not in ends or end > ends[row.patient_id][2]:
            ends[row.patient_id] = (row.form, last_day, end, _name(row))
    return ends


def find_protection_ending(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                           thresholds: Thresholds = DEFAULT,
                           window_days: int = PROTECTION_WINDOW_DAYS) -> list[ProtectionEnding]:
    """Patients on an active regimen whose protection ends within ``window_days`` or ended lately.

    The end of protection is the days'-supply estimate of rule MON-PROTECTION-END: XR-NTX
    blockade about 28 days (clinical.md §1.2), an oral dose 24 h per 50 mg (§1.1), an implant its
    expected duration or the configured default (§1.3). "Lately" is ``lapse_alert_days``.
    """
    clock = _Clock(connection, tz)
    ends = _protection_ends(connection, clinic_id, today, clock, thresholds, thresholds.lapse_alert_days)
    items = []
    for patient_id, (form, last_day, end, ref) in ends.items():
        days_left = (end - today).days
        if -thresholds.lapse_alert_days <= days_left <= window_days:
            items.append(ProtectionEnding(patient_id, ref.name, ref.mrn, form, last_day, end, days_left))
    return sorted(items, key=lambda e: (e.days_left, e.name))


def find_urgent_alerts(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                       thresholds: Thresholds = DEFAULT,
                       acknowledged: Iterable[tuple[str, str]] = ()) -> list[UrgentAlert]:
    """PHQ-9 item 9, aminotransferases above the review multiple of ULN, open injection-site reactions.

    ``acknowledged`` holds ``(kind, patient_id:record_id)`` keys to leave out.
    """
    clock = _Clock(connection, tz)
    done = set(acknowledged)
    alerts = [*_phq9_alerts(connection, clinic_id, today, clock, thresholds),
              *_liver_alerts(connection, clinic_id, today, clock, thresholds),
              *_site_alerts(connection, clinic_id, today, thresholds)]
    alerts = [a for a, key in alerts if (a.kind, key) not in done]
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(alerts, key=lambda a: (order.get(a.severity, 3), -a.on.toordinal(), a.name))


def _phq9_alerts(connection: Connection, clinic_id: str, today: date, clock: _Clock,
                 thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """Rule MON-PHQ9-ITEM9 (clinical.md §5): item 9 above 0 within ``phq9_lookback_days``."""
    q, p = questionnaires_t.c, patients_t.c
    since = clock.start_of(today - timedelta(days=thresholds.phq9_lookback_days))
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, q.id, q.completed_at)
             .join(questionnaires_t, q.patient_id == p.id)
             .where(_in_clinic(clinic_id), q.status == "active", q.completed_at >= since,
                    sa.func.lower(q.instrument) == "phq-9",
                    sa.cast(q.flags, sa.Text).like("%item-9-positive%")))
    return [(UrgentAlert(**vars(_name(row)), kind="phq9-item9", kind_label="PHQ-9 item 9",
                         message="thoughts of self-harm reported: start the safety workflow today",
                         on=clock.local_day(row.completed_at), severity="critical"), f"{row.patient_id}:{row.id}")
            for row in connection.execute(query)]


def _liver_alerts(connection: Connection, clinic_id: str, today: date, clock: _Clock,
                  thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """The latest ALT or AST of each patient above ``liver_review_above_x_uln`` (clinical.md §2.7)."""
    lab, p = labs_t.c, patients_t.c
    since = clock.start_of(today - timedelta(days=thresholds.liver_lookback_days))
    ranked = (sa.select(lab.patient_id, lab.id, lab.loinc, lab.value, lab.reference_high, lab.collected_at,
                        sa.func.row_number().over(partition_by=(lab.patient_id, lab.loinc),
                                                  order_by=lab.collected_at.desc()).label("rank"))
              .join(patients_t, p.id == lab.patient_id)
              .where(_in_clinic(clinic_id), lab.status == "active", lab.loinc.in_(AMINOTRANSFERASES),
                     lab.collected_at >= since, lab.reference_high > 0).subquery())
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, ranked.c.id, ranked.c.loinc,
                       ranked.c.value, ranked.c.reference_high, ranked.c.collected_at)
             .join(ranked, ranked.c.patient_id == p.id)
             .where(ranked.c.rank == 1,
                    ranked.c.value > ranked.c.reference_high * thresholds.liver_review_above_x_uln))
    out = []
    for row in connection.execute(query):
        multiple = row.value / row.reference_high
        severe = multiple > thresholds.liver_not_ready_above_x_uln
        out.append((UrgentAlert(**vars(_name(row)), kind="liver", kind_label="Liver",
                                message=f"{LIVER_LOINC.get(row.loinc, row.loinc)} {row.value:g} U/L is "
                                        f"{multiple:.1f}x the upper limit of normal",
                                on=clock.local_day(row.collected_at), severity="critical" if severe else "warning"),
                    f"{row.patient_id}:{row.id}"))
    return out


def _site_alerts(connection: Connection, clinic_id: str, today: date,
                 thresholds: Thresholds) -> list[tuple[UrgentAlert, str]]:
    """Open injection-site reactions (clinical.md §3); critical with necrosis or after two weeks."""
    a, p = adverse_t.c, patients_t.c
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, a.id, a.onset,
                       a.site_necrosis, a.ctcae_grade)
             .join(adverse_t, a.patient_id == p.id)
             .where(_in_clinic(clinic_id), a.status == "active", a.kind == "injection-site-reaction",
                    a.outcome.not_in(CLOSED_OUTCOMES), a.onset <= today))
    out = []
    for row in connection.execute(query):
        days = (today - row.onset).days
        critical = bool(row.site_necrosis) or days >= thresholds.injection_site_escalate_days
        message = ("necrosis reported: refer to a surgeon" if row.site_necrosis else
                   f"not resolved after {days} days: review the site" if critical else
                   f"open since {days} days: check the site at the next visit")
        out.append((UrgentAlert(**vars(_name(row)), kind="injection-site", kind_label="Injection site",
                                message=message, on=row.onset, severity="critical" if critical else "warning"),
                    f"{row.patient_id}:{row.id}"))
    return out


def find_inductions(connection: Connection, clinic_id: str, today: date,
                    limit: int = INDUCTION_LIST_LIMIT) -> tuple[list[InductionInProgress], int]:
    """Patients with an open episode and no naltrexone given yet, newest episodes first; and their count."""
    p, e = patients_t.c, episodes_t.c
    given = sa.union(
        sa.select(injections_t.c.patient_id).where(injections_t.c.status == "active"),
        sa.select(oral_t.c.patient_id).where(oral_t.c.status == "active", oral_t.c.dose_status != "missed"),
        sa.select(implants_t.c.patient_id).where(implants_t.c.status == "active"),
    ).subquery()
    open_episode = (sa.select(e.patient_id, sa.func.max(e.start).label("started_on"))
                    .where(e.status == "active", e.start <= today, sa.or_(e.end.is_(None), e.end >= today))
                    .group_by(e.patient_id).subquery())
    base = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, open_episode.c.started_on)
            .join(open_episode, open_episode.c.patient_id == p.id)
            .where(_in_clinic(clinic_id), p.id.not_in(sa.select(given.c.patient_id))))
    total = connection.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    rows = connection.execute(base.order_by(open_episode.c.started_on.desc(), p.family_name).limit(limit))
    return [InductionInProgress(**vars(_name(row)), started_on=row.started_on) for row in rows], int(total)


def count_patients(connection: Connection, clinic_id: str) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(patients_t)
                                  .where(_in_clinic(clinic_id))).scalar_one())


def build_dashboard(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo, *,
                    thresholds: Thresholds = DEFAULT, sections: Mapping[str, bool] | None = None,
                    acknowledged: Iterable[tuple[str, str]] = ()) -> Dashboard:
    """The dashboard of ``clinic_id`` on the clinic-local day ``today``.

    ``sections`` switches off the lists a role may not see (``injections``, ``protection``,
    ``alerts``, ``inductions``), so nothing it may not read is even queried.
    """
    shown = {"injections": True, "protection": True, "alerts": True, "inductions": True, **(sections or {})}
    due, overdue = (find_due_injections(connection, clinic_id, today, tz, thresholds)
                    if shown["injections"] else ([], []))
    protection = find_protection_ending(connection, clinic_id, today, tz, thresholds) if shown["protection"] else []
    alerts = (find_urgent_alerts(connection, clinic_id, today, tz, thresholds, acknowledged)
              if shown["alerts"] else [])
    inductions, total = find_inductions(connection, clinic_id, today) if shown["inductions"] else ([], 0)
    return Dashboard(today=today, patient_count=count_patients(connection, clinic_id), due_today=tuple(due),
                     overdue=tuple(overdue), protection=tuple(protection), alerts=tuple(alerts),
                     inductions=tuple(inductions), induction_total=total)
