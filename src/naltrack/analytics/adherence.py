"""Adherence over a window: proportion of days covered (PDC) and proportion of days protected.

PDC counts a day covered when some days supply reaches it; an early refill of the same
medication starts when the previous supply ends (the same "overlaps are summed" rule as
POD, clinical.md §7.2). An XR-NTX injection supplies 31 days (clinical.md §7.2).

The protected fraction reads naltrack's own coverage instead (DESIGN.md "coverage"): the
share of days in the window whose band is at least the one asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

import numpy as np

from naltrack.analytics.courses import Dose, Interval, PatientCourse
from naltrack.analytics.definitions import DEFAULT_DEFINITIONS, MeasureDefinitions
from naltrack.domain.coverage import PatientCoverage
from naltrack.domain.due_dates import injection_timeliness, missed_injections
from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.thresholds import DEFAULT, Thresholds
from naltrack.domain.units import require_whole_days
from naltrack.pk.bands import BANDS, Band

#: Days an XR-NTX injection covers (clinical.md §7.2, HEDIS POD value set).
INJECTION_DAYS_SUPPLY = 31
#: The longest supply one dispensing or administration may hold.
MAX_SUPPLY_DAYS = 365


@dataclass(frozen=True)
class Supply:
    """A dispensing or administration: ``days`` of medication from ``start``."""

    start: date
    days: int

    def __post_init__(self) -> None:
        require_whole_days("supply.days", self.days, 1, MAX_SUPPLY_DAYS)


def _check_window(start: date, end: date) -> int:
    if end < start:
        raise InvalidInput("window.end", end.isoformat(), f"is before the window start {start.isoformat()}")
    return (end - start).days + 1


def calculate_pdc(supplies: Iterable[Supply], start: date, end: date) -> float:
    """Proportion of days from ``start`` to ``end`` (inclusive) covered by the supplies.

    Examples
    --------
    >>> fills = [Supply(date(2026, 1, 1), 30), Supply(date(2026, 1, 20), 30)]
    >>> calculate_pdc(fills, date(2026, 1, 1), date(2026, 3, 1))  # 60 of 60 days: refill shifted
    1.0
    >>> calculate_pdc([Supply(date(2026, 1, 1), 15)], date(2026, 1, 1), date(2026, 1, 30))
    0.5
    """
    n_days = _check_window(start, end)
    return _covered_days([(s.start.toordinal(), s.days) for s in supplies], start, end) / n_days


def _covered_days(supplies: list[tuple[int, int]], start: date, end: date) -> int:
    """Days from ``start`` to ``end`` covered by ``supplies``, each (the ordinal of its first day, its days)."""
    first, last = start.toordinal(), end.toordinal()
    covered = 0
    next_free: int | None = None
    # conditional expressions rather than max() and min(): a call each costs time on a whole program
    for day, days in sorted(supplies, key=itemgetter(0)):
        # each supply begins where the previous one ended at the earliest: the supplies never overlap
        begin = day if next_free is None or day > next_free else next_free
        next_free = begin + days
        covered_from = begin if begin > first else first
        covered_to = next_free - 1 if next_free - 1 < last else last
        if covered_from <= covered_to:
            covered += covered_to - covered_from + 1
    return covered


def calculate_protected_fraction(coverage: PatientCoverage, start: date, end: date,
                                 at_least: Band = "protected") -> float:
    """Share of the window's days whose band is ``at_least`` or better (e.g. partial counts partial and protected).

    Raises
    ------
    InvalidInput
        If the window is empty or not inside the coverage.
    """
    n_days = _check_window(start, end)
    if at_least not in BANDS:
        raise InvalidInput("at_least", at_least, f"must be one of {', '.join(BANDS)}")
    first, last = coverage.days[0].day, coverage.days[-1].day
    if start < first or end > last:
        raise InvalidInput("window", f"{start}..{end}", f"is outside the coverage {first}..{last}")
    worst = BANDS.index(at_least)
    good = sum(1 for d in coverage.days if start <= d.day <= end and BANDS.index(d.band) <= worst)
    return good / n_days


#: Days one oral dose taken or observed supplies when the record gives no supply: its own day.
ORAL_DOSE_DAYS = 1


def days_supplied(dose: Dose, thresholds: Thresholds = DEFAULT) -> int:
    """Days of medication a dose supplies: an XR-NTX injection 31 (clinical.md §7.2), an implant its recorded
    duration or :attr:`Thresholds.implant_default_days` (§1.3), an oral dose its days supply or its own day.

    Examples
    --------
    >>> days_supplied(Dose(date(2026, 1, 1), "xr-ntx", "637213")), days_supplied(Dose(date(2026, 1, 1), "oral",
    ...     "1483744")), days_supplied(Dose(date(2026, 1, 1), "implant", "NTX-IMPLANT"))
    (31, 1, 60)
    """
    if dose.form == "xr-ntx":
        return INJECTION_DAYS_SUPPLY
    if dose.form == "implant":
        return dose.days_supply or thresholds.implant_default_days
    return dose.days_supply or ORAL_DOSE_DAYS


@dataclass(frozen=True)
class Adherence:
    """Adherence of the patients with a first dose: protected days, PDC, injections on time, late and missed."""

    patients: int
    protected_share: float | None
    pdc_median: float | None
    injections_on_time: int
    injections_late: int
    injections_missed: int


def care_window(course: PatientCourse, as_of: date) -> tuple[date, date] | None:
    """The days a patient is followed for adherence: the first dose to ``as_of``, or to the discharge day
    when the episode closed before; ``None`` without a first dose by ``as_of``."""
    start = course.first_dose_on
    if start is None or start > as_of:
        return None
    end = course.discharged_on if course.discharged_on and start <= course.discharged_on < as_of else as_of
    return start, end


def measure_adherence(courses: Iterable[PatientCourse], as_of: date,
                      definitions: MeasureDefinitions = DEFAULT_DEFINITIONS,
                      thresholds: Thresholds = DEFAULT) -> Adherence:
    """Adherence over each patient's :func:`care_window`.

    ``protected_share`` is the share of all the patients' window days blocked by the blockade estimate
    (``course.protected``); ``pdc_median`` the median of the patients' proportions of days covered by their
    doses' supplies (:func:`calculate_pdc`, :func:`days_supplied`). Each XR-NTX injection after an earlier
    one is on time or late (:func:`naltrack.domain.due_dates.injection_timeliness`, at the default interval);
    the due days missed (:func:`naltrack.domain.due_dates.missed_injections`) are counted between
    injections and from the last one to the window's end. ``definitions`` is taken for a uniform signature.
    """
    patients = window_days = protected = on_time = late = missed = 0
    pdcs = []
    for course in courses:
        window = care_window(course, as_of)
        if window is None:
            continue
        start, end = window
        n_days = (end - start).days + 1
        supplies, injections = _doses_given(course, end, thresholds)
        patients += 1
        window_days += n_days
        protected += _overlap(course.protected, start, end)
        pdcs.append(_covered_days(supplies, start, end) / n_days)
        patient_on_time, patient_late, patient_missed = _injection_counts(sorted(injections), end.toordinal(),
                                                                          thresholds)
        on_time += patient_on_time
        late += patient_late
        missed += patient_missed
    return Adherence(patients, protected / window_days if window_days else None,
                     float(np.median(pdcs)) if pdcs else None, on_time, late, missed)


def _doses_given(course: PatientCourse, end: date, thresholds: Thresholds) -> tuple[list[tuple[int, int]], set[int]]:
    """The doses given by ``end``: their supplies as (the ordinal of the dose's day, its days supplied), each
    checked as :class:`Supply` checks it, and the ordinals of the days with an XR-NTX injection."""
    supplies = []
    injections = set()
    for dose in course.doses:
        if dose.on <= end:
            days = days_supplied(dose, thresholds)
            require_whole_days("supply.days", days, 1, MAX_SUPPLY_DAYS)
            day = dose.on.toordinal()
            supplies.append((day, days))
            if dose.form == "xr-ntx":
                injections.add(day)
    return supplies, injections


def _overlap(intervals: Iterable[Interval], start: date, end: date) -> int:
    """Days of ``intervals`` from ``start`` to ``end``."""
    days = 0
    for interval in intervals:
        first = interval.start if interval.start > start else start  # the later start: max() costs a call
        last = interval.end if interval.end < end else end  # the earlier end
        if first <= last:
            days += (last - first).days + 1
    return days


def _injection_counts(shots: list[int], end: int, thresholds: Thresholds) -> tuple[int, int, int]:
    """Injections on time and late, and due days missed, of one patient's injection days ``shots`` (ordinals,
    in order) up to the day ``end`` (an ordinal)."""
    if not shots:
        return 0, 0, 0
    on_time = late = 0
    missed = missed_injections(end - shots[-1], None, thresholds)
    for before, after in zip(shots, shots[1:], strict=False):
        gap = after - before
        if injection_timeliness(gap, None, thresholds) == "on-time":
            on_time += 1
        else:
            late += 1
        missed += missed_injections(gap, None, thresholds)
    return on_time, late, missed
