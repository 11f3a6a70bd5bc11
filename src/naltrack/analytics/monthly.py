"""Outcomes by month of treatment: urine screens, heavy drinking days, the Brief Addiction Monitor.

A month of treatment counts from each patient's first dose (:func:`treatment_month`): month 0 is the
baseline, the 30 days before the first dose; month 1 the first dose's day and the 29 days after it
(days 0-29), month 2 days 30-59, and so on. Days more than 30 days before the first dose, and
patients without a first dose, are not counted. Heavy drinking days (clinical.md §6: at least 5
drinks a day for men, 4 for women) are read with :func:`naltrack.domain.drinking.heavy_drinking_from`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from statistics import fmean

from naltrack.analytics.courses import PatientCourse
from naltrack.domain.drinking import heavy_drinking_from
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds

#: Days of a month of treatment (and of the baseline month before the first dose).
MONTH_DAYS = 30
_COMPLETED_ON = attrgetter("completed_on")


def treatment_month(day: date, first_dose_on: date) -> int | None:
    """The month of treatment of ``day``: 0 for the 30 days before the first dose, 1 for days 0-29 after it.

    Examples
    --------
    >>> first = date(2026, 1, 31)
    >>> [treatment_month(date(2026, 1, 1), first), treatment_month(date(2026, 1, 30), first)]
    [0, 0]
    >>> [treatment_month(day, first) for day in (first, date(2026, 3, 1), date(2026, 3, 2))]
    [1, 1, 2]
    >>> treatment_month(date(2025, 12, 31), first) is None
    True
    """
    month = (day.toordinal() - baseline_start(first_dose_on)) // MONTH_DAYS
    return None if month < 0 else month


def baseline_start(first_dose_on: date) -> int:
    """The ordinal of the baseline month's first day, ``MONTH_DAYS`` days before the first dose: a day's month
    of treatment is ``(day.toordinal() - baseline_start) // MONTH_DAYS``, negative before the baseline (the
    measures below compute it once a patient and apply it to each of the patient's days)."""
    return first_dose_on.toordinal() - MONTH_DAYS


@dataclass(frozen=True)
class MonthRow:
    """One month of treatment: ``patients`` counted, ``n`` observations, a ``value`` and an ``extra`` figure.

    Where ``value`` or ``extra`` is a share, ``value_counts`` and ``extra_counts`` hold its numerator and
    denominator (for small-cell suppression); ``None`` where the figure is a mean.
    """

    month: int
    patients: int
    n: int
    value: float | None
    extra: float | None
    value_counts: tuple[int, int] | None = None
    extra_counts: tuple[int, int] | None = None


def screens_by_month(courses: Iterable[PatientCourse]) -> tuple[MonthRow, ...]:
    """Urine screens by month of treatment: ``n`` screens of ``patients`` patients, ``value`` the share
    negative for opioids among the screens testing opioids, ``extra`` the share negative for fentanyl among
    the screens testing fentanyl (``None`` where none tested it).

    Examples
    --------
    >>> from naltrack.analytics.courses import Screen
    >>> course = PatientCourse(patient_id="p", clinic_id="c", sex_at_birth="male", birth_date=date(1990, 1, 1),
    ...     first_dose_on=date(2026, 1, 1), screens=(Screen(date(2026, 1, 2), True, None),
    ...                                               Screen(date(2026, 1, 20), False, True)))
    >>> row, = screens_by_month([course])
    >>> row.patients, row.n, row.value, row.extra, row.value_counts, row.extra_counts
    (1, 2, 0.5, 1.0, (1, 2), (1, 1))
    """
    patients: dict[int, set[str]] = defaultdict(set)
    opioids: dict[int, list[bool | None]] = defaultdict(list)
    fentanyl: dict[int, list[bool | None]] = defaultdict(list)
    for course in courses:
        baseline_start = _baseline_start(course)
        if baseline_start is None:
            continue
        for screen in course.screens:
            month = (screen.collected_on.toordinal() - baseline_start) // MONTH_DAYS
            if month >= 0:
                patients[month].add(course.patient_id)
                opioids[month].append(screen.opioids_negative)
                fentanyl[month].append(screen.fentanyl_negative)
    months = []
    for m in sorted(opioids):
        opioid_counts, fentanyl_counts = _counts(opioids[m]), _counts(fentanyl[m])
        months.append(MonthRow(m, len(patients[m]), len(opioids[m]), _share(opioid_counts), _share(fentanyl_counts),
                               opioid_counts, fentanyl_counts))
    return tuple(months)


def drinking_by_month(courses: Iterable[PatientCourse], thresholds: Thresholds = DEFAULT) -> tuple[MonthRow, ...]:
    """Heavy drinking days by month of treatment, from the drinking diaries.

    For each patient and month: heavy days (at least :func:`heavy_drinking_from` standard drinks) per 30
    reported days. ``value`` is the mean of that rate over the ``patients`` who reported days in the month
    (``n`` days reported in all); ``extra`` the mean change from the baseline month (month 0) among them
    who reported baseline days (``None`` for month 0 and where nobody has a baseline).
    """
    rates: dict[int, dict[str, float]] = defaultdict(dict)
    reported: dict[int, int] = defaultdict(int)
    for course in courses:
        baseline_start = _baseline_start(course)
        if baseline_start is None:
            continue
        heavy_from = heavy_drinking_from(course.sex_at_birth, thresholds)
        days: dict[int, list[bool]] = defaultdict(list)
        for entry in course.drinking:
            month = (entry.day.toordinal() - baseline_start) // MONTH_DAYS
            if month >= 0:
                days[month].append(entry.standard_drinks >= heavy_from)
        for month, heavy in days.items():
            rates[month][course.patient_id] = sum(heavy) * MONTH_DAYS / len(heavy)
            reported[month] += len(heavy)
    baseline = rates.get(0, {})
    rows = []
    for month, by_patient in sorted(rates.items()):
        changes = [rate - baseline[pid] for pid, rate in by_patient.items() if pid in baseline]
        extra = fmean(changes) if month > 0 and changes else None
        rows.append(MonthRow(month, len(by_patient), reported[month], fmean(by_patient.values()), extra))
    return tuple(rows)


@dataclass(frozen=True)
class BamMonth:
    """The Brief Addiction Monitor by month of treatment: mean use, risk-factor and protective-factor scores."""

    month: int
    patients: int
    use: float
    risk: float
    protective: float


def bam_by_month(courses: Iterable[PatientCourse]) -> tuple[BamMonth, ...]:
    """Mean BAM scores by month of treatment over the patients with a response in the month; a patient with
    several responses in one month counts with the latest."""
    latest: dict[int, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for course in courses:
        baseline_start = _baseline_start(course)
        if baseline_start is None:
            continue
        for entry in sorted(course.bam, key=_COMPLETED_ON):
            month = (entry.completed_on.toordinal() - baseline_start) // MONTH_DAYS
            if month >= 0:
                latest[month][course.patient_id] = (entry.use, entry.risk, entry.protective)
    months = []
    for m, scores in sorted(latest.items()):
        uses, risks, protectives = zip(*scores.values(), strict=True)
        months.append(BamMonth(m, len(scores), fmean(uses), fmean(risks), fmean(protectives)))
    return tuple(months)


def _baseline_start(course: PatientCourse) -> int | None:
    """:func:`baseline_start` of the course's first dose; ``None`` without a first dose."""
    first = course.first_dose_on
    return None if first is None else baseline_start(first)


def _counts(results: list[bool | None]) -> tuple[int, int]:
    """Negative results and results, of the screens that tested the analyte."""
    return results.count(True), len(results) - results.count(None)


def _share(counts: tuple[int, int]) -> float | None:
    return counts[0] / counts[1] if counts[1] else None
