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
from datetime import date, timedelta

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


@dataclass(frozen=True)
class Supply:
    """A dispensing or administration: ``days`` of medication from ``start``."""

    start: date
    days: int

    def __post_init__(self) -> None:
        require_whole_days("supply.days", self.days, 1, 365)


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
    covered = 0
    next_free: date | None = None
    for supply in sorted(supplies, key=lambda s: s.start):
        # each supply begins where the previous one ended at the earliest: the supplies never overlap
        begin = supply.start if next_free is None else max(supply.start, next_free)
        next_free = begin + timedelta(days=supply.days)
        covered += max(0, (min(next_free - timedelta(days=1), end) - max(begin, start)).days + 1)
    return covered / n_days


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
    windows = [(c, w) for c in courses if (w := care_window(c, as_of)) is not None]
    days = sum((end - start).days + 1 for _, (start, end) in windows)
    protected = sum(_overlap(c.protected, start, end) for c, (start, end) in windows)
    pdcs = [calculate_pdc([Supply(d.on, days_supplied(d, thresholds)) for d in c.doses if d.on <= end], start, end)
            for c, (start, end) in windows]
    counts = [_injection_counts(c, end, thresholds) for c, (_, end) in windows]
    on_time, late, missed = (sum(c[k] for c in counts) for k in range(3))
    return Adherence(len(windows), protected / days if days else None,
                     float(np.median(pdcs)) if pdcs else None, on_time, late, missed)


def _overlap(intervals: Iterable[Interval], start: date, end: date) -> int:
    return sum(max(0, (min(i.end, end) - max(i.start, start)).days + 1) for i in intervals)


def _injection_counts(course: PatientCourse, end: date, thresholds: Thresholds) -> tuple[int, int, int]:
    """Injections on time and late, and due days missed, of one patient up to ``end``."""
    shots = sorted({d.on for d in course.doses if d.form == "xr-ntx" and d.on <= end})
    gaps = [(after - before).days for before, after in zip(shots, shots[1:], strict=False)]
    on_time = sum(1 for g in gaps if injection_timeliness(g, None, thresholds) == "on-time")
    missed = sum(missed_injections(g, None, thresholds) for g in gaps)
    if shots:
        missed += missed_injections((end - shots[-1]).days, None, thresholds)
    return on_time, len(gaps) - on_time, missed
