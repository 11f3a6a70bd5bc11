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

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from naltrack.domain.coverage import (
    BODY_WEIGHT_LOINC,
    LOOKBACK_HOURS,
    estimate_protection_ends,
    protection_origin,
)
from naltrack.domain.observations import LIVER_LOINC
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.pk.protection import FORM_CODES, Dosing

XR_KINDS = ("xr-ntx-q4w", "xr-ntx-bupropion")
ORAL_KINDS = ("oral-daily", "oral-schedule", "targeted")
#: Aminotransferases the liver alert reads (clinical.md §2.7, §8.3).
AMINOTRANSFERASES = ("1742-6", "1920-8")
#: How a PHQ-9 response names its instrument (instruments.definitions id and aliases).
PHQ9_IDS = ("phq-9", "PHQ-9", "phq9", "PHQ9")
#: Outcomes of an adverse event that close it.
CLOSED_OUTCOMES = ("resolved", "resolved-with-sequelae")
#: Dashboard window: protection ending within this many days (issue 6).
PROTECTION_WINDOW_DAYS = 7
#: How many inductions the dashboard lists (the patient list shows the rest).
INDUCTION_LIST_LIMIT = 12


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
        return _moment(stored).astimezone(self.tz).date()


def _moment(stored: datetime | str) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives naive UTC text)."""
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _raw(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Read a time column without SQLAlchemy's per-row string parsing (SQLite stores ISO text);
    :meth:`ClinicClock.local_day` parses it with ``datetime.fromisoformat``, which is many times faster."""
    return sa.type_coerce(expr, sa.String())


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def patient_ref(row: Any) -> PatientRef:
    return PatientRef(row.patient_id, f"{row.given_name} {row.family_name}", row.mrn)


def in_clinic(clinic_id: str) -> sa.ColumnElement[bool]:
    return patients_t.c.clinic_id == clinic_id


def _correlated_last(table: sa.TableClause, when: str, *extra: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The newest active row of ``table`` for the outer patient (an index range per patient)."""
    c = table.c
    return (sa.select(c[when]).where(c.patient_id == patients_t.c.id, c.status == "active", *extra)
            .order_by(c[when].desc()).limit(1))


def _on_treatment(connection: Connection, clinic_id: str, today: date) -> list[Any]:
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
    implant = _correlated_last(implants_t, "inserted_at", in_place)
    query = sa.select(
        p.id.label("patient_id"), p.given_name, p.family_name, p.mrn,
        on_xr.label("on_xr"), xr_interval.scalar_subquery().label("interval_days"),
        _raw(_correlated_last(injections_t, "given_at").scalar_subquery()).label("last_injection"),
        _correlated_last(injections_t, "given_at").with_only_columns(i.side).scalar_subquery().label("side"),
        _raw(_correlated_last(oral_t, "taken_at", taken).scalar_subquery()).label("last_oral"),
        _correlated_last(oral_t, "taken_at", taken).with_only_columns(o.dose_mg).scalar_subquery().label("oral_mg"),
        _raw(implant.scalar_subquery()).label("last_implant"),
        implant.with_only_columns(implants_t.c.expected_duration_days).scalar_subquery().label("implant_days"),
    ).where(in_clinic(clinic_id), sa.exists(sa.select(r.id).where(active)))
    return list(connection.execute(query))


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
    for row in rows if rows is not None else _on_treatment(connection, clinic_id, today):
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


def find_protection_ending(connection: Connection, clinic_id: str, today: date, tz: ZoneInfo,
                           thresholds: Thresholds = DEFAULT, window_days: int = PROTECTION_WINDOW_DAYS,
                           rows: list[Any] | None = None) -> list[ProtectionEnding]:
    """Patients on an active regimen whose protection ends within ``window_days`` or ended lately.

    The end of protection is the coverage engine's (rule MON-PROTECTION-END, docs/pk.md "End
    of protection"): the recent administrations of every patient on treatment are read in
    three set-based queries (:func:`_dosing`) and :func:`estimate_protection_ends` computes
    all the ends at once, as :func:`estimate_protection_end` does for one chart. "Lately" is
    ``lapse_alert_days``. ``form`` and ``last_dose_on`` name the latest administration.
    """
    clock = ClinicClock(connection, tz)
    rows = rows if rows is not None else _on_treatment(connection, clinic_id, today)
    ends = estimate_protection_ends(_dosing(connection, [r.patient_id for r in rows], today, tz), today, tz)
    items = []
    for row, end in zip(rows, ends, strict=True):
        latest = [(clock.local_day(when), form) for when, form in
                  ((row.last_injection, "xr-ntx"), (row.last_oral, "oral"), (row.last_implant, "implant"))
                  if when is not None]
        if end is None or not latest:
            continue
        days_left = (end - today).days
        if -thresholds.lapse_alert_days <= days_left <= window_days:
            last_day, form = max(latest)
            ref = patient_ref(row)
            items.append(ProtectionEnding(ref.patient_id, ref.name, ref.mrn, form, last_day, end, days_left))
    return sorted(items, key=lambda e: (e.days_left, e.name))


def _dosing(connection: Connection, ids: list[str], today: date, tz: ZoneInfo) -> Dosing:
    """The administrations in force of ``ids`` (in that order) that reach the end-of-protection window.

    Injections, oral doses taken or observed and implants (with their earliest active removal)
    since the window's origin less the form's look-back, by index ranges on
    ``(patient_id, given_at | taken_at | inserted_at)``; and each patient's latest body weight.
    One row per patient and form, the times and doses joined as text: ten thousand doses come
    back as a few hundred rows and are parsed by NumPy, not as ten thousand Python rows.
    """
    clock = ClinicClock(connection, tz)
    origin = protection_origin(today, tz)
    since = {form: clock.start_of(origin.date() - timedelta(days=LOOKBACK_HOURS[form] / 24 + 1))
             for form in FORM_CODES}
    i, o, m, rm = injections_t.c, oral_t.c, implants_t.c, removals_t.c
    removed = (sa.select(sa.func.min(rm.removed_at)).where(rm.implant_id == m.id, rm.status == "active")
               .scalar_subquery())
    never = sa.func.coalesce(_time_text(connection, removed), NEVER)
    queries = (
        ("xr-ntx", i, i.given_at, sa.literal(NEVER), i.given_at >= since["xr-ntx"]),
        ("oral", o, o.taken_at, sa.literal(NEVER), sa.and_(o.dose_status != "missed", o.taken_at >= since["oral"])),
        ("implant", m, m.inserted_at, never, m.inserted_at >= since["implant"]),
    )
    index = {pid: n for n, pid in enumerate(ids)}
    patients: list[int] = []
    forms: list[int] = []
    texts: tuple[list[str], list[str], list[str]] = ([], [], [])
    for form, c, when, until, recent in queries:
        query = (sa.select(c.patient_id, _joined(connection, _time_text(connection, when)),
                           _joined(connection, sa.cast(c.dose_mg, sa.Text)), _joined(connection, until))
                 .where(c.patient_id.in_(_ids()), c.status == "active", recent).group_by(c.patient_id))
        for pid, *joined in connection.execute(query, {"ids": ids}) if ids else []:
            count = joined[0].count(",") + 1
            patients += [index[pid]] * count
            forms += [FORM_CODES[form]] * count  # type: ignore[index]
            for column, text in zip(texts, joined, strict=True):
                column.append(text)
    start, stop = (_hours_since(",".join(texts[k]), origin) for k in (0, 2))
    dose = np.array(",".join(texts[1]).split(",") if patients else [], dtype=np.float64)
    return Dosing(np.array(patients, dtype=np.int64), np.array(forms, dtype=np.int64), start, dose,
                  np.where(stop > start, stop, np.inf), _weights(connection, ids, today, clock))


#: A removal that never happened, as stored-time text (later than any time read).
NEVER = "9999-12-31T00:00:00"


def _time_text(connection: Connection, expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A stored instant as ISO text in UTC (SQLite stores it so; PostgreSQL formats it)."""
    if connection.dialect.name == "sqlite":
        return _raw(expr)
    return sa.func.to_char(sa.func.timezone("UTC", expr), 'YYYY-MM-DD"T"HH24:MI:SS.US')


def _joined(connection: Connection, text: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The group's values joined by commas (one pass: every column of a group keeps the row order)."""
    if connection.dialect.name == "sqlite":
        return sa.func.group_concat(text, ",")
    return sa.func.string_agg(text, ",")


def _weights(connection: Connection, ids: list[str], today: date, clock: ClinicClock) -> npt.NDArray[np.float64]:
    """Each patient's latest body weight in kg (NaN when none), the coverage engine's covariate."""
    lab = labs_t.c
    query = (sa.select(lab.patient_id, lab.value).where(
        lab.patient_id.in_(_ids()), lab.loinc == BODY_WEIGHT_LOINC, lab.status == "active", lab.unit == "kg",
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
    query = (sa.select(p.id.label("patient_id"), p.given_name, p.family_name, p.mrn, _raw(started).label("started_on"))
             .join(episodes_t, e.patient_id == p.id)
             .where(in_clinic(clinic_id), e.status == "active", e.start <= today,
                    sa.or_(e.end.is_(None), e.end >= today))
             .group_by(p.id, p.given_name, p.family_name, p.mrn))
    refs, starts = {}, {}
    for row in connection.execute(query):
        refs[row.patient_id] = patient_ref(row)
        starts[row.patient_id] = _day(row.started_on)
    return InCare(refs, starts)


def _ids() -> sa.BindParameter[Any]:
    return sa.bindparam("ids", expanding=True)


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
             .where(q.patient_id.in_(_ids()), q.instrument.in_(PHQ9_IDS), q.completed_at >= since,
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
             .where(lab.patient_id.in_(_ids()), lab.loinc.in_(AMINOTRANSFERASES), lab.collected_at >= since,
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
             .where(a.patient_id.in_(_ids()), a.kind == "injection-site-reaction", a.onset <= today,
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

    query = sa.select(p.id).where(p.id.in_(_ids()), sa.or_(
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
        rows = _on_treatment(conn, clinic_id, today) if shown["injections"] or shown["protection"] else []
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
